"""A throwaway PostgreSQL server for the tests: its own cluster in a temporary folder, on a Unix socket only.

`make test` installs Debian's PostgreSQL when it is missing (the Makefile); this module starts a cluster for the
test session and hands each test a database of its own, so tests on PostgreSQL never see each other's rows. The
server refuses to run as root, so under root the cluster belongs to the `postgres` user Debian's package creates.
A test can stop and start the server to see what Reel does when its database goes away.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

INSTALL_HINT = ("PostgreSQL's server is not installed: run `make test` (it installs Debian's `postgresql` with "
                "apt-get) or `apt-get install postgresql`.")
USER = "reel"


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian keeps each major version under /usr/lib/postgresql)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(Path(path).parts[-3]))
    return Path(found[-1]).parent if found else None


class ThrowawayPostgres:
    """One cluster, started on `start()`, deleted on `remove()`."""

    def __init__(self, bin_dir: Path, port: int = 54329):
        self.bin_dir = bin_dir
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="reel-postgres-"))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "socket"
        self._names = itertools.count(1)
        self._as_postgres = os.geteuid() == 0  # the server will not run as root

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@/{database}?host={self.socket_dir}&port={self.port}"

    def initialise(self) -> None:
        self.socket_dir.mkdir()
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        self._run("initdb", "-D", str(self.data_dir), "-A", "trust", "-U", USER, "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = f"-k {self.socket_dir} -p {self.port} -c listen_addresses='' -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", str(self.root / "server.log"), "-w",
                  "start")

    def stop(self) -> None:
        """Stop at once, dropping every connection, as a crash or a lost network would."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)

    def new_database(self) -> str:
        """A new, empty database; its URL."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.root)
