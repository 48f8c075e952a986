"""Uploads without a token against live servers: a client's bytes are capped per window, whatever it claims or
forges, whether uploaded or sent inline in a call's JSON, and what is stored stays within the bound docs/operating.md
(Uploads) states.

Small settings keep it quick: 256 KB files, 1 MB per client and 2 MB for everyone per window, 600,000 bytes kept
past the window. Requests reach Reel through a pretend proxy (REEL_TRUSTED_PROXY_HOPS=1, as in
tests/test_proxy_live.py), so each test's clients have addresses of their own although all come from 127.0.0.1.
"""

import asyncio
import base64
import io
import json
import os
import re
import socket
import threading
import time

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.utils import Status
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from PIL import Image

from access.uploads import PART_COST, UploadLimits
from conftest import running_process, running_server, wait_for
from ui.gradio_internals import GRADIO_DECODED, GRADIO_LEFTOVER, GRADIO_UPLOAD_FOLDER

pytestmark = pytest.mark.live

FILE = 256 * 1024
LIMITS = {
    "REEL_UPLOAD_FILE_BYTES": str(FILE),
    "REEL_UPLOAD_BYTES_PER_WINDOW": str(1024 * 1024),
    "REEL_UPLOAD_TOTAL_BYTES_PER_WINDOW": str(2 * 1024 * 1024),
    "REEL_UPLOAD_STORE_BYTES": "600000",
    "REEL_TRUSTED_PROXY_HOPS": "1",
    "FORWARDED_ALLOW_IPS": "",
}
STORE_BYTES = 600000
BOUND = UploadLimits.from_env({**LIMITS, "REEL_UPLOAD_WINDOW_SECONDS": "1"}).disk_bound  # docs/operating.md's formula
CALL_CAP = UploadLimits.from_env(LIMITS).call_bytes  # 415,064 bytes: 256 KB in base64 and 64 KB
QUICK = {"prompt": "a kite over a beach", "seconds": 0.5, "steps": 2, "seed": 3}


@pytest.fixture(scope="module")
def slow_window(tmp_path_factory):
    """A one-minute window: nothing leaves it while a test runs. Room for everyone together to last all tests."""
    settings = {**LIMITS, "REEL_UPLOAD_WINDOW_SECONDS": "60", "REEL_UPLOAD_TOTAL_BYTES_PER_WINDOW": str(16 * 1024**2)}
    with running_server(tmp_path_factory.mktemp("uploads-minute"), settings) as server:
        yield server


@pytest.fixture(scope="module")
def fast_window(tmp_path_factory):
    """A one-second window, pruned four times a second: many windows pass in one test."""
    with running_server(tmp_path_factory.mktemp("uploads-second"), {**LIMITS, "REEL_UPLOAD_WINDOW_SECONDS": "1"}) as server:
        yield server


@pytest.fixture(scope="module")
def agents_window(tmp_path_factory):
    """The fast window in a process of its own: Gradio's MCP server decodes an agent's inline picture into the
    temp dir it read when gradio was imported, which only a process of its own has as the app's (in this process
    it is the folder beside every in-process app's, tests/in_process.py)."""
    with running_process(tmp_path_factory.mktemp("uploads-agent"), {**LIMITS, "REEL_UPLOAD_WINDOW_SECONDS": "1"}) as server:
        yield server


def upload(server, address: str, name: str = "flood.bin", size: int = FILE, field: str = "files") -> httpx.Response:
    """A raw multipart POST to Gradio's upload route, as the proxy passes it on from `address`."""
    return httpx.post(server.url + "gradio_api/upload", files={field: (name, os.urandom(size))},
                      headers={"X-Forwarded-For": address}, timeout=60)


def stored(server) -> dict[str, int]:
    """Every stored upload and Gradio temp file of an upload in progress: path -> size."""
    found = {}
    for path in list((server.temp_dir / "reel-uploads").rglob("*")) + list(server.temp_dir.glob("tmp*")):
        try:
            if path.is_file() and (path.parent != server.temp_dir or GRADIO_LEFTOVER.fullmatch(path.name)):
                found[str(path)] = path.stat().st_size
        except FileNotFoundError:
            pass  # pruned while listed
    return found


def leftovers(server) -> list[str]:
    return [path.name for path in server.temp_dir.glob("tmp*") if GRADIO_LEFTOVER.fullmatch(path.name)]


def picture(tmp_path, name: str = "start.png") -> str:
    Image.new("RGB", (96, 64), "teal").save(tmp_path / name)
    return str(tmp_path / name)


def limit_message(window: str, wait: str) -> str:
    return f"Upload limit reached: each visitor may upload 1 MB every {window}. Try again in {wait}."


def test_a_client_past_its_budget_gets_429_with_the_limit_and_when_to_try_again(slow_window):
    answers = [upload(slow_window, "198.51.100.1") for _ in range(5)]
    # Three 256 KB files and their multipart overhead fit in 1 MB; a fourth does not.
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    assert all(answer.json()[0].startswith(str(slow_window.temp_dir / "reel-uploads")) for answer in answers[:3])
    assert answers[3].text == limit_message("1 minute", "1 minute")
    assert 1 <= int(answers[3].headers["retry-after"]) <= 60
    assert upload(slow_window, "198.51.100.2").status_code == 200  # another client has its own budget


def test_a_forged_forwarded_for_does_not_get_a_fresh_budget(slow_window):
    attacker = "198.51.100.3"
    assert [upload(slow_window, attacker).status_code for _ in range(3)] == [200, 200, 200]
    for forged in ("203.0.113.50", "192.0.2.1, 192.0.2.2", "not-an-address"):
        refused = upload(slow_window, f"{forged}, {attacker}")  # the proxy appended the address it saw
        assert refused.status_code == 429 and refused.text == limit_message("1 minute", "1 minute")


def chunked_multipart(boundary: str, files: int, size: int):
    """A multipart body sent in chunks, without Content-Length."""
    for number in range(files):
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"part{number}.bin\"\r\n"
               f"Content-Type: application/octet-stream\r\n\r\n").encode()
        for _ in range(size // 65536):
            yield os.urandom(65536)
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def test_a_body_streamed_past_the_budget_is_cut_and_nothing_of_it_is_kept(slow_window):
    before = stored(slow_window)
    boundary = "reel-upload-test-boundary"
    answer = httpx.post(
        slow_window.url + "gradio_api/upload", content=chunked_multipart(boundary, files=6, size=196608),
        headers={"X-Forwarded-For": "198.51.100.4", "Content-Type": f"multipart/form-data; boundary={boundary}"},
        timeout=60,
    )
    assert answer.status_code == 429 and answer.text.startswith("Upload limit reached")
    assert stored(slow_window) == before, "the cut request's files were kept"


def test_an_upload_that_stops_half_way_leaves_no_file_behind(slow_window):
    host, port = httpx.URL(slow_window.url).host, httpx.URL(slow_window.url).port
    boundary = "half-way"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"half.bin\"\r\n\r\n").encode()
    with socket.create_connection((host, port)) as connection:
        connection.sendall(
            (f"POST /gradio_api/upload HTTP/1.1\r\nHost: {host}\r\nX-Forwarded-For: 198.51.100.5\r\n"
             f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {FILE}\r\n\r\n").encode()
            + head + os.urandom(FILE // 2)
        )
        wait_for(lambda: leftovers(slow_window) != [], timeout=30)  # Gradio is writing it
    wait_for(lambda: leftovers(slow_window) == [], timeout=30)  # gone with the connection, not at the next prune


def test_a_file_over_the_size_cap_gets_413(slow_window):
    answer = upload(slow_window, "198.51.100.6", name="big.bin", size=FILE + 1)
    assert answer.status_code == 413 and answer.text == f"File size exceeded maximum allowed size of {FILE} bytes."
    assert not [path for path in stored(slow_window) if path.endswith("big.bin")]


def test_gradios_screen_recording_route_is_refused(slow_window):
    answer = httpx.post(slow_window.url + "gradio_api/process_recording", files={"video": ("a.mp4", b"\0" * 1000)},
                        timeout=30)
    assert answer.status_code == 404 and answer.text == "Screen recording is not available on this Space."


def test_a_flood_from_one_client_leaves_the_disk_bounded_while_another_holder_generates(fast_window, tmp_path):
    token = fast_window.issue_token("beside-the-flood")
    stop, largest, answers = threading.Event(), [0], []

    def watch():
        while not stop.is_set():
            largest[0] = max(largest[0], sum(size + PART_COST for size in stored(fast_window).values()))
            time.sleep(0.01)

    def flood():
        deadline = time.monotonic() + 8  # eight windows
        while time.monotonic() < deadline:
            answers.append(upload(fast_window, "198.51.100.66"))

    threads = [threading.Thread(target=watch), threading.Thread(target=flood)]
    for thread in threads:
        thread.start()
    try:
        holder = fast_window.client(headers={"X-Forwarded-For": "203.0.113.20"})
        _, manifest = holder.predict(**QUICK, image=handle_file(picture(tmp_path)), access_token=token,
                                     api_name="/generate")
    finally:
        threads[1].join()
        stop.set()
        threads[0].join()
    assert manifest["mode"] == "image-to-video"
    accepted = [answer.json()[0] for answer in answers if answer.status_code == 200]
    refused = [answer for answer in answers if answer.status_code != 200]
    assert refused and {answer.status_code for answer in refused} == {429}
    assert all(answer.text.startswith("Upload limit reached: each visitor may upload 1 MB every 1 second.")
               for answer in refused)
    assert len(accepted) * FILE > STORE_BYTES, "the flood must have needed pruning"
    assert largest[0] <= BOUND
    # Once a window has passed with no uploads, only what fits in the store is left; the oldest went first.
    wait_for(lambda: sum(size + PART_COST for size in stored(fast_window).values()) <= STORE_BYTES, timeout=30)
    assert not os.path.exists(accepted[0]) and leftovers(fast_window) == []


def test_a_waiting_jobs_upload_is_not_pruned_however_old(fast_window, tmp_path):
    token = fast_window.issue_token("patient")
    client = fast_window.client(headers={"X-Forwarded-For": "203.0.113.30"})
    runs_before = fast_window.generation_count()
    long_job = client.submit(prompt="a long shot", seconds=5.0, steps=50, access_token=token, api_name="/generate")
    wait_for(lambda: fast_window.generation_count() > runs_before)
    waiting = client.submit(**QUICK, image=handle_file(picture(tmp_path, "patient.png")), access_token=token,
                            api_name="/generate")
    wait_for(lambda: waiting.status().code == Status.IN_QUEUE)
    [start] = [path for path in stored(fast_window) if path.endswith("patient.png")]
    flood = [upload(fast_window, "198.51.100.77").json()[0] for _ in range(3)]  # newer, and past the store's cap
    wait_for(lambda: not os.path.exists(flood[0]))  # a prune went past the start picture, older by a window
    assert waiting.status().code == Status.IN_QUEUE and not long_job.done(), "the job must still be waiting"
    assert os.path.exists(start), "the waiting job's picture was pruned"
    _, manifest = waiting.result(timeout=180)
    assert manifest["mode"] == "image-to-video"
    long_job.result(timeout=180)


# -- calls: JSON bodies, pictures inline as data: addresses ------------------------------------------------


def everything(server) -> set[str]:
    return {str(path) for path in server.temp_dir.rglob("*") if path.is_file()}


def inline(data: bytes) -> dict:
    return {"url": "data:image/png;base64," + base64.b64encode(data).decode()}


def join_body(server, api_name: str, **by_elem_id) -> dict:
    """What the page posts to /gradio_api/queue/join for `api_name`, inputs given by their elem_id."""
    config = httpx.get(server.url + "config", timeout=30).json()
    elem_ids = {component["id"]: component["props"].get("elem_id") for component in config["components"]}
    [event] = [event for event in config["dependencies"] if event.get("api_name") == api_name]
    data = [by_elem_id.get(elem_ids[input_id]) for input_id in event["inputs"]]
    return {"data": data, "fn_index": event["id"], "session_hash": os.urandom(6).hex()}


def join(server, address: str, body: dict) -> httpx.Response:
    return httpx.post(server.url + "gradio_api/queue/join", json=body, headers={"X-Forwarded-For": address},
                      timeout=60)


def test_pictures_sent_inline_without_a_token_count_in_the_budget_and_are_never_written(slow_window):
    before = everything(slow_window)
    answers = [join(slow_window, "198.51.100.8", join_body(slow_window, "generate", prompt="a kite",
                                                           image=inline(os.urandom(196608))))
               for _ in range(5)]
    # Each call is 262 KB of JSON: three fit in 1 MB, a fourth does not. The first three reach the validator.
    assert [answer.status_code for answer in answers] == [422, 422, 422, 429, 429]
    assert "access_token" in answers[0].text
    assert answers[3].json() == {"detail": limit_message("1 minute", "1 minute")}
    assert 1 <= int(answers[3].headers["retry-after"]) <= 60
    assert everything(slow_window) - before == set(), "a call without a token wrote to the disk"
    assert upload(slow_window, "198.51.100.8").status_code == 429  # one budget for uploads and calls


def test_a_call_larger_than_one_picture_inline_gets_413_said_or_streamed(slow_window):
    message = ("This request is too large: a call may carry at most 405 KB, enough for one picture of up to "
               "256 KB sent inline. Upload larger files instead.")
    said = httpx.post(slow_window.url + "gradio_api/queue/join", content=b" " * (CALL_CAP + 1),
                      headers={"X-Forwarded-For": "198.51.100.9", "Content-Type": "application/json"}, timeout=60)
    assert said.status_code == 413 and said.json() == {"detail": message}
    streamed = httpx.post(slow_window.url + "gradio_api/call/generate", content=(b" " * 65536 for _ in range(7)),
                          headers={"X-Forwarded-For": "198.51.100.10", "Content-Type": "application/json"},
                          timeout=60)
    assert streamed.status_code == 413 and streamed.json() == {"detail": message}


def test_a_holder_sends_a_picture_inline_up_to_the_file_cap(slow_window):
    token = slow_window.issue_token("inline-picture")
    picture = io.BytesIO()
    noise = np.random.default_rng(4).integers(0, 256, (294, 296, 3), dtype=np.uint8)
    Image.fromarray(noise, "RGB").save(picture, "PNG", compress_level=0)
    assert FILE - 2048 < len(picture.getvalue()) <= FILE
    before = everything(slow_window)
    holder = slow_window.client(headers={"X-Forwarded-For": "203.0.113.40"})
    _, manifest = holder.predict(**QUICK, image=inline(picture.getvalue()), access_token=token, api_name="/generate")
    assert (manifest["input_image"]["width"], manifest["input_image"]["height"]) == (296, 294)
    assert not [path for path in everything(slow_window) - before if "reel-clips" not in path
                and not path.endswith(".mp4")], "the inline picture was written"


def test_keyframes_named_many_times_in_one_call_leave_no_file_behind(slow_window):
    [keyframe] = upload(slow_window, "198.51.100.11", name="key.png", size=1000).json()
    before = everything(slow_window)
    named = {"path": keyframe, "meta": {"_type": "gradio.FileData"}}
    answer = join(slow_window, "198.51.100.11", join_body(slow_window, "storyboard", keyframes=[named] * 300))
    assert answer.status_code == 422 and "shots" in answer.text
    assert everything(slow_window) - before == set()  # the stock file input left an empty file per keyframe


@pytest.mark.process
def test_a_picture_an_agent_sends_inline_is_pruned_like_an_upload(agents_window):
    """Gradio's MCP server writes a tool call's data: picture into its cache before any token is checked."""
    fast_window = agents_window
    data_url = inline(os.urandom(50000))["url"]

    async def call_without_a_token():
        async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=120)) as http:
            async with streamable_http_client(fast_window.url + "gradio_api/mcp/", http_client=http) as streams:
                async with ClientSession(*streams[:2]) as session:
                    await session.initialize()
                    return await session.call_tool("generate", {"prompt": "a kite", "image": data_url})

    def decoded() -> list[str]:
        return [str(path) for path in fast_window.temp_dir.glob("*/*")
                if GRADIO_UPLOAD_FOLDER.fullmatch(path.parent.name) and GRADIO_DECODED.fullmatch(path.name)]

    refused = asyncio.run(call_without_a_token())
    assert refused.isError and "access token" in json.dumps([part.text for part in refused.content])
    wait_for(lambda: re.search(r"and [1-9][0-9]* decoded data: address", fast_window.log_text()), timeout=30)
    assert decoded() == []
