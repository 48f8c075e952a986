"""Smooth motion (`smooth=True`, LTX-2.5) before any GPU: twice the frames at twice the frame rate for the same length,
what cannot be combined with it refused with what to change, what it asks of the GPU and where its memory fits. The
frames themselves: the tiny LTX-2.5 on the engine here and live in tests/test_ltx25_live.py."""

import dataclasses

import numpy as np
import pytest

from model import (
    CATALOG, KINDS, GpuPolicy, InvalidRequest, MemoryPlanError, check_memory, load_engine, plan_request, smooth_too_big,
)
from model.gpu_time import estimate_gpu_seconds
from model.reproduce import request_from_entry

LTX25 = CATALOG["ltx-2.5-distilled"]


def test_smooth_doubles_the_frames_and_the_frame_rate_for_the_same_length():
    standard = plan_request(LTX25, "a bell rings", seed=1, seconds=2)
    smooth = plan_request(LTX25, "a bell rings", seed=1, seconds=2, smooth=True)
    assert (standard.num_frames, standard.fps) == (49, 24)
    assert (smooth.num_frames, smooth.fps, smooth.smooth) == (97, 48, True)
    assert smooth.seconds == pytest.approx(standard.seconds, abs=1 / 48)
    assert smooth.total_steps == standard.steps + 4


@pytest.mark.parametrize("key", ["ltx-2-distilled", "ltx-2.3-distilled", "tiny-ltx2", "wan2.2-ti2v-5b"])
def test_a_model_without_a_temporal_upsampler_refuses_smooth(key):
    with pytest.raises(InvalidRequest, match="has no temporal upsampler here; turn smooth motion off") as refused:
        plan_request(CATALOG[key], "a bell", smooth=True)
    assert refused.value.field == "smooth"


@pytest.mark.parametrize("options, named", [
    ({"quality": "hd"}, "HD"),
    ({"seconds": "auto"}, 'seconds "auto"'),
    ({"negative_prompt": "blur"}, "a negative prompt"),
])
def test_what_smooth_cannot_be_combined_with_is_refused_by_name(options, named):
    with pytest.raises(InvalidRequest, match=f"Smooth motion cannot be combined with {named} yet") as refused:
        plan_request(LTX25, "a bell", smooth=True, **options)
    assert refused.value.field == "smooth"


def test_smooth_runs_the_distilled_steps_only_and_a_start_image_is_refused():
    from PIL import Image

    with pytest.raises(InvalidRequest, match="runs the model's 8 distilled steps; set steps to 8") as refused:
        plan_request(LTX25, "a bell", smooth=True, steps=4)
    assert refused.value.field == "steps"
    with pytest.raises(InvalidRequest, match="cannot be combined with a start image"):
        plan_request(LTX25, "a bell", smooth=True, image=Image.new("RGB", (768, 512)))
    assert plan_request(LTX25, "a bell", smooth="false").smooth is False
    with pytest.raises(InvalidRequest, match="smooth must be true or false"):
        plan_request(LTX25, "a bell", smooth="twice")


def test_smooth_asks_for_more_than_standard_and_no_more_than_rendering_every_frame_in_one_pass():
    standard = plan_request(LTX25, "a bell", seed=1, seconds=3)
    smooth = plan_request(LTX25, "a bell", seed=1, seconds=3, smooth=True)
    every_frame = dataclasses.replace(standard, num_frames=smooth.num_frames)
    seconds = [estimate_gpu_seconds(LTX25, request, KINDS["h200"]) for request in (standard, smooth, every_frame)]
    # Half the frames through the first stage's 8 steps, then 4 steps over all of them: by the estimate the same
    # denoising work as 8 steps over all of them, and the same decode.
    assert seconds[0] < seconds[1] <= seconds[2]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_wherever_ltx25_fits_its_smooth_calls_fit_the_same_size(kind):
    try:
        plan = check_memory([LTX25], KINDS[kind])
    except MemoryPlanError:
        return  # 2.5 is refused there at start: no smooth call to plan
    assert smooth_too_big(plan, [LTX25]) == frozenset()


def test_a_smooth_call_that_would_not_fit_is_refused_before_the_queue():
    plan = check_memory([LTX25], KINDS["h200"])
    crowded = dataclasses.replace(plan, reserve_bytes=plan.usable_bytes - plan.weight_bytes - 1)
    assert smooth_too_big(crowded, [LTX25]) == {"ltx-2.5-distilled"}
    policy = GpuPolicy(kind=KINDS["h200"], smooth_too_big=smooth_too_big(crowded, [LTX25]))
    with pytest.raises(InvalidRequest, match="Smooth motion with LTX-2.5 .* needs more GPU memory") as refused:
        policy.budget(LTX25, plan_request(LTX25, "a bell", smooth=True))
    assert refused.value.field == "smooth"
    assert policy.budget(LTX25, plan_request(LTX25, "a bell")).seconds > 0  # its other calls are not affected


def test_the_tiny_ltx25_makes_smooth_frames_and_makes_them_again_from_the_manifest(tmp_path):
    engine = load_engine("tiny-ltx2.5", data_dir=tmp_path)
    assert engine.supports_smooth
    request = engine.plan(prompt="a bell rings", seed=5, seconds=1, resolution="square", smooth=True)
    clip = engine.render(request, tmp_path)
    assert clip.manifest["smooth"] is True and (clip.manifest["fps"], clip.manifest["num_frames"]) == (48, 49)
    again = request_from_entry(engine.spec, clip.manifest)
    assert again == request
    frames = engine.generate(request).frames
    assert frames.shape[0] == 49 and np.array_equal(frames, engine.generate(again).frames)
    with pytest.raises(InvalidRequest, match="the manifest's 'fps' must be between 48 and 48"):
        request_from_entry(engine.spec, {**clip.manifest, "fps": 24})
