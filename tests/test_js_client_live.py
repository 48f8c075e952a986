"""The JavaScript client, @gradio/client from npm, against a live app: a clip made with a token, and the refusals
without one and with a wrong one read as Reel's own sentences (ui/refusals.py), as they do from Python.

The client is installed once with npm, pinned, into pytest's cache folder (.pytest_cache, which git ignores), and
taken from there on later runs; Node and npm must be installed (`make test` installs Debian's when they are not).
The scripts run from a folder beside that install, where `import ... from "@gradio/client"` finds it.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from gradio_client.exceptions import ValidationError

from access import INVALID_TOKEN_MESSAGE, MISSING_TOKEN_MESSAGE
from conftest import typo_of

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parent.parent
GRADIO_JS_CLIENT, GRADIO_JS_CLIENT_VERSION = "@gradio/client", "2.7.0"
SCRIPT = Path(__file__).resolve().parent / "js" / "generate_and_refusals.mjs"
JS_FENCE = re.compile(r"^```js\n(.*?)^```", re.S | re.M)


def node_tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        pytest.fail("Node.js and npm are not installed: run `make test` (it installs Debian's with apt-get) or "
                    "`apt-get install nodejs npm`.", pytrace=False)
    return node, npm


@pytest.fixture(scope="session")
def js_client(request, tmp_path_factory) -> Path:
    """A folder whose node_modules holds the pinned client: installed on the first run, reused after."""
    _, npm = node_tools()
    cache = getattr(request.config, "cache", None)  # None with `-p no:cacheprovider`: a fresh install then
    name = f"gradio-js-client-{GRADIO_JS_CLIENT_VERSION}"
    folder = cache.mkdir(name) if cache is not None else tmp_path_factory.mktemp(name)
    installed = folder / "node_modules" / "@gradio" / "client" / "package.json"
    if not installed.is_file():
        # Into a folder of its own, moved in whole, so an interrupted install is never taken for a finished one.
        staging = Path(tempfile.mkdtemp(prefix="install-", dir=folder))
        done = subprocess.run(
            [npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund", "--loglevel=error",
             f"{GRADIO_JS_CLIENT}@{GRADIO_JS_CLIENT_VERSION}"],
            capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, f"npm install {GRADIO_JS_CLIENT}@{GRADIO_JS_CLIENT_VERSION} failed: {done.stderr}"
        shutil.rmtree(folder / "node_modules", ignore_errors=True)
        os.replace(staging / "node_modules", folder / "node_modules")
        shutil.rmtree(staging, ignore_errors=True)
    assert json.loads(installed.read_text())["version"] == GRADIO_JS_CLIENT_VERSION
    return folder


def run_node(js_client: Path, name: str, code: str, *args: str) -> list[str]:
    """`code` run by Node as the module `name` beside the client; the lines it printed."""
    node, _ = node_tools()
    scripts = js_client / "scripts"
    scripts.mkdir(exist_ok=True)
    script = scripts / name
    script.write_text(code)
    done = subprocess.run([node, str(script), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"node {name} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout.splitlines()


def test_node_generates_with_a_token_and_reads_both_refusals_as_reels_sentences(js_client, live_server):
    token = live_server.issue_token("node-caller")
    runs_before = live_server.generation_count()
    lines = run_node(js_client, SCRIPT.name, SCRIPT.read_text(), live_server.url, token, typo_of(token))
    made, no_token, wrong_token = (json.loads(line) for line in lines)

    assert made["name"] == "token" and made["video"].startswith(live_server.url) and made["video"].endswith(".mp4")
    manifest = made["manifest"]
    assert (manifest["resolution"], manifest["steps"], manifest["width"], manifest["height"]) == ("square", 2, 384, 384)
    assert live_server.generation_count() == runs_before + 1, "the refused calls never reached the pipeline"
    assert no_token == {"name": "no token", "message": MISSING_TOKEN_MESSAGE, "code": "validation_error"}
    assert wrong_token == {"name": "wrong token", "message": INVALID_TOKEN_MESSAGE, "code": "validation_error"}

    # Python's client still gets every refused parameter by name.
    with pytest.raises(ValidationError) as refused:
        live_server.client().predict(prompt="a kite", access_token="", api_name="/generate")
    assert str(refused.value) == f"1 parameter(s) failed validation:\n- access_token: {MISSING_TOKEN_MESSAGE}"


def test_the_javascript_example_in_the_docs_runs_as_written(js_client, live_server):
    docs = sorted((ROOT / "docs").glob("*.md"))
    [example] = [example for path in docs for example in JS_FENCE.findall(path.read_text())]
    assert '"http://127.0.0.1:7860/"' in example and '"reel_..."' in example
    token = live_server.issue_token("docs-node-caller")
    example = example.replace('"http://127.0.0.1:7860/"', json.dumps(live_server.url))
    example = example.replace('"reel_..."', json.dumps(token))
    video_url, seed, message, code = run_node(js_client, "docs-example.mjs", example)
    assert video_url.startswith(live_server.url) and video_url.endswith(".mp4") and int(seed) >= 0
    assert (message, code) == (MISSING_TOKEN_MESSAGE, "validation_error")
