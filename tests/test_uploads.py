"""The upload budget (access/uploads.py) and the upload folder's pruning (access/upload_store.py), without a server."""

import base64
import json
import math
import os
import subprocess
import sys

import pytest

from access.upload_store import UploadStore
from access.uploads import (
    MB, PART_COST, REQUEST_OVERHEAD, ByteWindow, PartCounter, UploadAllowance, UploadLimits, format_bytes,
)
from bench.live_server import REPO_ROOT
from ui.gradio_internals import GRADIO_CACHE_NAMING

KB = 1024
SMALL = UploadLimits(file_bytes=100 * KB, client_bytes=300 * KB, total_bytes=500 * KB, window_seconds=600,
                     store_bytes=0)


class Ticks:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


def send(allowance: UploadAllowance, client: str, *chunks: int):
    """One request of these chunk sizes; the refusal that cut it, or None."""
    transfer = allowance.begin(client)
    try:
        for size in chunks:
            refusal = transfer.take(size)
            if refusal is not None:
                return refusal
        return None
    finally:
        transfer.end()


def test_a_client_is_cut_at_the_chunk_that_passes_its_budget_and_told_when_to_come_back(ticks):
    allowance = UploadAllowance(SMALL, clock=ticks)
    assert send(allowance, "198.51.100.1", 100 * KB, 100 * KB) is None
    ticks.now += 60
    refusal = send(allowance, "198.51.100.1", 64 * KB, 64 * KB)  # 328 KB would pass 300 KB
    assert refusal.status == 429
    assert refusal.message == ("Upload limit reached: each visitor may upload 300 KB every 10 minutes. "
                               "Try again in 9 minutes.")  # when the first 200 KB leave the window
    # The cut request's first chunk counts; its refused one does not: 264 KB used, 36 KB left.
    assert allowance.per_client.used("198.51.100.1") == 264 * KB
    assert send(allowance, "198.51.100.1", 36 * KB) is None
    assert send(allowance, "198.51.100.1", 1) is not None
    assert send(allowance, "203.0.113.9", 200 * KB) is None  # another client has its own budget


def test_the_wait_is_until_a_largest_file_fits_again(ticks):
    allowance = UploadAllowance(SMALL, clock=ticks)
    send(allowance, "c", 150 * KB)
    ticks.now += 120
    send(allowance, "c", 100 * KB)
    # A 100 KB file and its overhead fit once the first 150 KB leave: 600 s after they ended, 480 s from now.
    assert allowance.per_client.seconds_until_room("c", 100 * KB + REQUEST_OVERHEAD) == 480
    assert allowance.refusal_before("c", 50 * KB) is None  # what is left is for anyone to use
    assert "Try again in 8 minutes." in allowance.refusal_before("c", 60 * KB).message
    ticks.now += 480
    assert allowance.refusal_before("c", 60 * KB) is None


def test_bytes_of_a_request_still_arriving_count_until_it_ends_and_a_window_after(ticks):
    allowance = UploadAllowance(SMALL, clock=ticks)
    slow = allowance.begin("slow")
    for _ in range(29):  # 290 KB over 29 windows: a budget counting arrivals alone would never see it
        assert slow.take(10 * KB) is None
        ticks.now += 600
    assert slow.take(11 * KB) is not None
    slow.end()
    ticks.now += 599
    assert allowance.refusal_before("slow", 20 * KB) is not None
    ticks.now += 1
    assert allowance.refusal_before("slow", 20 * KB) is None


def test_all_clients_together_are_held_to_the_total(ticks):
    allowance = UploadAllowance(SMALL, clock=ticks)
    assert send(allowance, "a", 300 * KB) is None
    refusal = send(allowance, "b", 150 * KB, 100 * KB)
    assert refusal.status == 429 and refusal.message.startswith(
        "This Space is taking no more uploads for now: all visitors together may upload 500 KB every 10 minutes.")
    assert allowance.per_client.used("b") == 150 * KB  # the refused chunk is given back to b's own budget too
    assert allowance.refusal_before("c", 50 * KB) is None  # 50 KB are left for everyone together
    assert allowance.refusal_before("c", 51 * KB).message.startswith("This Space is taking no more uploads")


def test_a_declared_length_can_refuse_but_never_admits(ticks):
    allowance = UploadAllowance(SMALL, clock=ticks)
    too_big = allowance.refusal_before("a", 300 * KB + 1)
    assert too_big.status == 413 and too_big.message == (
        "This upload is too large: one request may carry at most 300 KB.")
    send(allowance, "a", 250 * KB)
    assert allowance.refusal_before("a", 60 * KB).status == 429  # says more than is left: refused before reading
    assert allowance.refusal_before("a", 10) is None
    assert send(allowance, "a", 10, 60 * KB) is not None  # said 10 bytes, sent more: cut all the same


def test_the_window_forgets_quiet_clients_and_stays_small(ticks):
    window = ByteWindow(100, 10, clock=ticks, max_keys=50)
    for number in range(300):
        assert window.take(f"client-{number}", 40)
        window.end(f"client-{number}", 40)
    assert window.tracked_keys() <= 50
    ticks.now += 10
    window.take("late", 1)
    window.end("late", 1)
    for number in range(300):  # past max_keys the oldest are forgotten: only ever more room, never less
        assert window.used(f"client-{number}") == 0


def test_a_calls_body_has_room_for_one_largest_picture_inline_and_no_more(ticks):
    allowance = UploadAllowance(SMALL, clock=ticks)
    cap = SMALL.call_bytes
    assert cap == 4 * math.ceil(100 * KB / 3) + REQUEST_OVERHEAD  # 100 KB in base64, and the rest of the call
    picture = "data:image/png;base64," + base64.b64encode(b"\xff" * 100 * KB).decode()
    assert len(json.dumps({"data": [{"url": picture}] + [None] * 20, "fn_index": 4, "session_hash": "x" * 11})) < cap
    too_big = allowance.refusal_before("a", cap + 1, allowance.call_cap)
    assert too_big.status == 413 and too_big.message == (
        "This request is too large: a call may carry at most 197 KB, enough for one picture of up to 100 KB "
        "sent inline. Upload larger files instead.")
    transfer = allowance.begin("a", allowance.call_cap)  # no length said: cut at the chunk past the cap
    assert transfer.take(cap - 10) is None and transfer.take(11) == too_big
    transfer.end()
    assert allowance.per_client.used("a") == cap - 10  # a call's bytes count in the upload budget
    assert send(allowance, "a", 300 * KB - cap + 11).status == 429  # and use it up like an upload's
    assert UploadLimits(file_bytes=100 * KB, client_bytes=180 * KB).call_bytes == 180 * KB  # never past the budget


@pytest.mark.parametrize("split", [1, 2, 5, 7, 50])
def test_parts_are_counted_however_the_body_is_split(split):
    boundary = b"boundary42"
    body = b"".join(
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="files"; filename="f%d"\r\n\r\n' % number
        + b"-" * 20 + b"\r\n" for number in range(6)
    ) + b"--" + boundary + b"--\r\n"
    counter = PartCounter(boundary)
    found = sum(counter.feed(body[start:start + split]) for start in range(0, len(body), split))
    assert found == 7  # six parts and the closing delimiter


def test_settings_come_from_the_environment_and_bad_ones_are_named():
    assert UploadLimits.from_env({}) == UploadLimits()
    assert UploadLimits().file_bytes == 64 * MB and UploadLimits().client_bytes == 200 * MB
    limits = UploadLimits.from_env({"REEL_UPLOAD_WINDOW_SECONDS": "90", "REEL_UPLOAD_STORE_BYTES": "0"})
    assert limits.window_seconds == 90 and limits.store_bytes == 0
    assert limits.disk_bound == 0 + 2 * limits.total_bytes
    bad = {
        "REEL_UPLOAD_BYTES_PER_WINDOW": ("200MB", "REEL_UPLOAD_BYTES_PER_WINDOW must be a whole number, 1 or more"),
        "REEL_UPLOAD_FILE_BYTES": ("0", "REEL_UPLOAD_FILE_BYTES must be a whole number, 1 or more"),
        "REEL_UPLOAD_WINDOW_SECONDS": ("nan", "REEL_UPLOAD_WINDOW_SECONDS must be a number above zero"),
        "REEL_UPLOAD_STORE_BYTES": ("-1", "REEL_UPLOAD_STORE_BYTES must be a whole number, 0 or more"),
    }
    for name, (value, message) in bad.items():
        with pytest.raises(ValueError, match=message):
            UploadLimits.from_env({name: value})
    with pytest.raises(ValueError, match="a file of the largest allowed size could never be uploaded"):
        UploadLimits.from_env({"REEL_UPLOAD_FILE_BYTES": str(200 * MB)})
    with pytest.raises(ValueError, match="REEL_UPLOAD_TOTAL_BYTES_PER_WINDOW .* must be at least"):
        UploadLimits.from_env({"REEL_UPLOAD_TOTAL_BYTES_PER_WINDOW": str(100 * MB)})


def test_sizes_read_as_people_write_them():
    assert [format_bytes(n) for n in (512, 300 * KB, 200 * MB, 1536 * MB)] == ["512 bytes", "300 KB", "200 MB",
                                                                              "1.5 GB"]


@pytest.mark.process
def test_a_bad_upload_setting_stops_the_app_at_start(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "REEL_DATA_DIR": str(tmp_path / "data"),
           "GRADIO_ANALYTICS_ENABLED": "False", "REEL_UPLOAD_BYTES_PER_WINDOW": "lots"}
    result = subprocess.run([sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "Reel cannot start: REEL_UPLOAD_BYTES_PER_WINDOW must be a whole number, 1 or more (bytes one client may "
        "upload per window), not 'lots'")
    assert "Traceback" not in result.stderr and not (tmp_path / "data" / "models").exists()


# -- the upload folder -------------------------------------------------------------------------------------


def gradio_upload(temp_dir, name: str, size: int, digest: str) -> str:
    """A file where Gradio's upload route leaves one: <temp dir>/<sha256>/<name>."""
    folder = temp_dir / (digest * 64)[:64]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"x" * size)
    return str(folder / name)


def store_in(tmp_path, clock, **overrides) -> UploadStore:
    settings = dict(max_bytes=2 * (10 * KB + PART_COST), keep_seconds=60, lifetime_seconds=3600) | overrides
    return UploadStore(tmp_path / "reel-uploads", tmp_path, naming=GRADIO_CACHE_NAMING, clock=clock, **settings)


def adopted(store, tmp_path, ticks, name, digest, size=10 * KB):
    path = store.adopt(gradio_upload(tmp_path, name, size, digest))
    for made in (path, os.path.dirname(path)):  # made at the test's clock, not the machine's
        os.utime(made, (ticks.now, ticks.now))
    return path


def test_a_finished_upload_moves_into_the_upload_folder_and_gradios_folder_goes(tmp_path, ticks):
    store = store_in(tmp_path, ticks)
    original = gradio_upload(tmp_path, "cat.png", 10, "a")
    moved = store.adopt(original)
    assert moved == str(tmp_path.resolve() / "reel-uploads" / ("a" * 64) / "cat.png")
    assert open(moved, "rb").read() == b"x" * 10
    assert not os.path.exists(os.path.dirname(original))
    assert store.adopt(original) == moved  # the same upload raced: already moved, same answer
    clip = tmp_path / "reel-clips" / "reel-1.mp4"  # anything but an upload's folder is left where it is
    clip.parent.mkdir()
    clip.write_bytes(b"v")
    assert store.adopt(str(clip)) == str(clip) and clip.exists()


def test_the_oldest_uploads_go_first_down_to_the_cap_but_never_young_or_pinned_ones(tmp_path, ticks):
    store = store_in(tmp_path, ticks)
    paths = []
    for number, digest in enumerate("abcde"):
        paths.append(adopted(store, tmp_path, ticks, f"f{number}.bin", digest))
        ticks.now += 30
    # Now 1150: a, b and c (1000, 1030, 1060) are older than the 60 s window; d and e are young.
    report = store.prune(pinned={paths[0]})
    survivors = [os.path.exists(path) for path in paths]
    assert survivors == [True, False, False, True, True]  # pinned a stays; b and c go; young d and e stay
    assert report.removed == 2 and report.kept_bytes == 3 * (10 * KB + PART_COST)
    ticks.now += 60
    store.prune()
    assert [os.path.exists(path) for path in paths] == [False, False, False, True, True]  # at the cap now
    assert store.usage() == 2 * (10 * KB + PART_COST)
    assert sorted(p.name for p in (tmp_path / "reel-uploads").iterdir()) == ["d" * 64, "e" * 64]


def test_uploads_past_their_lifetime_go_even_under_the_cap(tmp_path, ticks):
    store = store_in(tmp_path, ticks, max_bytes=10 * MB, lifetime_seconds=120)
    old = adopted(store, tmp_path, ticks, "old.png", "a")
    ticks.now += 100
    recent = adopted(store, tmp_path, ticks, "recent.png", "b")
    ticks.now += 21
    store.prune()
    assert not os.path.exists(old) and os.path.exists(recent)


def test_gradios_leftovers_of_unfinished_uploads_are_removed_once_untouched_for_a_window(tmp_path, ticks):
    store = store_in(tmp_path, ticks)
    stale, fresh, served = tmp_path / "tmpab_cd123", tmp_path / "tmp00000000", tmp_path / "tmpab_cd123.vtt"
    for path in (stale, fresh, served):
        path.write_bytes(b"partial")
    os.utime(stale, (ticks.now - 61, ticks.now - 61))
    os.utime(served, (ticks.now - 61, ticks.now - 61))
    os.utime(fresh, (ticks.now - 30, ticks.now - 30))
    assert store.prune().leftovers == 1
    assert not stale.exists() and fresh.exists() and served.exists()


def test_pictures_gradio_decoded_into_its_cache_go_once_untouched_for_a_window(tmp_path, ticks):
    """Gradio's MCP server writes a data: address it is given to <temp dir>/<sha256>/file.<ext>, before any
    token is checked, and nothing of Gradio's removes it."""
    store = store_in(tmp_path, ticks)
    stale, fresh, pinned = (gradio_upload(tmp_path, "file.png", 10, digest) for digest in "abc")
    bare, clip = gradio_upload(tmp_path, "file", 10, "d"), gradio_upload(tmp_path, "reel-1.mp4", 10, "e")
    for path in (stale, pinned, bare, clip):
        for made in (path, os.path.dirname(path)):
            os.utime(made, (ticks.now - 61, ticks.now - 61))
    os.utime(fresh, (ticks.now - 30, ticks.now - 30))
    report = store.prune(pinned={pinned})
    assert report.decoded == 2
    assert [os.path.exists(path) for path in (stale, fresh, pinned, bare, clip)] == [False, True, True, False, True]
    assert not os.path.exists(os.path.dirname(stale)) and os.path.exists(os.path.dirname(clip))
