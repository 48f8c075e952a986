"""Soak, on loopback and bounded in count and time: 20 clients send 200 wrong-token calls and 50 picture uploads
while two holders generate. Both holders get their clips, every wrong token gets the refusal, the server's memory
stays within a stated bound, and the quota and audit tables hold exactly what happened.

The clients are told apart the way a Space's proxy tells them apart (REEL_TRUSTED_PROXY_HOPS=1, each with its own
X-Forwarded-For, as in test_proxy_live.py), so each one's 10 failures stay under the lockout's 20 in 10 minutes."""

import io
import statistics
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client.exceptions import ValidationError
from PIL import Image

from access import INVALID_TOKEN_MESSAGE, AuditLog, TokenStore
from access.tokens import new_token
from conftest import process_memory_mb, running_process
from model import probe_video

pytestmark = [pytest.mark.live, pytest.mark.process]

CLIENTS = 20
WRONG_PER_CLIENT = 10
UPLOADS = 50
CLIP = {"prompt": "a paper boat on a puddle", "seconds": 1.0, "steps": 2}
CALL_TIMEOUT_S = 120  # any one call; the soak as a whole ends within a few of these
AUDIT_WRITE_TIMEOUT_S = 30  # refusal rows are written just behind the answer (access/refusals.py)
# The memory bound, measured on the server itself: its peak after warm-up (one clip of the holders' size, one
# refusal, one upload) plus one more clip's working set (that peak minus its resident memory before the clip).
# Requests in flight are small (at most 22 at once, a few KB of JSON or a ~10 KB picture each) and only one clip
# renders at a time, so the soak needs little above the warm-up peak; but glibc's malloc may keep a finished
# clip's freed memory fragmented while the next clip allocates afresh, which can cost up to one working set
# (docs/performance.md). A megabyte kept per request (there are 250), or two clips' memory at once, goes past it.


def picture(index: int) -> bytes:
    """A small PNG of noise, different for every upload, so each stored file can be matched to its upload."""
    pixels = np.random.default_rng(index).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def proxied(server, address: str):
    """A gradio_client whose requests arrive as the trusted proxy passes on a client at `address`. Each HTTP
    request may wait longer than httpx's 5 s: on a busy shared CI machine this crowd can take that long, and
    speed is `python -m bench`'s business, not this test's."""
    return server.client(headers={"X-Forwarded-For": address}, httpx_kwargs={"timeout": CALL_TIMEOUT_S})


def upload(server, address: str, name: str, content: bytes) -> Path:
    """Through Gradio's upload route, as the browser does; returns where the server kept the file."""
    response = httpx.post(
        server.url + "gradio_api/upload", files={"files": (name, content, "image/png")},
        headers={"X-Forwarded-For": address}, timeout=CALL_TIMEOUT_S,
    )
    response.raise_for_status()
    (stored,) = response.json()
    return Path(stored)


def refusal_of_a_wrong_token(client) -> tuple[str, float]:
    """The refusal a wrong token gets (or what went wrong instead, by type) and the seconds it took."""
    started = time.perf_counter()
    job = client.submit(**CLIP, access_token=new_token(), api_name="/generate")
    try:
        job.result(timeout=CALL_TIMEOUT_S)
    except ValidationError as refused:
        return str(refused), time.perf_counter() - started
    except Exception as other:  # a timeout, a 500: recorded, so the assertion names it
        return f"{type(other).__name__}: {other}", time.perf_counter() - started
    return "accepted", time.perf_counter() - started


def audit_once_written(server, denied: int) -> list:
    """Every audit row, once `denied` refusals are written (or after AUDIT_WRITE_TIMEOUT_S): the app writes
    refusal rows in order, just behind the answer, so every earlier row is written by then too."""
    audit = AuditLog(TokenStore(server.data_dir / "access.sqlite3"))
    deadline = time.monotonic() + AUDIT_WRITE_TIMEOUT_S
    while True:
        rows = audit.recent(10_000)
        if sum(row.outcome == "denied" for row in rows) >= denied or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


@pytest.fixture
def soak_server(tmp_path):
    """A process: the soak measures the server's memory, which in this process would be the tests' too."""
    with running_process(tmp_path, {"REEL_TRUSTED_PROXY_HOPS": "1", "FORWARDED_ALLOW_IPS": ""}) as server:
        yield server


def test_a_crowd_of_wrong_tokens_and_uploads_leaves_holders_quotas_and_memory_intact(soak_server):
    server = soak_server
    holders = {"holder-a": "203.0.113.1", "holder-b": "203.0.113.2"}
    tokens = {label: server.issue_token(label) for label in [*holders, "warm-up"]}

    warm, pid = proxied(server, "203.0.113.9"), server.process.pid
    resting_mb = process_memory_mb(pid, "VmRSS")
    warm.submit(**CLIP, access_token=tokens["warm-up"], api_name="/generate").result(timeout=CALL_TIMEOUT_S)
    assert INVALID_TOKEN_MESSAGE in refusal_of_a_wrong_token(warm)[0]
    upload(server, "203.0.113.9", "warm-up.png", picture(UPLOADS))
    baseline_mb = process_memory_mb(pid, "VmHWM")
    bound_mb = baseline_mb + (baseline_mb - resting_mb)

    crowd = [f"198.51.100.{index + 1}" for index in range(CLIENTS)]
    clients = [proxied(server, address) for address in crowd]
    holder_clients = {label: proxied(server, address) for label, address in holders.items()}
    start = threading.Barrier(CLIENTS + len(holders), timeout=CALL_TIMEOUT_S)
    refusals: dict[str, list[tuple[str, float]]] = {address: [] for address in crowd}
    uploads: list[tuple[Path, bytes]] = []
    clips: dict[str, tuple] = {}
    errors: list[str] = []  # anything a thread raised, so the assertion names it

    def crowd_member(index: int) -> None:
        address, client = crowd[index], clients[index]
        mine = range(index, UPLOADS, CLIENTS)  # 50 uploads over 20 clients: 3 for the first 10, then 2
        start.wait()
        for call in range(WRONG_PER_CLIENT):
            refusals[address].append(refusal_of_a_wrong_token(client))
            if call < len(mine):
                content = picture(mine[call])
                uploads.append((upload(server, address, f"soak-{mine[call]}.png", content), content))

    def holder(label: str) -> None:
        start.wait()
        job = holder_clients[label].submit(**CLIP, access_token=tokens[label], api_name="/generate")
        clips[label] = job.result(timeout=CALL_TIMEOUT_S)

    def recorded(work, *args) -> None:
        try:
            work(*args)
        except Exception as error:
            errors.append(f"{work.__name__}{args}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=recorded, args=(crowd_member, i)) for i in range(CLIENTS)]
    threads += [threading.Thread(target=recorded, args=(holder, label)) for label in holders]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=4 * CALL_TIMEOUT_S)
    soak_seconds = time.perf_counter() - began
    assert not any(thread.is_alive() for thread in threads), "the soak did not finish in time"
    assert errors == []
    peak_mb = process_memory_mb(pid, "VmHWM")

    answers = [answer for calls in refusals.values() for answer in calls]
    assert len(answers) == CLIENTS * WRONG_PER_CLIENT
    assert [message for message, _ in answers if INVALID_TOKEN_MESSAGE not in message] == []
    assert len(uploads) == UPLOADS
    assert all(stored.read_bytes() == content for stored, content in uploads), "every upload kept, byte for byte"
    for label in holders:
        video, manifest = clips[label]
        probe = probe_video(video)
        assert probe["codec"] == "h264" and probe["num_frames"] == manifest["num_frames"] > 1
    assert peak_mb <= bound_mb, (resting_mb, baseline_mb, peak_mb)

    store = TokenStore(server.data_dir / "access.sqlite3")
    for label in holders:
        manifest = clips[label][1]
        assert store.used_today(label) == (1, pytest.approx(manifest["num_frames"] / manifest["fps"]), 0)
    assert sorted((row.label, row.clips) for row in store.usage()) == [("holder-a", 1), ("holder-b", 1), ("warm-up", 1)]
    rows = audit_once_written(server, denied=CLIENTS * WRONG_PER_CLIENT + 1)
    outcomes = Counter(row.outcome for row in rows)
    assert outcomes == {"denied": CLIENTS * WRONG_PER_CLIENT + 1, "ok": 3}, outcomes
    denied_by_client = Counter(row.client for row in rows if row.outcome == "denied")
    assert all(denied_by_client[address] == WRONG_PER_CLIENT for address in crowd), denied_by_client
    assert sorted(row.subject for row in rows if row.outcome == "ok") == sorted([*holders, "warm-up"])

    latencies = sorted(seconds for _, seconds in answers)
    print(
        f"\nsoak: {soak_seconds:.1f} s; refusals p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[int(0.95 * (len(latencies) - 1))] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms; "
        f"server RSS {resting_mb:.0f} MB before warm-up, peak {baseline_mb:.0f} MB after it, {peak_mb:.0f} MB after "
        f"the soak (bound {bound_mb:.0f} MB)"
    )
