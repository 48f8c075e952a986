"""The one door to Gradio's internals: every use Reel makes of a Gradio structure that no public API covers.

Written for Gradio 6.31.0 (`GRADIO_VERSION_WRITTEN_FOR`); app.py calls `check_gradio_version()` at start, which
logs a warning naming both versions when another Gradio is installed. Each accessor below names the structure it
reads and why no public API does; when an upgrade has moved that structure, the accessor raises
`GradioInternalsChanged` (a RuntimeError) naming it, not a bare AttributeError deep in a handler.
tests/test_gradio_internals.py exercises each one against real Gradio objects, and fails if a private name shows
up anywhere else in Reel's code.

What is here, by who needs it:
- the queue (`ui/job_control.py`, `ui/uploads.py`): which events wait or run, each one's request, whether its
  client is still there, and its inputs;
- the app `launch` builds (`ui/mcp.py`, `ui/uploads.py`): the Blocks behind it, from inside a lifespan;
- the MCP server (`ui/mcp.py`): its tool table, what a tool call answers (results and errors), and the ASGI
  app behind its streamable HTTP address;
- a validator's refusal (`ui/refusals.py`): the queue's answer to it, and which client asked, since each client
  reads that answer its own way;
- uploads (`ui/uploads.py`, `access/upload_store.py` through `GRADIO_CACHE_NAMING`): the exception that makes
  Gradio's multipart parser delete its files, the upload route's answer, and how Gradio names files in its cache;
- components (`ui/components.py`): the cache-folder check, the file-path string type and path error Gradio's own
  inputs use, gradio_client's web-address and file-type checks, and the hook that downloads web addresses.

Not here: access/hf.py knows two fixed values of Gradio's local mock sign-in (`gradio.oauth._get_mocked_oauth_info`
puts them in every mock profile); they are plain values read from the public `gr.OAuthProfile`, and
tests/test_gradio_internals.py holds them to the installed Gradio.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Callable

import gradio
from gradio import exceptions as gradio_exceptions
from gradio import processing_utils as gradio_processing
from gradio import utils as gradio_utils
from gradio_client import utils as client_utils
from mcp import types as mcp_types
from starlette.formparsers import MultiPartException

from access.upload_store import CacheNaming

GRADIO_VERSION_WRITTEN_FOR = "6.31.0"
DOOR = "ui/gradio_internals.py"

logger = logging.getLogger("reel.app")


class GradioInternalsChanged(RuntimeError):
    """A Gradio structure Reel reads is not where this module expects it: the installed Gradio differs."""


def _changed(structure: str) -> GradioInternalsChanged:
    return GradioInternalsChanged(
        f"Gradio {gradio.__version__} has no {structure}, which Reel reads ({DOOR} was written for Gradio "
        f"{GRADIO_VERSION_WRITTEN_FOR}): review {DOOR} against the installed Gradio."
    )


def check_gradio_version(installed: str | None = None) -> bool:
    """At start: whether the installed Gradio is the one this module was written for. Another version only logs a
    warning, since most upgrades keep these structures; the accessors fail clearly if one has moved."""
    installed = gradio.__version__ if installed is None else installed
    if installed == GRADIO_VERSION_WRITTEN_FOR:
        return True
    logger.warning(
        "Gradio %s is installed, but %s was written for Gradio %s: review %s (every use Reel makes of Gradio's "
        "private structures) against Gradio %s.",
        installed, DOOR, GRADIO_VERSION_WRITTEN_FOR, DOOR, installed,
    )
    return False


# -- the queue ---------------------------------------------------------------------------------------------------
# Gradio offers no public view of its queue's events (the /queue/status route gives a count only). Gradio changes
# these structures on the event loop, between awaits, so reading them there sees them whole.


def queue_events(blocks) -> list | None:
    """Every event in `blocks`' queue, waiting or running; None without a Blocks.

    Reads `Blocks._queue` (made by `Blocks.queue()`), its `event_queue_per_concurrency_id[...].queue` (the waiting
    events, per concurrency group) and its `active_jobs` (a list of running batches, None for a free worker)."""
    if blocks is None:
        return None
    try:
        queue = blocks._queue
    except AttributeError:
        raise _changed("Blocks._queue (the queue Blocks.queue() makes)") from None
    try:
        waiting = [event for line in queue.event_queue_per_concurrency_id.values() for event in line.queue]
        running = [event for batch in queue.active_jobs if batch for event in batch]
    except AttributeError:
        raise _changed("Queue.event_queue_per_concurrency_id[...].queue or Queue.active_jobs") from None
    return waiting + running


def event_request(event):
    """The starlette request that queued `event` (`Event.request`): the same object a handler gets as
    `gr.Request.request`, so a key its validator left in the request's `state` names the event."""
    try:
        return event.request
    except AttributeError:
        raise _changed("Event.request (a queue event's HTTP request)") from None


def event_client_alive(event) -> bool:
    """False once the client that queued `event` went away (`Event.alive`): Gradio lets a running handler go on,
    and no public API tells the handler."""
    try:
        return event.alive
    except AttributeError:
        raise _changed("Event.alive (whether a queue event's client is still there)") from None


def event_inputs(event):
    """The inputs `event` was queued with, as sent (`Event.data.data`; file inputs as {"path": ...}), or None
    while Gradio has not attached them."""
    try:
        body = event.data
        return None if body is None else body.data
    except AttributeError:
        raise _changed("Event.data.data (a queue event's inputs)") from None


# -- the app launch builds ---------------------------------------------------------------------------------------


def blocks_of_app(app):
    """The Blocks served by `app`, the FastAPI app Gradio builds and passes to `launch(app_kwargs={"lifespan":
    ...})`'s lifespan (`App.get_blocks()`): the lifespan gets nothing else."""
    try:
        return app.get_blocks()
    except AttributeError:
        raise _changed("App.get_blocks() (the Blocks behind the app launch builds)") from None


# -- the MCP server ----------------------------------------------------------------------------------------------
# Gradio 6.31 makes every public endpoint an MCP tool and has no per-event switch to leave one out (marking a
# function with `gr.mcp.resource` or `gr.mcp.prompt` makes it one of those instead).


def mcp_tool_table(blocks) -> dict[str, str] | None:
    """A copy of the launched MCP server's tool table, tool name -> endpoint ("/generate"); None without MCP.

    Reads `Blocks.mcp_server_obj` (set while `launch(mcp_server=True)` builds the app) and its `tool_to_endpoint`,
    which both listing and calling tools read."""
    server = _mcp_server(blocks)
    if server is None:
        return None
    try:
        return dict(server.tool_to_endpoint)
    except AttributeError:
        raise _changed("GradioMCPServer.tool_to_endpoint (the MCP tool table)") from None


def replace_mcp_tool_table(blocks, table: dict[str, str]) -> None:
    """Make `table` the launched MCP server's tool table: a tool left out is neither listed nor callable."""
    server = _mcp_server(blocks)
    if server is None:
        raise ValueError("this Blocks has no MCP server")
    if not hasattr(server, "tool_to_endpoint"):
        raise _changed("GradioMCPServer.tool_to_endpoint (the MCP tool table)")
    server.tool_to_endpoint = dict(table)


def _mcp_server(blocks):
    try:
        return blocks.mcp_server_obj
    except AttributeError:
        raise _changed("Blocks.mcp_server_obj (the MCP server launch builds)") from None


def mcp_http_app(blocks):
    """The ASGI app behind the launched MCP server's streamable HTTP transport (`GradioMCPServer.
    handle_streamable_http`). Gradio mounts it under /gradio_api/mcp/, so the address without the slash only gets
    Starlette's 307 to it; the app itself answers a path ending in /gradio_api/mcp as well."""
    server = _mcp_server(blocks)
    if server is None:
        raise ValueError("this Blocks has no MCP server")
    try:
        return server.handle_streamable_http
    except AttributeError:
        raise _changed("GradioMCPServer.handle_streamable_http (the streamable HTTP transport)") from None


# How gradio 6.31 answers a tool call. `GradioMCPServer.create_mcp_server` registers one call_tool function with
# the `mcp` library's low-level server (`Server.request_handlers[CallToolRequest]`, which wraps it and turns an
# exception into an error result holding `str(exception)`). The function runs the endpoint (queued ones through
# gradio_client over HTTP) and hands the outputs to `GradioMCPServer.postprocess_output_data(data, root_url)`,
# which makes a text item of `str(output)`: a Python repr for a dict, not JSON. `data` is the list of outputs,
# except on the queued path without a progress token, where it is `[job.result()]`: the one output, or a tuple of
# all of them. Errors read as gradio_client words them: a validator's refusal as "N parameter(s) failed
# validation:" and a line "- name: message" per parameter; a gr.Error raised in the handler as its message, or as
# "Error: message" when the client asked for progress.
_TOOL_CALLED: contextvars.ContextVar[str | None] = contextvars.ContextVar("reel_mcp_tool_called", default=None)
_VALIDATION_HEADER = re.compile(r"\d+ parameter\(s\) failed validation:")
_VALIDATION_LINE = re.compile(r"- ([A-Za-z_][A-Za-z0-9_]*): (.*)")


def answer_mcp_tools_with(
    blocks,
    result: Callable[[str, list], str],
    error: Callable[[str, dict[str, str]], str],
) -> None:
    """Make every answer of the launched MCP server's tools one text item of Reel's own.

    `result(endpoint, outputs)` gives a tool's result: `endpoint` as in the tool table ("/generate"), `outputs` the
    endpoint's outputs in order, each file as the URL the agent can fetch it from. `error(message, invalid)` gives
    a tool error's (refusals, failures, an unknown tool, arguments the tool's schema refuses): `message` the text
    the stock server would have sent, `invalid` parameter -> message when a validator refused the call (then
    `message` is those messages, without gradio_client's header). Neither changes what the endpoints answer
    gradio_client or the page.

    Replaces `postprocess_output_data` on the server object and wraps the low-level server's CallToolRequest handler,
    which names the tool being called for the former (in a context variable: both run in the request's task)."""
    server = _mcp_server(blocks)
    if server is None:
        raise ValueError("this Blocks has no MCP server")
    try:
        handlers = server.mcp_server.request_handlers
        stock_call = handlers[mcp_types.CallToolRequest]
        endpoints = server.api_info["named_endpoints"]
    except (AttributeError, KeyError, TypeError):
        raise _changed("GradioMCPServer.api_info or .mcp_server.request_handlers[CallToolRequest]") from None
    if not hasattr(server, "postprocess_output_data"):
        raise _changed("GradioMCPServer.postprocess_output_data (how a tool's outputs become its answer)")

    def postprocess_output_data(data, root_url: str) -> list:
        endpoint = server.tool_to_endpoint.get(_TOOL_CALLED.get())
        data = gradio_processing.add_root_url(data, root_url, None)  # as the stock method does first
        count = len(endpoints.get(endpoint, {}).get("returns", [])) if endpoint else len(data)
        if count != 1 and len(data) == 1 and isinstance(data[0], list):
            data = data[0]  # [job.result()], the tuple made a list by add_root_url
        outputs = [_file_url(output) if client_utils.is_file_obj_with_meta(output) else output for output in data]
        return [mcp_types.TextContent(type="text", text=result(endpoint or "", outputs))]

    async def call_tool(request):
        called = _TOOL_CALLED.set(request.params.name)
        try:
            answer = await stock_call(request)
        finally:
            _TOOL_CALLED.reset(called)
        answered = answer.root
        if not (isinstance(answered, mcp_types.CallToolResult) and answered.isError):
            return answer
        text = "\n".join(part.text for part in answered.content if isinstance(part, mcp_types.TextContent))
        message, invalid = _tool_error(text)
        return mcp_types.ServerResult(
            mcp_types.CallToolResult(
                content=[mcp_types.TextContent(type="text", text=error(message, invalid))], isError=True
            )
        )

    server.postprocess_output_data = postprocess_output_data
    handlers[mcp_types.CallToolRequest] = call_tool


def _file_url(file: dict) -> str | None:
    """A file output's address, as the stock method names it (its URL, else its path)."""
    return file.get("url") or file.get("path")


def _tool_error(text: str) -> tuple[str, dict[str, str]]:
    """(message, invalid) from the text of a tool error, as gradio_client and Gradio's MCP server word it."""
    header, _, rest = text.strip().partition("\n")
    if _VALIDATION_HEADER.fullmatch(header.strip()):
        invalid: dict[str, str] = {}
        name = None
        for line in rest.splitlines():
            named = _VALIDATION_LINE.fullmatch(line)
            if named:
                name = named.group(1)
                invalid[name] = named.group(2)
            elif name is not None:  # a message of several lines
                invalid[name] += "\n" + line
        if invalid:
            return " ".join(invalid.values()), invalid
    return text.removeprefix("Error: "), {}


# -- a validator's refusal, as each client reads it (ui/refusals.py) ---------------------------------------------
# POST /gradio_api/queue/join answers a call its validator refused with 422 and {"detail": [...]}: one entry per
# input, in the event's inputs' order (`queueing.process_validation_response`), each {"__type__": "validate",
# "is_valid": ..., "message": ..., "parameter_name": ...}. Three clients read that answer, each its own way:
# - the page (its requests say `x-gradio-user: app`) puts each refused entry's message on the input at its index;
# - gradio_client, Python (`x-gradio-user: api`, or `mcp` for the calls Gradio's MCP server makes through it; user
#   agent `gradio_client/...`), raises ValidationError("N parameter(s) failed validation:" and "- name: message"
#   per refused entry) from `utils.extract_validation_message`, which reads the detail as a list of dicts: any
#   other detail is an AttributeError inside the client;
# - @gradio/client 2.7, JavaScript (`x-gradio-user: api`, through fetch()), rejects `predict` with an Error whose
#   message is the detail when it is a string, and otherwise JSON.stringify(detail): the whole list, every valid
#   input included (`utils/submit.ts` at status 422, `utils/predict.ts`). A gr.Error raised in a handler reaches it
#   as its message alone.
VALIDATION_REFUSED_STATUS = 422
GRADIO_CLIENT_AGENT = "gradio_client/"  # how gradio_client's user agent begins (huggingface_hub's build_hf_headers)


def validation_refusal_messages(body: bytes) -> list[str] | None:
    """The refused inputs' messages, in the inputs' order, from the queue's 422 answer to a call its validator
    refused; None when `body` is not such an answer (or refuses nothing)."""
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return None
    if not isinstance(detail, list) or not all(isinstance(entry, dict) for entry in detail):
        return None
    messages = [
        str(entry.get("message", "")) for entry in detail
        if entry.get("__type__") == "validate" and entry.get("is_valid") is False
    ]
    return messages or None


def validation_refusal_as_text(message: str) -> bytes:
    """The queue's 422 answer with `message` as its whole detail: the text @gradio/client makes its Error's
    message (and still marks the Error with `code: "validation_error"`)."""
    return json.dumps({"detail": message}).encode()


def is_gradio_js_client(headers) -> bool:
    """Whether a call to the queue comes from @gradio/client called by a program (Node or a web page), which
    would show a validator's refusal as JSON: it says `x-gradio-user: api` as gradio_client does, and sends
    through fetch(), which adds `sec-fetch-mode` (every browser's, and Node's) and which httpx, under
    gradio_client, never sends. The page says `app`, and calls through gradio_client (the MCP server's among
    them) keep their user agent; both read the list and keep it. `headers`: the request's, as Starlette's `Headers`
    (names in any case)."""
    return (
        headers.get("x-gradio-user") == "api"
        and "sec-fetch-mode" in headers
        and not headers.get("user-agent", "").startswith(GRADIO_CLIENT_AGENT)
    )


# -- uploads -----------------------------------------------------------------------------------------------------


class MultipartAbort(MultiPartException):
    """Raise it from a request's body stream to stop Gradio's multipart parser (gradio 6.31
    `route_utils.GradioMultiPartParser.parse`, behind /gradio_api/upload and /component_server): for exactly
    this exception type the parser deletes the temporary files it had written, and the route answers 400 or 413.
    Any other exception leaves them in the cache for good."""


def upload_answer_paths(body: bytes) -> list[str] | None:
    """The stored files' paths in the upload route's answer (POST /gradio_api/upload answers a JSON list of the
    paths it wrote, which the page and gradio_client send back as inputs), or None when `body` is not that."""
    try:
        paths = json.loads(body)
    except ValueError:
        return None
    if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
        return None
    return paths


def upload_answer(paths: list[str]) -> bytes:
    """The upload route's answer naming `paths` instead."""
    return json.dumps(paths).encode()


# How Gradio names what it writes in its cache (GRADIO_TEMP_DIR); no API says, and nothing else tells an upload
# from a cached clip.
GRADIO_UPLOAD_FOLDER = re.compile(r"[0-9a-f]{64}", re.ASCII)  # an upload's folder: the sha256 of its bytes
GRADIO_LEFTOVER = re.compile(r"tmp[a-z0-9_]{8}", re.ASCII)  # the parser's tempfile.NamedTemporaryFile, mid-upload
# What processing_utils.save_base64_to_cache names a file decoded from a data: address when given no name (the
# MCP server decodes a tool call's picture so, into <cache>/<sha256>/, before any token is checked).
GRADIO_DECODED = re.compile(r"file(\.[A-Za-z0-9.+-]{1,24})?", re.ASCII)
GRADIO_CACHE_NAMING = CacheNaming(
    upload_folder=GRADIO_UPLOAD_FOLDER, unfinished_upload=GRADIO_LEFTOVER, decoded_file=GRADIO_DECODED
)


# -- components --------------------------------------------------------------------------------------------------
# A component's `preprocess`, `api_info` and `data_model` are the public custom-component API; what Reel's
# components need besides is below.


def is_in_gradio_cache(component, path: str) -> bool:
    """Whether `path` lies in `component`'s cache folder (`Component.GRADIO_CACHE`, compared as Gradio's own
    inputs compare it, `gradio.utils.is_in_or_equal`): only files Gradio stored there are read."""
    try:
        cache = component.GRADIO_CACHE
        is_in_or_equal = gradio_utils.is_in_or_equal
    except AttributeError:
        raise _changed("Component.GRADIO_CACHE or gradio.utils.is_in_or_equal") from None
    return is_in_or_equal(path, cache)


def not_uploaded_error(path: str) -> Exception:
    """The error Gradio's own inputs raise for a path outside its cache (`gradio.exceptions.InvalidPathError`),
    so Reel's inputs answer as stock ones do."""
    try:
        invalid_path_error = gradio_exceptions.InvalidPathError
    except AttributeError:
        raise _changed("gradio.exceptions.InvalidPathError") from None
    return invalid_path_error(f"{path} was not uploaded.")


def file_path_value(path: str) -> str:
    """A file path as the stock file input hands it to a handler (`gradio.utils.NamedString`: a str with a
    `.name`), so a handler cannot tell Reel's input from the stock one."""
    try:
        named_string = gradio_utils.NamedString
    except AttributeError:
        raise _changed("gradio.utils.NamedString") from None
    return named_string(path)


def is_web_address(value) -> bool:
    """Whether `value` is an http(s) address, as Gradio decides it before fetching one
    (`gradio_client.utils.is_http_url_like`)."""
    try:
        is_http_url_like = client_utils.is_http_url_like
    except AttributeError:
        raise _changed("gradio_client.utils.is_http_url_like") from None
    return is_http_url_like(value)


def has_allowed_file_type(path: str, file_types: list[str]) -> bool:
    """Whether `path` is one of `file_types` ("image", ".mp4", ...), as the stock file input decides it
    (`gradio_client.utils.is_valid_file`)."""
    try:
        is_valid_file = client_utils.is_valid_file
    except AttributeError:
        raise _changed("gradio_client.utils.is_valid_file") from None
    return is_valid_file(path, file_types)


def web_addresses_not_fetched(component_class):
    """Class decorator: `component_class` hands a web address given as its value on as sent instead of
    downloading it into the cache; files are moved into the cache as the stock component moves them.

    Gradio downloads an input's web address while preparing the inputs, before any validator, through
    `Block.async_move_resource_to_block_cache` (and `move_resource_to_block_cache` outside a request); no
    component option turns that off."""
    try:
        stock_async = component_class.async_move_resource_to_block_cache
        stock_sync = component_class.move_resource_to_block_cache
    except AttributeError:
        raise _changed("Block.async_move_resource_to_block_cache / move_resource_to_block_cache") from None

    async def async_move_resource_to_block_cache(self, url_or_file_path):
        if is_web_address(url_or_file_path):
            return url_or_file_path
        return await stock_async(self, url_or_file_path)

    def move_resource_to_block_cache(self, url_or_file_path):
        if is_web_address(url_or_file_path):
            return url_or_file_path
        return stock_sync(self, url_or_file_path)

    component_class.async_move_resource_to_block_cache = async_move_resource_to_block_cache
    component_class.move_resource_to_block_cache = move_resource_to_block_cache
    return component_class
