"""Daily quotas as reservations: reserve before rendering, then commit or refund.

A clip is reserved inside a write transaction (``db.py``: one writer at a
time on SQLite and on PostgreSQL), which counts today's committed and pending
clips for the same quota key and inserts the new row, so concurrent requests
(threads, processes or servers) can never both take the last clip.  Pending
rows count against the quota, so a clip in flight cannot be double-spent, and
``reconcile_reservations`` returns the ones a crash left behind.
"""

from __future__ import annotations

import dataclasses
import datetime
import math

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .common import (
    INVALID_TOKEN_MESSAGE,
    AccessDenied,
    QuotaExceeded,
    clips_quota_message,
    seconds_quota_message,
)
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
    """Reservation methods of TokenStore (needs ``_read``, ``_write`` and ``_now``)."""

    # -- reserving ------------------------------------------------------

    def reserve(self, label: str, seconds: float, server: str | None = None) -> Reservation:
        """Reserve one clip of ``seconds`` for the active token ``label``, in the name of ``server``.

        Raises QuotaExceeded when it would pass the token's daily limits, and
        AccessDenied(INVALID_TOKEN_MESSAGE) when the token was revoked or
        expired since it was checked.
        """
        seconds = _check_seconds(seconds)
        with self._write() as conn:
            limits = self._token_limits(conn, label)
            return self._reserve_in(conn, label, seconds, *limits, who="This token", server=server)

    def reserve_for(
        self,
        quota_key: str,
        seconds: float,
        *,
        daily_limit: int | None = None,
        daily_seconds: float | None = None,
        who: str = "Your account",
        server: str | None = None,
    ) -> Reservation:
        """Reserve under explicit limits, for grants with no token row (HF sign-in)."""
        seconds = _check_seconds(seconds)
        if not isinstance(quota_key, str) or not quota_key:
            raise ValueError("quota_key must be a non-empty string")
        with self._write() as conn:
            return self._reserve_in(
                conn, quota_key, seconds, daily_limit, daily_seconds, who=who, server=server
            )

    def check_quota(self, label: str, seconds: float, clips: int = 1) -> None:
        """Advisory, read-only: raise QuotaExceeded now if ``clips`` reservations of ``seconds`` in all would.

        Lets a validator refuse before queueing (a storyboard checks all its shots at once); only ``reserve``
        is binding.
        """
        seconds = _check_seconds(seconds)
        with self._read() as conn:
            limits = self._token_limits(conn, label)
            self._check_in(conn, label, seconds, *limits, who="This token", clips=clips)

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
        with self._read() as conn:
            self._check_in(conn, quota_key, seconds, daily_limit, daily_seconds, who, clips=clips)

    # -- settling -------------------------------------------------------

    def commit(self, reservation_id: int, seconds_actual: float) -> bool:
        """Mark a pending reservation used, with the clip's real length.

        False if it was already committed or refunded (nothing changes).
        """
        reservation_id = _check_id(reservation_id)
        seconds_actual = _check_seconds(seconds_actual)
        with self._write() as conn:
            result = conn.execute(
                text("UPDATE reservations SET state = 'committed', seconds = :seconds, committed_at = :now"
                     " WHERE id = :id AND state = 'pending'"),
                {"seconds": seconds_actual, "now": to_iso(self._now()), "id": reservation_id},
            )
            return result.rowcount == 1

    def refund(self, reservation_id: int) -> bool:
        """Cancel a pending reservation. Idempotent; a committed one is kept."""
        reservation_id = _check_id(reservation_id)
        with self._write() as conn:
            result = conn.execute(
                text("DELETE FROM reservations WHERE id = :id AND state = 'pending'"), {"id": reservation_id}
            )
            return result.rowcount == 1

    def reconcile_reservations(
        self, older_than: datetime.timedelta | None = None, server: str | None = None
    ) -> int:
        """Refund reservations a crash or SIGTERM left pending; return how many.

        Call once at app start, before serving.  With several app processes on
        one database, pass ``older_than`` (longer than any render) so another
        process's clip in flight is not refunded, and this server's name: its
        own reservations are leftovers of its last run whatever their age.
        """
        query = "DELETE FROM reservations WHERE state = 'pending'"
        params: dict = {}
        if older_than is not None:
            query += " AND (created_at < :before OR server = :server)"
            params = {"before": to_iso(self._now() - older_than), "server": server}
        with self._write() as conn:
            return conn.execute(text(query), params).rowcount

    # -- reporting ------------------------------------------------------

    def usage(self, days: int | None = None) -> list[UsageRow]:
        """Committed use per UTC day and quota key, newest day first."""
        query = (
            "SELECT day, quota_key, count(*), COALESCE(SUM(seconds), 0) FROM reservations"
            " WHERE state = 'committed'"
        )
        params: dict = {}
        if days is not None:
            first = self._now() - datetime.timedelta(days=max(days, 1) - 1)
            query += " AND day >= :first"
            params = {"first": utc_day(first)}
        query += " GROUP BY day, quota_key ORDER BY day DESC, quota_key"
        with self._read() as conn:
            rows = conn.execute(text(query), params).fetchall()
        return [UsageRow(day, key, int(clips), float(seconds)) for day, key, clips, seconds in rows]

    def used_today(self, quota_key: str) -> tuple[int, float, int]:
        """(committed clips, committed seconds, pending clips) for today."""
        with self._read() as conn:
            return self._used_today(conn, quota_key)

    # -- plumbing -------------------------------------------------------

    def _used_today(self, conn: Connection, key: str) -> tuple[int, float, int]:
        row = conn.execute(
            text("SELECT COALESCE(SUM(CASE WHEN state = 'committed' THEN 1 ELSE 0 END), 0),"
                 " COALESCE(SUM(CASE WHEN state = 'committed' THEN seconds END), 0),"
                 " COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0)"
                 " FROM reservations WHERE quota_key = :key AND day = :day"),
            {"key": key, "day": utc_day(self._now())},
        ).fetchone()
        return int(row[0]), float(row[1]), int(row[2])

    def _token_limits(
        self, conn: Connection, label: object
    ) -> tuple[int | None, float | None]:
        row = conn.execute(
            text("SELECT revoked_at, expires_at, daily_limit, daily_seconds FROM tokens WHERE label = :label"),
            {"label": label if isinstance(label, str) else None},
        ).fetchone()
        if row is None or row[0] is not None or is_expired(row[1], self._now()):
            raise AccessDenied(INVALID_TOKEN_MESSAGE)
        return row[2], row[3]

    def _check_in(
        self,
        conn: Connection,
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
            text("SELECT count(*), COALESCE(SUM(seconds), 0) FROM reservations WHERE quota_key = :key AND day = :day"),
            {"key": key, "day": day},
        ).fetchone()
        made, used = int(made), float(used)
        if daily_limit is not None and made + clips > daily_limit:
            raise QuotaExceeded(clips_quota_message(daily_limit, who, used=made, asked=clips))
        if daily_seconds is not None and used + seconds > daily_seconds + _EPSILON:
            raise QuotaExceeded(seconds_quota_message(daily_seconds, used, seconds, who))
        return day

    def _reserve_in(
        self,
        conn: Connection,
        key: str,
        seconds: float,
        daily_limit: int | None,
        daily_seconds: float | None,
        who: str,
        server: str | None = None,
    ) -> Reservation:
        day = self._check_in(conn, key, seconds, daily_limit, daily_seconds, who)
        reservation_id = conn.execute(
            text("INSERT INTO reservations (quota_key, day, seconds, state, created_at, server)"
                 " VALUES (:key, :day, :seconds, 'pending', :now, :server) RETURNING id"),
            {"key": key, "day": day, "seconds": seconds, "now": to_iso(self._now()), "server": server},
        ).scalar_one()
        return Reservation(id=reservation_id, label=key, seconds=seconds)
