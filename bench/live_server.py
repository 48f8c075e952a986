"""Start the real app (`python app.py`) as a subprocess on a free port, the way a person runs it.

Shared by the benchmark and the test suite, so both measure and attack the same thing. `AppServer` is what a test
reads from a running app, whichever way it was started: tests/in_process.py builds the app inside the test process
with the same interface.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_access_cli(data_dir: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env or {}), "REEL_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "access", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@dataclass(kw_only=True)
class AppServer:
    """A running app as tests and the benchmark see it: its address, folders and log."""

    url: str
    data_dir: Path
    temp_dir: Path
    log_path: Path
    env: dict
    started_in_seconds: float
    issued_tokens: list[str] = field(default_factory=list)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def generation_count(self) -> int:
        """How many times the pipeline ran, from the engine's own log line."""
        return self.log_text().count("Generating ")

    def handler_seconds(self) -> list[float]:
        """Seconds the /generate handler took per finished clip, in order, from the app's "Clip ready" line."""
        return [float(seconds) for seconds in re.findall(r"Clip ready in ([0-9.]+) s", self.log_text())]

    def token_store(self):
        """The gate's store this app uses, opened on a connection of its own: REEL_DATABASE_URL's database when
        the app has one, else the SQLite file in its data dir."""
        from access import TokenStore

        pepper = self.env.get("REEL_TOKEN_PEPPER")
        location = self.env.get("REEL_DATABASE_URL") or self.data_dir / "access.sqlite3"
        return TokenStore(location, pepper=pepper.encode() if pepper else None)

    def client(self, **kwargs):
        from gradio_client import Client

        return Client(self.url, verbose=False, **kwargs)

    def places_holding(self, secret: str) -> list[str]:
        """Every file the server wrote (log, data dir, temp dir) that contains `secret`."""
        needle = secret.encode()
        roots = [self.data_dir, self.temp_dir]
        files = [self.log_path] + [path for root in roots if root.exists() for path in root.rglob("*") if path.is_file()]
        return [str(path) for path in files if needle in path.read_bytes()]


@dataclass(kw_only=True)
class LiveServer(AppServer):
    """`python app.py` in a process of its own; tokens are issued with the operator's CLI, as a person would."""

    process: subprocess.Popen

    @property
    def pid(self) -> int:
        """The process serving the app."""
        return self.process.pid

    def issue_token(self, label: str, *options: str) -> str:
        result = run_access_cli(self.data_dir, "issue", "--label", label, *options, env=self.env)
        if result.returncode != 0:
            raise RuntimeError(f"issuing a token failed: {result.stderr}")
        token = result.stdout.strip().splitlines()[-1]
        self.issued_tokens.append(token)
        return token

    def revoke(self, label: str) -> None:
        result = run_access_cli(self.data_dir, "revoke", label, env=self.env)
        if result.returncode != 0:
            raise RuntimeError(f"revoking failed: {result.stderr}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def fresh_log_path(root: Path) -> Path:
    """`root`/server.log, or server-2.log and on when an earlier start on the same root left its log there (a
    restart's checks still read the first start's log)."""
    path, number = root / "server.log", 1
    while path.exists():
        number += 1
        path = root / f"server-{number}.log"
    return path


def start_server(root: Path, extra_env: dict | None = None) -> LiveServer:
    """Serve app.py with its data under `root`; returns once the page answers HTTP 200."""
    root.mkdir(parents=True, exist_ok=True)
    data_dir, temp_dir, log_path = root / "data", root / "gradio-tmp", fresh_log_path(root)
    port = free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "REEL_DATA_DIR": str(data_dir),
        "REEL_MODEL": "tiny-ltx",
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_TEMP_DIR": str(temp_dir),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = started + START_TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return LiveServer(
                    url=url, data_dir=data_dir, temp_dir=temp_dir, log_path=log_path, process=process, env=env,
                    started_in_seconds=time.perf_counter() - started,
                )
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"app.py did not serve within {START_TIMEOUT_SECONDS}s:\n{log_path.read_text()[-4000:]}")
