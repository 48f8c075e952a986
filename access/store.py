"""SQLite-backed store of access tokens, holding only their hashes.

Each call opens its own short-lived connection, so the store can be shared by
Gradio's worker threads without any connection being used across threads.
WAL mode plus a busy timeout lets concurrent readers and the occasional writer
(the CLI) coexist.  The schema version lives in ``PRAGMA user_version`` so
later features (quotas, expiry, audit) can add migrations to ``_MIGRATIONS``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hmac
import os
import re
import sqlite3
import threading
from pathlib import Path
from typing import Iterator

from .tokens import hash_token, is_well_formed, new_token

DATA_DIR_ENV = "REEL_DATA_DIR"
PEPPER_ENV = "REEL_TOKEN_PEPPER"
DB_FILENAME = "access.sqlite3"
BUSY_TIMEOUT_SECONDS = 10.0

LABEL_PATTERN = re.compile(r"[A-Za-z0-9._@-]{1,64}", re.ASCII)
LABEL_RULES = "1-64 characters of letters, digits, '.', '_', '-' or '@'"

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
)
SCHEMA_VERSION = len(_MIGRATIONS)


class LabelInUse(Exception):
    """An active (non-revoked) token already has this label."""


class InvalidLabel(ValueError):
    """The label breaks the naming rules in LABEL_RULES."""


@dataclasses.dataclass(frozen=True)
class TokenRecord:
    """What may be shown about a token: never its secret or its hash."""

    label: str
    created_at: str  # UTC ISO-8601
    revoked_at: str | None  # UTC ISO-8601, None while active

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def validate_label(label: object) -> str:
    """Return ``label`` unchanged if it follows LABEL_RULES, else raise InvalidLabel."""
    if not isinstance(label, str) or not LABEL_PATTERN.fullmatch(label):
        raise InvalidLabel(f"invalid label {label!r}: use {LABEL_RULES}")
    return label


class TokenStore:
    """Issue, verify, revoke and list access tokens kept in one SQLite file.

    Nothing touches the disk until the first real query, so rejecting a
    malformed token never creates or opens the database.
    """

    def __init__(self, db_path: Path, pepper: bytes | None = None) -> None:
        if pepper is not None and not isinstance(pepper, bytes):
            raise TypeError("pepper must be bytes or None")
        self.db_path = Path(db_path)
        self._pepper = pepper or None
        self._init_lock = threading.Lock()
        self._ready = False

    def __repr__(self) -> str:  # keep the pepper out of logs
        return f"TokenStore({str(self.db_path)!r}, peppered={self._pepper is not None})"

    # -- public API -----------------------------------------------------

    def issue(self, label: str) -> str:
        """Create a token for ``label`` and return its plaintext, the only copy.

        A revoked token's row is deleted when its label is reused: that keeps
        ``label`` UNIQUE without mangling old names, and a deleted hash still
        never verifies.  Keeping history is the job of the future audit log.
        """
        validate_label(label)
        token = new_token()
        with self._connect() as conn, _write_transaction(conn):
            row = conn.execute(
                "SELECT revoked_at FROM tokens WHERE label = ?", (label,)
            ).fetchone()
            if row is not None and row[0] is None:
                raise LabelInUse(f"label {label!r} already has an active token")
            conn.execute("DELETE FROM tokens WHERE label = ?", (label,))
            conn.execute(
                "INSERT INTO tokens (label, token_hash, created_at) VALUES (?, ?, ?)",
                (label, hash_token(token, self._pepper), _utc_now()),
            )
        return token

    def verify(self, token: object) -> TokenRecord | None:
        """Return the record of an active token, else None (malformed, unknown, revoked)."""
        if not is_well_formed(token):
            return None
        wanted = hash_token(token, self._pepper)  # type: ignore[arg-type]
        with self._connect() as conn:
            row = conn.execute(
                "SELECT label, token_hash, created_at, revoked_at"
                " FROM tokens WHERE token_hash = ?",
                (wanted,),
            ).fetchone()
        if row is None or not hmac.compare_digest(row[1], wanted):
            return None
        record = TokenRecord(label=row[0], created_at=row[2], revoked_at=row[3])
        return record if record.active else None

    def revoke(self, label: str) -> bool:
        """Revoke the active token with ``label``; False if there is none."""
        with self._connect() as conn, _write_transaction(conn):
            cursor = conn.execute(
                "UPDATE tokens SET revoked_at = ?"
                " WHERE label = ? AND revoked_at IS NULL",
                (_utc_now(), label),
            )
            return cursor.rowcount == 1

    def list_tokens(self) -> list[TokenRecord]:
        """All tokens, oldest first, without secrets or hashes."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT label, created_at, revoked_at FROM tokens ORDER BY id"
            ).fetchall()
        return [TokenRecord(*row) for row in rows]

    # -- plumbing -------------------------------------------------------

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
        conn = sqlite3.connect(
            self.db_path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
        )
        return conn

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
                with _write_transaction(conn):
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
def _write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE so check-then-write steps cannot race another writer."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def default_data_dir() -> Path:
    """REEL_DATA_DIR if set, else ./data relative to the working directory."""
    return Path(os.environ.get(DATA_DIR_ENV) or "data")


def pepper_from_env() -> bytes | None:
    """REEL_TOKEN_PEPPER as UTF-8 bytes, or None when unset or empty."""
    value = os.environ.get(PEPPER_ENV)
    return value.encode("utf-8") if value else None


def default_store(data_dir: Path | None = None) -> TokenStore:
    """The store the app and CLI share: ``<data dir>/access.sqlite3``, env pepper."""
    directory = Path(data_dir) if data_dir is not None else default_data_dir()
    return TokenStore(directory / DB_FILENAME, pepper=pepper_from_env())
