"""Shared test setup. The Hub is unreachable here and in CI: everything runs offline on tiny models.

`live_server` starts the real app (`python app.py`) as a subprocess on a free port with its own data dir,
exactly as a person would run it, and keeps its log so tests can read what the server printed.
"""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVER_START_TIMEOUT_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_access_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REEL_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "access", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    temp_dir: Path
    log_path: Path
    process: subprocess.Popen

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def generation_count(self) -> int:
        """How many times the pipeline ran, from the engine's own log line."""
        return self.log_text().count("Generating ")

    def issue_token(self, label: str) -> str:
        result = run_access_cli(self.data_dir, "issue", "--label", label)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def revoke(self, label: str) -> None:
        result = run_access_cli(self.data_dir, "revoke", label)
        assert result.returncode == 0, result.stderr

    def client(self, **kwargs):
        from gradio_client import Client

        return Client(self.url, verbose=False, **kwargs)


def _wait_until_serving(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"app.py did not serve within {SERVER_START_TIMEOUT_SECONDS}s:\n{log_path.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("live-server")
    data_dir, temp_dir, log_path = root / "data", root / "gradio-tmp", root / "server.log"
    port = free_port()
    env = {
        **os.environ,
        "REEL_DATA_DIR": str(data_dir),
        "REEL_MODEL": "tiny-ltx",
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_TEMP_DIR": str(temp_dir),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "PYTHONUNBUFFERED": "1",
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = LiveServer(f"http://127.0.0.1:{port}/", data_dir, temp_dir, log_path, process)
    try:
        _wait_until_serving(server.url, process, log_path)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
