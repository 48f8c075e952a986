"""Shared test setup. The Hub is unreachable here and in CI: everything runs offline on tiny models.

`live_server` starts the real app (`python app.py`) as a subprocess on a free port with its own data dir,
exactly as a person would run it, and keeps its log so tests can read what the server printed.
"""

import contextlib
import os

import pytest

from bench.live_server import start_server

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@contextlib.contextmanager
def clip_folder_broken(server):
    """Make every generation on `server` fail while inside: a file stands where the clip folder should be."""
    clips = server.temp_dir / "reel-clips"
    parked = server.temp_dir / "reel-clips-parked"
    if clips.exists():
        clips.rename(parked)
    clips.write_text("a file where the folder should be")
    try:
        yield
    finally:
        clips.unlink()
        if parked.exists():
            parked.rename(clips)


def typo_of(token: str, at: int = -1) -> str:
    """The token with one character (the last by default) changed, so it can never equal the original (a fixed
    replacement character would match the real one about once in 62 tokens)."""
    at %= len(token)
    return token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]


def process_memory_mb(pid: int, field: str) -> float:
    """VmRSS (now) or VmHWM (the most ever) of a process, in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def assert_no_token_leaked(server) -> None:
    """Checked when each server stops: no token issued to it is in its log, data dir or temp dir."""
    leaks = {token[:9] + "...": server.places_holding(token) for token in server.issued_tokens}
    assert not any(leaks.values()), f"tokens found on disk: {leaks}"


@contextlib.contextmanager
def running_server(root, extra_env: dict | None = None):
    """The real app serving from `root`; stopped on exit, then checked for leaked tokens."""
    server = start_server(root, extra_env)
    try:
        yield server
    finally:
        server.stop()
    assert_no_token_leaked(server)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app on the tiny LTX-Video preview (silent, no adapters): most live tests' server."""
    with running_server(tmp_path_factory.mktemp("live-server")) as server:
        yield server


@pytest.fixture(scope="session")
def default_server(tmp_path_factory):
    """The app as `make run` starts it on a machine without a GPU: no model named, so the CPU default (the tiny
    LTX-2 preview, with sound and adapters)."""
    with running_server(tmp_path_factory.mktemp("default-server"), {"REEL_MODEL": "", "REEL_MODELS": ""}) as server:
        yield server
