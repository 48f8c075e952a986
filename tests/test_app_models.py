"""Several models behind one UI, and image-to-video, through the API of a live server."""

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import ValidationError
from PIL import Image

from conftest import running_server
from model import decode_frames, probe_video

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    models = {"REEL_MODELS": "tiny-ltx,tiny-wan,tiny-wan-t2v"}
    with running_server(tmp_path_factory.mktemp("models-server"), models) as server:
        yield server


@pytest.fixture(scope="module")
def token(server):
    return server.issue_token("models")


def picture(tmp_path, name, width, height, colour):
    path = tmp_path / name
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[..., :] = colour
    pixels[: height // 2, : width // 2] = 255 - np.array(colour, np.uint8)  # some structure to animate
    Image.fromarray(pixels).save(path)
    return str(path)


def generate(server, token, **kwargs):
    arguments = {"prompt": "waves breaking", "seconds": 1.0, "steps": 2, "access_token": token, **kwargs}
    return server.client().predict(**arguments, api_name="/generate")


def test_the_first_listed_model_is_the_default(server, token):
    _, manifest = generate(server, token)
    assert manifest["model"] == "tiny-ltx"


def test_each_listed_model_can_be_chosen(server, token):
    video_path, manifest = generate(server, token, model="tiny-wan")
    assert manifest["model"] == "tiny-wan" and manifest["fps"] == 16
    assert probe_video(video_path)["num_frames"] == manifest["num_frames"]


def test_an_unknown_model_is_refused_with_the_served_list(server, token):
    with pytest.raises(ValidationError) as refused:
        generate(server, token, model="sora")
    assert "tiny-ltx, tiny-wan, tiny-wan-t2v" in str(refused.value)


@pytest.mark.parametrize("width, height", [(640, 360), (360, 640)])
def test_image_to_video_follows_the_image_shape(server, token, tmp_path, width, height):
    image = picture(tmp_path, f"start-{width}x{height}.png", width, height, (200, 40, 40))
    video_path, manifest = generate(server, token, image=handle_file(image))
    assert manifest["input_image"]["width"] == width and manifest["input_image"]["height"] == height
    assert (manifest["width"] > manifest["height"]) == (width > height)
    assert manifest["width"] % 32 == 0 and manifest["height"] % 32 == 0
    probe = probe_video(video_path)
    assert (probe["width"], probe["height"], probe["num_frames"]) == (
        manifest["width"], manifest["height"], manifest["num_frames"],
    )


def test_the_start_image_changes_the_clip(server, token, tmp_path):
    red = picture(tmp_path, "red.png", 640, 360, (200, 40, 40))
    blue = picture(tmp_path, "blue.png", 640, 360, (40, 40, 200))
    red_path, red_manifest = generate(server, token, image=handle_file(red), seed=9)
    blue_path, blue_manifest = generate(server, token, image=handle_file(blue), seed=9)
    assert red_manifest["input_image"]["sha256"] != blue_manifest["input_image"]["sha256"]
    assert not np.array_equal(decode_frames(red_path), decode_frames(blue_path))


def test_a_text_only_model_says_so_instead_of_ignoring_the_image(server, token, tmp_path):
    image = picture(tmp_path, "start.png", 320, 320, (10, 200, 10))
    runs_before = server.generation_count()
    with pytest.raises(ValidationError) as refused:
        generate(server, token, model="tiny-wan-t2v", image=handle_file(image))
    assert "makes video from text only" in str(refused.value)
    assert server.generation_count() == runs_before
