"""The video engine on the tiny random-weight models: loading, determinism, snapping, encoding, GPU budget."""

import dataclasses

import numpy as np
import pytest

from model import (
    CATALOG,
    KINDS,
    GpuPolicy,
    InvalidRequest,
    ModelUnavailable,
    load_engine,
    plan_request,
    probe_video,
    read_manifest,
    resolve_model_choice,
)
from model.requests import MAX_PROMPT_CHARS, snap_num_frames, snap_size

pytestmark = pytest.mark.models

TINY_KEYS = ["tiny-ltx", "tiny-wan", "tiny-wan-t2v"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("reel-data")


@pytest.fixture(scope="module", params=TINY_KEYS)
def engine(request, model_dir):
    return load_engine(request.param, data_dir=model_dir)


def quick_request(engine, seed):
    """The shortest, cheapest clip the model allows."""
    return engine.plan(prompt="a red cat on the sea", seed=seed, seconds=0.5, steps=2)


def test_tiny_model_is_saved_then_loaded_from_its_folder(engine, model_dir):
    folder = model_dir / "models" / engine.spec.key
    assert (folder / "model_index.json").is_file()
    assert engine.source == str(folder)
    assert type(engine.pipeline).__name__ == engine.spec.pipeline_class
    assert engine.spec.is_preview


def test_second_load_reuses_the_saved_model(engine, model_dir):
    index = model_dir / "models" / engine.spec.key / "model_index.json"
    before = index.stat().st_mtime_ns
    again = load_engine(engine.spec.key, data_dir=model_dir)
    assert index.stat().st_mtime_ns == before
    assert again.source == engine.source


def test_same_seed_same_frames_different_seed_different_frames(engine):
    first = engine.generate_frames(quick_request(engine, seed=7))
    second = engine.generate_frames(quick_request(engine, seed=7))
    other = engine.generate_frames(quick_request(engine, seed=8))
    assert first.dtype == np.uint8
    assert np.array_equal(first, second)
    assert not np.array_equal(first, other)


def test_progress_reports_every_denoising_step_then_encoding(engine, tmp_path):
    phases = []
    request = quick_request(engine, seed=1)
    engine.render(request, tmp_path, on_progress=lambda fraction, phase: phases.append((fraction, phase)))
    names = [phase for _, phase in phases]
    assert names[0] == "Encoding text"
    assert [n for n in names if n.startswith("Denoising")] == [
        f"Denoising step {i}/{request.steps}" for i in range(1, request.steps + 1)
    ]
    assert names.index("Decoding frames") < names.index("Encoding video")
    fractions = [fraction for fraction, _ in phases]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_mp4_decodes_to_the_manifest_and_carries_it(engine, tmp_path):
    request = engine.plan(prompt="a dog at night", negative_prompt="blurry", seed=5, seconds=1.0, steps=2)
    clip = engine.render(request, tmp_path)
    probe = probe_video(clip.path)
    manifest = read_manifest(clip.path)
    assert manifest == clip.manifest
    assert probe["codec"] == "h264" and probe["pix_fmt"] == "yuv420p"
    assert (probe["width"], probe["height"], probe["num_frames"]) == (
        manifest["width"],
        manifest["height"],
        manifest["num_frames"],
    )
    assert manifest["model"] == engine.spec.key
    assert manifest["prompt"] == "a dog at night" and manifest["negative_prompt"] == "blurry"
    assert manifest["seed"] == 5 and manifest["steps"] == 2 and manifest["fps"] == engine.spec.fps
    assert manifest["mode"] == "text-to-video" and manifest["input_image"] is None
    for key in ("guidance", "created_at", "app_version"):
        assert key in manifest


def test_random_seed_is_reported_and_reproduces_the_clip(engine):
    request = engine.plan(prompt="slow camera over a city", seed=-1, seconds=0.5, steps=2)
    assert 0 <= request.seed < 2**32
    replay = engine.plan(prompt="slow camera over a city", seed=request.seed, seconds=0.5, steps=2)
    assert np.array_equal(engine.generate_frames(request), engine.generate_frames(replay))


@pytest.mark.parametrize("key", list(CATALOG))
def test_sizes_and_frame_counts_follow_each_models_rules(key):
    spec = CATALOG[key]
    for seconds in (0.5, 1.0, 1.7, spec.max_seconds):
        for resolution in spec.presets:
            request = plan_request(spec, "a cat", seconds=seconds, resolution=resolution)
            assert request.width % spec.size_multiple == 0 and request.height % spec.size_multiple == 0
            assert (request.num_frames - 1) % spec.frame_step == 0
            assert request.num_frames <= spec.max_frames
            assert abs(request.seconds - seconds) <= spec.frame_step / spec.fps


def test_snapping_rounds_to_the_nearest_allowed_value():
    assert snap_size(500, 32) == 512 and snap_size(10, 32) == 32 and snap_size(720, 16) == 720
    assert snap_num_frames(48, 8, 121) == 49
    assert snap_num_frames(24, 4, 121) == 25
    assert snap_num_frames(1, 8, 121) == 9
    assert snap_num_frames(500, 8, 121) == 121


def test_off_grid_preset_is_snapped_not_refused():
    spec = dataclasses.replace(CATALOG["tiny-ltx"], presets={"landscape": (500, 300)})
    request = plan_request(spec, "a cat")
    assert (request.width, request.height) == (512, 288)


@pytest.mark.parametrize(
    "changes, field, message_part",
    [
        ({"prompt": "   "}, "prompt", "Enter a prompt"),
        ({"prompt": "x" * (MAX_PROMPT_CHARS + 1)}, "prompt", f"the limit is {MAX_PROMPT_CHARS}"),
        ({"negative_prompt": "x" * (MAX_PROMPT_CHARS + 1)}, "negative_prompt", "limit"),
        ({"resolution": "8k"}, "resolution", "landscape, portrait, square"),
        ({"steps": 0}, "steps", "Steps must be between 1 and 50"),
        ({"steps": 51}, "steps", "Steps must be between 1 and 50"),
        ({"steps": 2.5}, "steps", "whole number"),
        ({"seconds": 60}, "seconds", "between 0.5 and 5"),
        ({"seconds": float("nan")}, "seconds", "must be a number"),
        ({"seed": "abc"}, "seed", "whole number"),
        ({"seed": -2}, "seed", "-1 for a random one"),
        ({"guidance": 100}, "guidance", "between 0 and 20"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_problem(changes, field, message_part):
    arguments = {"prompt": "a cat", **changes}
    with pytest.raises(InvalidRequest) as refused:
        plan_request(CATALOG["tiny-ltx"], **arguments)
    assert refused.value.field == field
    assert message_part in refused.value.message


def test_gpu_duration_grows_with_the_work():
    spec = CATALOG["wan2.2-ti2v-5b"]
    policy = GpuPolicy(kind=KINDS["zerogpu-h200"])
    default = plan_request(spec, "a cat")
    shorter = plan_request(spec, "a cat", seconds=1.0)
    fewer_steps = plan_request(spec, "a cat", steps=8)
    smaller = dataclasses.replace(default, width=640, height=352)
    base = policy.needs(spec, default)
    for cheaper in (shorter, fewer_steps, smaller):
        assert policy.needs(spec, cheaper) < base
    assert base <= 120, "the default 720p clip must fit a standard ZeroGPU call"
    tiny = plan_request(CATALOG["tiny-ltx"], "a cat")
    assert 1 <= policy.budget(CATALOG["tiny-ltx"], tiny).seconds <= 10


def test_auto_model_choice_depends_on_cuda():
    assert resolve_model_choice("auto", cuda_available=True) == "ltx-2-distilled"
    assert resolve_model_choice(None, cuda_available=False) == "tiny-ltx2"  # the GPU default's family
    assert resolve_model_choice("tiny-wan", cuda_available=True) == "tiny-wan"


def test_real_model_without_cache_or_hub_fails_with_advice(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    with pytest.raises(ModelUnavailable) as unavailable:
        load_engine("wan2.2-ti2v-5b", data_dir=tmp_path)
    assert "hf download Wan-AI/Wan2.2-TI2V-5B-Diffusers" in str(unavailable.value)
    assert "REEL_MODEL=tiny-ltx" in str(unavailable.value)


def test_unknown_model_choice_names_the_catalog(tmp_path):
    with pytest.raises(ModelUnavailable, match="tiny-ltx") as unavailable:
        load_engine("no-such-model", data_dir=tmp_path)
    assert "'no-such-model'" in str(unavailable.value)


def test_local_folder_borrows_its_familys_settings(engine, model_dir):
    folder = model_dir / "models" / engine.spec.key
    from_folder = load_engine(str(folder), data_dir=model_dir)
    assert from_folder.source == str(folder)
    assert from_folder.spec.pipeline_class == engine.spec.pipeline_class
    assert from_folder.spec.frame_step == engine.spec.frame_step
    assert from_folder.supports_image == engine.supports_image


@pytest.mark.parametrize(
    "tiny_key, real_key",
    [("tiny-wan", "wan2.2-ti2v-5b"), ("tiny-wan-t2v", "wan2.1-t2v-1.3b"), ("tiny-ltx", "ltx-video-0.9.8-distilled")],
)
def test_a_wan_folder_is_told_apart_by_its_pipeline_flags(tiny_key, real_key, model_dir):
    """Wan 2.1 and Wan 2.2 TI2V folders are both WanPipeline; `expand_timesteps` says which settings apply."""
    load_engine(tiny_key, data_dir=model_dir)
    from_folder = load_engine(str(model_dir / "models" / tiny_key), data_dir=model_dir)
    real = CATALOG[real_key]
    assert (from_folder.spec.presets, from_folder.spec.fps) == (real.presets, real.fps)
    assert from_folder.spec.image_pipeline_class == real.image_pipeline_class


def test_tensor_and_numpy_frame_conversions_agree():
    """The engine converts the pipeline's tensor output; it must match converting numpy output, clipping included."""
    import torch

    from model.encoding import frames_to_uint8, video_tensor_to_uint8

    video = torch.rand(3, 3, 8, 10)  # F, C, H, W
    video[0, 0, 0, 0], video[1, 2, 3, 4], video[2, 1, 7, 9] = 1.3, -0.2, 0.5 / 255
    as_numpy = video.permute(0, 2, 3, 1).numpy().copy()
    converted = video_tensor_to_uint8(video.clone())
    assert converted.shape == (3, 8, 10, 3) and converted.dtype == np.uint8
    assert np.array_equal(converted, frames_to_uint8(as_numpy))
    assert converted[0, 0, 0, 0] == 255 and converted[1, 3, 4, 2] == 0 and converted[2, 7, 9, 1] == 1
