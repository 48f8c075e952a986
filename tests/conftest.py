"""Shared test setup. The Hub is unreachable here and in CI: everything runs offline on tiny models.

`live_server` and `default_server` are the app built and served inside the test process (tests/in_process.py),
each with its own data dir, temp dir and log; `running_process` starts the real `python app.py` for the tests
that need a process of their own. Markers (pytest.ini): a test that calls an app is `live`, one that starts
`python app.py` is `process`, one that drives Chromium is `browser`, one that runs the tiny models is `models`;
the rest are units, `-m "not live and not process and not browser and not models"`. The helpers below fail a
test that starts an app or Chromium without its marker, so that quick run never starts one.
"""

import contextlib
import itertools
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from in_process import start_in_process  # first: it sets GRADIO_TEMP_DIR before gradio is imported

from access import AuditLog  # noqa: I001
from bench.live_server import start_server
from postgres import INSTALL_HINT, ThrowawayPostgres, server_binaries

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


def wait_for(condition, timeout=60.0, every=0.05):
    """Return once `condition()` is true, asking every `every` seconds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(every)


def race(calls) -> list[str]:
    """Start the calls together (a barrier releases them at once); each one's outcome, in order: "ok", or the text
    of the app's refusal."""
    from gradio_client.exceptions import AppError, ValidationError

    outcomes = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index):
        start.wait()
        try:
            calls[index]()
            outcomes[index] = "ok"
        except (AppError, ValidationError) as refused:
            outcomes[index] = str(refused)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return outcomes


def used_today(server, label):
    """(committed clips, committed seconds, pending clips) as the store sees them."""
    return server.token_store().used_today(label)


def audit_outcomes(server, label) -> list[str]:
    """The audit log's outcomes for one holder, oldest first."""
    entries = AuditLog(server.token_store()).recent(1000)
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


_running: list[pytest.Item] = []  # the test being set up or run


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _running[:] = [item]


def require_marker(name: str) -> None:
    """Fail the running test unless it carries the marker `name`: a quick `-m` run must not start apps."""
    if _running and _running[0].get_closest_marker(name) is None:
        pytest.fail(f"{_running[0].nodeid} needs @pytest.mark.{name} (see tests/conftest.py)", pytrace=False)


@contextlib.contextmanager
def running_server(root, extra_env: dict | None = None):
    """The app built and served in this process, from `root`; stopped on exit, then checked for leaked tokens."""
    require_marker("live")
    server = start_in_process(root, extra_env)
    try:
        yield server
    finally:
        server.stop()
    assert_no_token_leaked(server)


@contextlib.contextmanager
def running_process(root, extra_env: dict | None = None):
    """`python app.py` in a process of its own, serving from `root`: for a test about the process itself (its
    start, a restart with work in flight, a signal, its memory) or one that needs settings no in-process app can
    have. Stopped on exit, then checked for leaked tokens."""
    require_marker("process")
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


# The default server's REEL_ADMIN_TOKEN, which the docs' admin example is given in place of its placeholder.
DOCS_ADMIN_TOKEN = secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def default_server(tmp_path_factory):
    """The app as `make run` starts it on a machine without a GPU: no model named, so the CPU default (the tiny
    LTX-2 preview, with sound and adapters)."""
    settings = {"REEL_MODEL": "", "REEL_MODELS": "", "REEL_ADMIN_TOKEN": DOCS_ADMIN_TOKEN}
    with running_server(tmp_path_factory.mktemp("default-server"), settings) as server:
        server.issued_tokens.append(DOCS_ADMIN_TOKEN)
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


# axe-core, the accessibility checker the browser tests run in the page: installed from npm into .axe/ (ignored by
# git) on first use, so the suite never assumes it.
AXE_VERSION = "4.14"
AXE_DIR = Path(__file__).resolve().parent.parent / ".axe"


def installed_axe_version(folder: Path) -> str | None:
    try:
        return json.loads((folder / "node_modules/axe-core/package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture(scope="session")
def axe_script() -> str:
    """The text of axe-core's `axe.min.js` (AXE_VERSION.x), to run in a page with `page.evaluate`. Installed with
    npm into .axe/ when missing; a run beside this one may install it at the same time, so each installs into a
    folder of its own and the first to finish is kept."""
    if not (installed_axe_version(AXE_DIR) or "").startswith(AXE_VERSION + "."):
        npm = shutil.which("npm")
        if not npm:
            pytest.fail("npm is not installed: run `make test` (it installs it with apt-get) or "
                        "`apt-get install npm`; the browser tests install axe-core with it.", pytrace=False)
        staging = Path(tempfile.mkdtemp(prefix=".axe-", dir=AXE_DIR.parent))
        try:
            subprocess.run(
                [npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund", "--no-save", "--silent",
                 f"axe-core@{AXE_VERSION}.x"],
                check=True, timeout=300, capture_output=True,
            )
            if not (installed_axe_version(AXE_DIR) or "").startswith(AXE_VERSION + "."):  # else another run's won
                shutil.rmtree(AXE_DIR, ignore_errors=True)
                with contextlib.suppress(OSError):
                    staging.rename(AXE_DIR)
        except subprocess.CalledProcessError as failed:
            pytest.fail(f"npm could not install axe-core: {failed.stderr.decode(errors='replace')[-2000:]}",
                        pytrace=False)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return (AXE_DIR / "node_modules/axe-core/axe.min.js").read_text()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    require_marker("browser")
    executable = ensure_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# -- the gate's database: SQLite and PostgreSQL --------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster for the session (tests/postgres.py)."""
    bin_dir = server_binaries()
    if bin_dir is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    server = ThrowawayPostgres(bin_dir)
    server.initialise()
    server.start()
    yield server
    server.remove()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """Makes a new, empty place for the gate's data on each of the two databases Reel runs on: an SQLite file's
    path, or a PostgreSQL URL (what REEL_DATABASE_URL would hold). Call it again for a second, separate one."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres").new_database
    folders = itertools.count(1)
    return lambda: tmp_path / f"database-{next(folders)}" / "access.sqlite3"
