"""GPU time asked for honestly: the estimate follows the GPU kind and the work, the duration handed to spaces is
what the request needs once spaces has applied its own factor (never less, never the factor twice), a request
that needs more than one call may use is refused with what would fit (or runs on the xlarge size where the
operator allows it), and the visitor is told what a clip costs in quota. Off ZeroGPU nothing is refused."""

import dataclasses
import math
import re

import pytest
from PIL import Image

from model import (
    CATALOG, KINDS, GpuPolicy, InvalidRequest, UnknownGpuKind, check_memory, choose_precision, detect_gpu_kind,
    plan_request, resident_weight_bytes,
)
from model.gpu_time import handed_seconds, scheduled_seconds
from model.hardware import kind_for_device_name

REAL_KEYS = [key for key, spec in CATALOG.items() if not spec.is_preview]
SLICE = KINDS["zerogpu-h200"]
LARGE = KINDS["zerogpu-rtx-pro-6000"]
XLARGE = KINDS["zerogpu-rtx-pro-6000-xlarge"]
CAP = 120


def served_policy(spec, kind=LARGE, **options):
    """The policy the runtime makes for serving `spec` alone: on the size its memory plan picks."""
    plan = check_memory([spec], kind)
    resident = resident_weight_bytes(spec, choose_precision(spec, plan.kind))
    return GpuPolicy(kind=plan.kind, cap_seconds=CAP, resident_weight_bytes=resident, **options)


def _largest_request(spec):
    largest = max(spec.presets, key=lambda name: spec.presets[name][0] * spec.presets[name][1])
    return plan_request(spec, "a cat", seconds=spec.max_seconds, resolution=largest, steps=spec.max_steps)


@pytest.mark.parametrize("key", REAL_KEYS)
def test_each_real_models_default_clip_fits_one_zerogpu_call_on_its_planned_size(key):
    spec = CATALOG[key]
    policy = served_policy(spec)
    budget = policy.budget(spec, plan_request(spec, "a cat"))
    assert budget.size == policy.kind.size and 1 <= budget.scheduled_seconds <= CAP


@pytest.mark.parametrize("needed", [0.3, 1, 7.9, 8, 10, 43.2, 56.2, 79.99, 119.6])
def test_the_duration_handed_over_is_what_spaces_schedules_no_more(needed):
    """spaces 0.51.3 multiplies a `large` call's duration by 1.5 and rounds; xlarge and the H200 slice by 1.0."""
    for kind in (LARGE, XLARGE, SLICE):
        handed = handed_seconds(needed, kind)
        factor = 1.0 if kind.size == "xlarge" else kind.duration_factor
        assert scheduled_seconds(handed, kind) == round(handed * factor) >= needed
        assert handed == 1 or round((handed - 1) * factor) < needed  # one second less would not cover it
    assert LARGE.duration_factor == 1.5 and XLARGE.duration_factor == SLICE.duration_factor == 1.0


def test_on_large_the_factor_is_applied_once_and_quota_is_the_scheduled_time():
    spec = CATALOG["ltx-2-distilled"]
    policy = served_policy(spec)
    request = plan_request(spec, "a cat")
    budget = policy.budget(spec, request)
    needed = policy.needs(spec, request)
    assert budget.size == "large" and budget.seconds < needed <= budget.scheduled_seconds < needed + 2
    assert budget.quota_seconds == budget.scheduled_seconds
    note = policy.quota_note(spec, request)
    assert f"about {budget.quota_seconds} s of your daily GPU quota" in note
    assert "a free Hugging Face account has 5 min a day" in note


def test_on_xlarge_visitors_pay_twice_and_the_refusal_says_so():
    spec = CATALOG["ltx-video-0.9.8-distilled"]  # needs xlarge by memory
    policy = served_policy(spec)
    assert policy.kind is XLARGE
    budget = policy.budget(spec, plan_request(spec, "a cat"))
    assert budget.size == "xlarge" and budget.seconds == budget.scheduled_seconds
    assert budget.quota_seconds == 2 * budget.scheduled_seconds
    assert "(xlarge: twice the GPU seconds)" in policy.quota_note(spec, plan_request(spec, "a cat"))
    too_long = plan_request(spec, "a cat", steps=spec.max_steps, seconds=spec.max_seconds)
    tight = dataclasses.replace(policy, cap_seconds=budget.scheduled_seconds)
    with pytest.raises(InvalidRequest) as refused:
        tight.budget(spec, too_long)
    needed = tight._budget_on(XLARGE, tight.needs(spec, too_long))
    assert (f"needs about {needed.scheduled_seconds} s of GPU time ({needed.quota_seconds} s of your ZeroGPU quota)"
            in refused.value.message)


def test_blackwell_large_is_planned_at_hugging_faces_own_slow_down_of_the_slice():
    spec = CATALOG["wan2.2-ti2v-5b"]
    request = plan_request(spec, "a cat")
    on_slice = GpuPolicy(kind=SLICE).needs(spec, request) - spec.gpu_cost.overhead_seconds
    on_large = GpuPolicy(kind=LARGE).needs(spec, request) - spec.gpu_cost.overhead_seconds
    on_xlarge = GpuPolicy(kind=XLARGE).needs(spec, request) - spec.gpu_cost.overhead_seconds
    assert math.isclose(on_large, 1.5 * on_slice) and math.isclose(on_xlarge, on_large / 2)


def test_the_slice_is_slower_than_a_whole_h200_and_the_estimate_says_so():
    spec = CATALOG["wan2.2-ti2v-5b"]
    request = plan_request(spec, "a cat")
    on_slice = GpuPolicy(kind=SLICE).needs(spec, request)
    on_h200 = GpuPolicy(kind=KINDS["h200"]).needs(spec, request)
    work = on_h200 - spec.gpu_cost.overhead_seconds
    assert math.isclose(on_slice - spec.gpu_cost.overhead_seconds, work * 132 / 60, rel_tol=1e-9)


def test_a_fresh_workers_weight_move_is_asked_for():
    spec = CATALOG["ltx-video-0.9.8-distilled"]
    request = plan_request(spec, "a cat")
    without = GpuPolicy(kind=SLICE).needs(spec, request)
    served = 2 * spec.weights.parameters + 2 * CATALOG["wan2.2-ti2v-5b"].weights.parameters
    with_move = GpuPolicy(kind=SLICE, resident_weight_bytes=served).needs(spec, request)
    assert math.isclose(with_move - without, served / SLICE.weight_move_bytes_per_second)
    assert with_move - without > 5  # 61 GB of weights at 10 GB/s


def test_wan22_at_50_steps_is_refused_on_zerogpu_with_what_fits():
    """The request the old estimate clamped to 120 s and let ZeroGPU abort half-way."""
    spec = CATALOG["wan2.2-ti2v-5b"]
    policy = served_policy(spec)
    request = plan_request(spec, "a cat", seconds=5, steps=50)
    assert policy.needs(spec, request) > CAP
    with pytest.raises(InvalidRequest) as refused:
        policy.budget(spec, request)
    message = refused.value.message
    assert refused.value.field == "steps"
    assert re.match(r"This request needs about \d+ s of GPU time on ZeroGPU large .*at most 120 s\.", message)
    steps = int(re.search(r"What fits: (\d+) steps", message).group(1))
    seconds = float(re.search(r"or ([0-9.]+) s of video", message).group(1))
    # Each suggestion really fits, and one more step or one more frame group would not.
    assert policy.fits(spec, dataclasses.replace(request, steps=steps))
    assert not policy.fits(spec, dataclasses.replace(request, steps=steps + 1))
    frames = round(seconds * spec.fps)
    assert policy.fits(spec, dataclasses.replace(request, num_frames=frames))
    assert not policy.fits(spec, dataclasses.replace(request, num_frames=frames + spec.frame_step))


def test_a_smaller_size_is_offered_only_when_it_fits_and_never_for_an_image():
    # The catalog's presets have about equal areas; an operator's smaller preset is what a smaller size means.
    spec = dataclasses.replace(
        CATALOG["wan2.2-ti2v-5b"], presets={"landscape": (1280, 704), "portrait": (704, 1280), "square": (480, 480)}
    )
    policy = GpuPolicy(kind=SLICE, cap_seconds=CAP)
    text = plan_request(spec, "a cat", seconds=3, steps=36, resolution="landscape")
    with pytest.raises(InvalidRequest, match=r"or the square size \(480×480\)\.$") as text_refusal:
        policy.budget(spec, text)
    assert "portrait" not in text_refusal.value.message
    image = plan_request(spec, "a cat", seconds=5, steps=50, image=Image.new("RGB", (1280, 704)))
    with pytest.raises(InvalidRequest) as image_refusal:
        policy.budget(spec, image)
    assert "size" not in image_refusal.value.message.split("What fits:")[1]


def test_xlarge_runs_what_the_standard_size_cannot_only_when_the_operator_allows_it():
    spec = CATALOG["wan2.2-ti2v-5b"]
    request = plan_request(spec, "a cat", seconds=5, steps=40)
    with pytest.raises(InvalidRequest):
        GpuPolicy(kind=SLICE, cap_seconds=CAP).budget(spec, request)
    budget = GpuPolicy(kind=SLICE, cap_seconds=CAP, allow_xlarge=True).budget(spec, request)
    assert budget.size == "xlarge"
    assert budget.seconds == math.ceil(GpuPolicy(kind=KINDS["zerogpu-h200-xlarge"]).needs(spec, request))
    assert budget.seconds <= CAP
    # Too much even for a whole GPU: still refused, not clamped.
    with pytest.raises(InvalidRequest):
        GpuPolicy(kind=SLICE, cap_seconds=CAP, allow_xlarge=True).budget(spec, _largest_request(spec))


@pytest.mark.parametrize("key", list(CATALOG))
def test_the_budget_never_falls_below_the_estimate(key):
    spec = CATALOG[key]
    policy = GpuPolicy(kind=SLICE, cap_seconds=10**6)
    for request in (plan_request(spec, "a cat"), _largest_request(spec)):
        assert policy.budget(spec, request).seconds >= policy.needs(spec, request)


@pytest.mark.parametrize("kind", ["h100", "cpu"])
def test_off_zerogpu_nothing_is_refused_for_time(kind):
    spec = CATALOG["wan2.2-ti2v-5b"]
    huge = _largest_request(spec)
    budget = GpuPolicy(kind=KINDS[kind], cap_seconds=CAP).budget(spec, huge)
    assert budget.seconds > CAP and budget.size == "large"


def test_gpu_kind_comes_from_the_setting_zerogpu_or_the_device():
    assert detect_gpu_kind(zerogpu=False, cuda_available=False, environ={}).key == "cpu"
    # An unreadable or unlisted ZeroGPU device means today's default size, not the old H200 slice.
    for name in (None, "", "NVIDIA B300"):
        kind = detect_gpu_kind(zerogpu=True, cuda_available=False, environ={}, zerogpu_device_name=lambda: name)
        assert kind.key == "zerogpu-rtx-pro-6000" and kind.size == "large"
    legacy = detect_gpu_kind(zerogpu=True, cuda_available=False, environ={}, zerogpu_device_name=lambda: "NVIDIA H200")
    assert legacy.key == "zerogpu-h200"
    chosen = detect_gpu_kind(zerogpu=False, cuda_available=False, environ={"REEL_GPU_KIND": "zerogpu-rtx-pro-6000"})
    assert chosen.zerogpu and chosen.xlarge == "zerogpu-rtx-pro-6000-xlarge"
    with pytest.raises(UnknownGpuKind, match="REEL_GPU_KIND='b200' is not a known GPU kind; choose one of: cpu,"):
        detect_gpu_kind(zerogpu=False, cuda_available=False, environ={"REEL_GPU_KIND": "b200"})


@pytest.mark.parametrize(
    "name, zerogpu, expected",
    [
        ("NVIDIA H200 MIG 3g.71gb", True, "zerogpu-h200"),
        ("NVIDIA RTX PRO 6000 Blackwell Server Edition", True, "zerogpu-rtx-pro-6000"),
        ("NVIDIA H100 80GB HBM3", False, "h100"),
        ("NVIDIA H200", False, "h200"),
        ("NVIDIA L40S", False, "l40s"),
        ("NVIDIA GeForce RTX 4090", False, None),
    ],
)
def test_device_names_map_to_kinds(name, zerogpu, expected):
    kind = kind_for_device_name(name, zerogpu)
    assert (kind.key if kind else None) == expected


def test_every_kind_says_where_its_numbers_come_from():
    for kind in KINDS.values():
        assert kind.source and 0 < kind.relative_speed <= 1
        assert kind.xlarge is None or KINDS[kind.xlarge].zerogpu and KINDS[kind.xlarge].size == "xlarge"
        assert (kind.weight_move_bytes_per_second is not None) == kind.zerogpu
        assert (kind.size is not None) == kind.zerogpu and (kind.compute_capability is None) == (kind.key == "cpu")
        assert kind.quota_factor == (2.0 if kind.size == "xlarge" else 1.0)
    # What spaces 0.51.3 ships for the card (spaces/zero/configs.json), read from the installed package.
    import json
    from pathlib import Path

    import spaces

    configs = json.loads((Path(spaces.__file__).parent / "zero" / "configs.json").read_text())
    card = next(config for config in configs if config["model"] == LARGE.device_names[0])
    assert (card["sm_major"], card["sm_minor"]) == LARGE.compute_capability == XLARGE.compute_capability
    assert card["memory"] == XLARGE.memory_bytes == 2 * LARGE.memory_bytes
    assert card["xlarge_threshold"] == LARGE.xlarge_threshold_bytes and card["duration_factor"] == LARGE.duration_factor


def test_the_docs_refusal_example_is_what_the_policy_says():
    from pathlib import Path

    deploying = " ".join((Path(__file__).resolve().parent.parent / "docs" / "deploying.md").read_text().split())
    spec = CATALOG["wan2.2-ti2v-5b"]
    with pytest.raises(InvalidRequest) as refused:
        served_policy(spec).budget(spec, plan_request(spec, "a cat", seconds=5, steps=50))
    assert f'"{refused.value.message}" (Wan 2.2 at 5 s and 50 steps)' in deploying
