"""Gradio's upload and call routes behind Reel's upload budget, and the pruning of what uploads store.

`upload_guard(runtime)` gives `launch(app_kwargs=...)` an ASGI middleware and a lifespan, Gradio's own way to
add to the app it builds: the middleware runs before any route and the lifespan beside the server.

* POST /gradio_api/upload and /gradio_api/component_server (both parse multipart bodies into temporary files
  before anything else runs) are counted against `access.uploads.UploadAllowance`, per client as
  `access.lockout.client_id` names it. A request over the budget is refused before its body is read, or cut at
  the chunk that does not fit (`UploadCut`, a `ui.gradio_internals.MultipartAbort`): Gradio's parser then deletes
  what it had written, and the client gets HTTP 429 (413 for a request larger than a client's whole budget) with
  the limit and when to try again.
* An upload that ends early (the client went away) is ended the same way, so its temporary files go too; left
  to Gradio, they would stay in the cache for good.
* Each finished upload is moved into its own folder (`access.upload_store.UploadStore.adopt`) and the answer
  names the new path; the lifespan prunes that folder every quarter window (at most 60 s apart), sparing uploads
  that a queued or running job still names, and with it the files Gradio's MCP server decodes from `data:`
  addresses into the cache before any token is checked.
* Every other request body (POST, PUT, PATCH, DELETE) counts in the same budget, plus `PART_COST` once, and
  one body may carry at most `UploadLimits.call_bytes`: above all gradio 6.31's call routes
  (/gradio_api/queue/join, /call/<api>, /call/v2/<api>, /run/<api>, /api/<api>, /stream/<event>) and its MCP
  server (/gradio_api/mcp/), whose JSON may inline a picture as a `data:` address. Their refusals are JSON
  `{"detail": ...}`, which Gradio's page shows as the call's error. Of the calls, only an MCP tool call writes
  a file (its picture, pruned as above: hence `PART_COST`); `ui.components.PictureUpload` reads an inline
  picture from memory, and `UploadedFiles` drops the empty temporary file the stock file input leaves per file
  per call.
* POST /gradio_api/process_recording (Gradio's screen recorder) is refused: Reel has no recording input, and the
  route keeps a copy of every body it parses in the system temp folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from dataclasses import dataclass

from python_multipart.multipart import parse_options_header
from starlette.datastructures import Headers
from starlette.middleware import Middleware

from access import client_id
from access.upload_store import UploadStore
from access.uploads import PART_COST, PartCounter, Refusal, UploadAllowance

from .gradio_internals import (
    GRADIO_CACHE_NAMING,
    MultipartAbort,
    blocks_of_app,
    event_inputs,
    queue_events,
    upload_answer,
    upload_answer_paths,
)

logger = logging.getLogger("reel.uploads")

API = "/gradio_api"
UPLOAD_ROUTE = API + "/upload"
UPLOAD_ROUTES = frozenset({UPLOAD_ROUTE, API + "/component_server"})  # multipart into files: the upload cap
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFUSED_ROUTES = frozenset({API + "/process_recording"})
RECORDING_REFUSED = Refusal(404, "Screen recording is not available on this Space.")
INTERRUPTED = "The upload ended before its last byte."


class UploadCut(MultipartAbort):
    """Raised from the body stream inside Gradio's multipart parser, which then deletes its temporary files; the
    route answers with a response the guard replaces."""


@dataclass
class _Cut:
    refusal: Refusal | None = None
    interrupted: bool = False
    body_done: bool = False

    @property
    def happened(self) -> bool:
        return self.refusal is not None or self.interrupted


def route_of(scope) -> str:
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    return path.rstrip("/") or "/"


def declared_length(headers: Headers) -> int | None:
    text = headers.get("content-length", "")
    return int(text) if text.isascii() and text.isdigit() else None


def part_counter(headers: Headers) -> PartCounter | None:
    content_type, options = parse_options_header(headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    return PartCounter(boundary) if content_type == b"multipart/form-data" and boundary else None


async def answer(send, refusal: Refusal, as_json: bool = False) -> None:
    """Plain text for uploads (Gradio's page shows "HTTP <status>: <body>"); `{"detail": message}` for calls
    (Gradio's page shows the detail as the call's error)."""
    if as_json:
        body, kind = json.dumps({"detail": refusal.message}).encode(), b"application/json"
    else:
        body, kind = refusal.message.encode(), b"text/plain; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    if refusal.retry_after is not None:
        headers.append((b"retry-after", str(max(1, math.ceil(refusal.retry_after))).encode()))
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class UploadGuard:
    """ASGI middleware; see the module's docstring."""

    def __init__(self, app, *, allowance: UploadAllowance, store: UploadStore, trusted_proxy_hops: int) -> None:
        self.app = app
        self.allowance = allowance
        self.store = store
        self.trusted_proxy_hops = trusted_proxy_hops

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") not in BODY_METHODS:
            return await self.app(scope, receive, send)
        route = route_of(scope)
        if route in REFUSED_ROUTES:
            return await answer(send, RECORDING_REFUSED)
        is_upload = route in UPLOAD_ROUTES
        cap = self.allowance.upload_cap if is_upload else self.allowance.call_cap
        headers = Headers(scope=scope)
        peer = scope.get("client")
        client = client_id(headers, peer[0] if peer else None, self.trusted_proxy_hops)
        refusal = self.allowance.refusal_before(client, declared_length(headers), cap)
        if refusal is not None:
            return await answer(send, refusal, as_json=not is_upload)
        transfer = self.allowance.begin(client, cap)
        await self._counted(scope, receive, send, transfer, headers, route == UPLOAD_ROUTE, as_json=not is_upload)

    async def _counted(self, scope, receive, send, transfer, headers: Headers, adopt: bool, as_json: bool) -> None:
        parts = part_counter(headers)
        cut = _Cut()
        held: list[dict] = []  # the upload route's answer, held until its paths are moved

        first_chunk = True

        async def counted_receive():
            nonlocal first_chunk
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                # A file per multipart part; one for any other body, as an MCP tool call writes its picture.
                files = parts.feed(body) if parts is not None else int(first_chunk)
                first_chunk = False
                cost = len(body) + files * PART_COST
                cut.body_done = not message.get("more_body", False)
                cut.refusal = transfer.take(cost)
                if cut.refusal is not None:
                    raise UploadCut(cut.refusal.message)
            elif message["type"] == "http.disconnect" and not cut.body_done:
                cut.interrupted = True
                raise UploadCut(INTERRUPTED)
            return message

        async def guarded_send(message):
            if cut.happened:
                return  # Gradio's answer to a body it never got whole: ours replaces it
            if not adopt:
                return await send(message)
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                for outgoing in self._adopted(held):
                    await send(outgoing)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not cut.happened:
                raise
        finally:
            transfer.end()
        if cut.refusal is not None:
            await answer(send, cut.refusal, as_json)

    def _adopted(self, messages: list[dict]) -> list[dict]:
        """The upload route's answer with each stored file moved into the upload folder and named there."""
        start, bodies = messages[0], messages[1:]
        if start.get("type") != "http.response.start" or start.get("status") != 200:
            return messages
        paths = upload_answer_paths(b"".join(message.get("body", b"") for message in bodies))
        if paths is None:
            return messages
        body = upload_answer([self.store.adopt(path) for path in paths])
        headers = [(name, value) for name, value in start.get("headers", []) if name.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        return [{**start, "headers": headers}, {"type": "http.response.body", "body": body}]


def queued_upload_paths(blocks, store: UploadStore) -> set[str]:
    """Files in Gradio's cache (stored uploads above all) named by a job waiting in Gradio's queue or running:
    the pruning leaves them alone.

    Reads the queue's own records (`ui.gradio_internals.queue_events`, `event_inputs`): each event's inputs as
    sent, file inputs as {"path": ...}."""
    prefix = str(store.temp_dir) + "/"
    found: set[str] = set()
    for event in queue_events(blocks) or []:
        _collect_paths(event_inputs(event), prefix, found)
    return found


def _collect_paths(value, prefix: str, found: set[str]) -> None:
    if isinstance(value, str):
        if value.startswith(prefix):
            found.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_paths(item, prefix, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_paths(item, prefix, found)


def prune_every(window_seconds: float) -> float:
    """Often enough that the bound in docs/operating.md (Uploads) holds: at least once per window."""
    return min(60.0, max(0.25, window_seconds / 4))


def pruning_lifespan(store: UploadStore, interval: float):
    """A lifespan (FastAPI's `lifespan=`) that prunes the upload folder at start and every `interval` seconds."""

    async def prune_once(app) -> None:
        pinned = queued_upload_paths(blocks_of_app(app), store)  # on the event loop, where the queue changes
        report = await asyncio.to_thread(store.prune, pinned)
        if report.removed or report.leftovers or report.decoded:
            logger.info("Uploads pruned: %d file(s), %d bytes; %d unfinished upload(s) and %d decoded data: "
                        "address(es) removed; %d bytes kept", report.removed, report.removed_bytes,
                        report.leftovers, report.decoded, report.kept_bytes)

    async def keep_pruning(app) -> None:
        while True:
            try:
                await prune_once(app)
            except Exception:  # never let one bad pass stop the pruning for good
                logger.exception("Pruning uploads failed")
            await asyncio.sleep(interval)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        task = asyncio.create_task(keep_pruning(app))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan


def upload_guard(runtime) -> dict:
    """`app_kwargs` for `demo.launch`: the guard as middleware and the pruning as lifespan."""
    limits = runtime.uploads
    store = UploadStore(
        runtime.upload_dir, runtime.upload_dir.parent, naming=GRADIO_CACHE_NAMING, max_bytes=limits.store_bytes,
        keep_seconds=limits.window_seconds, lifetime_seconds=runtime.clip_lifetime_seconds,
    )
    guard = Middleware(UploadGuard, allowance=UploadAllowance(limits), store=store,
                       trusted_proxy_hops=runtime.trusted_proxy_hops)
    return {"middleware": [guard], "lifespan": pruning_lifespan(store, prune_every(limits.window_seconds))}
