"""What Reel adds to the FastAPI app Gradio builds, in one place: `launch(app_kwargs=server_hooks(runtime))`.

Gradio takes one `lifespan` and a list of middleware; Reel has two lifespans (the upload folder's pruning and the
MCP tool table) and two middleware (the upload budget, and a validator's refusal as text for the JavaScript
client), so they are joined here rather than in app.py.
"""

from __future__ import annotations

import contextlib

from .mcp import tools_lifespan
from .refusals import refusals_as_text
from .uploads import upload_guard


def chained(*lifespans):
    """One lifespan that enters `lifespans` in order and leaves them in reverse."""

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async with contextlib.AsyncExitStack() as stack:
            for each in lifespans:
                await stack.enter_async_context(each(app))
            yield

    return lifespan


def server_hooks(runtime) -> dict:
    """`app_kwargs` for `demo.launch`: the upload guard's middleware and the refusals' (ui/refusals.py), then the
    MCP tool table and the pruning."""
    guard = upload_guard(runtime)
    return {
        "middleware": [*guard["middleware"], refusals_as_text()],
        "lifespan": chained(tools_lifespan, guard["lifespan"]),
    }
