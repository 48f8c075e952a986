"""ui/gradio_internals.py, the one door to Gradio's internals: each accessor against real Gradio objects, the
version check, and that no other module of Reel's names a Gradio private structure.

One small Gradio app is launched in this process (127.0.0.1, its own cache folder) for the accessors that need a
running server: the queue, the app's lifespan, the MCP tool table and the upload route.
"""

import asyncio
import base64
import contextlib
import json
import logging
import os
import re
import threading
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import httpx  # noqa: E402
import pytest  # noqa: E402
from gradio import processing_utils  # noqa: E402
from gradio import utils as gradio_utils  # noqa: E402
from gradio.data_classes import FileData  # noqa: E402
from gradio.exceptions import InvalidPathError  # noqa: E402
from gradio.route_utils import GradioMultiPartParser  # noqa: E402
from gradio_client import Client  # noqa: E402
from starlette.datastructures import Headers  # noqa: E402

from access.hf import looks_mocked  # noqa: E402
from conftest import wait_for  # noqa: E402
from ui import gradio_internals as door  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DOOR_FILE = ROOT / "ui" / "gradio_internals.py"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """A launched Blocks with a queue (one job at a time on /echo), an MCP server and a lifespan; /pair answers two
outputs, a file among them, behind a validator."""
    cache = tmp_path_factory.mktemp("gradio-cache").resolve()
    previous = os.environ.get("GRADIO_TEMP_DIR")
    os.environ["GRADIO_TEMP_DIR"] = str(cache)
    gate = threading.Event()
    seen = SimpleNamespace(requests=[], lifespan_blocks=[], loop=None)

    def echo(text: str, request: gr.Request) -> str:
        """Answer with the text, once the test lets it.

        Args:
            text: anything
        """
        seen.requests.append(request.request)
        gate.wait(60)
        return text

    def other(text: str) -> str:
        """Answer with the text.

        Args:
            text: anything
        """
        return text

    def pair(text: str, count: float):
        """Answer with the text and a file holding it.

        Args:
            text: anything
            count: a number
        """
        if text == "fail":
            raise gr.Error("It failed.")
        written = cache / "pair" / "text.txt"
        written.parent.mkdir(exist_ok=True)
        written.write_text(text)
        return text, str(written)

    def pair_checked(text, count):
        return [gr.validate(text != "refused", "Not that text.\nNot at all."), gr.validate(count < 10, "Too many.")]

    @contextlib.asynccontextmanager
    async def lifespan(served):
        seen.lifespan_blocks.append(door.blocks_of_app(served))
        seen.loop = asyncio.get_running_loop()
        yield

    with gr.Blocks() as demo:
        box, answer = gr.Textbox(), gr.Textbox()
        box.submit(echo, box, answer, api_name="echo", concurrency_limit=1)
        gr.Button().click(other, box, answer, api_name="other")
        count, file = gr.Number(), gr.File()
        gr.Button().click(pair, [box, count], [answer, file], api_name="pair", validator=pair_checked)
    demo.queue()
    demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, mcp_server=True,
                app_kwargs={"lifespan": lifespan})
    try:
        wait_for(lambda: seen.loop is not None, timeout=30)
        yield SimpleNamespace(demo=demo, url=demo.local_url, cache=cache, gate=gate, seen=seen)
    finally:
        gate.set()
        demo.close()
        if previous is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = previous


def on_loop(app, read):
    """`read()` on the server's event loop, where Gradio changes its queue, as Reel reads it."""

    async def call():
        return read()

    return asyncio.run_coroutine_threadsafe(call(), app.seen.loop).result(timeout=30)


# -- the version ---------------------------------------------------------------------------------------------


def test_another_gradio_version_is_warned_about_naming_both_versions_and_the_module(caplog):
    with caplog.at_level(logging.WARNING, logger="reel.app"):
        assert door.check_gradio_version("6.32.0") is False
    [record] = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert "6.32.0" in record.getMessage() and "6.31.0" in record.getMessage()
    assert "ui/gradio_internals.py" in record.getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="reel.app"):
        assert door.check_gradio_version("6.31.0") is True
    assert not caplog.records


def test_the_pinned_and_installed_gradio_are_the_one_the_door_was_written_for():
    """Moving the pin means reviewing the door: this fails until its version is moved with it."""
    assert gr.__version__ == door.GRADIO_VERSION_WRITTEN_FOR
    assert f"gradio[mcp]=={door.GRADIO_VERSION_WRITTEN_FOR}" in (ROOT / "requirements.txt").read_text().splitlines()
    assert f"sdk_version: {door.GRADIO_VERSION_WRITTEN_FOR}" in (ROOT / "README.md").read_text().splitlines()


def test_a_moved_structure_is_a_clear_runtime_error_naming_it():
    cases = [
        (lambda: door.queue_events(SimpleNamespace()), "Blocks._queue"),
        (lambda: door.queue_events(SimpleNamespace(_queue=SimpleNamespace())), "event_queue_per_concurrency_id"),
        (lambda: door.event_request(SimpleNamespace()), "Event.request"),
        (lambda: door.event_client_alive(SimpleNamespace()), "Event.alive"),
        (lambda: door.event_inputs(SimpleNamespace()), "Event.data"),
        (lambda: door.blocks_of_app(SimpleNamespace()), "App.get_blocks"),
        (lambda: door.mcp_tool_table(SimpleNamespace()), "Blocks.mcp_server_obj"),
        (lambda: door.mcp_tool_table(SimpleNamespace(mcp_server_obj=SimpleNamespace())), "tool_to_endpoint"),
        (lambda: door.mcp_http_app(SimpleNamespace(mcp_server_obj=SimpleNamespace())), "handle_streamable_http"),
        (lambda: door.answer_mcp_tools_with(SimpleNamespace(mcp_server_obj=SimpleNamespace()), None, None),
         "request_handlers"),
        (lambda: door.is_in_gradio_cache(SimpleNamespace(), "/x"), "GRADIO_CACHE"),
        (lambda: door.web_addresses_not_fetched(type("Bare", (), {})), "move_resource_to_block_cache"),
    ]
    for call, structure in cases:
        with pytest.raises(RuntimeError, match=re.escape(structure)) as raised:
            call()
        assert isinstance(raised.value, door.GradioInternalsChanged) and "ui/gradio_internals.py" in str(raised.value)


# -- the queue (ui/job_control.py, ui/uploads.py) --------------------------------------------------------------


def test_the_queue_shows_its_waiting_and_running_events_with_their_requests_and_inputs(app):
    assert door.queue_events(None) is None
    client = Client(app.url, verbose=False)
    try:
        jobs = [client.submit("first", api_name="/echo"), client.submit("second", api_name="/echo")]
        wait_for(lambda: len(on_loop(app, lambda: door.queue_events(app.demo))) == 2 and app.seen.requests)
        events = on_loop(app, lambda: door.queue_events(app.demo))
        assert sorted(door.event_inputs(event)[0] for event in events) == ["first", "second"]
        assert all(door.event_client_alive(event) for event in events)
        # The running one's request is the very object its handler got as gr.Request.request.
        [running] = [event for event in events if door.event_request(event) is app.seen.requests[0]]
        assert hasattr(door.event_request(running), "state")
    finally:
        app.gate.set()
    assert [job.result(timeout=60) for job in jobs] == ["first", "second"]
    wait_for(lambda: on_loop(app, lambda: door.queue_events(app.demo)) == [])


# -- the app launch builds (ui/mcp.py, ui/uploads.py) ----------------------------------------------------------


def test_a_lifespan_finds_the_blocks_behind_the_app(app):
    assert app.seen.lifespan_blocks == [app.demo]


# -- the MCP server (ui/mcp.py) --------------------------------------------------------------------------------


def test_the_mcp_tool_table_is_what_listing_and_calling_read(app):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    assert door.mcp_tool_table(gr.Blocks()) is None  # not launched with MCP
    assert door.mcp_tool_table(app.demo) == {"echo": "/echo", "other": "/other", "pair": "/pair"}
    door.replace_mcp_tool_table(app.demo, {"other": "/other", "pair": "/pair"})
    assert door.mcp_tool_table(app.demo) == {"other": "/other", "pair": "/pair"}

    async def listed_and_called():
        async with httpx.AsyncClient(timeout=60) as http:
            async with streamable_http_client(app.url + "gradio_api/mcp/", http_client=http) as (read, write, _):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    tools = [tool.name for tool in (await session.list_tools()).tools]
                    left_out = await session.call_tool("echo", {"text": "hi"})
                    offered = await session.call_tool("other", {"text": "hi"})
                    return tools, left_out, offered

    echoed_before = len(app.seen.requests)
    tools, left_out, offered = asyncio.run(listed_and_called())
    assert sorted(tools) == ["other", "pair"]
    assert left_out.isError and not offered.isError
    assert len(app.seen.requests) == echoed_before  # the left-out tool's handler never ran


def mcp_session(url: str, work):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def run():
        async with httpx.AsyncClient(timeout=60) as http:
            async with streamable_http_client(url, http_client=http) as (read, write, _):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await work(session)

    return asyncio.run(run())


def test_a_tool_answers_what_reel_makes_of_its_outputs_and_errors_on_both_of_gradios_paths(app):
    answered, refused = [], []
    door.answer_mcp_tools_with(
        app.demo,
        lambda endpoint, outputs: answered.append((endpoint, outputs)) or "result",
        lambda message, invalid: refused.append((message, invalid)) or "error",
    )

    async def ignore(done, total, message):
        pass

    async def work(session):
        answers = []
        for progress in (None, ignore):  # without a progress token gradio takes another path
            answers.append(await session.call_tool("pair", {"text": "hi", "count": 1}, progress_callback=progress))
            answers.append(await session.call_tool("other", {"text": "hi"}, progress_callback=progress))
            answers.append(await session.call_tool("pair", {"text": "refused", "count": 99},
                                                   progress_callback=progress))
            answers.append(await session.call_tool("pair", {"text": "fail", "count": 1}, progress_callback=progress))
        answers.append(await session.call_tool("nope", {}))
        return answers

    answers = mcp_session(app.url + "gradio_api/mcp/", work)
    assert [[part.text for part in answer.content] for answer in answers] == [
        ["result"], ["result"], ["error"], ["error"]] * 2 + [["error"]]
    assert [answer.isError for answer in answers] == [False, False, True, True] * 2 + [True]
    for endpoint, outputs in answered:
        if endpoint == "/pair":
            text, url = outputs
            assert text == "hi" and url.startswith(app.url + "gradio_api/file=") and url.endswith("text.txt")
            assert httpx.get(url, timeout=30).text == "hi"
    assert [(endpoint, outputs[0]) for endpoint, outputs in answered] == [("/pair", "hi"), ("/other", "hi")] * 2
    both = {"text": "Not that text.\nNot at all.", "count": "Too many."}
    assert refused[:4] == [
        ("Not that text.\nNot at all. Too many.", both), ("It failed.", {}),
        ("Not that text.\nNot at all. Too many.", both), ("It failed.", {}),
    ]
    assert "nope" in refused[4][0] and refused[4][1] == {}
    # The endpoints answer gradio_client as before.
    client = Client(app.url, verbose=False)
    text, path = client.predict("hi", 1, api_name="/pair")
    assert text == "hi" and Path(path).read_text() == "hi"


def test_the_streamable_http_app_answers_at_the_address_without_the_slash(app):
    from starlette.routing import Route

    class Endpoint:
        def __init__(self, asgi):
            self.asgi = asgi

        async def __call__(self, scope, receive, send):
            await self.asgi(scope, receive, send)

    redirected = httpx.post(app.url + "gradio_api/mcp", json={}, timeout=30)
    assert redirected.status_code == 307  # Gradio mounts its server under the slash only
    app.demo.server_app.router.routes.append(
        Route("/gradio_api/mcp", endpoint=Endpoint(door.mcp_http_app(app.demo)), include_in_schema=False))

    async def work(session):
        return [tool.name for tool in (await session.list_tools()).tools]

    assert "other" in mcp_session(app.url + "gradio_api/mcp", work)
    with pytest.raises(ValueError):
        door.mcp_http_app(gr.Blocks())


# -- a validator's refusal (ui/refusals.py) ----------------------------------------------------------------------


def test_a_validators_refusal_is_the_list_gradio_client_reads_and_its_messages_are_read_from_it(app):
    from gradio_client.utils import extract_validation_message

    pair = next(index for index, fn in app.demo.fns.items() if fn.api_name == "pair")
    refused = httpx.post(app.url + "gradio_api/queue/join", timeout=30,
                         json={"data": ["refused", 99], "fn_index": pair, "session_hash": "refusal-probe"})
    assert refused.status_code == door.VALIDATION_REFUSED_STATUS
    assert door.validation_refusal_messages(refused.content) == ["Not that text.\nNot at all.", "Too many."]
    assert extract_validation_message(refused) == (
        "2 parameter(s) failed validation:\n- text: Not that text.\nNot at all.\n- count: Too many.")
    one_refused = httpx.post(app.url + "gradio_api/queue/join", timeout=30,
                             json={"data": ["hi", 99], "fn_index": pair, "session_hash": "refusal-probe"})
    assert door.validation_refusal_messages(one_refused.content) == ["Too many."]
    # FastAPI's own 422 (a body that is no call) is not a validator's refusal; nor is anything else.
    malformed = httpx.post(app.url + "gradio_api/queue/join", json={"fn_index": pair}, timeout=30)
    assert malformed.status_code == 422 and door.validation_refusal_messages(malformed.content) is None
    for body in (b"not json", b"[]", b'{"detail": "text"}', b'{"detail": [1]}'):
        assert door.validation_refusal_messages(body) is None
    assert json.loads(door.validation_refusal_as_text("Too many.")) == {"detail": "Too many."}


def test_only_gradios_javascript_client_called_by_a_program_is_told_from_the_others(app):
    python = {**Client(app.url, verbose=False).headers, "x-gradio-user": "api"}  # as its calls to the queue say
    assert python["user-agent"].startswith(door.GRADIO_CLIENT_AGENT)
    node = {"x-gradio-user": "api", "sec-fetch-mode": "cors", "user-agent": "node"}
    page = {**node, "x-gradio-user": "app", "user-agent": "Mozilla/5.0"}
    assert door.is_gradio_js_client(Headers(node))
    assert not door.is_gradio_js_client(Headers(python))
    assert not door.is_gradio_js_client(Headers({**python, "sec-fetch-mode": "cors"}))  # a browser's headers passed on
    assert not door.is_gradio_js_client(Headers(page))
    assert not door.is_gradio_js_client(Headers({**node, "x-gradio-user": "mcp"}))
    assert not door.is_gradio_js_client(Headers({"user-agent": "curl/8.0"}))


# -- uploads (ui/uploads.py, access/upload_store.py) -----------------------------------------------------------


def test_the_upload_route_answers_paths_named_as_the_cache_naming_says(app):
    response = httpx.post(app.url + "gradio_api/upload", files={"files": ("cat.png", PNG, "image/png")}, timeout=30)
    assert response.status_code == 200
    [stored] = door.upload_answer_paths(response.content)
    stored = Path(stored)
    assert stored.parent.parent == app.cache and stored.name == "cat.png"
    assert door.GRADIO_UPLOAD_FOLDER.fullmatch(stored.parent.name)
    assert door.upload_answer_paths(door.upload_answer([str(stored)])) == [str(stored)]
    assert door.upload_answer_paths(b"not json") is None and door.upload_answer_paths(b'{"a": 1}') is None
    assert door.upload_answer_paths(b"[1]") is None


def multipart_parser(directory: Path, stream):
    headers = Headers({"content-type": "multipart/form-data; boundary=cut"})
    return GradioMultiPartParser(headers, stream, upload_dir=str(directory), max_file_size=10**9)


@pytest.mark.parametrize("stop_with, files_left", [(door.MultipartAbort, 0), (ConnectionError, 1)])
def test_only_a_multipart_abort_makes_gradios_parser_delete_its_unfinished_files(tmp_path, stop_with, files_left):
    written = []

    async def body():
        yield b'--cut\r\nContent-Disposition: form-data; name="files"; filename="a.bin"\r\n\r\n' + b"x" * 1000
        written.extend(path.name for path in tmp_path.iterdir())
        raise stop_with("stopped")

    with pytest.raises(stop_with):
        asyncio.run(multipart_parser(tmp_path, body()).parse())
    [leftover] = written
    assert door.GRADIO_LEFTOVER.fullmatch(leftover)  # named as the pruning expects, in the cache's top folder
    assert len(list(tmp_path.iterdir())) == files_left


def test_a_data_address_is_decoded_into_a_file_named_as_the_cache_naming_says(tmp_path):
    """What the MCP server does with a tool call's picture (processing_utils.save_base64_to_cache)."""
    address = "data:image/png;base64," + base64.b64encode(PNG).decode()
    decoded = Path(processing_utils.save_base64_to_cache(address, str(tmp_path)))
    assert decoded.parent.parent == tmp_path.resolve()
    assert door.GRADIO_UPLOAD_FOLDER.fullmatch(decoded.parent.name) and door.GRADIO_DECODED.fullmatch(decoded.name)
    assert door.GRADIO_CACHE_NAMING.decoded_file is door.GRADIO_DECODED


# -- components (ui/components.py) -----------------------------------------------------------------------------


def test_the_cache_check_and_the_path_error_are_gradios_own(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    image = gr.Image(type="filepath")
    assert door.is_in_gradio_cache(image, str(tmp_path / "a" / "b.png"))
    assert not door.is_in_gradio_cache(image, str(tmp_path.parent / "elsewhere.png"))
    assert not door.is_in_gradio_cache(image, str(tmp_path / ".." / "elsewhere.png"))
    error = door.not_uploaded_error("/etc/passwd")
    assert isinstance(error, InvalidPathError) and "/etc/passwd" in str(error)


def test_a_file_path_reaches_a_handler_as_the_stock_file_input_hands_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    uploaded = tmp_path / ("a" * 64) / "notes.txt"
    uploaded.parent.mkdir()
    uploaded.write_text("x")
    stock = gr.File(type="filepath").preprocess(FileData(path=str(uploaded)))
    ours = door.file_path_value(str(uploaded))
    assert type(ours) is type(stock) is gradio_utils.NamedString
    assert ours == str(uploaded) and ours.name == str(uploaded)


def test_web_addresses_and_file_types_are_told_apart_as_gradio_does():
    assert door.is_web_address("https://example.com/a.png") and door.is_web_address("http://10.0.0.1/a")
    assert not door.is_web_address("/tmp/a.png") and not door.is_web_address("data:image/png;base64,AA==")
    assert door.has_allowed_file_type("a.png", ["image"]) and door.has_allowed_file_type("a.MP4", [".mp4"])
    assert not door.has_allowed_file_type("a.txt", ["image", ".mp4"])


def test_a_web_address_is_not_fetched_while_gradio_prepares_the_inputs(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "cache"))

    @door.web_addresses_not_fetched
    class Picture(gr.Image):
        is_template = True

    picture = Picture(type="filepath")
    address = "https://example.invalid/start.png"  # fetching it would fail: nothing here reaches the network
    sent = {"path": address, "url": address, "meta": {"_type": "gradio.FileData"}}
    # As Blocks.preprocess_data prepares an input, before any validator.
    prepared = asyncio.run(processing_utils.async_move_files_to_cache(sent, picture, check_in_upload_folder=True))
    assert prepared["path"] == address
    assert picture.move_resource_to_block_cache(address) == address
    # A local file still goes into the cache as the stock component moves it.
    local = tmp_path / "local.png"
    local.write_bytes(PNG)
    cached = Path(asyncio.run(picture.async_move_resource_to_block_cache(str(local))))
    assert cached.is_file() and door.is_in_gradio_cache(picture, str(cached)) and cached != local


# -- the mock sign-in's markers (access/hf.py) -----------------------------------------------------------------


def test_gradios_mock_sign_in_still_carries_the_markers_access_knows(monkeypatch):
    import gradio.oauth

    monkeypatch.setattr(gradio.oauth, "get_token", lambda: "hf_test")
    monkeypatch.setattr(gradio.oauth, "whoami", lambda *args, **kwargs: {
        "type": "user", "name": "someone", "fullname": "Someone", "avatarUrl": ""})
    userinfo = gradio.oauth._get_mocked_oauth_info()["userinfo"]
    assert looks_mocked({"sub": userinfo["sub"]}) and looks_mocked({"aud": userinfo["aud"]})


# -- one door --------------------------------------------------------------------------------------------------

# Gradio's private structures and internal modules that Reel touches, as they are spelled in code.
PRIVATE_GRADIO_NAMES = [
    r"\b_queue\b", r"\bevent_queue_per_concurrency_id\b", r"\bactive_jobs\b", r"\.alive\b",
    r"\bget_blocks\b", r"\bmcp_server_obj\b", r"\btool_to_endpoint\b", r"\bpostprocess_output_data\b",
    r"\bhandle_streamable_http\b", r"\brequest_handlers\b", r"\badd_root_url\b",
    r"\bis_file_obj_with_meta\b",
    r"\bGRADIO_CACHE\b", r"move_resource_to_block_cache\b", r"\bis_in_or_equal\b", r"\bNamedString\b",
    r"\bInvalidPathError\b", r"\bis_http_url_like\b", r"\bis_valid_file\b", r"\bMultiPartException\b",
    r"\bsave_base64_to_cache\b", r"\b_get_mocked_oauth_info\b",
    r"\bGRADIO_LEFTOVER\b", r"\bGRADIO_UPLOAD_FOLDER\b", r"\bGRADIO_DECODED\b",
    r"\bgradio\.(utils|route_utils|processing_utils|queueing|routes|exceptions|oauth)\b",
    r"from gradio import [^\n]*\b(utils|route_utils|processing_utils|queueing|routes|exceptions)\b",
    r"\bgradio_client\.utils\b", r"from gradio_client import [^\n]*\butils\b",
]
CHECKED = ["app.py", "ui", "access", "model", "history", "provenance", "bench"]


def test_gradio_private_names_appear_in_the_door_only():
    files = [ROOT / name for name in CHECKED if name.endswith(".py")]
    files += sorted(path for name in CHECKED if not name.endswith(".py") for path in (ROOT / name).rglob("*.py"))
    found = {}
    for path in files:
        if path == DOOR_FILE:
            continue
        text = path.read_text()
        names = [pattern for pattern in PRIVATE_GRADIO_NAMES if re.search(pattern, text)]
        if names:
            found[str(path.relative_to(ROOT))] = names
    assert found == {}
    door_text = DOOR_FILE.read_text()
    assert [pattern for pattern in PRIVATE_GRADIO_NAMES if not re.search(pattern, door_text)] == []
