"""What Reel offers agents over MCP: `launch(mcp_server=True)` serves streamable HTTP at /gradio_api/mcp/.

Gradio makes every public endpoint a tool, each described by its handler's docstring (`Args:` become the parameter
descriptions), and 6.31 has no per-event switch to leave one out. Reel offers three: generate, storyboard and
history. `/reproduce` and `/extend` stay API-only because they work on Reel's video files, which an agent could
only send as data: URLs of megabytes (Reel never fetches web addresses); `/history_video` because generate and
storyboard answer with the video's address; `/history_delete` because deleting is for a person to decide. All
four stay public for gradio_client and on the API page, which `api_visibility="undocumented"` would take them off.

The token travels as the `access_token` parameter or as the header `Authorization: Bearer reel_...`: gradio
forwards the MCP request's headers to the queued call, where admission reads them like any API call's.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import gradio as gr

from .gradio_internals import blocks_of_app, mcp_tool_table, replace_mcp_tool_table

MCP_TOOLS = ("generate", "storyboard", "history")
MCP_PATH = "/gradio_api/mcp/"

logger = logging.getLogger("reel.app")


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


@contextlib.asynccontextmanager
async def tools_lifespan(app) -> AsyncIterator[None]:
    """For `launch(app_kwargs={"lifespan": ...})`: gradio enters it after building the MCP server and before the
    first request is served, so no client ever sees the other endpoints as tools."""
    logger.info("MCP tools: %s", ", ".join(offer_only(blocks_of_app(app))) or "none")
    yield


def quiet_mcp_logs() -> None:
    """The MCP library logs a line per HTTP request at INFO ("Terminating session: None"); warnings still show."""
    logging.getLogger("mcp").setLevel(logging.WARNING)
