"""The app built inside the test process, as Gradio's own tests build theirs: `build_demo(Runtime.from_env())`
launched with `prevent_thread_lock=True` and `launch_options`, the same two calls app.py makes (tests/in_process.py),
then called with gradio_client. No `python app.py` process is started, so a test pays for the tiny model's load
once, not for a whole server start."""

import httpx
import pytest
from gradio_client.exceptions import ValidationError

from conftest import running_server
from ui.demo import status_footer

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def in_process_app(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("in-process-app"), {"REEL_MODELS": ""}) as server:
        yield server


def test_the_in_process_app_makes_a_clip_for_a_token_holder_and_refuses_others(in_process_app):
    token = in_process_app.issue_token("in-process")
    client = in_process_app.client()
    video, manifest = client.predict(prompt="a red kite", seed=5, seconds=1.0, access_token=token,
                                     api_name="/generate")
    assert manifest["model"] == "tiny-ltx" and manifest["seed"] == 5 and video.endswith(".mp4")
    assert in_process_app.generation_count() == 1, "the app's own log line, in its own log"
    with pytest.raises(ValidationError, match="access token"):
        client.predict(prompt="a red kite", access_token="reel_" + "x" * 49, api_name="/generate")


def test_the_page_it_serves_carries_the_runtimes_footer(in_process_app):
    page = httpx.get(in_process_app.url, timeout=30).text
    assert "Running on CPU (no GPU)." in status_footer(in_process_app.runtime)
    assert "Running on CPU (no GPU)." in page and "Fast path for Tiny LTX-Video preview" in page
