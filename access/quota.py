"""Daily quotas as reservations: reserve before rendering, then commit or refund.

A clip is reserved inside BEGIN IMMEDIATE, which counts today's committed and
pending clips for the same quota key and inserts the new row in one
transaction; SQLite lets only one writer hold that lock, so concurrent
requests (threads or processes) can never both take the last clip.  Pending
rows count against the quota, so a clip in flight cannot be double-spent, and
``reconcile_reservations`` returns the ones a crash left behind.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import sqlite3

from .common import (
    INVALID_TOKEN_MESSAGE,
    AccessDenied,
    QuotaExceeded,
    clips_quota_message,
    seconds_quota_message,
)
from .db import write_transaction
from .timeutil import is_expired, to_iso, utc_day

_EPSILON = 1e-9  # float sums of seconds must not refuse an exact fit


@dataclasses.dataclass(frozen=True)
class Reservation:
    """One reserved clip. ``label`` is the quota key (token label or ``hf:<user>``).

    The client and prompt fields are filled in by Gate.begin so that
    succeed/fail can write the audit row without keeping state of their own.
    """

    id: int
    label: str
    seconds: float
    client: str = dataclasses.field(default="", compare=False)
    prompt_sha256: str | None = dataclasses.field(default=None, compare=False, repr=False)
    prompt_text: str | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class UsageRow:
    """Committed clips and seconds of video for one quota key on one UTC day."""

    day: str
    label: str
    clips: int
    seconds: float


def _check_seconds(seconds: object) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError("seconds must be a number")
    value = float(seconds)
    if not math.isfinite(value) or value < 0:
        raise ValueError("seconds must be a finite number, zero or more")
    return value


def _check_id(reservation_id: object) -> int:
    if isinstance(reservation_id, bool) or not isinstance(reservation_id, int):
        raise ValueError("reservation_id must be an int")
    return reservation_id


class QuotaMixin:
    """Reservation methods of TokenStore (needs ``_connect`` and ``_now``)."""

    # -- reserving ------------------------------------------------------

    def reserve(self, label: str, seconds: float) -> Reservation:
        """Reserve one clip of ``seconds`` for the active token ``label``.

        Raises QuotaExceeded when it would pass the token's daily limits, and
        AccessDenied(INVALID_TOKEN_MESSAGE) when the token was revoked or
        expired since it was checked.
        """
        seconds = _check_seconds(seconds)
        with self._connect() as conn, write_transaction(conn):
            limits = self._token_limits(conn, label)
            return self._reserve_in(conn, label, seconds, *limits, who="This token")

    def reserve_for(
        self,
        quota_key: str,
        seconds: float,
        *,
        daily_limit: int | None = None,
        daily_seconds: float | None = None,
        who: str = "Your account",
    ) -> Reservation:
        """Reserve under explicit limits, for grants with no token row (HF sign-in)."""
        seconds = _check_seconds(seconds)
        if not isinstance(quota_key, str) or not quota_key:
            raise ValueError("quota_key must be a non-empty string")
        with self._connect() as conn, write_transaction(conn):
            return self._reserve_in(
                conn, quota_key, seconds, daily_limit, daily_seconds, who=who
            )

    def check_quota(self, label: str, seconds: float, clips: int = 1) -> None:
        """Advisory, read-only: raise QuotaExceeded now if ``clips`` reservations of ``seconds`` in all would.

        Lets a validator refuse before queueing (a storyboard checks all its shots at once); only ``reserve``
        is binding.
        """
        seconds = _check_seconds(seconds)
        with self._connect() as conn:
            conn.execute("BEGIN")  # one snapshot for both reads
            try:
                limits = self._token_limits(conn, label)
                self._check_in(conn, label, seconds, *limits, who="This token", clips=clips)
            finally:
                conn.execute("ROLLBACK")

    def check_quota_for(
        self,
        quota_key: str,
        seconds: float,
        *,
        daily_limit: int | None = None,
        daily_seconds: float | None = None,
        who: str = "Your account",
        clips: int = 1,
    ) -> None:
        """Advisory counterpart of ``reserve_for``."""
        seconds = _check_seconds(seconds)
        with self._connect() as conn:
            self._check_in(conn, quota_key, seconds, daily_limit, daily_seconds, who, clips=clips)

    # -- settling -------------------------------------------------------

    def commit(self, reservation_id: int, seconds_actual: float) -> bool:
        """Mark a pending reservation used, with the clip's real length.

        False if it was already committed or refunded (nothing changes).
        """
        reservation_id = _check_id(reservation_id)
        seconds_actual = _check_seconds(seconds_actual)
        with self._connect() as conn:
            cursor = conn.execute(
                "UPDATE reservations SET state = 'committed', seconds = ?,"
                " committed_at = ? WHERE id = ? AND state = 'pending'",
                (seconds_actual, to_iso(self._now()), reservation_id),
            )
            return cursor.rowcount == 1

    def refund(self, reservation_id: int) -> bool:
        """Cancel a pending reservation. Idempotent; a committed one is kept."""
        reservation_id = _check_id(reservation_id)
        with self._connect() as conn:
            cursor = conn.execute(
                "DELETE FROM reservations WHERE id = ? AND state = 'pending'",
                (reservation_id,),
            )
            return cursor.rowcount == 1

    def reconcile_reservations(
        self, older_than: datetime.timedelta | None = None
    ) -> int:
        """Refund reservations a crash or SIGTERM left pending; return how many.

        Call once at app start, before serving.  With several app processes on
        one file, pass ``older_than`` (longer than any render) so another
        process's clip in flight is not refunded.
        """
        query = "DELETE FROM reservations WHERE state = 'pending'"
        params: tuple = ()
        if older_than is not None:
            query += " AND created_at < ?"
            params = (to_iso(self._now() - older_than),)
        with self._connect() as conn:
            return conn.execute(query, params).rowcount

    # -- reporting ------------------------------------------------------

    def usage(self, days: int | None = None) -> list[UsageRow]:
        """Committed use per UTC day and quota key, newest day first."""
        query = (
            "SELECT day, quota_key, count(*), total(seconds) FROM reservations"
            " WHERE state = 'committed'"
        )
        params: tuple = ()
        if days is not None:
            first = self._now() - datetime.timedelta(days=max(days, 1) - 1)
            query += " AND day >= ?"
            params = (utc_day(first),)
        query += " GROUP BY day, quota_key ORDER BY day DESC, quota_key"
        with self._connect() as conn:
            rows = conn.execute(query, params).fetchall()
        return [UsageRow(*row) for row in rows]

    def used_today(self, quota_key: str) -> tuple[int, float, int]:
        """(committed clips, committed seconds, pending clips) for today."""
        with self._connect() as conn:
            return self._used_today(conn, quota_key)

    # -- plumbing -------------------------------------------------------

    def _used_today(self, conn: sqlite3.Connection, key: str) -> tuple[int, float, int]:
        row = conn.execute(
            "SELECT total(state = 'committed'),"
            " total(CASE WHEN state = 'committed' THEN seconds END),"
            " total(state = 'pending')"
            " FROM reservations WHERE quota_key = ? AND day = ?",
            (key, utc_day(self._now())),
        ).fetchone()
        return int(row[0]), float(row[1]), int(row[2])

    def _token_limits(
        self, conn: sqlite3.Connection, label: object
    ) -> tuple[int | None, float | None]:
        row = conn.execute(
            "SELECT revoked_at, expires_at, daily_limit, daily_seconds"
            " FROM tokens WHERE label = ?",
            (label if isinstance(label, str) else None,),
        ).fetchone()
        if row is None or row[0] is not None or is_expired(row[1], self._now()):
            raise AccessDenied(INVALID_TOKEN_MESSAGE)
        return row[2], row[3]

    def _check_in(
        self,
        conn: sqlite3.Connection,
        key: str,
        seconds: float,
        daily_limit: int | None,
        daily_seconds: float | None,
        who: str,
        clips: int = 1,
    ) -> str:
        """Raise QuotaExceeded if ``clips`` more clips of ``seconds`` in all would not fit; return the day."""
        day = utc_day(self._now())
        made, used = conn.execute(
            "SELECT count(*), total(seconds) FROM reservations"
            " WHERE quota_key = ? AND day = ?",
            (key, day),
        ).fetchone()
        if daily_limit is not None and made + clips > daily_limit:
            raise QuotaExceeded(clips_quota_message(daily_limit, who, used=made, asked=clips))
        if daily_seconds is not None and used + seconds > daily_seconds + _EPSILON:
            raise QuotaExceeded(seconds_quota_message(daily_seconds, used, seconds, who))
        return day

    def _reserve_in(
        self,
        conn: sqlite3.Connection,
        key: str,
        seconds: float,
        daily_limit: int | None,
        daily_seconds: float | None,
        who: str,
    ) -> Reservation:
        day = self._check_in(conn, key, seconds, daily_limit, daily_seconds, who)
        cursor = conn.execute(
            "INSERT INTO reservations (quota_key, day, seconds, state, created_at)"
            " VALUES (?, ?, ?, 'pending', ?)",
            (key, day, seconds, to_iso(self._now())),
        )
        return Reservation(id=cursor.lastrowid, label=key, seconds=seconds)
