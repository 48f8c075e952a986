"""LTX-2.5's architecture on CPU: a live app serving the tiny LTX-2 and the tiny LTX-2.5 (a Gemma 4 text encoder,
2.3's gated transformer with 2.5's flags, a duration head, the vocoder with bandwidth extension at 48 kHz), called
through gradio_client as any caller would: a clip with its 48 kHz sound, HD, a storyboard and an extension, all on
2.5. Reel always asks for a frame count, so the duration head is loaded but never decides a length here."""

import json

import pytest

from conftest import running_server
from model import probe_audio, probe_video

pytestmark = [pytest.mark.live, pytest.mark.models]

SMALL = {"seed": 4, "resolution": "landscape", "steps": 2, "seconds": 1, "model": "tiny-ltx2.5"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("ltx25"), {"REEL_MODELS": "tiny-ltx2,tiny-ltx2.5"}) as server:
        yield server


@pytest.fixture(scope="module")
def client_and_token(server):
    return server.client(), server.issue_token("new-model")


def test_a_clip_from_ltx25_has_48_khz_stereo_sound_as_long_as_its_video(client_and_token):
    client, token = client_and_token
    path, manifest = client.predict(prompt="rain on a tin roof", **{**SMALL, "seconds": 2}, access_token=token,
                                    api_name="/generate")
    video, audio = probe_video(path), probe_audio(path)
    assert manifest["model"] == "tiny-ltx2.5" and manifest["sound"] == {"codec": "aac", "sample_rate": 48000,
                                                                           "channels": 2}
    # The 2 s asked for (48 frames: 49 on the 8k+1 grid), not the tiny duration head's pick (25 for any prompt).
    assert video["num_frames"] == 49
    assert audio["sample_rate"] == 48000 and abs(audio["seconds"] - video["num_frames"] / video["fps"]) <= 1 / 24


def test_ltx25_makes_hd_at_twice_the_size(client_and_token):
    client, token = client_and_token
    path, manifest = client.predict(prompt="rain on a tin roof", **SMALL, quality="hd", access_token=token,
                                    api_name="/generate")
    video = probe_video(path)
    assert (video["width"], video["height"]) == (1024, 640) and manifest["quality"] == "hd"
    assert probe_audio(path)["sample_rate"] == 48000


def test_a_storyboard_and_an_extension_run_on_ltx25(client_and_token):
    client, token = client_and_token
    shots = json.dumps([{"prompt": "a door opens", "seconds": 1}, {"prompt": "light floods in", "seconds": 1}])
    film, manifest = client.predict(shots=shots, seed=2, resolution="square", steps=2, model="tiny-ltx2.5",
                                    access_token=token, api_name="/storyboard")
    assert manifest["model"] == "tiny-ltx2.5" and len(manifest["shots"]) == 2
    from gradio_client import handle_file

    longer, extended = client.predict(video=handle_file(film), prompt="the room empties", seconds=1,
                                      access_token=token, api_name="/extend")
    assert len(extended["shots"]) == 3 and probe_video(longer)["num_frames"] > probe_video(film)["num_frames"]
    assert probe_audio(longer)["sample_rate"] == 48000
