"""The gate's database: tokens, limits, reservations and the audit log, in the database ``database/`` opens
(the SQLite file ``<data dir>/access.sqlite3``, or PostgreSQL with REEL_DATABASE_URL). Its schema is
``access/migrations/``, versioned in Alembic's default table.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from database import Database as _Database
from database import DatabaseError, database_problem, is_database_url

from .timeutil import Clock, utc_now

__all__ = ["SCHEMA_VERSION", "Database", "DatabaseError", "database_problem", "is_database_url"]


class Database(_Database):
    """The gate's tables, with the pepper its hashes are keyed with and an injectable clock (tests of expiry and
    of the UTC quota day)."""

    migrations_dir = Path(__file__).with_name("migrations")

    def __init__(self, location: Path | str, pepper: bytes | None = None, clock: Clock | None = None) -> None:
        if pepper is not None and not isinstance(pepper, bytes):
            raise TypeError("pepper must be bytes or None")
        super().__init__(location)
        self._pepper = pepper or None
        self._clock = clock or utc_now

    def _now(self) -> datetime.datetime:
        return self._clock()


SCHEMA_VERSION = Database.code_schema_version()
