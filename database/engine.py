"""One database, SQLite or PostgreSQL: the engine, its transactions and its schema, for a store to build on.

A Space's disk is wiped at every restart, so a Space that must not forget keeps its records in a database server;
a laptop keeps them in SQLite files under the data dir. SQLAlchemy Core gives both one engine, one pool and one way
to bind parameters, and the stores' SQL is the subset both speak (named parameters, ``ON CONFLICT``,
``RETURNING``, ``COALESCE(SUM(...))``). Alembic owns each store's schema (its ``migrations/`` folder, its own
version table): each revision is applied once, in order, on either database.

Write transactions are serialized on both, so every check-then-write (the last clip of a quota, a label's re-issue,
a history's byte cap) has the guarantee SQLite always gave, whether the other writer is a thread or another
server: SQLite by ``BEGIN IMMEDIATE`` (one writer per file), PostgreSQL by a transaction-scoped advisory lock.
Writes are a few milliseconds, so one writer at a time costs nothing a person could see.

Nothing is opened until the first real query, so refusing a malformed token never touches the database.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Iterator

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

BUSY_TIMEOUT_SECONDS = 10.0  # SQLite: how long a writer waits for another's lock
CONNECT_TIMEOUT_SECONDS = 5  # PostgreSQL: how long a request waits for an unreachable server before it is refused
# The advisory lock every PostgreSQL write transaction takes: any fixed 64-bit number that no other application on
# the same database uses ("reel" in ASCII).
WRITE_LOCK_KEY = 0x7265656C

DatabaseError = SQLAlchemyError  # what a caller catches when the database fails (unreachable, locked, full disk)


def database_problem(error: SQLAlchemyError) -> str:
    """What went wrong, in words fit for a log line or a person: never the driver's text, which can name the
    connection string's host, port, user or file."""
    if isinstance(error, OperationalError):
        return "the database cannot be reached, refused the connection or is busy"
    return f"the database refused the operation ({type(getattr(error, 'orig', None) or error).__name__})"


def is_database_url(location: object) -> bool:
    """True for a PostgreSQL URL (``postgresql://`` or ``postgres://``), the only server Reel supports."""
    return isinstance(location, str) and location.split("://", 1)[0] in ("postgresql", "postgres",
                                                                          "postgresql+psycopg")


def engine_url(location: Path | str) -> sqlalchemy.URL:
    """SQLAlchemy's URL for an SQLite file path or a PostgreSQL URL (always through psycopg 3)."""
    if is_database_url(location):
        url = sqlalchemy.make_url(location)  # type: ignore[arg-type]
        return url.set(drivername="postgresql+psycopg")
    return sqlalchemy.URL.create("sqlite+pysqlite", database=str(location))


class Database:
    """A lazily opened database whose schema lives in ``migrations_dir`` (set by the subclass, with the name of
    its Alembic version table, so several stores can share one PostgreSQL database)."""

    migrations_dir: Path
    version_table: str = "alembic_version"

    def __init__(self, location: Path | str) -> None:
        self.is_server = is_database_url(location)
        # The SQLite file, None on a server (whose URL may hold a password: it is kept only inside the engine).
        self.db_path: Path | None = None if self.is_server else Path(location)
        self._url = engine_url(location)
        self._init_lock = threading.Lock()
        self._engine: Engine | None = None
        self._ready = False

    @classmethod
    def code_schema_version(cls) -> int:
        """The version this code brings a database to: migrations are numbered 0001, 0002, ... in order."""
        return len(list(cls.migrations_dir.joinpath("versions").glob("[0-9][0-9][0-9][0-9]_*.py")))

    @property
    def where(self) -> str:
        """Where the data lives, fit for a log line or a page: the file, or the database's name without the
        connection string (which can hold a password)."""
        if self.db_path is not None:
            return str(self.db_path)
        return f"the PostgreSQL database {self._url.database or ''!r} named by REEL_DATABASE_URL"

    # -- transactions -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """A connection in a read transaction (one snapshot on SQLite), committed on exit."""
        with _transaction(self._ready_engine(), write=False) as conn:
            yield conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """A connection in a write transaction that no other writer (thread or server) runs beside; committed on
        a normal exit, rolled back on an exception."""
        with _transaction(self._ready_engine(), write=True) as conn:
            yield conn

    # -- opening ------------------------------------------------------------------------------------

    def _ready_engine(self) -> Engine:
        """The engine, created with the files and the schema on first use."""
        if self._ready:
            return self._engine  # type: ignore[return-value]
        with self._init_lock:
            if not self._ready:
                if self._engine is None:
                    self._engine = self._create_engine()
                if not self.is_server:
                    self._use_wal()
                self._migrate()
                self._ready = True
        return self._engine  # type: ignore[return-value]

    def _create_engine(self) -> Engine:
        if self.is_server:
            # pre_ping: a connection the server dropped (a restart, a network blip) is replaced, not used, so Reel
            # recovers by itself once the server is back.
            return sqlalchemy.create_engine(
                self._url, pool_pre_ping=True, pool_size=4, max_overflow=8, pool_timeout=CONNECT_TIMEOUT_SECONDS,
                connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}, hide_parameters=True,
            )
        self._create_files()
        # A fresh connection per call (NullPool): Gradio's worker threads never share one.
        engine = sqlalchemy.create_engine(
            self._url, poolclass=sqlalchemy.NullPool, connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_connected)
        event.listen(engine, "begin", _sqlite_begin)
        return engine

    def _create_files(self) -> None:
        directory = self.db_path.parent  # type: ignore[union-attr]
        if not directory.exists():
            directory.mkdir(parents=True, exist_ok=True)
            os.chmod(directory, 0o700)  # mkdir's mode is subject to umask
        if not self.db_path.exists():  # type: ignore[union-attr]
            # Pre-create owner-only; SQLite gives -wal/-shm the same mode.
            os.close(os.open(self.db_path, os.O_WRONLY | os.O_CREAT, 0o600))  # type: ignore[arg-type]

    def _use_wal(self) -> None:
        """Readers and a writer side by side: set once, outside any transaction, and kept in the file."""
        raw = self._engine.raw_connection()  # type: ignore[union-attr]
        try:
            raw.driver_connection.execute("PRAGMA journal_mode = WAL")
        finally:
            raw.close()

    def _migrate(self) -> None:
        """Bring the schema to this code's version, under the write lock so two servers starting together take
        turns; refuse a schema newer than the code."""
        from .migrating import upgrade  # Alembic is imported only when a database is first opened

        code_version = self.code_schema_version()
        with _transaction(self._engine, write=True) as conn:  # type: ignore[arg-type]
            version = upgrade(conn, code_version, self.migrations_dir, self.version_table)
        if version > code_version:
            raise RuntimeError(
                f"{self.where} has schema version {version}, newer than this code understands ({code_version}); "
                "upgrade the app"
            )

    def open(self) -> None:
        """Open now rather than at the first query (the app's start; see Gate.open)."""
        self._ready_engine()

    def schema_version(self) -> int:
        """The schema's version: its newest applied migration's number."""
        from .migrating import current_version

        with self._read() as conn:
            return current_version(conn, self.version_table)

    def dispose(self) -> None:
        """Close pooled connections (a test that stops its database server; a process that is ending)."""
        if self._engine is not None:
            self._engine.dispose()


@contextlib.contextmanager
def _transaction(engine: Engine, write: bool) -> Iterator[Connection]:
    with engine.connect() as conn:
        conn.execution_options(reel_write=write)
        with conn.begin():
            if write and engine.dialect.name == "postgresql":
                conn.execute(sqlalchemy.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
            yield conn


def _sqlite_connected(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling would BEGIN (deferred) behind our back; we BEGIN ourselves instead.
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("reel_write") else "BEGIN")
