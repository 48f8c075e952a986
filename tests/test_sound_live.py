"""Sound and adapters through gradio_client against the live server on the default CPU setup (the tiny LTX-2
preview): what a caller of /generate, /storyboard, /extend and /reproduce gets back, and the refusals."""

import json

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import ValidationError
from PIL import Image

from model import decode_frames, probe_audio, probe_video, read_sound

pytestmark = pytest.mark.live

SMALL = {"resolution": "square", "steps": 2, "seconds": 1}


@pytest.fixture(scope="module")
def token(default_server):
    return default_server.issue_token("sound-designer")


@pytest.fixture(scope="module")
def client(default_server):
    return default_server.client()


def generate(client, token, **kwargs):
    return client.predict(**{"prompt": "waves on a pebble beach", "seed": 21, **SMALL, "access_token": token,
                             **kwargs}, api_name="/generate")


def test_the_default_model_returns_h264_with_an_aac_track_of_the_same_length(client, token):
    path, manifest = generate(client, token)
    video, audio = probe_video(path), probe_audio(path)
    assert manifest["model"] == "tiny-ltx2" and manifest["audio"] is True
    assert video["codec"] == "h264" and audio["codec"] == "aac" and audio["sample_rate"] == 24000
    assert abs(audio["seconds"] - video["num_frames"] / video["fps"]) <= 1 / video["fps"]
    assert manifest["sound"] == {"codec": "aac", "sample_rate": 24000, "channels": 2}


def test_the_same_seed_gives_the_same_frames_and_samples(client, token):
    first, _ = generate(client, token)
    second, _ = generate(client, token)
    assert np.array_equal(decode_frames(first), decode_frames(second))
    assert np.array_equal(read_sound(first).samples, read_sound(second).samples)
    other, _ = generate(client, token, seed=22)
    assert not np.array_equal(read_sound(first).samples, read_sound(other).samples)


def test_sound_off_gives_no_audio_stream(client, token):
    path, manifest = generate(client, token, audio=False)
    assert probe_audio(path) is None and manifest["audio"] is False and "sound" not in manifest


def test_image_to_video_has_sound(client, token, tmp_path):
    Image.new("RGB", (640, 400), (30, 90, 160)).save(tmp_path / "start.png")
    path, manifest = generate(client, token, image=handle_file(str(tmp_path / "start.png")))
    assert manifest["mode"] == "image-to-video" and probe_audio(path)["codec"] == "aac"


def test_an_adapter_changes_the_clip_scale_zero_does_not_and_the_manifest_names_its_file(client, token):
    base, _ = generate(client, token)
    dolly, manifest = generate(client, token, lora="dolly-in", lora_scale=1.0)
    zero, _ = generate(client, token, lora="dolly-in", lora_scale=0)
    assert not np.array_equal(decode_frames(base), decode_frames(dolly))
    assert np.array_equal(decode_frames(base), decode_frames(zero))
    assert manifest["lora"]["name"] == "dolly-in" and len(manifest["lora"]["sha256"]) == 64
    again, remade = client.predict(manifest=json.dumps(manifest), access_token=token, api_name="/reproduce")
    assert remade["lora"] == manifest["lora"]
    assert np.array_equal(decode_frames(again), decode_frames(dolly))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"lora": "zoom-out"}, "Unknown LoRA 'zoom-out'"),
        ({"lora": "dolly-in", "lora_scale": 5}, "The LoRA scale must be between 0 and 2."),
    ],
)
def test_bad_adapter_choices_are_refused_before_the_queue(client, token, arguments, message):
    with pytest.raises(ValidationError, match=message):
        generate(client, token, **arguments)


def test_a_storyboard_has_one_sound_track_as_long_as_its_video(client, token):
    shots = json.dumps([{"prompt": "a kite rises", "seconds": 1}, {"prompt": "the kite dives", "seconds": 1}])
    path, manifest = client.predict(shots=shots, style="none", seed=5, resolution="square", steps=2,
                                    access_token=token, lora="jib-up", api_name="/storyboard")
    video, audio = probe_video(path), probe_audio(path)
    assert abs(audio["seconds"] - video["num_frames"] / video["fps"]) <= 1 / video["fps"]
    assert all(shot["lora"]["name"] == "jib-up" for shot in manifest["shots"])
    longer, extended = client.predict(video=handle_file(path), prompt="the kite lands", seconds=1,
                                      access_token=token, api_name="/extend")
    grown, track = probe_video(longer), probe_audio(longer)
    assert grown["num_frames"] > video["num_frames"]
    assert abs(track["seconds"] - grown["num_frames"] / grown["fps"]) <= 1 / grown["fps"]
    assert extended["shots"][-1]["lora"]["name"] == "jib-up" and extended["shots"][-1]["audio"] is True
