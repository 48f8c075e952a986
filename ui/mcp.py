"""What Reel offers agents over MCP: `launch(mcp_server=True)` serves streamable HTTP, at the address `mcp_address`
gives (…/gradio_api/mcp, which app.py logs at start).

Gradio makes every public endpoint a tool, each described by its handler's docstring (`Args:` become the parameter
descriptions), and 6.31 has no per-event switch to leave one out. Reel offers three: generate, storyboard and
history. `/reproduce` and `/extend` stay API-only because they work on Reel's video files, which an agent could
only send as data: URLs of megabytes (Reel never fetches web addresses); `/history_video` because generate and
storyboard answer with the video's address; `/history_delete` because deleting is for a person to decide. All
four stay public for gradio_client and on the API page, which `api_visibility="undocumented"` would take them off.

Every answer is one text item holding JSON (`tool_result`, `tool_error`): Gradio 6.31 would write a dict output as
Python's repr (single quotes, None, True), which an agent cannot parse. gradio_client and the page get the
endpoints' outputs as before: only the MCP server's wording of them changes.

The address: Gradio prints …/gradio_api/mcp/ and mounts its server there. The MCP inspector's CLI (0.15) takes an
address whose path ends in /mcp as it is and replaces any other path with /mcp (a 404), and without the slash
Starlette answers every POST with a 307 to the slash, which only a client that follows redirects survives (httpx
does not by default). So Reel serves …/gradio_api/mcp itself, with Gradio's own transport, and prints that.

The token travels as the `access_token` parameter or as the header `Authorization: Bearer reel_...`: gradio
forwards the MCP request's headers to the queued call, where admission reads them like any API call's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
from collections.abc import AsyncIterator

import gradio as gr
from starlette.routing import Route

from .gradio_internals import (
    answer_mcp_tools_with,
    blocks_of_app,
    mcp_http_app,
    mcp_tool_table,
    replace_mcp_tool_table,
)

MCP_TOOLS = ("generate", "storyboard", "history")
VIDEO_TOOLS = ("generate", "storyboard")  # answer (video, manifest)
MCP_PATH = "/gradio_api/mcp"  # without the slash: the form every common client takes (module docstring)

logger = logging.getLogger("reel.app")


def mcp_address(local_url: str, space_host: str | None = None) -> str:
    """The address agents connect to: on a Space (`SPACE_HOST`, the first name when it lists a custom domain too)
    its https address, else the app's own `local_url`, followed by MCP_PATH."""
    if space_host and space_host.split(",")[0].strip():
        base = "https://" + space_host.split(",")[0].strip()
    else:
        base = local_url
    return base.rstrip("/") + MCP_PATH


def offer_only(demo: gr.Blocks, endpoints: tuple[str, ...] = MCP_TOOLS) -> list[str]:
    """Leave only `endpoints` in the launched MCP server's tool table: a left-out endpoint is neither listed nor
    callable as a tool. Returns the tools offered (none without MCP)."""
    table = mcp_tool_table(demo)
    if table is None:
        return []
    kept = {tool: endpoint for tool, endpoint in table.items() if endpoint.lstrip("/") in endpoints}
    replace_mcp_tool_table(demo, kept)
    offered = sorted(kept)
    if len(offered) != len(endpoints):
        logger.warning("MCP: expected the tools %s, found %s", ", ".join(endpoints), ", ".join(offered) or "none")
    return offered


def as_json(value) -> str:
    """`value` as JSON text; a float JSON has no word for (NaN, infinity) is written as null."""

    def finite(item):
        if isinstance(item, float) and not math.isfinite(item):
            return None
        if isinstance(item, dict):
            return {key: finite(each) for key, each in item.items()}
        if isinstance(item, (list, tuple)):
            return [finite(each) for each in item]
        return item

    return json.dumps(finite(value), ensure_ascii=False, allow_nan=False, default=str)


def video_result(video_url: str | None, manifest: dict) -> dict:
    """What generate and storyboard answer: where to fetch the MP4, the facts an agent asks first, the manifest."""
    manifest = manifest if isinstance(manifest, dict) else {}
    frames, fps = manifest.get("num_frames"), manifest.get("fps")
    numbers = all(isinstance(each, (int, float)) and not isinstance(each, bool) for each in (frames, fps))
    return {
        "video_url": video_url,
        "seconds": round(frames / fps, 3) if numbers and fps > 0 else None,
        "seed": manifest.get("seed"),
        "model": manifest.get("model"),
        "sound": isinstance(manifest.get("sound"), dict),  # the MP4 has a sound track
        "manifest": manifest,
    }


def tool_result(endpoint: str, outputs: list) -> str:
    """A tool's result as JSON: generate's and storyboard's `video_result`, history's page as it is."""
    if endpoint.lstrip("/") in VIDEO_TOOLS and len(outputs) == 2:
        return as_json(video_result(*outputs))
    return as_json(outputs[0] if len(outputs) == 1 else outputs)


def tool_error(message: str, invalid: dict[str, str]) -> str:
    """A tool error as JSON: {"error": Reel's message}, with {"invalid": {parameter: message}} when the call was
    refused for its parameters (a missing or wrong token is one: access_token)."""
    answer: dict = {"error": message}
    if invalid:
        answer["invalid"] = invalid
    return as_json(answer)


class _Asis:
    """An ASGI app as a route's endpoint: Starlette would take a plain function for a request handler."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)


@contextlib.asynccontextmanager
async def tools_lifespan(app) -> AsyncIterator[None]:
    """For `launch(app_kwargs={"lifespan": ...})`: gradio enters it after building the MCP server and before the
    first request is served, so no client ever sees the other endpoints as tools, a Python repr as an answer, or a
    redirect at MCP_PATH."""
    blocks = blocks_of_app(app)
    offered = offer_only(blocks)
    if offered:
        answer_mcp_tools_with(blocks, tool_result, tool_error)
        app.router.routes.append(Route(MCP_PATH, endpoint=_Asis(mcp_http_app(blocks)), include_in_schema=False))
    logger.info("MCP tools: %s", ", ".join(offered) or "none")
    yield


def is_refused_tool_call(record: logging.LogRecord) -> bool:
    """An httpx line for a refused tool call: Gradio's MCP server calls its own queue through gradio_client, whose
    httpx logs each request at INFO, and the queue answers a validator's refusal (a missing token, bad input) with
    422 on POST …/queue/join. Only that: any other status or route still logs."""
    args = record.args
    if record.name != "httpx" or not isinstance(args, tuple) or len(args) != 5:
        return False
    method, url, _, status, _ = args
    return method == "POST" and status == 422 and str(url).split("?")[0].endswith("/gradio_api/queue/join")


def quiet_mcp_logs() -> None:
    """The MCP library logs a line per HTTP request at INFO ("Terminating session: None"), and a refused tool call
    a 422 from the MCP server's own call to the queue (`is_refused_tool_call`): neither is the operator's concern,
    and the agent gets the refusal. Warnings and every other request still show."""
    logging.getLogger("mcp").setLevel(logging.WARNING)
    httpx_logger = logging.getLogger("httpx")
    if not any(each is _drop_refused_tool_calls for each in httpx_logger.filters):
        httpx_logger.addFilter(_drop_refused_tool_calls)


def _drop_refused_tool_calls(record: logging.LogRecord) -> bool:
    return not is_refused_tool_call(record)
