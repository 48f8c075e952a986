"""Storyboards, extension and reproduction through gradio_client against live servers on the tiny preview model:
what a filmmaker calling the API sees (frames, shot boundaries, re-rolls, identical reproductions, refunds, a
revoked token stopping a running storyboard) and the clear refusals for every bad input."""

import json
import time
from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError, ValidationError
from PIL import Image

from conftest import running_process, running_server, used_today
from model import decode_frames, probe_video, read_manifest

pytestmark = pytest.mark.live

STAND_IN = str(Path(__file__).resolve().parent / "stand_in_zerogpu")
SMALL = {"resolution": "square", "steps": 2}


def shots(*seconds, prompt="a red kite over the sea", **extra):
    return json.dumps([{"prompt": f"{prompt}, part {number}", "seconds": length, **extra}
                       for number, length in enumerate(seconds, start=1)])


def storyboard(client, token, shot_list=None, **kwargs):
    arguments = {"shots": shot_list, "style": "cinematic", "seed": 11, **SMALL, "access_token": token, **kwargs}
    return client.predict(**arguments, api_name="/storyboard")


def cached_shots(server, at_least: int, besides=()) -> list[Path]:
    """The shot cache's files once at least `at_least` not in `besides` are on disk (the server writes them in
    the background)."""
    deadline = time.monotonic() + 30
    while len(files := sorted(set((server.data_dir / "shot-cache").glob("*.npy")) - set(besides))) < at_least:
        assert time.monotonic() < deadline, f"only {len(files)} new cached shots on disk"
        time.sleep(0.05)
    return files


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("storyboard-server")
    with running_server(root, {"REEL_STORYBOARD_MAX_SECONDS": "20"}) as started:
        yield started


@pytest.fixture(scope="module")
def token(server):
    return server.issue_token("filmmaker")


def test_a_three_shot_storyboard_has_the_frames_and_boundaries_its_manifest_says(server, token):
    path, manifest = storyboard(server.client(), token, shots(1, 1.5, 1))
    probe = probe_video(path)
    assert probe["num_frames"] == manifest["num_frames"] == len(decode_frames(path))
    assert (probe["width"], probe["height"], probe["fps"]) == (manifest["width"], manifest["height"], 24)
    boundaries = [(shot["first_frame"], shot["last_frame"]) for shot in manifest["shots"]]
    assert boundaries[0][0] == 0 and boundaries[-1][1] == manifest["num_frames"] - 1
    assert all(later[0] == earlier[1] + 1 for earlier, later in zip(boundaries, boundaries[1:]))
    assert [shot["seed"] for shot in manifest["shots"]] == [11, 12, 13]
    # Each shot adds the frames its seconds ask for, snapped to LTX's 8k+1 rule at 24 fps (1 s: 25, 1.5 s: 33);
    # a later shot's first frame continues the one before, so it adds one frame fewer: no frame twice at a cut.
    assert [last - first + 1 for first, last in boundaries] == [25, 32, 24]
    assert all("cinematic film still" in shot["prompt"] for shot in manifest["shots"])
    assert read_manifest(Path(path)) == manifest


def test_rerolling_shot_two_remakes_shots_two_and_three_only(server, token):
    client = server.client()
    _, first = storyboard(client, token, shots(1, 1, 1, prompt="a lantern in the fog"))
    before = server.generation_count()
    rerolled = json.loads(shots(1, 1, 1, prompt="a lantern in the fog"))
    rerolled[1]["seed"] = 777
    _, second = storyboard(client, token, json.dumps(rerolled))
    assert server.generation_count() - before == 2
    assert [shot["seed"] for shot in second["shots"]] == [11, 777, 13]
    assert second["shots"][0] == {**first["shots"][0], "created_at": second["shots"][0]["created_at"]}


def test_reproduce_gives_identical_frames_for_a_clip(server, token):
    client = server.client()
    path, manifest = client.predict(prompt="a paper boat", seed=5, seconds=1, steps=2, access_token=token,
                                    api_name="/generate")
    before = server.generation_count()
    again, again_manifest = client.predict(manifest=json.dumps(manifest), access_token=token, api_name="/reproduce")
    from_file, _ = client.predict(video=handle_file(path), access_token=token, api_name="/reproduce")
    assert server.generation_count() - before == 2  # made again, not served from anywhere
    assert np.array_equal(decode_frames(path), decode_frames(again))
    assert np.array_equal(decode_frames(path), decode_frames(from_file))
    assert again_manifest["seed"] == 5


def test_reproduce_gives_identical_frames_for_a_storyboard(server, token):
    client = server.client()
    earlier = cached_shots(server, at_least=0)
    path, manifest = storyboard(client, token, shots(1, 1, prompt="a train crossing a bridge"), style="anime")
    for cached in cached_shots(server, at_least=2, besides=earlier):  # nothing cached: every shot is made again
        cached.unlink()
    before = server.generation_count()
    again, again_manifest = client.predict(video=handle_file(path), access_token=token, api_name="/reproduce")
    assert server.generation_count() - before == 2
    assert np.array_equal(decode_frames(path), decode_frames(again))
    assert [shot["seed"] for shot in again_manifest["shots"]] == [shot["seed"] for shot in manifest["shots"]]


def test_extend_adds_the_asked_seconds_and_keeps_the_clip(server, token):
    client = server.client()
    path, manifest = client.predict(prompt="a cat on a wall", seed=3, seconds=1, steps=2, resolution="square",
                                    access_token=token, api_name="/generate")
    longer, extended = client.predict(video=handle_file(path), prompt="the cat jumps down", seconds=1.5, seed=9,
                                      access_token=token, api_name="/extend")
    assert extended["num_frames"] == manifest["num_frames"] + 32  # 1.5 s snaps to 33 frames, one continues the clip
    assert probe_video(longer)["num_frames"] == extended["num_frames"]
    assert [shot["prompt"] for shot in extended["shots"]] == ["a cat on a wall", "the cat jumps down"]
    original, kept = decode_frames(path).astype(int), decode_frames(longer)[:25].astype(int)
    # The clip's own frames, through two lossy encodes of coloured noise, against another clip's frames.
    other = decode_frames(client.predict(prompt="a dog", seed=4, seconds=1, steps=2, resolution="square",
                                         access_token=token, api_name="/generate")[0]).astype(int)
    assert np.abs(kept - original).mean() < 0.25 * np.abs(other - original).mean()


def test_a_manifest_from_a_model_the_space_does_not_serve_names_both(server, token):
    manifest = {"model": "wan2.2-ti2v-5b", "prompt": "a cat", "seed": 1}
    with pytest.raises(ValidationError, match=r"made with the model 'wan2.2-ti2v-5b'.*serves: tiny-ltx"):
        server.client().predict(manifest=json.dumps(manifest), access_token=token, api_name="/reproduce")


@pytest.mark.parametrize(
    "changes, message_part",
    [
        ({"shots": "[{"}, "The shots are not valid JSON"),
        ({"shots": "{}"}, "The shots must be a list of shots"),
        ({"shots": "[]"}, "The storyboard has no shots"),
        ({"shots": json.dumps([{"prompt": "a", "seconds": 1}] * 13)}, "13 shots; the limit is 12"),
        ({"shots": json.dumps([{"seconds": 1}])}, "Shot 1: Enter a prompt"),
        ({"shots": json.dumps([{"prompt": "a", "seconds": 1}, {"prompt": "b", "seconds": 9}])}, "Shot 2: The duration"),
        ({"shots": json.dumps([{"prompt": "a", "seconds": 5}] * 5)}, "25 seconds long in total; the limit is 20"),
        ({"shots": json.dumps([{"prompt": "a", "seconds": 1, "colour": "red"}])}, "Shot 1: unknown field 'colour'"),
        ({"shots": json.dumps([{"prompt": "a", "seconds": 1, "end_image": 2}])}, "Shot 1: end_image '2' names a keyframe, but none was uploaded"),
        ({"style": "cinematc"}, None),
        ({"steps": 0}, "Steps must be between"),
        ({"seed": -5}, "The seed must be between"),
    ],
)
def test_every_bad_storyboard_input_gets_a_clear_message_and_runs_nothing(server, token, changes, message_part):
    before = server.generation_count()
    arguments = {"shots": shots(1, 1), **changes}
    if message_part is None:
        # A style that is no preset is free text added to every shot, not an error.
        _, manifest = storyboard(server.client(), token, **arguments)
        assert manifest["style"]["prompt_suffix"] == "cinematc"
        return
    with pytest.raises(ValidationError, match=message_part.replace("(", r"\(")):
        storyboard(server.client(), token, **arguments)
    assert server.generation_count() == before


@pytest.mark.parametrize(
    "manifest, message_part",
    [
        ("{not json", "The manifest is not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({"model": "tiny-ltx"}), "no 'seed'"),
        (json.dumps({"model": "tiny-ltx", "seed": "x"}), "'seed' has the wrong type"),
        (json.dumps({"model": "tiny-ltx", "seed": 2**40}), "'seed' must be between"),
        (json.dumps({"model": "tiny-ltx", "padding": "x" * 1_000_000}), "the limit is 256 KB"),
        (json.dumps({"model": "tiny-ltx", "shots": []}), "between 1 and 12 shots"),
    ],
)
def test_every_bad_manifest_gets_reels_own_message_and_runs_nothing(server, token, manifest, message_part):
    before = server.generation_count()
    with pytest.raises(ValidationError, match=message_part):
        server.client().predict(manifest=manifest, access_token=token, api_name="/reproduce")
    assert server.generation_count() == before


def test_extending_a_file_that_is_not_a_reel_video_says_so(server, token, tmp_path):
    fake = tmp_path / "holiday.mp4"
    Image.new("RGB", (64, 64), "blue").save(fake, format="PNG")
    before = server.generation_count()
    with pytest.raises(ValidationError, match="not a video made by Reel"):
        server.client().predict(video=handle_file(str(fake)), prompt="more", access_token=token, api_name="/extend")
    assert server.generation_count() == before


def test_a_storyboard_needs_a_token_like_everything_else(server):
    with pytest.raises(ValidationError, match="access token"):
        storyboard(server.client(), "", shots(1))


@pytest.fixture(scope="module")
def failing_server(tmp_path_factory):
    """Its second GPU call fails inside the worker, as a GPU process dying under shot 2 would. A process: the
    ZeroGPU stand-in (tests/stand_in_zerogpu) is a sitecustomize that only a fresh interpreter loads."""
    env = {"PYTHONPATH": STAND_IN, "REEL_STAND_IN_ZEROGPU": "fail-call-2"}
    with running_process(tmp_path_factory.mktemp("failing-storyboard"), env) as started:
        yield started


@pytest.mark.process
def test_a_failure_in_shot_two_of_three_charges_only_shot_one_and_a_retry_remakes_the_rest(failing_server):
    server = failing_server
    token = server.issue_token("unlucky", "--daily-limit", "5")
    client = server.client()
    with pytest.raises(AppError) as failed:
        storyboard(client, token, shots(1, 1, 1))
    message = str(failed.value)
    assert "Shot 2 of 3 failed on the server. Shot 1 was made and is kept." in message
    assert "stand-in" not in message  # the internal error's text stays in the log
    clips, seconds, pending = used_today(server, "unlucky")
    assert (clips, pending) == (1, 0) and seconds == pytest.approx(25 / 24)
    before = server.generation_count()
    _, manifest = storyboard(client, token, shots(1, 1, 1))
    assert server.generation_count() - before == 2  # shot 1 came from the cache
    assert used_today(server, "unlucky")[0] == 3 and manifest["num_frames"] == 25 + 24 + 24


def test_a_token_revoked_during_a_storyboard_stops_it_at_the_next_shot(server):
    token = server.issue_token("revoked-midway")
    client = server.client()
    before = server.generation_count()
    job = client.submit(
        shots=json.dumps([{"prompt": "a long slow pan", "seconds": 3}, {"prompt": "then", "seconds": 1},
                          {"prompt": "and then", "seconds": 1}]),
        style="none", seed=21, resolution="landscape", steps=30, access_token=token, api_name="/storyboard",
    )
    deadline = time.monotonic() + 60
    while server.generation_count() == before:  # shot 1 has started
        assert time.monotonic() < deadline
        time.sleep(0.05)
    server.revoke("revoked-midway")
    with pytest.raises(AppError, match=r"Stopped before shot 2 of 3: .*Shot 1 was made and is kept"):
        job.result(timeout=120)
    assert server.generation_count() - before == 1
    assert used_today(server, "revoked-midway")[2] == 0  # nothing left reserved


@pytest.mark.parametrize("route", ["gradio_api/file=", "gradio_api/file/", "file="])
def test_cached_shots_are_never_served_by_a_file_route(server, token, route):
    import httpx

    storyboard(server.client(), token, shots(1, 1, prompt="a windmill turning"))
    cached = cached_shots(server, at_least=1)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for target in (cached[0], server.data_dir / "shot-cache"):
            response = http.get(route + str(target))
            assert response.status_code in (400, 403, 404), f"{route}{target} -> {response.status_code}"
