"""LTX-2.5's architecture on CPU: a live app serving the tiny LTX-2 and the tiny LTX-2.5 (a Gemma 4 text encoder,
2.3's gated transformer with 2.5's flags, a duration head, the vocoder with bandwidth extension at 48 kHz), called
through gradio_client as any caller would: a clip with its 48 kHz sound, HD, a storyboard and an extension, all on
2.5; `seconds="auto"`, where its duration head chooses the length, charged as made and reproduced as made; and
smooth motion, twice the frames at twice the frame rate with the sound as long."""

import json

import pytest

import numpy as np
from conftest import running_server, used_today
from model import decode_frames, probe_audio, probe_video

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


def test_with_seconds_auto_the_model_chooses_the_length_is_charged_for_it_and_it_is_made_again(server):
    client, token = server.client(), server.issue_token("auto-length")
    path, manifest = client.predict(prompt="a bell rings once", **{**SMALL, "seconds": "auto"}, access_token=token,
                                    api_name="/generate")
    frames = probe_video(path)["num_frames"]
    # Within the bounds Reel gives the head (1 s to the model's longest, 5 s) and on the 8k+1 grid.
    assert 24 <= frames <= 5 * 24 and (frames - 1) % 8 == 0
    assert manifest["auto_length"] is True and manifest["num_frames"] == frames
    assert abs(probe_audio(path)["seconds"] - frames / 24) <= 1 / 24
    clips, seconds, pending = used_today(server, "auto-length")
    assert (clips, pending) == (1, 0) and seconds == pytest.approx(frames / 24)  # not the 5 s reserved
    again, _ = client.predict(manifest=json.dumps(manifest), access_token=token, api_name="/reproduce")
    assert np.array_equal(decode_frames(path), decode_frames(again))
    hd, hd_manifest = client.predict(prompt="a bell rings once", **{**SMALL, "seconds": "auto"}, quality="hd",
                                     access_token=token, api_name="/generate")
    assert probe_video(hd)["num_frames"] == frames and hd_manifest["num_frames"] == frames


def test_seconds_auto_is_refused_before_the_queue_by_a_model_without_a_duration_head(server):
    from gradio_client.exceptions import ValidationError

    client, token = server.client(), server.issue_token("no-head")
    with pytest.raises(ValidationError, match="cannot choose a clip's length; give the duration in seconds"):
        client.predict(prompt="a bell", **{**SMALL, "seconds": "auto", "model": "tiny-ltx2"}, access_token=token,
                       api_name="/generate")
    assert used_today(server, "no-head") == (0, 0, 0)


def test_smooth_motion_has_twice_the_frames_at_48_fps_with_its_sound_and_is_made_again(server):
    client, token = server.client(), server.issue_token("smooth")
    path, manifest = client.predict(prompt="a flag in the wind", **{**SMALL, "seconds": 2, "steps": 8}, smooth=True,
                                    access_token=token, api_name="/generate")
    video, audio = probe_video(path), probe_audio(path)
    assert (video["num_frames"], video["fps"]) == (97, 48.0) and manifest["smooth"] is True
    assert abs(audio["seconds"] - 97 / 48) <= 1 / 48 and audio["sample_rate"] == 48000
    clips, seconds, _ = used_today(server, "smooth")
    assert clips == 1 and seconds == pytest.approx(97 / 48)
    again, _ = client.predict(manifest=json.dumps(manifest), access_token=token, api_name="/reproduce")
    assert np.array_equal(decode_frames(path), decode_frames(again))
    from gradio_client.exceptions import ValidationError

    with pytest.raises(ValidationError, match="has no temporal upsampler here; turn smooth motion off"):
        client.predict(prompt="a flag", **{**SMALL, "model": "tiny-ltx2"}, smooth=True, access_token=token,
                       api_name="/generate")
