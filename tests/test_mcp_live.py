"""Reel as an MCP server, the way an agent reaches it: the `mcp` Python client over streamable HTTP to a live app,
at the address Reel prints (`ui.mcp.mcp_address`, which app.py logs at start).

Three tools (generate, storyboard, history) described for agents; every answer is one text item holding JSON, a
refusal's too; a clip comes back as a URL the agent can fetch, with its seed, model, length, sound and manifest; a
missing or wrong token gets Reel's own refusal as a tool error, which leaves no 422 in the server's log; the token
is never echoed, in a result or in the server's output.
"""

import asyncio
import base64
import io
import json
import re

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from PIL import Image

from access import INVALID_TOKEN_MESSAGE, MISSING_TOKEN_MESSAGE
from conftest import running_process, running_server, typo_of, wait_for
from ui.mcp import mcp_address

pytestmark = pytest.mark.live

CLIP = {"prompt": "A paper boat on a puddle", "seconds": 1, "steps": 2, "resolution": "square"}
REFUSED_JOIN = re.compile(r'POST \S*/gradio_api/queue/join "HTTP/1\.1 422')


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app as `make run` starts it without a GPU (the tiny LTX-2 preview), with its own lockout counters."""
    with running_server(tmp_path_factory.mktemp("mcp-server"), {"REEL_MODEL": "", "REEL_MODELS": ""}) as live:
        yield live


def with_session(server, work, headers=None, address=None):
    """Run `work(session)` in a fresh MCP session with the server at the address Reel prints (or `address`), as an
    agent's client would. The httpx client follows no redirect, as httpx's default."""

    async def run():
        async with httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30, read=300)) as http:
            async with streamable_http_client(address or mcp_address(server.url), http_client=http) as streams:
                async with ClientSession(streams[0], streams[1]) as session:
                    await session.initialize()
                    return await work(session)

    return asyncio.run(run())


def text_of(result) -> str:
    return "\n".join(part.text for part in result.content if part.type == "text")


def answer_of(result):
    """The tool's answer: exactly one text item, holding JSON."""
    [part] = result.content
    assert part.type == "text"
    return json.loads(part.text)


def fetched_clip(result) -> bytes:
    """The MP4 behind the URL the tool answered with, fetched as an agent would."""
    url = answer_of(result)["video_url"]
    assert url.startswith("http") and url.endswith(".mp4")
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    return response.content


def assert_a_clip(result, **manifest) -> dict:
    """A video tool's JSON answer: the MP4's URL, its length, seed, model and sound, and the manifest they come
    from, with the fields given."""
    answer = answer_of(result)
    assert not result.isError, answer
    assert set(answer) == {"video_url", "seconds", "seed", "model", "sound", "manifest"}
    recorded = answer["manifest"]
    assert answer["seed"] == recorded["seed"] and answer["model"] == recorded["model"] == "tiny-ltx2"
    assert answer["seconds"] == pytest.approx(recorded["num_frames"] / recorded["fps"], abs=0.001)
    assert answer["sound"] is True and recorded["sound"]["codec"] == "aac"  # the preview makes sound
    assert {key: recorded[key] for key in manifest} == manifest
    return answer


def refusal_of(result) -> dict:
    """A tool error's JSON answer: {"error": ...}, with {"invalid": {...}} for refused parameters."""
    answer = answer_of(result)
    assert result.isError and isinstance(answer["error"], str) and answer["error"]
    assert set(answer) <= {"error", "invalid"}
    return answer


def assert_not_echoed(token: str, results: list, server) -> None:
    """Neither the tool results nor the server's output (stdout and stderr) hold the token."""
    assert not [result for result in results if token in text_of(result)]
    assert token not in server.log_text()


def test_the_tools_are_generate_storyboard_and_history_described_for_agents(server):
    async def work(session):
        return (await session.list_tools()).tools, await session.call_tool("history_delete", {"id": "x"})

    tools, hidden = with_session(server, work)
    by_name = {tool.name: tool for tool in tools}
    assert set(by_name) == {"generate", "storyboard", "history"}
    assert "history_delete" in refusal_of(hidden)["error"], "an endpoint left out is not callable as a tool either"
    generate, storyboard, history = by_name["generate"], by_name["storyboard"], by_name["history"]
    assert "MP4" in generate.description and "5 seconds" in generate.description and "URL" in generate.description
    assert "shots" in storyboard.description and "60 seconds" in storyboard.description
    assert "newest first" in history.description and "next_before" in history.description
    for tool in tools:  # each says what its JSON answer holds
        assert "JSON" in tool.description and '{"error": message}' in tool.description
    for tool in (generate, storyboard):
        assert all(f'"{key}"' in tool.description for key in ("video_url", "seconds", "seed", "model", "sound"))
    for tool in tools:
        token = tool.inputSchema["properties"]["access_token"]
        assert token["type"] == "string" and "Reel access token" in token["description"]
        assert "Authorization: Bearer" in token["description"]
    assert set(generate.inputSchema["properties"]["model"]["enum"]) == {"tiny-ltx2"}
    assert "data: URL" in generate.inputSchema["properties"]["image"]["description"]


def test_generate_with_a_token_returns_a_clip_the_agent_can_fetch(server):
    token = server.issue_token("agent")
    before = server.generation_count()
    progress: list[str] = []

    async def on_progress(done, total, message):
        progress.append(message or "")

    async def work(session):
        plain = await session.call_tool("generate", {**CLIP, "seed": 7, "access_token": token})
        # A client that asks for progress gets its answer through another path in gradio.
        followed = await session.call_tool(
            "generate", {**CLIP, "seed": 7, "access_token": token}, progress_callback=on_progress
        )
        listed = await session.call_tool("history", {"access_token": token, "limit": 5})
        return plain, followed, listed

    plain, followed, listed = with_session(server, work)
    first = assert_a_clip(plain, seed=7, prompt=CLIP["prompt"], audio=True)
    again = assert_a_clip(followed, seed=7, prompt=CLIP["prompt"], audio=True)  # gradio's other path: the same
    assert first["video_url"] != again["video_url"] and first["seconds"] == again["seconds"] == pytest.approx(1.042)
    assert fetched_clip(plain)[4:8] == b"ftyp" and fetched_clip(followed)[4:8] == b"ftyp", "MP4 files"
    assert progress, "progress reached the client"
    assert server.generation_count() == before + 2
    page = answer_of(listed)
    assert not listed.isError and set(page) == {"items", "next_before"}
    assert [item["seed"] for item in page["items"]] == [7, 7]
    assert [item["manifest"] for item in page["items"]] == [again["manifest"], first["manifest"]]  # newest first
    assert_not_echoed(token, [plain, followed, listed], server)


def test_the_token_may_come_as_a_bearer_header_with_pictures_as_data_urls(server):
    token = server.issue_token("agent-header")
    picture = io.BytesIO()
    Image.new("RGB", (320, 320), (200, 120, 40)).save(picture, "PNG")
    data_url = "data:image/png;base64," + base64.b64encode(picture.getvalue()).decode()
    shots = json.dumps([{"prompt": "A lighthouse", "seconds": 1}, {"prompt": "Its lamp turns on", "seconds": 1}])

    async def work(session):
        return [
            await session.call_tool("generate", {**CLIP, "image": data_url}),
            await session.call_tool("generate", {**CLIP, "image": "https://example.com/start.png"}),
            await session.call_tool("storyboard", {"shots": shots, "steps": 2, "reference": data_url}),
        ]

    from_picture, from_address, storyboard = with_session(
        server, work, headers={"Authorization": f"Bearer {token}"}
    )
    assert_a_clip(from_picture, mode="image-to-video")
    assert fetched_clip(from_picture)[4:8] == b"ftyp"
    refused = refusal_of(from_address)
    assert "does not fetch pictures" in refused["error"] and set(refused["invalid"]) == {"image"}
    film = assert_a_clip(storyboard, kind="storyboard")
    assert [shot["shot"] for shot in film["manifest"]["shots"]] == [1, 2]
    assert film["seconds"] == pytest.approx(film["manifest"]["num_frames"] / 24, abs=0.001)
    assert fetched_clip(storyboard)[4:8] == b"ftyp"
    assert_not_echoed(token, [from_picture, from_address, storyboard], server)


def test_without_or_with_a_wrong_token_the_tool_returns_reels_refusal(server):
    token = server.issue_token("agent-refused")
    before = server.generation_count()

    async def ignore(done, total, message):
        pass

    async def work(session):
        return [
            await session.call_tool("generate", CLIP),
            # Asking for progress takes gradio's other path: the refusal is the same.
            await session.call_tool("generate", {**CLIP, "access_token": typo_of(token)}, progress_callback=ignore),
            await session.call_tool("storyboard", {"shots": json.dumps([{"prompt": "a", "seconds": 1}]),
                                                   "access_token": typo_of(token)}),
            await session.call_tool("history", {"access_token": ""}),
        ]

    missing, wrong, wrong_storyboard, no_history = with_session(server, work)
    # A validator's refusal (before the queue) names the parameter; history's comes from its handler.
    assert refusal_of(missing) == {"error": MISSING_TOKEN_MESSAGE, "invalid": {"access_token": MISSING_TOKEN_MESSAGE}}
    assert refusal_of(wrong) == {"error": INVALID_TOKEN_MESSAGE, "invalid": {"access_token": INVALID_TOKEN_MESSAGE}}
    assert refusal_of(wrong_storyboard)["invalid"] == {"access_token": INVALID_TOKEN_MESSAGE}
    assert refusal_of(no_history) == {"error": MISSING_TOKEN_MESSAGE}
    assert server.generation_count() == before
    assert_not_echoed(typo_of(token), [missing, wrong, wrong_storyboard, no_history], server)


def test_refused_tool_calls_leave_no_422_in_the_log_and_other_calls_still_log(server):
    token = server.issue_token("agent-quiet")

    async def ignore(done, total, message):
        pass

    async def work(session):
        return [
            await session.call_tool("generate", {**CLIP, "seconds": 99, "access_token": token}),
            await session.call_tool("generate", {**CLIP, "steps": 999}, progress_callback=ignore),
            await session.call_tool("history", {"access_token": token, "limit": 1}),
        ]

    too_long, too_many_steps, listed = with_session(server, work)
    assert set(refusal_of(too_long)["invalid"]) == {"seconds"}  # refused by the validator: a 422 on queue/join
    assert {"access_token", "steps"} <= set(refusal_of(too_many_steps)["invalid"])
    assert not listed.isError and answer_of(listed)["items"] == []
    log = server.log_text()
    assert not REFUSED_JOIN.search(log), "this module's refused calls left 422 lines"
    assert re.search(r'POST \S*/gradio_api/queue/join "HTTP/1\.1 200', log), "an accepted call still logs"


def test_the_printed_address_is_served_as_it_is_and_gradios_own_still_works(server):
    address = mcp_address(server.url)
    assert address == server.url + "gradio_api/mcp"  # no slash: the MCP inspector's CLI rewrites any other path
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}}
    answered = httpx.post(address, json=initialize, headers={"Accept": "application/json, text/event-stream"},
                          timeout=30)
    assert answered.status_code == 200, "served, not redirected to the address with a slash"
    assert httpx.get(address, timeout=30).status_code == 200  # a browser gets Gradio's page about the server

    async def work(session):
        return [tool.name for tool in (await session.list_tools()).tools]

    assert sorted(with_session(server, work, address=server.url + "gradio_api/mcp/")) == [
        "generate", "history", "storyboard"]  # the address Gradio prints still serves


@pytest.mark.process
def test_app_py_logs_the_address_an_agent_connects_through(tmp_path):
    """`python app.py` logs the MCP address; an agent's client connects through it as logged and reads JSON."""
    with running_process(tmp_path / "server") as app:
        token = app.issue_token("agent-process")
        wait_for(lambda: "MCP server for agents: " in app.log_text(), timeout=30)
        [address] = re.findall(r"MCP server for agents: (\S+)", app.log_text())
        assert address == app.url + "gradio_api/mcp"

        async def work(session):
            return [
                await session.call_tool("history", {"access_token": token}),
                await session.call_tool("generate", {**CLIP, "access_token": typo_of(token)}),
            ]

        listed, refused = with_session(app, work, address=address)
        assert answer_of(listed) == {"items": [], "next_before": None}
        assert refusal_of(refused)["invalid"] == {"access_token": INVALID_TOKEN_MESSAGE}
        assert not REFUSED_JOIN.search(app.log_text())
