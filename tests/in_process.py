"""The app built and served inside the test process, with the interface of `bench.live_server.LiveServer`.

`start_in_process(root, extra_env)` does what app.py does, `build_demo(Runtime.from_env())` launched with
`launch_options(runtime)`, but with `prevent_thread_lock=True` on a free port (as Gradio's own tests launch theirs),
so a test pays for building the page and loading a tiny model, not for a new interpreter importing torch and Gradio.
Tests that need a process of their own (start-up refusals, restarts with jobs in flight, signals, memory, the
ZeroGPU stand-in) use `python app.py` (`running_process` in tests/conftest.py). Stopping an app closes its server;
a job still rendering runs on in its worker thread, which only a process's end would stop.

Several in-process apps live in one pytest process at once (the session's and a module's). What is process-wide,
and how they are kept apart:
- The environment: set only while the app is built and launched (Runtime.from_env reads every Reel setting then)
  and put back right after, so no app reads another's settings later.
- GRADIO_TEMP_DIR: each app's temp dir is fixed while it is built (Gradio's cache, Reel's clip and upload folders),
  but Gradio reads the variable again at request time, to check that a file a client names was uploaded
  (processing_utils), and once at import, for where its MCP server decodes an inline picture (gradio.mcp). So for
  the whole test process it names one folder, made here before gradio is imported, that holds every in-process
  app's temp dir and nothing else: files that pass the upload check in one app may come from another's temp dir,
  and an MCP client's inline picture lands beside the apps' temp dirs, not in one. A test of where those files go
  needs a process of its own.
- Logging: one handler on the root logger writes each record into the log of the app whose work logged it. A
  middleware marks every request, websocket and the lifespan with its app in a context variable, which the tasks
  and worker threads started from them inherit; the threads started while the app was built and launched (the
  web server's, the audit writer's) are its too. What the test itself logs (gradio_client's requests) is in no
  app's log, as it would not be in a server process's. Gradio reports a failed event with
  `traceback.print_exc()`, not logging: those tracebacks go into the log too. Other prints go to pytest's
  captured output only.
- ui/gpu.py keeps one engine per model key for ZeroGPU's forked worker, so apps serving the same model share the
  engine built last: built from the same spec and the same seeded tiny weights, it answers the same.
- access/hf.py caches Hugging Face token lookups (and failed ones, briefly) for the whole process; each app's gate
  (lockout, job slots, audit writer) is its own. The audit writer's thread outlives its app, idle.
"""

from __future__ import annotations

import atexit
import contextvars
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

# Imported by tests/conftest.py before any test module, so before gradio; the app's modules (torch, Gradio) are
# imported on the first start, so a run of units alone never pays for them.
if "gradio" in sys.modules:
    raise RuntimeError("import tests/in_process.py before gradio: it sets GRADIO_TEMP_DIR for gradio's import")
APPS_TEMP_ROOT = Path(tempfile.mkdtemp(prefix="reel-test-apps-"))  # every in-process app's temp dir, nothing else
atexit.register(shutil.rmtree, APPS_TEMP_ROOT, ignore_errors=True)
os.environ["GRADIO_TEMP_DIR"] = str(APPS_TEMP_ROOT)

from access.__main__ import build_parser  # noqa: E402 - light: no Gradio, no torch (the app loads on first start)
from bench.live_server import AppServer, free_port, fresh_log_path  # noqa: E402

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # app.py's

_current: contextvars.ContextVar["InProcessServer | None"] = contextvars.ContextVar("reel_test_app", default=None)
_live: list["InProcessServer"] = []  # started and not yet stopped, oldest first


@dataclass(kw_only=True)
class InProcessServer(AppServer):
    runtime: object  # ui.runtime.Runtime
    demo: object  # gr.Blocks
    threads: set = field(default_factory=set, repr=False)  # started while it was built and launched
    _log_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def pid(self) -> int:
        """The process serving the app: this one."""
        return os.getpid()

    def issue_token(self, label: str, *options: str) -> str:
        """A token issued straight into the app's store (a connection of its own, as the CLI opens), with the
        CLI's options: `--daily-limit N`, `--daily-seconds S`, `--expires-in 2s`."""
        wanted = build_parser().parse_args(["issue", "--label", label, *options])  # the CLI's own options
        token = self.token_store().issue(
            label, daily_limit=wanted.daily_limit, daily_seconds=wanted.daily_seconds, expires_in=wanted.expires_in
        )
        self.issued_tokens.append(token)
        return token

    def revoke(self, label: str) -> None:
        if not self.token_store().revoke(label):
            raise RuntimeError(f"no active token is labelled {label!r}")

    def stop(self) -> None:
        self.demo.close(verbose=False)
        _live.remove(self)
        if not _live:
            _stop_capturing()

    def _write(self, text: str) -> None:
        with self._log_lock, open(self.log_path, "a", encoding="utf-8") as log:
            log.write(text)


def start_in_process(root: Path, extra_env: dict | None = None) -> InProcessServer:
    """Build and serve the app with its data under `root`; returns once it serves. `extra_env` as for
    `bench.live_server.start_server`, except GRADIO_TEMP_DIR (see the module docstring)."""
    from starlette.middleware import Middleware

    from ui.demo import build_demo, launch_options
    from ui.runtime import Runtime

    if extra_env and "GRADIO_TEMP_DIR" in extra_env:
        raise ValueError("an in-process app's temp dir is chosen here; start a process for a temp dir of your own")
    root.mkdir(parents=True, exist_ok=True)
    temp_dir = Path(tempfile.mkdtemp(prefix=root.name + "-", dir=APPS_TEMP_ROOT))
    settings = {
        "HF_HUB_OFFLINE": "1",
        "REEL_DATA_DIR": str(root / "data"),
        "REEL_MODEL": "tiny-ltx",
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_TEMP_DIR": str(temp_dir),
        "GRADIO_ANALYTICS_ENABLED": "False",
        **(extra_env or {}),
    }
    port = free_port()
    server = InProcessServer(
        url=f"http://127.0.0.1:{port}/", data_dir=root / "data", temp_dir=temp_dir, log_path=fresh_log_path(root),
        env={**os.environ, **settings}, started_in_seconds=0.0, runtime=None, demo=None,
    )
    server.log_path.write_text("")
    if not _live:
        _start_capturing()
    _live.append(server)
    started = time.perf_counter()
    saved = {name: os.environ.get(name) for name in settings}
    marked = _current.set(server)  # the lines logged while it loads go to its log
    threads_before = set(threading.enumerate())
    try:
        os.environ.update(settings)
        server.runtime = Runtime.from_env()
        server.demo = build_demo(server.runtime)
        options = launch_options(server.runtime)
        app_kwargs = options["app_kwargs"]
        app_kwargs["middleware"] = [Middleware(_MarkedAsApp, server=server), *app_kwargs["middleware"]]
        server.demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True, **options)
    except BaseException:
        _live.remove(server)
        if not _live:
            _stop_capturing()
        raise
    finally:
        server.threads = set(threading.enumerate()) - threads_before
        _current.reset(marked)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    server.started_in_seconds = time.perf_counter() - started
    return server


class _MarkedAsApp:
    """ASGI middleware: every request, websocket and the lifespan of this app run with `_current` naming it, and
    so do the tasks and worker threads they start (Gradio's queue starts from a request)."""

    def __init__(self, app, server: InProcessServer):
        self.app = app
        self.server = server

    async def __call__(self, scope, receive, send):
        marked = _current.set(self.server)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(marked)


def _route(text: str) -> None:
    """Into the log of the app doing the work, if any."""
    server = _current.get()
    if server is None:
        thread = threading.current_thread()
        server = next((each for each in _live if thread in each.threads), None)
    if server is not None:
        server._write(text)


class _AppLogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            _route(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


_handler = _AppLogHandler()
_handler.setFormatter(logging.Formatter(LOG_FORMAT))
_print_exc = traceback.print_exc
_level_before: list[int] = []  # the root logger's level before the first in-process app


def _print_exc_into_app_log(limit=None, file=None, chain=True):
    _route(traceback.format_exc(limit=limit, chain=chain))
    _print_exc(limit=limit, file=file, chain=chain)


def _start_capturing() -> None:
    """While any in-process app lives: INFO and up from every logger, as app.py's basicConfig, into the apps' logs;
    and Gradio's tracebacks of failed events."""
    root = logging.getLogger()
    _level_before[:] = [root.level]
    root.setLevel(logging.INFO)
    root.addHandler(_handler)
    from ui.mcp import quiet_mcp_logs

    quiet_mcp_logs()  # as app.py does before it launches
    traceback.print_exc = _print_exc_into_app_log


def _stop_capturing() -> None:
    logging.getLogger().removeHandler(_handler)
    logging.getLogger().setLevel(_level_before[0])
    traceback.print_exc = _print_exc
