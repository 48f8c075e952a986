"""Attacks on a live server: what an outsider can send must not read files, leak secrets or run the model."""

import os

import httpx
import pytest
from gradio_client.exceptions import ValidationError

from access import INVALID_TOKEN_MESSAGE

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def token(live_server):
    return live_server.issue_token("attack-tests")


def _file_targets(live_server):
    database = live_server.data_dir / "access.sqlite3"
    model_index = live_server.data_dir / "models" / "tiny-ltx" / "model_index.json"
    return [
        str(database),
        str(model_index),
        "/etc/passwd",
        "../../../../etc/passwd",
        "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "..%2f..%2f..%2fetc%2fpasswd",
        str(live_server.data_dir / ".." / "data" / "access.sqlite3"),
        f"{live_server.temp_dir}/{os.path.relpath(database, live_server.temp_dir)}",  # climbs out of Gradio's cache
    ]


@pytest.mark.parametrize("route", ["gradio_api/file=", "gradio_api/file/", "file=", "gradio_api/proxy="])
def test_file_routes_never_serve_the_data_dir_or_system_files(live_server, route):
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        for target in _file_targets(live_server):
            response = http.get(route + target)
            assert response.status_code in (400, 403, 404), f"{route}{target} -> {response.status_code}"
            assert b"SQLite format" not in response.content and b"root:" not in response.content
            assert b"_class_name" not in response.content


@pytest.mark.parametrize("route", ["monitoring", "gradio_api/monitoring", "gradio_api/runs", "monitoring/summary"])
def test_monitoring_and_run_history_routes_are_off(live_server, route):
    response = httpx.get(live_server.url + route, timeout=10)
    assert response.status_code in (403, 404)


def test_a_foreign_origin_is_not_reflected_with_credentials(live_server):
    evil = "https://evil.example"
    routes = ("config", "gradio_api/info", "gradio_api/queue/join", "gradio_api/mcp/", "gradio_api/mcp",
              "gradio_api/mcp/schema")
    for route in routes:
        response = httpx.request(
            "OPTIONS" if route.endswith(("join", "mcp/", "mcp")) else "GET",
            live_server.url + route,
            headers={"Origin": evil, "Access-Control-Request-Method": "POST"},
            timeout=10,
        )
        assert response.headers.get("access-control-allow-origin") not in (evil, "*"), route


def test_a_one_megabyte_prompt_is_refused_without_running(live_server, token):
    runs_before = live_server.generation_count()
    with pytest.raises(ValidationError) as refused:
        live_server.client().predict(prompt="x" * 1_000_000, access_token=token, api_name="/generate")
    assert "the limit is 1000" in str(refused.value)
    assert live_server.generation_count() == runs_before


@pytest.mark.parametrize(
    "changes",
    [
        {"seed": "1; DROP TABLE tokens"},
        {"seconds": "forever"},
        {"steps": -3},
        {"steps": 1e9},
        {"seconds": "nan"},
        {"seed": "Infinity"},
        {"resolution": "../../etc/passwd"},
        {"resolution": 42},
        {"negative_prompt": "n" * 2000},
    ],
)
def test_wrongly_typed_or_out_of_range_parameters_are_refused(live_server, token, changes):
    runs_before = live_server.generation_count()
    arguments = {"prompt": "a cat", "access_token": token, **changes}
    with pytest.raises(ValidationError) as refused:
        live_server.client().predict(**arguments, api_name="/generate")
    assert "Traceback" not in str(refused.value) and token not in str(refused.value)
    assert live_server.generation_count() == runs_before


def test_an_upload_over_the_size_cap_is_refused(live_server):
    oversized = b"\0" * (65 * 1024 * 1024)  # the cap is 64 MB (app.py, max_file_size)
    response = httpx.post(
        live_server.url + "gradio_api/upload", files={"files": ("big.png", oversized, "image/png")}, timeout=30
    )
    assert response.status_code in (400, 413)
    stored = [p for p in live_server.temp_dir.rglob("big.png")]
    assert stored == [], "nothing of the refused upload is kept"


def test_a_token_sent_as_the_prompt_is_not_echoed_or_logged(live_server, token):
    with pytest.raises(ValidationError) as refused:
        live_server.client().predict(prompt=token, access_token="reel_" + "x" * 49, api_name="/generate")
    assert INVALID_TOKEN_MESSAGE in str(refused.value)
    assert token not in str(refused.value)
    assert token not in live_server.log_text()
