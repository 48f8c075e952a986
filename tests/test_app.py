"""The app against a live server, through gradio_client, the way API users call it."""

import numpy as np
import pytest
from gradio_client.exceptions import AppError, ValidationError

from access import INVALID_TOKEN_MESSAGE, MISSING_TOKEN_MESSAGE
from conftest import clip_folder_broken
from model import decode_frames, probe_video, read_manifest

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def token(live_server):
    return live_server.issue_token("app-tests")


def generate(client, **kwargs):
    arguments = {"prompt": "a paper boat on a rainy street", "seconds": 1.0, "steps": 2, **kwargs}
    return client.predict(**arguments, api_name="/generate")


def outputs(live_server):
    folder = live_server.temp_dir / "reel-clips"
    return sorted(folder.glob("*.mp4")) if folder.exists() else []


@pytest.mark.parametrize(
    "presented, message",
    [(None, MISSING_TOKEN_MESSAGE), ("", MISSING_TOKEN_MESSAGE), ("reel_wrong", INVALID_TOKEN_MESSAGE)],
)
def test_missing_or_wrong_token_is_refused_and_nothing_runs(live_server, presented, message):
    runs_before, files_before = live_server.generation_count(), outputs(live_server)
    kwargs = {} if presented is None else {"access_token": presented}
    with pytest.raises(ValidationError) as refused:
        generate(live_server.client(), **kwargs)
    assert message in str(refused.value)
    assert live_server.generation_count() == runs_before
    assert outputs(live_server) == files_before


def test_well_formed_but_unknown_token_gets_the_same_message(live_server, token):
    forged = live_server.issue_token("forged-then-revoked")
    live_server.revoke("forged-then-revoked")
    runs_before = live_server.generation_count()
    with pytest.raises(ValidationError) as refused:
        generate(live_server.client(), access_token=forged)
    assert INVALID_TOKEN_MESSAGE in str(refused.value)
    assert forged not in str(refused.value)
    assert live_server.generation_count() == runs_before


def test_good_token_returns_a_playable_mp4_and_its_manifest(live_server, token):
    runs_before = live_server.generation_count()
    video_path, manifest = generate(live_server.client(), access_token=token, seed=-1)
    probe = probe_video(video_path)
    assert probe["codec"] == "h264" and probe["pix_fmt"] == "yuv420p"
    assert probe["num_frames"] == manifest["num_frames"] == 25
    assert (probe["width"], probe["height"]) == (manifest["width"], manifest["height"]) == (512, 320)
    assert read_manifest(video_path) == manifest
    assert manifest["model"] == "tiny-ltx" and manifest["prompt"] == "a paper boat on a rainy street"
    assert 0 <= manifest["seed"] < 2**32, "the seed actually used is reported"
    assert live_server.generation_count() == runs_before + 1


def test_same_seed_through_the_api_gives_the_same_frames(live_server, token):
    client = live_server.client()
    first_path, first = generate(client, access_token=token, seed=1234)
    second_path, second = generate(client, access_token=token, seed=1234)
    assert first["seed"] == second["seed"] == 1234
    assert np.array_equal(decode_frames(first_path), decode_frames(second_path))
    other_path, other = generate(client, access_token=token, seed=1235)
    assert other["seed"] == 1235
    assert not np.array_equal(decode_frames(first_path), decode_frames(other_path))


def test_bearer_header_works_instead_of_the_parameter(live_server, token):
    client = live_server.client(headers={"Authorization": f"Bearer {token}"})
    video_path, manifest = generate(client, resolution="square")
    assert (manifest["width"], manifest["height"]) == (384, 384)
    assert probe_video(video_path)["num_frames"] == manifest["num_frames"]


def test_a_non_reel_bearer_value_is_not_mistaken_for_a_token(live_server):
    client = live_server.client(headers={"Authorization": "Bearer hf_somebody_elses_token"})
    with pytest.raises(ValidationError) as refused:
        generate(client)
    assert MISSING_TOKEN_MESSAGE in str(refused.value)


@pytest.mark.parametrize(
    "changes, message_part",
    [
        ({"prompt": "  "}, "Enter a prompt"),
        ({"prompt": "x" * 5000}, "the limit is 1000"),
        ({"negative_prompt": "n" * 1001}, "The negative prompt is 1001 characters long"),
        ({"seed": -5}, "-1 for a random one"),
        ({"seed": "abc"}, "The seed must be a whole number"),
        ({"steps": 500}, "Steps must be between 1 and 50"),
        ({"seconds": 99}, "between 0.5 and 5 seconds"),
        ({"resolution": "8k"}, "choose one of: landscape, portrait, square"),
    ],
)
def test_bad_input_gets_a_clear_message_and_nothing_runs(live_server, token, changes, message_part):
    runs_before = live_server.generation_count()
    with pytest.raises(ValidationError) as refused:
        generate(live_server.client(), access_token=token, **changes)
    assert message_part in str(refused.value)
    assert live_server.generation_count() == runs_before


def test_revoked_token_stops_working(live_server):
    token = live_server.issue_token("to-be-revoked")
    generate(live_server.client(), access_token=token)
    live_server.revoke("to-be-revoked")
    runs_before = live_server.generation_count()
    with pytest.raises(ValidationError) as refused:
        generate(live_server.client(), access_token=token)
    assert INVALID_TOKEN_MESSAGE in str(refused.value)
    assert live_server.generation_count() == runs_before


def test_tokens_never_reach_the_log_or_the_disk(live_server, token):
    generate(live_server.client(), access_token=token)
    assert live_server.places_holding(token) == []


def test_an_internal_failure_gives_a_generic_message_and_leaks_nothing(live_server, token):
    """A broken output folder (a file where the folder should be) must not show paths or errno text."""
    with clip_folder_broken(live_server), pytest.raises(AppError) as failed:
        generate(live_server.client(), access_token=token)
    message = str(failed.value)
    assert "Generation failed on the server" in message
    assert str(live_server.temp_dir) not in message and "Errno" not in message and "reel-clips" not in message
    assert "Generation failed" in live_server.log_text(), "the operator still sees the failure in the log"
