"""A refusal before the queue reads as Reel's own sentence in every client.

Reel refuses a call in its validators (`ui/studio/forms.py`, `validation`): before the call joins the queue, with
a message on each refused input. Gradio answers such a call with 422 and the list of every input's answer, which
the page and gradio_client (Python, and Gradio's MCP server through it) read input by input; but @gradio/client,
the JavaScript client, would make the whole list, as JSON, its Error's message, with Reel's sentence in one entry
of a dozen (`ui/gradio_internals.py` has the details).

No one answer reads well in both API clients: gradio_client needs the list, and @gradio/client shows anything but
a string as JSON. So this middleware gives @gradio/client, and only it (`is_gradio_js_client`), the same 422 with
the refused inputs' messages as one string, which it shows as they are: `Error.message` is Reel's sentence, and
`Error.code` stays "validation_error". The page, gradio_client, the MCP server and any other caller get Gradio's
answer untouched; nothing else changes, and the call is still refused before the queue.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware import Middleware

from .gradio_internals import (
    VALIDATION_REFUSED_STATUS,
    is_gradio_js_client,
    validation_refusal_as_text,
    validation_refusal_messages,
)
from .uploads import API, route_of

QUEUE_JOIN_ROUTE = API + "/queue/join"


def refusal_text(messages: list[str]) -> str:
    """The refused inputs' messages as one text, in the inputs' order, as the page's own summary joins them."""
    return " ".join(message.strip() for message in messages if message.strip())


class RefusalsAsText:
    """ASGI middleware; see the module's docstring."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or route_of(scope) != QUEUE_JOIN_ROUTE
            or not is_gradio_js_client(Headers(scope=scope))
        ):
            return await self.app(scope, receive, send)
        held: list[dict] = []  # a refusal's answer, held until its body is whole

        async def send_refusal_as_text(message):
            starts_refusal = message["type"] == "http.response.start" and message["status"] == VALIDATION_REFUSED_STATUS
            if not (held or starts_refusal):
                return await send(message)
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                for outgoing in as_text(held):
                    await send(outgoing)

        await self.app(scope, receive, send_refusal_as_text)


def as_text(messages: list[dict]) -> list[dict]:
    """A held 422 answer with its refused inputs' messages as its one string of detail; as it was when it holds
    none."""
    start, bodies = messages[0], messages[1:]
    refused = validation_refusal_messages(b"".join(message.get("body", b"") for message in bodies))
    text = refusal_text(refused or [])
    if not text:
        return messages
    body = validation_refusal_as_text(text)
    headers = [(name, value) for name, value in start.get("headers", []) if name.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    return [{**start, "headers": headers}, {"type": "http.response.body", "body": body}]


def refusals_as_text() -> Middleware:
    """The middleware for `launch(app_kwargs={"middleware": [...]})`."""
    return Middleware(RefusalsAsText)
