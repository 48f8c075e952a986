"""Shared test setup. The Hub is unreachable here and in CI: everything runs offline on tiny models.

`live_server` starts the real app (`python app.py`) as a subprocess on a free port with its own data dir,
exactly as a person would run it, and keeps its log so tests can read what the server printed.
"""

import contextlib
import os
import shutil
import time

import pytest

from access import AuditLog, TokenStore
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


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def used_today(server, label):
    """(committed clips, committed seconds, pending clips) as the store sees them."""
    return TokenStore(server.data_dir / "access.sqlite3").used_today(label)


def audit_outcomes(server, label) -> list[str]:
    """The audit log's outcomes for one holder, oldest first."""
    entries = AuditLog(TokenStore(server.data_dir / "access.sqlite3")).recent(1000)
    return [entry.outcome for entry in reversed(entries) if entry.subject == label]

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


# -- the browser tests' Chromium ----------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def ensure_chromium() -> str:
    """Debian's Chromium, which `make test` installs (Playwright's own browser download is not reachable from here
    or CI); without it the browser tests fail with the command that installs it."""
    path = shutil.which("chromium")
    if not path:
        pytest.fail("Debian's Chromium is not installed: run `make test` (it installs it with apt-get) or "
                    "`apt-get install chromium`.", pytrace=False)
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = ensure_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
