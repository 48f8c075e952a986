"""The per-holder video history: privacy between holders, retention, the byte cap, crash recovery, paging, threads.

The store never decodes its files, so a few bytes stand in for each MP4.
"""

import dataclasses
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from history import HISTORY_FULL_MESSAGE, HistoryFull, HistoryStore, InvalidPage, Recovery, holder_dirname
from history import store as history_store

REPO_ROOT = Path(__file__).resolve().parents[1]


def manifest(prompt: str = "a paper boat at dusk", seed: int = 1, num_frames: int = 73, fps: int = 24) -> dict:
    return {"model": "tiny-ltx2", "prompt": prompt, "seed": seed, "num_frames": num_frames, "fps": fps}


@pytest.fixture
def video(tmp_path: Path):
    """Write a fake MP4 of `size` bytes outside the data dir and return its path."""
    made = iter(range(10**6))

    def make(size: int = 100) -> Path:
        path = tmp_path / "renders" / f"clip-{next(made)}.mp4"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(secrets.token_bytes(size))
        return path

    return make


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture(params=["sqlite", "postgresql"])
def open_history(request, data_dir: Path):
    """Opens the history in `data_dir` with its index on each database Reel runs on: the SQLite file in the data
    dir, or a PostgreSQL database of this test's own (the same one each time it is called)."""
    index = request.getfixturevalue("postgres").new_database() if request.param == "postgresql" else None
    return lambda **options: HistoryStore(data_dir, database=index, **options)


def mp4_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "history").rglob("*.mp4"))


def all_files(data_dir: Path) -> list[Path]:
    return sorted(path for path in (data_dir / "history").rglob("*") if path.is_file())


def test_add_keeps_a_private_copy_with_its_facts(data_dir: Path, video, open_history):
    store = open_history()
    source = video(1234)
    item = store.add("alice", source, manifest(), "clip")
    assert len(item.id) == 32 and int(item.id, 16) >= 0
    assert (item.holder, item.kind, item.model, item.prompt, item.seed) == ("alice", "clip", "tiny-ltx2",
                                                                          "a paper boat at dusk", 1)
    assert item.seconds == pytest.approx(73 / 24) and item.bytes == 1234 and item.manifest == manifest()
    assert item.created_at.endswith("+00:00")
    assert item.path.is_absolute() and item.path.read_bytes() == source.read_bytes()
    assert item.path == data_dir.absolute() / "history" / holder_dirname("alice") / f"{item.id}.mp4"
    assert (store.is_shared or (data_dir / "history.sqlite3").is_file()) and source.exists()  # the caller's file stays
    assert item.path.stat().st_mode & 0o077 == 0  # owner-only
    assert store.get("alice", item.id) == item and store.path("alice", item.id) == item.path
    assert store.list("alice") == [item]


def test_storyboard_prompt_and_seconds_come_from_its_manifest(data_dir: Path, video, open_history):
    board = {"kind": "storyboard", "model": "tiny-ltx2", "seed": 7, "fps": 24, "num_frames": 96,
             "shots": [{"prompt": "a fox wakes"}, {"prompt": "it runs"}]}
    item = open_history().add("hf:bob", video(), board, "storyboard")
    assert (item.kind, item.prompt, item.seed, item.seconds) == ("storyboard", "a fox wakes | it runs", 7, 4.0)


def test_holder_keys_never_become_paths(data_dir: Path, video, open_history):
    store = open_history()
    for holder in ("hf:bob", "../../etc", "a/b"):
        path = store.add(holder, video(), manifest(), "clip").path
        assert path.parent.parent == data_dir.absolute() / "history"
        assert path.parent.name == holder_dirname(holder) and len(path.parent.name) == 32
    assert holder_dirname("alice") != holder_dirname("hf:alice")


def test_two_holders_never_see_each_others_items(data_dir: Path, video, open_history):
    store = open_history()
    alice = [store.add("alice", video(), manifest(f"alice {n}"), "clip") for n in range(3)]
    bob = store.add("hf:bob", video(), manifest("bob"), "clip")
    assert [item.prompt for item in store.list("alice")] == ["alice 2", "alice 1", "alice 0"]
    assert store.list("hf:bob") == [bob] and store.items_of("hf:bob") == [bob]
    guessed = [secrets.token_hex(16), alice[0].id.upper(), "../" + alice[0].id, "", "0" * 32, alice[0].id + "0"]
    for item_id in [item.id for item in alice] + guessed:
        assert store.get("hf:bob", item_id) is None and store.path("hf:bob", item_id) is None
        assert store.delete("hf:bob", item_id) is False
    assert store.get("alice", bob.id) is None and store.delete("alice", bob.id) is False
    with pytest.raises(InvalidPage) as other:
        store.list("hf:bob", before=alice[1].id)
    with pytest.raises(InvalidPage) as unknown:
        store.list("hf:bob", before=secrets.token_hex(16))
    assert str(other.value) == str(unknown.value) == other.value.message  # no oracle for ids of others
    assert all(item.path.exists() for item in alice) and len(store.list("alice")) == 3


def test_retention_drops_the_oldest_of_that_holder_only(data_dir: Path, video, open_history):
    store = open_history(max_items_per_holder=3)
    bob = store.add("bob", video(), manifest("bob"), "clip")
    items = [store.add("alice", video(), manifest(f"alice {n}"), "clip") for n in range(5)]
    assert [item.id for item in store.list("alice")] == [item.id for item in reversed(items[2:])]
    assert not items[0].path.exists() and not items[1].path.exists()
    assert store.get("alice", items[0].id) is None and store.list("bob") == [bob]
    assert len(mp4_files(data_dir)) == 4


def test_disk_cap_raises_history_full_and_keeps_nothing(data_dir: Path, video, open_history):
    store = open_history(max_bytes=250)
    kept = [store.add("alice", video(100), manifest(), "clip") for _ in range(2)]
    before = all_files(data_dir)
    with pytest.raises(HistoryFull) as full:
        store.add("bob", video(100), manifest(), "clip")
    assert full.value.message == str(full.value) == HISTORY_FULL_MESSAGE
    assert full.value.message == (
        "Your video was made but not kept in your history: the Space's history storage is full."
    )
    assert store.list("bob") == [] and all_files(data_dir) == before and store.total_bytes() == 200
    with pytest.raises(HistoryFull):
        store.add("carol", video(10**4), manifest(), "clip")
    assert not (data_dir / "history" / holder_dirname("carol")).exists()  # refused before copying
    store.delete("alice", kept[0].id)
    assert store.add("bob", video(100), manifest(), "clip").path.exists()


def test_the_cap_is_checked_again_inside_the_insert(data_dir: Path, video, monkeypatch, open_history):
    """Another thread may fill the store between the early check and the insert: the copy is then removed."""
    store = open_history(max_bytes=10**6)
    answers = iter([False, True])
    monkeypatch.setattr(store, "_over_cap", lambda conn, holder, size: next(answers))
    with pytest.raises(HistoryFull):
        store.add("alice", video(), manifest(), "clip")
    assert store.list("alice") == [] and all_files(data_dir) == []


def test_a_holder_at_the_item_limit_counts_the_item_it_will_drop(data_dir: Path, video, open_history):
    store = open_history(max_items_per_holder=2, max_bytes=200)
    store.add("alice", video(100), manifest(), "clip")
    second = store.add("alice", video(100), manifest(), "clip")
    third = store.add("alice", video(100), manifest(), "clip")  # the first one goes, so it fits
    assert [item.id for item in store.list("alice")] == [third.id, second.id]
    with pytest.raises(HistoryFull):
        store.add("bob", video(1), manifest(), "clip")


def test_bad_input_is_refused_and_keeps_nothing(data_dir: Path, video):
    store = HistoryStore(data_dir)
    for kind, bad in [("movie", manifest()), ("clip", {"num_frames": 73}), ("clip", {**manifest(), "fps": 0}),
                      ("clip", {**manifest(), "num_frames": "73"}), ("clip", {**manifest(), "fps": float("nan")})]:
        with pytest.raises(ValueError):
            store.add("alice", video(), bad, kind)
    for holder in ("", None, "x" * 201):
        with pytest.raises(ValueError):
            store.add(holder, video(), manifest(), "clip")
    with pytest.raises(FileNotFoundError):
        store.add("alice", data_dir / "nowhere.mp4", manifest(), "clip")
    assert store.list("alice") == [] and all_files(data_dir) == []
    for wrong in ({"max_items_per_holder": 0}, {"max_bytes": 0}, {"max_bytes": True}, {"max_bytes": 1.5}):
        with pytest.raises(ValueError):
            HistoryStore(data_dir, **wrong)


def test_delete_removes_row_and_file(data_dir: Path, video, open_history):
    store = open_history()
    item = store.add("alice", video(), manifest(), "clip")
    other = store.add("alice", video(), manifest(), "clip")
    assert store.delete("alice", item.id) is True
    assert not item.path.exists() and store.get("alice", item.id) is None and store.path("alice", item.id) is None
    assert store.delete("alice", item.id) is False
    assert store.list("alice") == [other] and other.path.exists() and store.total_bytes() == other.bytes


def test_a_restart_keeps_every_complete_item(data_dir: Path, video, open_history):
    first = open_history()
    items = [first.add(holder, video(), manifest(holder), "extended") for holder in ("alice", "hf:bob", "alice")]
    again = open_history()
    assert again.recover() == Recovery(temp_files=0, stray_files=0, missing_files=0)
    assert again.list("alice") == [items[2], items[0]] and again.list("hf:bob") == [items[1]]
    assert again.path("hf:bob", items[1].id).read_bytes() == items[1].path.read_bytes()


def test_recover_removes_half_written_leftovers(data_dir: Path, video, open_history):
    store = open_history()
    kept = store.add("alice", video(), manifest("kept"), "clip")
    lost = store.add("alice", video(), manifest("lost"), "clip")
    folder = kept.path.parent
    temp = folder / ".incoming-0123456789abcdef0123456789abcdef.tmp"  # a copy cut off before its rename
    temp.write_bytes(b"half")
    stray = folder / f"{secrets.token_hex(16)}.mp4"  # renamed into place, then the crash before the insert
    stray.write_bytes(b"whole but unlisted")
    other_holder = data_dir / "history" / holder_dirname("bob")
    other_holder.mkdir()
    (other_holder / f"{secrets.token_hex(16)}.mp4").write_bytes(b"stray of another holder")
    lost.path.unlink()  # a row whose file is gone
    unrelated = folder / "notes.txt"
    unrelated.write_text("not ours to remove")

    restarted = open_history()
    if restarted.is_shared:  # another server's add may be in flight: a young leftover is left alone
        assert restarted.recover() == Recovery(temp_files=0, stray_files=0, missing_files=1) and temp.exists()
        two_hours_ago = time.time() - 7200
        for path in all_files(data_dir):
            os.utime(path, (two_hours_ago, two_hours_ago))
    assert restarted.recover() == Recovery(temp_files=1, stray_files=2, missing_files=1)
    assert not temp.exists() and not stray.exists() and unrelated.exists()
    # The row whose file is gone stays, marked missing: its manifest can still make the video again.
    assert restarted.list("alice") == [dataclasses.replace(lost, missing=True), kept] and kept.path.exists()
    assert restarted.get("alice", lost.id).missing and restarted.path("alice", lost.id) is None
    assert restarted.recover() == Recovery(0, 0, 1)


def test_recover_leaves_an_add_in_progress_alone(data_dir: Path, video, monkeypatch, open_history):
    store = open_history()
    seen = {}
    insert = store._insert

    def recover_between_copy_and_insert(*args):
        seen["recovery"] = store.recover()  # the file is in place, its row not yet
        return insert(*args)

    monkeypatch.setattr(store, "_insert", recover_between_copy_and_insert)
    item = store.add("alice", video(), manifest(), "clip")
    assert seen["recovery"] == Recovery(0, 0, 0) and item.path.exists() and store.list("alice") == [item]


def test_paging_newest_first_with_before(data_dir: Path, video, open_history):
    store = open_history()
    made = [store.add("alice", video(), manifest(f"n{n}"), "clip").id for n in range(7)]
    newest_first = list(reversed(made))
    page = store.list("alice", limit=3)
    assert [item.id for item in page] == newest_first[:3]
    page = store.list("alice", limit=3, before=page[-1].id)
    assert [item.id for item in page] == newest_first[3:6]
    page = store.list("alice", limit=3, before=page[-1].id)
    assert [item.id for item in page] == newest_first[6:]
    assert store.list("alice", before=page[-1].id) == []
    assert len(store.list("alice", limit=100)) == 7 and len(store.list("alice")) == 7
    for limit in (0, 101, -1, True, 2.0, "3"):
        with pytest.raises(ValueError):
            store.list("alice", limit=limit)
    for before in (secrets.token_hex(16), "not-an-id", ""):
        with pytest.raises(InvalidPage):
            store.list("alice", before=before)
    store.delete("alice", made[3])
    with pytest.raises(ValueError, match="no longer available"):
        store.list("alice", before=made[3])


def test_threads_adding_for_two_holders_keep_exact_counts(data_dir: Path, video, open_history):
    store = open_history()
    sources = [video(50 + n) for n in range(8)]
    errors: list[BaseException] = []
    per_thread = 6

    def work(holder: str, source: Path) -> None:
        try:
            for n in range(per_thread):
                store.add(holder, source, manifest(f"{holder} {n}"), "clip")
                store.list(holder, limit=5)
        except BaseException as error:  # reported below: a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=work, args=(("alice", "bob")[n % 2], source))
               for n, source in enumerate(sources)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    usage = {row["holder"]: row for row in store.usage()}
    assert {holder: row["items"] for holder, row in usage.items()} == {"alice": 24, "bob": 24}
    assert usage["alice"]["seconds"] == pytest.approx(24 * 73 / 24)
    assert len(store.items_of("alice")) == 24 and len(mp4_files(data_dir)) == 48
    assert len({item.id for item in store.items_of("alice") + store.items_of("bob")}) == 48
    assert store.total_bytes() == sum(path.stat().st_size for path in mp4_files(data_dir))


def test_threads_with_retention_keep_exactly_the_limit(data_dir: Path, video, open_history):
    store = open_history(max_items_per_holder=4)
    source = video()
    threads = [threading.Thread(target=lambda holder=holder: [store.add(holder, source, manifest(), "clip")
                                                             for _ in range(5)])
               for holder in ("alice", "bob") * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [len(store.list(holder)) for holder in ("alice", "bob")] == [4, 4]
    assert len(mp4_files(data_dir)) == 8 and store.recover() == Recovery(0, 0, 0)


def test_usage_per_holder(data_dir: Path, video, open_history):
    store = open_history(clock=lambda: "2026-05-09T07:35:25+00:00")
    assert store.usage() == []
    store.add("alice", video(10), manifest(num_frames=48), "clip")
    store.add("alice", video(20), manifest(num_frames=24), "clip")
    store.add("hf:bob", video(5), manifest(), "storyboard")
    assert store.usage() == [
        {"holder": "alice", "items": 2, "seconds": 3.0, "bytes": 30, "last_made": "2026-05-09T07:35:25+00:00"},
        {"holder": "hf:bob", "items": 1, "seconds": pytest.approx(73 / 24), "bytes": 5,
         "last_made": "2026-05-09T07:35:25+00:00"},
    ]


def test_limits_from_the_environment(data_dir: Path, monkeypatch):
    monkeypatch.delenv("REEL_HISTORY_MAX", raising=False)
    monkeypatch.delenv("REEL_HISTORY_MAX_BYTES", raising=False)
    store = HistoryStore.from_env(data_dir)
    assert (store.max_items_per_holder, store.max_bytes) == (200, 20 * 1024**3)
    monkeypatch.setenv("REEL_HISTORY_MAX", " 50 ")
    monkeypatch.setenv("REEL_HISTORY_MAX_BYTES", "1000000")
    store = HistoryStore.from_env(data_dir)
    assert (store.max_items_per_holder, store.max_bytes) == (50, 10**6)
    monkeypatch.setenv("REEL_HISTORY_MAX", "")
    assert HistoryStore.from_env(data_dir).max_items_per_holder == 200


@pytest.mark.parametrize("name, value", [
    ("REEL_HISTORY_MAX", "many"), ("REEL_HISTORY_MAX", "0"), ("REEL_HISTORY_MAX", "-3"),
    ("REEL_HISTORY_MAX", "2.5"), ("REEL_HISTORY_MAX_BYTES", "20G"), ("REEL_HISTORY_MAX_BYTES", "0"),
    ("REEL_HISTORY_MAX_BYTES", "1e9"),
])
def test_bad_environment_values_are_named_in_the_error(data_dir: Path, monkeypatch, name, value):
    monkeypatch.delenv("REEL_HISTORY_MAX", raising=False)
    monkeypatch.delenv("REEL_HISTORY_MAX_BYTES", raising=False)
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError) as error:
        HistoryStore.from_env(data_dir)
    assert name in str(error.value) and repr(value) in str(error.value)
    assert not data_dir.exists()  # nothing was created


def test_a_newer_schema_is_refused(data_dir: Path, video):
    HistoryStore(data_dir).add("alice", video(), manifest(), "clip")
    with sqlite3.connect(data_dir / "history.sqlite3") as conn:  # as a newer Reel would have left it
        conn.execute("UPDATE history_version SET version_num = ?", (f"{history_store.SCHEMA_VERSION + 1:04d}",))
    with pytest.raises(RuntimeError, match="newer than this code"):
        HistoryStore(data_dir).list("alice")


def test_history_and_the_cli_import_neither_torch_nor_gradio():
    code = ("import sys, history, access.__main__; "
            "print(sorted(m for m in ('torch', 'gradio', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


V1_HISTORY_SCHEMA = """
CREATE TABLE items (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE CHECK (length(id) = 32),
    holder TEXT NOT NULL CHECK (length(holder) >= 1), created_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('clip', 'storyboard', 'extended')), model TEXT, prompt TEXT, seed INTEGER,
    seconds REAL NOT NULL CHECK (seconds >= 0), bytes INTEGER NOT NULL CHECK (bytes >= 0), manifest TEXT NOT NULL,
    file TEXT NOT NULL UNIQUE
)
"""


def test_a_history_kept_before_the_history_folder_could_move_opens_with_every_item(data_dir: Path, video):
    """The first release named files relative to the data dir ("history/<holder>/<id>.mp4") and counted its
    schema in PRAGMA user_version; such a history opens as it was."""
    item_id = secrets.token_hex(16)
    relative = f"{holder_dirname('alice')}/{item_id}.mp4"
    (data_dir / "history" / holder_dirname("alice")).mkdir(parents=True)
    shutil.copyfile(video(321), data_dir / "history" / relative)
    with sqlite3.connect(data_dir / "history.sqlite3") as conn:  # exactly what the first release wrote
        conn.execute(V1_HISTORY_SCHEMA)
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            "INSERT INTO items (id, holder, created_at, kind, model, prompt, seed, seconds, bytes, manifest, file)"
            " VALUES (?, 'alice', '2026-05-01T10:00:00+00:00', 'clip', 'tiny-ltx2', 'old', 3, 1.0, 321, ?, ?)",
            (item_id, json.dumps(manifest("old", seed=3)), f"history/{relative}"),
        )
    store = HistoryStore(data_dir)
    [item] = store.list("alice")
    assert (item.id, item.seed, item.bytes, item.missing) == (item_id, 3, 321, False)
    assert store.path("alice", item_id) == data_dir.absolute() / "history" / relative
    assert store.recover() == Recovery(0, 0, 0)


def test_the_history_folder_can_live_outside_the_data_dir(data_dir: Path, tmp_path: Path, video):
    """REEL_HISTORY_DIR: on a Space, a mounted Storage Bucket that outlives the disk."""
    bucket = tmp_path / "bucket"
    store = HistoryStore.from_env(data_dir, {"REEL_HISTORY_DIR": str(bucket)})
    item = store.add("alice", video(), manifest(), "clip")
    assert item.path == bucket.absolute() / holder_dirname("alice") / f"{item.id}.mp4" and item.path.is_file()
    assert not (data_dir / "history").exists()
    assert [path.name for path in bucket.rglob("*") if path.is_file()] == [f"{item.id}.mp4"]  # no temporary left
