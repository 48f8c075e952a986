"""Uploads without a token against live servers: a client's bytes are capped per window, whatever it claims or
forges, and what is stored stays within the bound README (Operating, Uploads) states.

Small settings keep it quick: 256 KB files, 1 MB per client and 2 MB for everyone per window, 600,000 bytes kept
past the window. Requests reach Reel through a pretend proxy (REEL_TRUSTED_PROXY_HOPS=1, as in
tests/test_proxy_live.py), so each test's clients have addresses of their own although all come from 127.0.0.1.
"""

import os
import socket
import threading
import time

import httpx
import pytest
from gradio_client import handle_file
from gradio_client.utils import Status
from PIL import Image

from access.upload_store import GRADIO_LEFTOVER
from access.uploads import PART_COST, UploadLimits
from conftest import running_server
from test_gate_live import wait_for

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
BOUND = UploadLimits.from_env({**LIMITS, "REEL_UPLOAD_WINDOW_SECONDS": "1"}).disk_bound  # README's formula
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
