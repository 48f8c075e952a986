"""Image-to-video on the tiny models: the clip takes the image's shape, the image steers the frames, the manifest
names the image by hash, and images Reel cannot use are refused with a message."""

import hashlib
import json
import math

import numpy as np
import pytest
from PIL import Image

from model import (
    CATALOG,
    ImageProblem,
    InvalidRequest,
    load_engine,
    open_image_file,
    plan_request,
    probe_video,
    read_manifest,
    to_rgb,
)

pytestmark = pytest.mark.models

IMAGE_KEYS = [key for key, spec in CATALOG.items() if spec.is_preview and spec.supports_image]


def test_every_tiny_family_with_image_support_is_covered():
    assert sorted(IMAGE_KEYS) == ["tiny-ltx", "tiny-ltx2", "tiny-ltx2.3", "tiny-ltx2.5", "tiny-wan"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("i2v-data")


@pytest.fixture(scope="module", params=IMAGE_KEYS)
def engine(request, model_dir):
    return load_engine(request.param, data_dir=model_dir)


def picture(width, height, seed=0, mode="RGB"):
    """A smooth random picture (a gradient plus noise), so different seeds are clearly different images."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    base = np.stack([xs / width, ys / height, (xs + ys) / (width + height)], axis=-1) * 200
    pixels = np.clip(base + rng.normal(0, 30, (height, width, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB").convert(mode)


def quick(engine, image, seed=11, **changes):
    return engine.plan(prompt="a red cat on the sea", seed=seed, seconds=0.5, steps=2, image=image, **changes)


@pytest.mark.parametrize("shape", ["tall", "wide"])
def test_clip_takes_the_images_shape_at_about_the_presets_area(engine, shape):
    spec = engine.spec
    image = picture(300, 600) if shape == "tall" else picture(900, 500)
    request = quick(engine, image)
    frames = engine.generate_frames(request)
    assert frames.shape == (request.num_frames, request.height, request.width, 3)
    assert (request.num_frames - 1) % spec.frame_step == 0
    assert request.width % spec.size_multiple == 0 and request.height % spec.size_multiple == 0
    assert (request.height > request.width) == (shape == "tall")
    # The aspect ratio is the image's, as closely as the model's size multiple allows.
    preset_width, preset_height = spec.presets[request.resolution]
    tolerance = spec.size_multiple / min(request.width, request.height) + 0.05
    assert math.isclose(request.width / request.height, image.width / image.height, rel_tol=tolerance)
    assert math.isclose(request.width * request.height, preset_width * preset_height, rel_tol=0.5)
    assert request.image.size == (request.width, request.height) and request.image.mode == "RGB"


def test_same_seed_and_image_repeat_different_images_differ(engine):
    first = engine.generate_frames(quick(engine, picture(400, 300, seed=1)))
    again = engine.generate_frames(quick(engine, picture(400, 300, seed=1)))
    other_image = engine.generate_frames(quick(engine, picture(400, 300, seed=2)))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other_image)
    # An image with the preset's own shape gives the text clip's size: the frames still follow the image.
    preset_shaped = picture(*engine.spec.presets["landscape"], seed=3)
    from_image = engine.generate_frames(quick(engine, preset_shaped))
    from_text = engine.generate_frames(quick(engine, None))
    assert from_image.shape == from_text.shape
    assert not np.array_equal(from_image, from_text)


def test_image_clip_encodes_with_a_manifest_naming_the_image_by_hash(engine, tmp_path):
    image = picture(320, 480, seed=4)
    request = quick(engine, image, seed=5)
    clip = engine.render(request, tmp_path)
    probe = probe_video(clip.path)
    manifest = read_manifest(clip.path)
    assert manifest == clip.manifest
    assert (probe["width"], probe["height"], probe["num_frames"]) == (request.width, request.height, request.num_frames)
    assert manifest["mode"] == "image-to-video"
    assert manifest["input_image"] == {
        "width": 320,
        "height": 480,
        "sha256": hashlib.sha256(image.tobytes()).hexdigest(),
    }
    assert len(json.dumps(manifest)) < 2000, "the manifest carries the image's hash, never its pixels"


def test_progress_is_reported_the_same_way_for_an_image(engine, tmp_path):
    phases = []
    request = quick(engine, picture(200, 200))
    engine.render(request, tmp_path, on_progress=lambda fraction, phase: phases.append((fraction, phase)))
    names = [phase for _, phase in phases]
    assert names[0] == "Encoding text"
    assert [n for n in names if n.startswith("Denoising")] == [f"Denoising step {i}/2" for i in (1, 2)]
    assert names.index("Decoding frames") < names.index("Encoding video") < names.index("Done")
    fractions = [fraction for fraction, _ in phases]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_image_pipeline_reuses_the_loaded_weights(engine):
    image_pipeline, pipeline = engine.image_pipeline, engine.pipeline
    assert type(image_pipeline).__name__ == engine.spec.image_pipeline_class
    for name in ("transformer", "vae", "text_encoder", "tokenizer", "scheduler"):
        assert getattr(image_pipeline, name) is getattr(pipeline, name), name
    for name, value in engine.spec.pipeline_config.items():
        assert image_pipeline.config[name] == value


@pytest.mark.parametrize("mode", ["RGBA", "L", "P", "LA", "CMYK"])
def test_non_rgb_images_are_converted(mode):
    spec = CATALOG["tiny-wan"]
    image = picture(128, 96, seed=3, mode=mode)
    request = plan_request(spec, "a cat", image=image)
    assert request.image.mode == "RGB" and request.image.size == (request.width, request.height)
    if mode in ("L", "P", "CMYK"):
        assert request.input_image["sha256"] == hashlib.sha256(image.convert("RGB").tobytes()).hexdigest()


def test_transparent_pixels_become_white_not_black():
    spec = CATALOG["tiny-wan"]
    clear = Image.new("RGBA", (96, 64), (0, 0, 0, 0))
    request = plan_request(spec, "a cat", image=clear)
    assert np.asarray(request.image).min() == 255


@pytest.mark.parametrize(
    "image, message_part",
    [
        (Image.new("RGB", (15, 200)), "too small"),
        (Image.new("RGB", (12, 12)), "at least 16 pixels"),
        (Image.new("RGB", (900, 200)), "too long and thin"),
        (Image.new("RGB", (100, 401)), "at most 4 times"),
        ("not-an-image.png", "could not be read"),
        (np.zeros((64, 64, 3), dtype=np.uint8), "could not be read"),
    ],
)
def test_unusable_images_are_refused_with_a_message(image, message_part):
    with pytest.raises(InvalidRequest) as refused:
        plan_request(CATALOG["tiny-ltx"], "a cat", image=image)
    assert refused.value.field == "image"
    assert message_part in refused.value.message


def test_extreme_but_allowed_shapes_are_accepted():
    spec = CATALOG["tiny-ltx"]
    for size in ((16, 64), (400, 100), (1000, 250)):
        request = plan_request(spec, "a cat", image=Image.new("RGB", size))
        assert request.width % spec.size_multiple == 0 and request.height % spec.size_multiple == 0
        assert (request.width > request.height) == (size[0] > size[1])


@pytest.mark.parametrize("key", [key for key, spec in CATALOG.items() if not spec.supports_image])
def test_text_only_models_refuse_an_image_instead_of_ignoring_it(key):
    spec = CATALOG[key]
    others = ["Wan 2.2 TI2V 5B (720p, 24 fps)", "LTX-Video 0.9.8 13B distilled (fast, 24 fps)"]
    with pytest.raises(InvalidRequest) as refused:
        plan_request(spec, "a cat", image=Image.new("RGB", (64, 64)), image_alternatives=others)
    assert refused.value.field == "image"
    assert refused.value.message == (
        f"{spec.label} makes video from text only. Remove the image, or choose one of: {', '.join(others)}."
    )
    assert plan_request(spec, "a cat", image=None).image is None


@pytest.mark.parametrize(
    "pixels, grey",
    [
        (np.array([[0, 32896, 65535]], np.uint16), [0, 128, 255]),  # a 16-bit file ("I;16")
        (np.array([[0, 32896, 65535]], np.int32), [0, 128, 255]),  # 32-bit whole numbers in 16-bit range ("I")
        (np.array([[0, 100, 255]], np.int32), [0, 100, 255]),  # "I" that holds 8-bit values
        (np.array([[0, 0.2, 1.0]], np.float32), [0, 51, 255]),  # floating point from 0 to 1 ("F")
    ],
)
def test_deep_grey_pictures_are_scaled_to_eight_bits_not_clipped(pixels, grey):
    rgb = to_rgb(Image.fromarray(pixels))
    assert rgb.mode == "RGB" and np.asarray(rgb)[0, :, 0].tolist() == grey


def test_an_upload_is_sized_from_its_header_and_only_common_formats_are_read(tmp_path):
    Image.new("RGB", (64, 48), "red").save(tmp_path / "page.eps")  # Pillow would run Ghostscript to load it
    with pytest.raises(ImageProblem, match="Keyframe 2 could not be read. Upload a PNG, JPEG or WebP picture."):
        open_image_file(tmp_path / "page.eps", "Keyframe 2")
    with pytest.raises(ImageProblem, match="was given as a web address"):
        open_image_file("https://example.com/cat.png")
    wide = Image.new("RGB", (64, 32), "blue")
    exif = wide.getexif()
    exif[0x0112] = 8  # "rotate 90° anticlockwise to view"
    wide.save(tmp_path / "upright.jpg", exif=exif)
    assert open_image_file(tmp_path / "upright.jpg").size == (32, 64)
