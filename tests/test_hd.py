"""HD (`quality="hd"`) before any GPU: what a request becomes, what it asks of the GPU and where its memory fits.
The frames themselves are checked live (tests/test_hd_live.py) and on the engine here with the tiny LTX-2."""

import dataclasses

import numpy as np
import pytest

from model import CATALOG, KINDS, GpuPolicy, InvalidRequest, check_memory, hd_sizes, load_engine, plan_request
from model.gpu_time import estimate_gpu_seconds
from model.reproduce import request_from_entry

LTX2 = CATALOG["ltx-2-distilled"]
LARGE = KINDS["zerogpu-rtx-pro-6000"]


def test_hd_doubles_the_presets_size_and_adds_the_refine_steps():
    standard = plan_request(LTX2, "a harbour at dawn", seed=1)
    hd = plan_request(LTX2, "a harbour at dawn", seed=1, quality="HD ")
    assert (standard.width, standard.height, standard.quality) == (768, 512, "standard")
    assert (hd.width, hd.height, hd.quality) == (1536, 1024, "hd")
    assert hd.total_steps == standard.steps + 3 and standard.total_steps == standard.steps


@pytest.mark.parametrize("spec, quality, hd_available, message", [
    (LTX2, "4k", None, "Unknown quality '4k'; choose one of: standard, hd."),
    (CATALOG["tiny-ltx"], "hd", None, "has no HD upscaler here; choose quality \"standard\"."),
    (LTX2, "hd", False, "has no HD upscaler here"),
])
def test_hd_that_cannot_be_made_is_refused_with_what_to_choose(spec, quality, hd_available, message):
    with pytest.raises(InvalidRequest, match=message) as refused:
        plan_request(spec, "a harbour", quality=quality, hd_available=hd_available)
    assert refused.value.field == "quality"


def test_hd_asks_for_more_than_standard_and_less_than_rendering_the_large_size_in_one_stage():
    standard = plan_request(LTX2, "a harbour", seed=1)
    hd = plan_request(LTX2, "a harbour", seed=1, quality="hd")
    one_stage = dataclasses.replace(standard, width=hd.width, height=hd.height)
    seconds = [estimate_gpu_seconds(LTX2, request, KINDS["h200"]) for request in (standard, hd, one_stage)]
    assert seconds[0] < seconds[1] < seconds[2]


def test_on_zerogpu_large_the_default_models_hd_runs_on_xlarge_only_where_the_operator_allows_it():
    plan = check_memory([LTX2], LARGE)
    assert plan.kind is LARGE  # standard clips stay on large at 1x: the upsampler is not resident
    sizes = hd_sizes(plan, [LTX2])
    assert sizes == {"ltx-2-distilled": "xlarge"}
    hd = plan_request(LTX2, "a harbour", seed=1, quality="hd")
    refusing = GpuPolicy(kind=LARGE, cap_seconds=120, hd_sizes=sizes)
    with pytest.raises(InvalidRequest, match="REEL_ZEROGPU_XLARGE=1") as refused:
        refusing.budget(LTX2, hd)
    assert refused.value.field == "quality"
    allowing = dataclasses.replace(refusing, allow_xlarge=True)
    budget = allowing.budget(LTX2, hd)
    assert budget.size == "xlarge" and budget.quota_seconds == 2 * budget.seconds
    assert allowing.budget(LTX2, plan_request(LTX2, "a harbour", seed=1)).size == "large"


def test_an_hd_call_too_long_for_xlarge_is_refused_naming_xlarge_the_size_it_was_planned_on():
    sizes = hd_sizes(check_memory([LTX2], LARGE), [LTX2])
    policy = GpuPolicy(kind=LARGE, cap_seconds=60, hd_sizes=sizes, allow_xlarge=True)
    long_hd = plan_request(LTX2, "a harbour", seed=1, quality="hd", seconds=5)
    with pytest.raises(InvalidRequest, match=r"on ZeroGPU xlarge \(a whole NVIDIA RTX PRO 6000") as refused:
        policy.budget(LTX2, long_hd)
    assert "ZeroGPU large" not in refused.value.message and refused.value.field == "quality"


def test_on_a_whole_h200_hd_fits_as_planned():
    plan = check_memory([LTX2], KINDS["h200"])
    assert hd_sizes(plan, [LTX2]) == {"ltx-2-distilled": "planned"}


def test_a_manifest_from_before_hd_is_made_again_at_standard_quality():
    manifest = {"model": "tiny-ltx2", "prompt": "a kite", "negative_prompt": "", "seed": 3, "steps": 2,
                "guidance": 1.0, "width": 512, "height": 320, "num_frames": 25, "fps": 24, "resolution": "landscape",
                "audio": True}
    assert request_from_entry(CATALOG["tiny-ltx2"], manifest).quality == "standard"
    hd = request_from_entry(CATALOG["tiny-ltx2"], {**manifest, "quality": "hd", "width": 1024, "height": 640})
    assert (hd.quality, hd.width, hd.height, hd.refine_steps) == ("hd", 1024, 640, 3)
    with pytest.raises(InvalidRequest, match="size 1056x640 is not one this model makes"):
        request_from_entry(CATALOG["tiny-ltx2"], {**manifest, "quality": "hd", "width": 1056, "height": 640})


@pytest.mark.models
def test_the_engine_makes_hd_in_two_stages_with_the_sound_carried_through(tmp_path):
    engine = load_engine("tiny-ltx2", data_dir=tmp_path)
    assert engine.supports_hd
    phases = []
    standard = engine.generate(engine.plan(prompt="a kite", seed=5, seconds=1, steps=2))
    request = engine.plan(prompt="a kite", seed=5, seconds=1, steps=2, quality="hd")
    hd = engine.generate(request, lambda fraction, phase: phases.append(phase))
    assert hd.frames.shape == (standard.frames.shape[0], 640, 1024, 3)
    assert hd.sound.samples.shape == standard.sound.samples.shape
    assert "Upsampling to HD" in phases and "Denoising step 5/5" in phases
    assert np.array_equal(engine.generate(request).frames, hd.frames)
    assert next(engine.upsampler.parameters()).device.type == "cpu"  # back out of GPU memory between HD calls
