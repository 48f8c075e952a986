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
- the MCP server (`ui/mcp.py`): its tool table;
- uploads (`ui/uploads.py`, `access/upload_store.py` through `GRADIO_CACHE_NAMING`): the exception that makes
  Gradio's multipart parser delete its files, the upload route's answer, and how Gradio names files in its cache;
- components (`ui/components.py`): the cache-folder check, the file-path string type and path error Gradio's own
  inputs use, gradio_client's web-address and file-type checks, and the hook that downloads web addresses.

Not here: access/hf.py knows two fixed values of Gradio's local mock sign-in (`gradio.oauth._get_mocked_oauth_info`
puts them in every mock profile); they are plain values read from the public `gr.OAuthProfile`, and
tests/test_gradio_internals.py holds them to the installed Gradio.
"""

from __future__ import annotations

import json
import logging
import re

import gradio
from gradio import exceptions as gradio_exceptions
from gradio import utils as gradio_utils
from gradio_client import utils as client_utils
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
