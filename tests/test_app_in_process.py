"""The app built inside the test process, as Gradio's own tests build theirs: `build_demo(Runtime.from_env())`
launched with `prevent_thread_lock=True` and `launch_options`, the same two calls app.py makes, then called with
gradio_client. No `python app.py` process is started, so a test pays for the tiny model's load once, not for a
whole server start."""

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import ValidationError

from bench.live_server import free_port, run_access_cli
from ui.demo import build_demo, launch_options, status_footer
from ui.runtime import Runtime


@pytest.fixture(scope="module")
def in_process_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("in-process-app")
    settings = pytest.MonkeyPatch()
    for name, value in {
        "REEL_DATA_DIR": str(root / "data"), "REEL_MODEL": "tiny-ltx", "REEL_MODELS": "", "HF_HUB_OFFLINE": "1",
    }.items():
        settings.setenv(name, value)
    runtime = Runtime.from_env()
    demo = build_demo(runtime)
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
                **launch_options(runtime))
    try:
        yield runtime, demo, f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
        settings.undo()


def test_the_in_process_app_makes_a_clip_for_a_token_holder_and_refuses_others(in_process_app):
    runtime, _, url = in_process_app
    issued = run_access_cli(runtime.data_dir, "issue", "--label", "in-process")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]
    client = Client(url, verbose=False)
    video, manifest = client.predict(prompt="a red kite", seed=5, seconds=1.0, access_token=token,
                                     api_name="/generate")
    assert manifest["model"] == "tiny-ltx" and manifest["seed"] == 5 and video.endswith(".mp4")
    with pytest.raises(ValidationError, match="access token"):
        client.predict(prompt="a red kite", access_token="reel_" + "x" * 49, api_name="/generate")


def test_the_page_it_serves_carries_the_runtimes_footer(in_process_app):
    runtime, _, url = in_process_app
    page = httpx.get(url, timeout=30).text
    assert "Running on CPU (no GPU)." in status_footer(runtime)
    assert "Running on CPU (no GPU)." in page and "Fast path for Tiny LTX-Video preview" in page
