"""ui/mcp.py's own rules, without an app: the address Reel prints, the JSON it answers agents with, and which
request lines of the MCP server's own calls stay out of the log. tests/test_mcp_live.py calls the tools."""

import json
import logging

import httpx

from ui.mcp import as_json, is_refused_tool_call, mcp_address, quiet_mcp_logs, tool_error, tool_result

VIDEO = "http://127.0.0.1:7860/gradio_api/file=/tmp/reel-clips/a.mp4"
MANIFEST = {"model": "tiny-ltx2", "seed": 7, "num_frames": 25, "fps": 24, "audio": True,
            "sound": {"codec": "aac", "sample_rate": 24000, "channels": 2}}


def test_the_address_has_no_trailing_slash_and_is_the_spaces_own_on_a_space():
    assert mcp_address("http://127.0.0.1:7860/") == "http://127.0.0.1:7860/gradio_api/mcp"
    assert mcp_address("http://127.0.0.1:7860") == "http://127.0.0.1:7860/gradio_api/mcp"
    assert mcp_address("http://localhost:7860/", "owner-reel.hf.space") == "https://owner-reel.hf.space/gradio_api/mcp"
    # With a custom domain SPACE_HOST lists the hf.space name first.
    assert mcp_address("http://localhost:7860/", "owner-reel.hf.space,reel.example") == (
        "https://owner-reel.hf.space/gradio_api/mcp")
    assert mcp_address("http://localhost:7860/", "") == "http://localhost:7860/gradio_api/mcp"


def test_a_video_tools_answer_is_json_with_the_url_length_seed_model_sound_and_manifest():
    for endpoint in ("/generate", "/storyboard"):
        answer = json.loads(tool_result(endpoint, [VIDEO, MANIFEST]))
        assert answer == {"video_url": VIDEO, "seconds": 1.042, "seed": 7, "model": "tiny-ltx2", "sound": True,
                          "manifest": MANIFEST}
    silent = {key: value for key, value in MANIFEST.items() if key != "sound"}
    assert json.loads(tool_result("/generate", [VIDEO, silent]))["sound"] is False
    assert json.loads(tool_result("/generate", [VIDEO, {"seed": 1}]))["seconds"] is None


def test_historys_answer_is_its_page_as_json_and_errors_are_json_too():
    page = {"items": [{"id": "a" * 32, "seed": 7, "missing": False, "manifest": MANIFEST}], "next_before": None}
    assert json.loads(tool_result("/history", [page])) == page
    assert json.loads(tool_error("Not valid.", {})) == {"error": "Not valid."}
    assert json.loads(tool_error("Too long.", {"seconds": "Too long."})) == {
        "error": "Too long.", "invalid": {"seconds": "Too long."}}


def test_json_has_no_word_for_nan_so_it_is_null():
    text = as_json({"drift": float("nan"), "list": [float("inf"), 1.5], "prompt": "é"})
    assert json.loads(text) == {"drift": None, "list": [None, 1.5], "prompt": "é"}
    assert "NaN" not in text and "Infinity" not in text


def httpx_line(method: str, url: str, status: int) -> logging.LogRecord:
    """The record httpx logs for a request (httpx._client: 'HTTP Request: %s %s "%s %d %s"')."""
    return logging.LogRecord("httpx", logging.INFO, __file__, 1, 'HTTP Request: %s %s "%s %d %s"',
                             (method, httpx.URL(url), "HTTP/1.1", status, "Whatever"), None)


def test_only_a_refused_call_to_the_queue_is_left_out_of_the_log():
    httpx_logger = logging.getLogger("httpx")
    quiet_mcp_logs()
    filters = list(httpx_logger.filters)
    quiet_mcp_logs()  # as app.py and every in-process app call it: the filter is added once
    assert httpx_logger.filters == filters
    refused = httpx_line("POST", "http://127.0.0.1:7860/gradio_api/queue/join", 422)
    assert is_refused_tool_call(refused) and not httpx_logger.filter(refused)
    for kept in (
        httpx_line("POST", "http://127.0.0.1:7860/gradio_api/queue/join", 200),
        httpx_line("POST", "http://127.0.0.1:7860/gradio_api/queue/join", 503),  # a full queue is news
        httpx_line("POST", "http://127.0.0.1:7860/gradio_api/queue/join", 500),
        httpx_line("POST", "http://127.0.0.1:7860/gradio_api/upload", 422),
        httpx_line("GET", "https://huggingface.co/api/whoami-v2", 401),
    ):
        assert not is_refused_tool_call(kept) and httpx_logger.filter(kept)
    other = logging.LogRecord("reel.app", logging.INFO, __file__, 1, "queue/join 422", (), None)
    assert not is_refused_tool_call(other)
