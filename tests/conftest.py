"""Shared test setup. The Hub is unreachable here and in CI: everything runs offline on tiny models.

`live_server` starts the real app (`python app.py`) as a subprocess on a free port with its own data dir,
exactly as a person would run it, and keeps its log so tests can read what the server printed.
"""

import os

import pytest

from bench.live_server import start_server

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("live-server"))
    try:
        yield server
    finally:
        server.stop()
