"""The SQLite file behind the token store: connections, schema and migrations.

Each call opens its own short-lived connection, so the store can be shared by
Gradio's worker threads (and by several processes) without a connection ever
crossing threads.  WAL mode plus a busy timeout lets readers and writers
coexist; writes that check-then-act use BEGIN IMMEDIATE.  The schema version
lives in ``PRAGMA user_version``; ``_MIGRATIONS`` upgrades old files in place.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sqlite3
import threading
from pathlib import Path
from typing import Iterator

from .timeutil import Clock, utc_now

BUSY_TIMEOUT_SECONDS = 10.0

# Migration N (1-based) brings the schema from user_version N-1 to N.
# Append new tuples of statements; never edit a shipped one.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE tokens (
            id          INTEGER PRIMARY KEY,
            label       TEXT NOT NULL UNIQUE
                        CHECK (length(label) BETWEEN 1 AND 64),
            token_hash  TEXT NOT NULL UNIQUE,
            created_at  TEXT NOT NULL,
            revoked_at  TEXT
        )
        """,
    ),
    (
        # v2: per-token limits and expiry; NULL means "none".
        "ALTER TABLE tokens ADD COLUMN expires_at TEXT",
        "ALTER TABLE tokens ADD COLUMN daily_limit INTEGER"
        " CHECK (daily_limit IS NULL OR daily_limit >= 1)",
        "ALTER TABLE tokens ADD COLUMN daily_seconds REAL"
        " CHECK (daily_seconds IS NULL OR daily_seconds > 0)",
        # Hashes of revoked tokens whose row was replaced by a re-issue, so an
        # old export can never bring them back (see export.py).
        """
        CREATE TABLE retired_hashes (
            token_hash  TEXT PRIMARY KEY,
            retired_at  TEXT NOT NULL
        )
        """,
        # One row per clip: pending while it renders, committed once made.
        # Keyed by quota key (token label or hf:<user>), so re-issuing a label
        # does not reset its day.
        """
        CREATE TABLE reservations (
            id            INTEGER PRIMARY KEY,
            quota_key     TEXT NOT NULL,
            day           TEXT NOT NULL,
            seconds       REAL NOT NULL CHECK (seconds >= 0),
            state         TEXT NOT NULL CHECK (state IN ('pending', 'committed')),
            created_at    TEXT NOT NULL,
            committed_at  TEXT
        )
        """,
        "CREATE INDEX reservations_by_key_day ON reservations (quota_key, day)",
        "CREATE INDEX reservations_by_state ON reservations (state)",
        """
        CREATE TABLE audit (
            id             INTEGER PRIMARY KEY,
            at             TEXT NOT NULL,
            subject        TEXT,
            client         TEXT NOT NULL,
            outcome        TEXT NOT NULL,
            seconds        REAL,
            prompt_sha256  TEXT,
            prompt         TEXT
        )
        """,
        "CREATE INDEX audit_by_time ON audit (at)",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)


class Database:
    """Lazily created SQLite file with an injectable clock.

    Nothing touches the disk until the first real query, so rejecting a
    malformed token never creates or opens the database.
    """

    def __init__(
        self, db_path: Path, pepper: bytes | None = None, clock: Clock | None = None
    ) -> None:
        if pepper is not None and not isinstance(pepper, bytes):
            raise TypeError("pepper must be bytes or None")
        self.db_path = Path(db_path)
        self._pepper = pepper or None
        self._clock = clock or utc_now
        self._init_lock = threading.Lock()
        self._ready = False

    def _now(self) -> datetime.datetime:
        return self._clock()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection for this call, closed afterwards."""
        self._ensure_ready()
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()

    def _open(self) -> sqlite3.Connection:
        # timeout= is SQLite's busy timeout; isolation_level=None: we BEGIN/COMMIT ourselves.
        return sqlite3.connect(
            self.db_path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
        )

    def _ensure_ready(self) -> None:
        """Create the directory and file, switch to WAL and run pending migrations once."""
        if self._ready:
            return
        with self._init_lock:
            if self._ready:
                return
            self._create_files()
            conn = self._open()
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                with write_transaction(conn):
                    self._migrate(conn)
            finally:
                conn.close()
            self._ready = True

    def _create_files(self) -> None:
        directory = self.db_path.parent
        if not directory.exists():
            directory.mkdir(parents=True, exist_ok=True)
            os.chmod(directory, 0o700)  # mkdir's mode is subject to umask
        if not self.db_path.exists():
            # Pre-create owner-only; SQLite gives -wal/-shm the same mode.
            fd = os.open(self.db_path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.close(fd)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.db_path} has schema version {version}, newer than this "
                f"code understands ({SCHEMA_VERSION}); upgrade the app"
            )
        for number in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[number - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")


@contextlib.contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE so check-then-write steps cannot race another writer."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
