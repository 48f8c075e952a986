"""Alembic, driven from code: the gate's schema is brought up to date when a database is first opened.

There is no alembic.ini: the app, the CLI and the tests all open the database through ``Database``, which calls
``upgrade`` inside its write lock, so two servers starting on one PostgreSQL database take turns and the second
finds nothing left to do. A new migration is the next numbered file in ``migrations/versions/`` (``0003_....py``,
``down_revision = "0002"``); a shipped one is never edited.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from .db import MIGRATIONS_DIR


def current_version(conn: Connection) -> int:
    """The number of the newest migration applied, 0 for an empty database."""
    revision = MigrationContext.configure(conn).get_current_revision()
    return int(revision) if revision else 0


def upgrade(conn: Connection, code_version: int) -> int:
    """Apply every migration this database lacks, in the caller's transaction; return the version it is at.

    A database newer than the code is left alone (the caller refuses it). An SQLite file from before Alembic
    counted its version in ``PRAGMA user_version``; it is stamped at that version first, so its tables are
    never created twice.
    """
    counted = _counted_sqlite_version(conn)
    if counted > code_version:
        return counted
    if counted:
        command.stamp(_config(conn), f"{counted:04d}")
    version = current_version(conn)
    if version < code_version:
        command.upgrade(_config(conn), "head")
        version = current_version(conn)
    return version


def _counted_sqlite_version(conn: Connection) -> int:
    """The version an SQLite file from before Alembic counted in ``PRAGMA user_version`` (0 for any other)."""
    if conn.dialect.name != "sqlite" or inspect(conn).has_table("alembic_version"):
        return 0
    return conn.exec_driver_sql("PRAGMA user_version").scalar_one()


def _config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config
