"""The store of access tokens, holding only their hashes: an SQLite file, or PostgreSQL with REEL_DATABASE_URL.

The database, schema and migrations are in ``db.py``; quotas in ``quota.py``;
export/merge in ``export.py``.  This module issues, verifies, revokes and
lists tokens.  Revocation and expiry are checked on every ``verify``, so an
app that checks again when a queued job starts sees them at once.
"""

from __future__ import annotations

import dataclasses
import datetime
import hmac
import math
from pathlib import Path

from settings import read_setting

from sqlalchemy import text

from .common import LABEL_PATTERN, LABEL_RULES, InvalidLabel, validate_label
from .db import SCHEMA_VERSION, Database
from .export import PEPPER_ENV, ExportMixin
from .quota import QuotaMixin
from .timeutil import Clock, from_iso, is_expired, to_iso
from .tokens import hash_token, is_well_formed, new_token

DATA_DIR_ENV = "REEL_DATA_DIR"
DATABASE_URL_ENV = "REEL_DATABASE_URL"
DB_FILENAME = "access.sqlite3"

__all__ = [
    "DATABASE_URL_ENV", "DATA_DIR_ENV", "DB_FILENAME", "LABEL_PATTERN", "LABEL_RULES", "PEPPER_ENV",
    "SCHEMA_VERSION", "InvalidLabel", "LabelInUse", "TokenInfo", "TokenRecord",
    "TokenStore", "default_data_dir", "default_store", "pepper_from_env", "validate_label",
]


class LabelInUse(Exception):
    """An active (non-revoked, unexpired) token already has this label."""


@dataclasses.dataclass(frozen=True)
class TokenRecord:
    """What may be shown about a token: never its secret or its hash."""

    label: str
    created_at: str  # UTC ISO-8601
    revoked_at: str | None  # UTC ISO-8601, None while not revoked

    @property
    def active(self) -> bool:
        """Not revoked. Expiry is not visible here: see TokenInfo.status."""
        return self.revoked_at is None


@dataclasses.dataclass(frozen=True)
class TokenInfo:
    """A token as ``python -m access list`` shows it: limits, today's use, status."""

    label: str
    created_at: str
    revoked_at: str | None
    expires_at: str | None
    daily_limit: int | None
    daily_seconds: float | None
    clips_today: int  # committed today (UTC)
    seconds_today: float  # committed seconds of video today (UTC)
    pending_today: int  # reserved, still rendering
    status: str  # "active", "expired" or "revoked"


def _check_limits(daily_limit: object, daily_seconds: object) -> None:
    if daily_limit is not None and (
        isinstance(daily_limit, bool) or not isinstance(daily_limit, int) or daily_limit < 1
    ):
        raise ValueError("daily_limit must be a whole number of clips, 1 or more")
    if daily_seconds is not None and (
        isinstance(daily_seconds, bool)
        or not isinstance(daily_seconds, (int, float))
        or not math.isfinite(daily_seconds)
        or daily_seconds <= 0
    ):
        raise ValueError("daily_seconds must be a number of seconds above zero")


def _check_lifetime(expires_in: datetime.timedelta | None) -> None:
    if expires_in is not None and expires_in <= datetime.timedelta(0):
        raise ValueError("expires_in must be longer than zero")


class TokenStore(QuotaMixin, ExportMixin, Database):
    """Issue, verify, revoke and list access tokens kept in one database (an SQLite file path or a PostgreSQL
    URL).

    ``clock`` (returning an aware UTC datetime) is injectable for tests of
    expiry and of the UTC quota day.
    """

    def __init__(
        self, location: Path | str, pepper: bytes | None = None, clock: Clock | None = None
    ) -> None:
        super().__init__(location, pepper=pepper, clock=clock)

    def __repr__(self) -> str:  # keep the pepper and the connection string out of logs
        return f"TokenStore({self.where!r}, peppered={self._pepper is not None})"

    # -- public API -----------------------------------------------------

    def issue(
        self,
        label: str,
        *,
        daily_limit: int | None = None,
        daily_seconds: float | None = None,
        expires_in: datetime.timedelta | None = None,
    ) -> str:
        """Create a token for ``label`` and return its plaintext, the only copy.

        No limits and no expiry unless given.  A revoked or expired token's row
        is replaced when its label is reused; its hash is kept in
        ``retired_hashes`` so an old export can never bring it back.
        """
        validate_label(label)
        _check_limits(daily_limit, daily_seconds)
        _check_lifetime(expires_in)
        token = new_token()
        now = self._now()
        expires_at = to_iso(now + expires_in) if expires_in is not None else None
        with self._write() as conn:
            row = conn.execute(
                text("SELECT token_hash, revoked_at, expires_at FROM tokens WHERE label = :label"),
                {"label": label},
            ).fetchone()
            if row is not None:
                if row[1] is None and not is_expired(row[2], now):
                    raise LabelInUse(f"label {label!r} already has an active token")
                conn.execute(
                    text("INSERT INTO retired_hashes (token_hash, retired_at) VALUES (:hash, :now)"
                         " ON CONFLICT (token_hash) DO NOTHING"),
                    {"hash": row[0], "now": to_iso(now)},
                )
                conn.execute(text("DELETE FROM tokens WHERE label = :label"), {"label": label})
            conn.execute(
                text("INSERT INTO tokens (label, token_hash, created_at, expires_at, daily_limit, daily_seconds)"
                     " VALUES (:label, :hash, :now, :expires_at, :daily_limit, :daily_seconds)"),
                {"label": label, "hash": hash_token(token, self._pepper), "now": to_iso(now),
                 "expires_at": expires_at, "daily_limit": daily_limit,
                 "daily_seconds": None if daily_seconds is None else float(daily_seconds)},
            )
        return token

    def verify(self, token: object) -> TokenRecord | None:
        """Return the record of a live token, else None (malformed, unknown, revoked, expired)."""
        if not is_well_formed(token):
            return None
        wanted = hash_token(token, self._pepper)  # type: ignore[arg-type]
        with self._read() as conn:
            row = conn.execute(
                text("SELECT label, token_hash, created_at, revoked_at, expires_at FROM tokens"
                     " WHERE token_hash = :hash"),
                {"hash": wanted},
            ).fetchone()
        if row is None or not hmac.compare_digest(row[1], wanted):
            return None
        if row[3] is not None or is_expired(row[4], self._now()):
            return None
        return TokenRecord(label=row[0], created_at=row[2], revoked_at=None)

    def set_limits(
        self,
        label: str,
        *,
        daily_limit: int | None = None,
        daily_seconds: float | None = None,
        expires_in: datetime.timedelta | None = None,
    ) -> bool:
        """Replace the limits and expiry of the active token ``label`` (None: no limit, never expires); False when
        no active token has that label. Takes effect at the holder's next clip: limits are read on every
        reservation."""
        _check_limits(daily_limit, daily_seconds)
        _check_lifetime(expires_in)
        now = self._now()
        with self._write() as conn:
            row = conn.execute(
                text("SELECT revoked_at, expires_at FROM tokens WHERE label = :label"), {"label": label}
            ).fetchone()
            if row is None or row[0] is not None or is_expired(row[1], now):
                return False
            conn.execute(
                text("UPDATE tokens SET daily_limit = :daily_limit, daily_seconds = :daily_seconds,"
                     " expires_at = :expires_at WHERE label = :label"),
                {"daily_limit": daily_limit, "daily_seconds": None if daily_seconds is None else float(daily_seconds),
                 "expires_at": to_iso(now + expires_in) if expires_in is not None else None, "label": label},
            )
        return True

    def remember_lock(self, client: str, until: datetime.datetime) -> None:
        """Keep a client's lockout across restarts (Gate locks it again at start); the latest lock wins."""
        with self._write() as conn:
            conn.execute(text("DELETE FROM locked_clients WHERE client = :client OR locked_until < :now"),
                         {"client": client, "now": to_iso(self._now())})
            conn.execute(text("INSERT INTO locked_clients (client, locked_until) VALUES (:client, :until)"),
                         {"client": client, "until": to_iso(until)})

    def current_locks(self) -> list[tuple[str, datetime.datetime]]:
        """Clients still locked out, with until when."""
        with self._read() as conn:
            rows = conn.execute(
                text("SELECT client, locked_until FROM locked_clients WHERE locked_until > :now"),
                {"now": to_iso(self._now())},
            ).fetchall()
        return [(client, from_iso(until)) for client, until in rows]

    def revoke(self, label: str) -> bool:
        """Revoke the token with ``label``; False if there is none or it is already revoked."""
        with self._write() as conn:
            result = conn.execute(
                text("UPDATE tokens SET revoked_at = :now WHERE label = :label AND revoked_at IS NULL"),
                {"now": to_iso(self._now()), "label": label},
            )
            return result.rowcount == 1

    def list_tokens(self) -> list[TokenRecord]:
        """All tokens, oldest first, without secrets or hashes."""
        with self._read() as conn:
            rows = conn.execute(text("SELECT label, created_at, revoked_at FROM tokens ORDER BY id")).fetchall()
        return [TokenRecord(*row) for row in rows]

    def describe_tokens(self) -> list[TokenInfo]:
        """All tokens with limits, today's use and status; never secrets or hashes."""
        now = self._now()
        with self._read() as conn:
            rows = conn.execute(
                text("SELECT label, created_at, revoked_at, expires_at, daily_limit, daily_seconds"
                     " FROM tokens ORDER BY id")
            ).fetchall()
            used = [self._used_today(conn, row[0]) for row in rows]
        infos = []
        for row, (clips, seconds, pending) in zip(rows, used):
            if row[2] is not None:
                status = "revoked"
            elif is_expired(row[3], now):
                status = "expired"
            else:
                status = "active"
            infos.append(TokenInfo(*row, clips, seconds, pending, status))
        return infos

    def has_active_token(self) -> bool:
        """True if any token is neither revoked nor expired."""
        return any(info.status == "active" for info in self.describe_tokens())


def default_data_dir() -> Path:
    """REEL_DATA_DIR if set, else ./data relative to the working directory."""
    return read_setting(DATA_DIR_ENV)


def pepper_from_env() -> bytes | None:
    """REEL_TOKEN_PEPPER as UTF-8 bytes, exactly as given (spaces count), or None when unset or empty."""
    value = read_setting(PEPPER_ENV)
    return value.encode("utf-8") if value else None


def default_store(data_dir: Path | None = None) -> TokenStore:
    """The store the app and CLI share, with the env pepper: the PostgreSQL database REEL_DATABASE_URL names,
    else ``<data dir>/access.sqlite3``."""
    url = read_setting(DATABASE_URL_ENV)
    if url:
        return TokenStore(url, pepper=pepper_from_env())
    directory = Path(data_dir) if data_dir is not None else default_data_dir()
    return TokenStore(directory / DB_FILENAME, pepper=pepper_from_env())
