"""Reel as an MCP server, the way an agent reaches it: the `mcp` Python client over streamable HTTP to a live app.

Three tools (generate, storyboard, history) described for agents; a clip comes back as a URL the agent can fetch;
a missing or wrong token gets Reel's own refusal as a tool error; the token is never echoed, in a result or in
the server's output.
"""

import ast
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
from conftest import running_server, typo_of

pytestmark = pytest.mark.live

CLIP = {"prompt": "A paper boat on a puddle", "seconds": 1, "steps": 2, "resolution": "square"}
MP4_URL = re.compile(r"https?://[^\s'\"]+\.mp4")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app as `make run` starts it without a GPU (the tiny LTX-2 preview), with its own lockout counters."""
    with running_server(tmp_path_factory.mktemp("mcp-server"), {"REEL_MODEL": "", "REEL_MODELS": ""}) as live:
        yield live


def with_session(server, work, headers=None):
    """Run `work(session)` in a fresh MCP session with the server, as an agent's client would."""

    async def run():
        async with httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30, read=300)) as http:
            async with streamable_http_client(server.url + "gradio_api/mcp/", http_client=http) as (read, write, _):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await work(session)

    return asyncio.run(run())


def text_of(result) -> str:
    return "\n".join(part.text for part in result.content if part.type == "text")


def fetched_clip(result) -> bytes:
    """The MP4 behind the URL the tool answered with, fetched as an agent would."""
    [url] = set(MP4_URL.findall(text_of(result)))
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    return response.content


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
    assert hidden.isError, "an endpoint left out is not callable as a tool either"
    generate, storyboard, history = by_name["generate"], by_name["storyboard"], by_name["history"]
    assert "MP4" in generate.description and "5 seconds" in generate.description and "URL" in generate.description
    assert "shots" in storyboard.description and "60 seconds" in storyboard.description
    assert "newest first" in history.description and "next_before" in history.description
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
    assert not plain.isError and not followed.isError, text_of(plain) + text_of(followed)
    assert fetched_clip(plain)[4:8] == b"ftyp" and fetched_clip(followed)[4:8] == b"ftyp", "MP4 files"
    assert "'seed': 7" in text_of(plain) and "'seed': 7" in text_of(followed), "the manifest comes along"
    assert progress, "progress reached the client"
    assert server.generation_count() == before + 2
    page = ast.literal_eval(text_of(listed))  # gradio 6.31 writes a dict output as Python's repr, not JSON
    assert [item["seed"] for item in page["items"]] == [7, 7]
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
    assert not from_picture.isError and "'mode': 'image-to-video'" in text_of(from_picture), text_of(from_picture)
    assert fetched_clip(from_picture)[4:8] == b"ftyp"
    assert from_address.isError and "does not fetch pictures" in text_of(from_address)
    assert not storyboard.isError and text_of(storyboard).count("'shot': ") == 2, text_of(storyboard)
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
    assert missing.isError and MISSING_TOKEN_MESSAGE in text_of(missing)
    assert wrong.isError and INVALID_TOKEN_MESSAGE in text_of(wrong)
    assert wrong_storyboard.isError and INVALID_TOKEN_MESSAGE in text_of(wrong_storyboard)
    assert no_history.isError and MISSING_TOKEN_MESSAGE in text_of(no_history)
    assert server.generation_count() == before
    assert_not_echoed(typo_of(token), [missing, wrong, wrong_storyboard, no_history], server)
