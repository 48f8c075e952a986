"""Each holder's history through gradio_client and raw HTTP against live servers: what a holder gets back from
/history, /history_video and /history_delete, that two holders never see each other's videos (real ids, guessed
ids, file routes), retention, the disk cap (the clip still delivered, the holder told), and a restart."""

import json
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client.exceptions import AppError

from conftest import running_server
from history import HISTORY_FULL_MESSAGE, HistoryStore, holder_dirname
from model import decode_frames

pytestmark = pytest.mark.live

SMALL = {"seconds": 0.5, "steps": 2, "resolution": "square"}
NOT_FOUND = "There is no video with that id in your history."


def make_clip(client, token, prompt="a heron on a post", **extra):
    return client.predict(prompt=prompt, access_token=token, **SMALL, **extra, api_name="/generate")


def history(client, token, **extra):
    return client.predict(access_token=token, **extra, api_name="/history")


def stored_files(server) -> list[Path]:
    return sorted((server.data_dir / "history").rglob("*.mp4"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("history-server")
    with running_server(root, {"REEL_HISTORY_MAX": "3"}) as started:
        yield started


@pytest.fixture(scope="module")
def alice(server):
    return server.issue_token("alice")


@pytest.fixture(scope="module")
def bob(server):
    return server.issue_token("bob")


def test_a_clip_is_in_its_makers_history_with_its_seed_and_manifest(server, alice):
    client = server.client()
    path, manifest = make_clip(client, alice, prompt="a heron lands", seed=77)
    items = history(client, alice)["items"]
    newest = items[0]
    assert newest["seed"] == 77 and newest["manifest"] == manifest and newest["kind"] == "clip"
    assert len(newest["id"]) == 32 and newest["prompt"] == "a heron lands"
    kept = client.predict(access_token=alice, id=newest["id"], api_name="/history_video")
    assert np.array_equal(decode_frames(kept), decode_frames(path))


def test_two_holders_never_see_each_others_videos(server, alice, bob):
    client = server.client()
    make_clip(client, alice, prompt="alice's secret garden")
    make_clip(client, bob, prompt="bob's boat")
    alices, bobs = history(client, alice)["items"], history(client, bob)["items"]
    assert all("bob" not in item["prompt"] for item in alices)
    assert [item["prompt"] for item in bobs] == ["bob's boat"]
    stolen = alices[0]["id"]
    for api_name in ("/history_video", "/history_delete"):
        for guessed in (stolen, "0" * 32, "../" + stolen, ""):
            with pytest.raises(AppError, match=NOT_FOUND):  # another's id reads exactly like an unknown one
                client.predict(access_token=bob, id=guessed, api_name=api_name)
    assert stolen in [item["id"] for item in history(client, alice)["items"]]  # bob deleted nothing
    with pytest.raises(AppError, match="That page of your history is no longer available"):
        history(client, bob, before=stolen)


@pytest.mark.parametrize("route", ["gradio_api/file=", "gradio_api/file/", "file="])
def test_no_file_route_reaches_the_history(server, alice, route):
    make_clip(server.client(), alice)
    files = stored_files(server)
    assert files
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for target in (files[0], server.data_dir / "history", server.data_dir / "history.sqlite3"):
            response = http.get(route + str(target))
            assert response.status_code in (400, 403, 404), f"{route}{target} -> {response.status_code}"


def test_a_history_folder_outside_the_data_dir_is_closed_to_every_file_route_too(tmp_path):
    """REEL_HISTORY_DIR (a bucket's mount on a Space) holds every holder's videos: no route may serve it."""
    bucket = tmp_path / "bucket"
    with running_server(tmp_path / "app", {"REEL_HISTORY_DIR": str(bucket)}) as server:
        token = server.issue_token("bucketed")
        make_clip(server.client(), token)
        [kept] = bucket.rglob("*.mp4")
        assert not stored_files(server), "kept in the bucket, not under the data dir"
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for route in ("gradio_api/file=", "gradio_api/file/", "file="):
                for target in (kept, bucket):
                    response = http.get(route + str(target))
                    assert response.status_code in (400, 403, 404), f"{route}{target} -> {response.status_code}"
        [item] = history(server.client(), token)["items"]
        assert server.client().predict(access_token=token, id=item["id"], api_name="/history_video")


def test_a_wrong_token_sees_nothing(server):
    with pytest.raises(AppError, match="access token"):
        history(server.client(), "reel_not_a_real_token")


def test_retention_keeps_the_newest_three(server):
    token = server.issue_token("retention")
    client = server.client()
    seeds = [11, 12, 13, 14]
    for seed in seeds:
        make_clip(client, token, seed=seed)
    items = history(client, token)["items"]
    assert [item["seed"] for item in items] == [14, 13, 12]  # the oldest, 11, was dropped
    files = list((server.data_dir / "history" / holder_dirname("retention")).glob("*.mp4"))
    assert sorted(files) == sorted(item.path for item in HistoryStore(server.data_dir).items_of("retention"))
    assert len(files) == 3  # the dropped clip's file went with it


def test_delete_removes_the_file_and_paging_walks_the_rest(server):
    token = server.issue_token("tidy")
    client = server.client()
    for seed in (1, 2, 3):
        make_clip(client, token, seed=seed)
    first_page = history(client, token, limit=2)
    assert [item["seed"] for item in first_page["items"]] == [3, 2] and first_page["next_before"]
    second_page = history(client, token, limit=2, before=first_page["next_before"])
    assert [item["seed"] for item in second_page["items"]] == [1] and second_page["next_before"] is None
    doomed = first_page["items"][0]["id"]
    path = HistoryStore(server.data_dir).path("tidy", doomed)
    assert path.is_file()
    assert client.predict(access_token=token, id=doomed, api_name="/history_delete") == {"deleted": doomed}
    assert not path.exists() and doomed not in [item["id"] for item in history(client, token)["items"]]


def test_storyboards_and_extensions_are_kept_too(server):
    token = server.issue_token("director")
    client = server.client()
    shots = json.dumps([{"prompt": "a fox runs", "seconds": 0.5}, {"prompt": "the fox stops", "seconds": 0.5}])
    path, _ = client.predict(shots=shots, style="none", steps=2, resolution="square", access_token=token,
                             api_name="/storyboard")
    from gradio_client import handle_file

    client.predict(video=handle_file(path), prompt="the fox sleeps", seconds=0.5, access_token=token,
                   api_name="/extend")
    assert [item["kind"] for item in history(client, token)["items"]] == ["extended", "storyboard"]


def test_a_restart_keeps_every_complete_item(tmp_path):
    # Both starts in this process: nothing is in flight when the first stops, and the second reads only the disk.
    with running_server(tmp_path) as first:
        token = first.issue_token("keeper")
        make_clip(first.client(), token, seed=5)
        before = history(first.client(), token)["items"]
    with running_server(tmp_path) as second:
        second.issued_tokens.append(token)  # checked for leaks on this server's disk too
        assert history(second.client(), token)["items"] == before


def test_a_full_history_still_delivers_the_clip_and_says_it_was_not_kept(tmp_path):
    with running_server(tmp_path, {"REEL_HISTORY_MAX_BYTES": "1000"}) as server:
        token = server.issue_token("crowded")
        client = server.client()
        job = client.submit(prompt="a crowded beach", access_token=token, **SMALL, api_name="/generate")
        told = record_log_messages(job)
        path, manifest = job.result(timeout=120)
        assert Path(path).is_file() and decode_frames(path).shape[0] == manifest["num_frames"]
        assert (HISTORY_FULL_MESSAGE, "warning") in told  # what the page shows as a warning toast
        assert history(client, token)["items"] == []
        assert not stored_files(server)


def record_log_messages(job) -> list:
    """Every (message, level) the server sends the job as a LOG update (gr.Info / gr.Warning), which gradio_client
    otherwise keeps only until the next update replaces it."""
    told = []

    class Recording(type(job.communicator.job)):
        def __setattr__(self, name, value):
            if name == "latest_status" and getattr(value, "log", None):
                told.append(tuple(value.log))
            super().__setattr__(name, value)

    job.communicator.job.__class__ = Recording
    return told
