"""Alembic, driven from code: a store's schema is brought up to date when its database is first opened.

There is no alembic.ini: the app, the CLI and the tests all open a database through ``Database``, which calls
``upgrade`` inside its write lock, so two servers starting on one PostgreSQL database take turns and the second
finds nothing left to do. A new migration is the next numbered file in the store's ``migrations/versions/``
(``0003_....py``, ``down_revision = "0002"``); a shipped one is never edited.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

# Alembic says at INFO which of its plugins it set up, seven lines at every start: noise in the operator's log. The
# migrations it runs ("Running upgrade ...") are still logged.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

# Every store's migrations run through this one env.py, told its connection and version table by _config.
ENV_DIR = Path(__file__).with_name("alembic_env")


def current_version(conn: Connection, version_table: str) -> int:
    """The number of the newest migration applied, 0 for a database without this store's tables."""
    revision = MigrationContext.configure(conn, opts={"version_table": version_table}).get_current_revision()
    return int(revision) if revision else 0


def upgrade(conn: Connection, code_version: int, migrations_dir: Path, version_table: str) -> int:
    """Apply every migration this database lacks, in the caller's transaction; return the version it is at.

    A database newer than the code is left alone (the caller refuses it). An SQLite file from before Alembic
    counted its version in ``PRAGMA user_version``; it is stamped at that version first, so its tables are
    never created twice.
    """
    config = _config(conn, migrations_dir, version_table)
    counted = _counted_sqlite_version(conn, version_table)
    if counted > code_version:
        return counted
    if counted:
        command.stamp(config, f"{counted:04d}")
    version = current_version(conn, version_table)
    if version < code_version:
        command.upgrade(config, "head")
        version = current_version(conn, version_table)
    return version


def _counted_sqlite_version(conn: Connection, version_table: str) -> int:
    """The version an SQLite file from before Alembic counted in ``PRAGMA user_version`` (0 for any other)."""
    if conn.dialect.name != "sqlite" or inspect(conn).has_table(version_table):
        return 0
    return conn.exec_driver_sql("PRAGMA user_version").scalar_one()


def _config(conn: Connection, migrations_dir: Path, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ENV_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(migrations_dir / "versions"))
    config.attributes["connection"] = conn
    config.attributes["version_table"] = version_table
    return config
