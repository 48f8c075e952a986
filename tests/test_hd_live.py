"""HD through gradio_client against the live default CPU server (the tiny LTX-2 preview, whose latent upsampler is
built by code beside it): `quality="hd"` gives twice the width and height with the same sound, the manifest says
so and /reproduce makes it again frame for frame; bad choices are refused before the queue."""

import json

import numpy as np
import pytest
from gradio_client.exceptions import ValidationError

from model import decode_frames, probe_audio, probe_video

pytestmark = pytest.mark.live

SMALL = {"prompt": "lanterns over a night market", "seed": 8, "resolution": "landscape", "steps": 2, "seconds": 1}


@pytest.fixture(scope="module")
def token(default_server):
    return default_server.issue_token("hd-viewer")


@pytest.fixture(scope="module")
def client(default_server):
    return default_server.client()


@pytest.fixture(scope="module")
def standard_and_hd(client, token):
    standard = client.predict(**SMALL, access_token=token, api_name="/generate")
    hd = client.predict(**SMALL, quality="hd", access_token=token, api_name="/generate")
    return standard, hd


def test_hd_has_twice_the_width_and_height_and_the_same_sound(standard_and_hd):
    (standard, standard_manifest), (hd, hd_manifest) = standard_and_hd
    small, large = probe_video(standard), probe_video(hd)
    assert (large["width"], large["height"]) == (2 * small["width"], 2 * small["height"]) == (1024, 640)
    assert large["num_frames"] == small["num_frames"] and large["fps"] == small["fps"]
    assert probe_audio(hd)["codec"] == "aac"
    assert abs(probe_audio(hd)["seconds"] - probe_audio(standard)["seconds"]) < 1e-3
    assert standard_manifest["quality"] == "standard" and hd_manifest["quality"] == "hd"
    assert (hd_manifest["width"], hd_manifest["height"]) == (1024, 640)


def test_an_hd_clip_is_made_again_frame_for_frame_from_its_manifest(default_server, client, token, standard_and_hd):
    hd, manifest = standard_and_hd[1]
    before = default_server.generation_count()
    again, again_manifest = client.predict(manifest=json.dumps(manifest), access_token=token, api_name="/reproduce")
    assert default_server.generation_count() - before == 1
    assert again_manifest["quality"] == "hd"
    assert np.array_equal(decode_frames(hd), decode_frames(again))


@pytest.mark.parametrize("quality, message", [
    ("ultra", "Unknown quality 'ultra'; choose one of: standard, hd."),
])
def test_an_unknown_quality_is_refused_before_the_queue(default_server, client, token, quality, message):
    before = default_server.generation_count()
    with pytest.raises(ValidationError, match=message):
        client.predict(**SMALL, quality=quality, access_token=token, api_name="/generate")
    assert default_server.generation_count() == before



def test_an_hd_clip_is_extended_in_hd_and_an_hd_storyboard_keeps_the_size(default_server, client, token,
                                                                          standard_and_hd):
    from gradio_client import handle_file

    hd, _ = standard_and_hd[1]
    longer, manifest = client.predict(video=handle_file(hd), prompt="the lanterns rise", seconds=1,
                                      access_token=token, api_name="/extend")
    grown = probe_video(longer)
    assert (grown["width"], grown["height"]) == (1024, 640) and grown["num_frames"] > probe_video(hd)["num_frames"]
    assert [shot["quality"] for shot in manifest["shots"]] == ["hd", "hd"]
    shots = json.dumps([{"prompt": "a door opens", "seconds": 1}, {"prompt": "light floods in", "seconds": 1}])
    film, film_manifest = client.predict(shots=shots, seed=2, resolution="square", steps=2, quality="hd",
                                         access_token=token, api_name="/storyboard")
    assert (probe_video(film)["width"], probe_video(film)["height"]) == (768, 768)
    assert all(shot["quality"] == "hd" for shot in film_manifest["shots"])
    assert abs(probe_audio(film)["seconds"] - probe_video(film)["num_frames"] / 24) <= 1 / 24
