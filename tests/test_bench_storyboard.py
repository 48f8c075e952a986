"""The pure helpers behind `python -m bench`'s storyboard rows (bench/storyboard.py); nothing here is timed."""

import math

import numpy as np
import pytest

from bench.__main__ import CPU_GOALS, _meets
from bench.storyboard import (
    colour_cast,
    drift_summary,
    ratios_median,
    round_seeds,
    storyboard_handler_seconds,
    storyboard_shots,
)
from model import CATALOG, colour_drift, colour_stats, match_colour, plan_storyboard

pytestmark = pytest.mark.models


def manifest(*drifts):
    """A storyboard manifest whose shots after the first carry these (raw, matched) drifts."""
    shots = [{"shot": 1, "colour_drift_at_cut": None}]
    shots += [{"shot": n, "colour_drift_at_cut": {"raw": raw, "matched": matched}}
              for n, (raw, matched) in enumerate(drifts, start=2)]
    return {"shots": shots}


def test_drift_summary_takes_medians_over_every_cut_of_every_storyboard():
    summary = drift_summary([manifest((10.0, 1.0), (30.0, 3.0)), manifest((20.0, 8.0))])
    assert summary == {"raw": 20.0, "matched": 3.0, "matched_over_raw": 3.0 / 20.0, "cuts": 3}


def test_drift_summary_skips_the_first_shot_and_refuses_storyboards_without_cuts():
    assert drift_summary([manifest((4.0, 2.0)), manifest()])["cuts"] == 1
    with pytest.raises(ValueError, match="no cuts"):
        drift_summary([manifest(), manifest()])


def test_drift_ratio_of_a_zero_raw_drift_is_nan_not_a_crash():
    assert math.isnan(drift_summary([manifest((0.0, 0.5))])["matched_over_raw"])


def test_ratio_is_the_median_of_each_rounds_ratio_not_the_ratio_of_medians():
    storyboard, bare = [2.0, 10.0, 3.0], [1.0, 4.0, 3.0]
    assert ratios_median(storyboard, bare) == 2.0  # rounds: 2.0, 2.5, 1.0
    assert ratios_median(storyboard, bare) != np.median(storyboard) / np.median(bare)
    with pytest.raises(ValueError):
        ratios_median([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        ratios_median([], [])


def test_round_seeds_never_share_a_shot_seed_so_the_shot_cache_cannot_serve_a_round():
    seeds = round_seeds(16)
    shots = len(storyboard_shots())
    used = [seed + k for seed in seeds for k in range(shots)]
    assert len(used) == len(set(used))


def test_handler_seconds_come_from_the_storyboard_line_only():
    log = ("INFO Clip ready in 1.250 s\nINFO Storyboard: 4 shots on tiny-ltx, seed 1234\n"
           "INFO Storyboard ready in 3.500 s\nINFO Storyboard ready in 12.25 s\n")
    assert storyboard_handler_seconds(log) == [3.5, 12.25]


def test_storyboard_goal_is_judged_like_the_others():
    assert _meets(1.15, CPU_GOALS["storyboard_over_bare"]) and not _meets(1.151, CPU_GOALS["storyboard_over_bare"])


def test_the_bench_storyboard_is_four_one_second_shots_at_the_default_settings():
    spec = CATALOG["tiny-ltx"]
    plan = plan_storyboard(spec, storyboard_shots(), style="none", seed=round_seeds(1)[0])
    assert len(plan.shots) == 4 and plan.steps == spec.default_steps and plan.resolution == spec.default_preset
    assert [shot.continues for shot in plan.shots] == [False, True, True, True]
    assert [shot.request.seed for shot in plan.shots] == [1234, 1235, 1236, 1237]


def test_colour_cast_grows_with_the_shot_and_matching_removes_most_of_it():
    rng = np.random.default_rng(0)
    frames = np.clip(rng.normal(120, 30, (6, 24, 32, 3)), 0, 255).astype(np.uint8)
    assert colour_cast(frames, 0) is frames
    drifts = [colour_drift(frames, colour_cast(frames, index)) for index in (1, 2, 3)]
    assert drifts[0] > 5 and drifts[0] < drifts[1] < drifts[2]
    matched, _ = match_colour(colour_cast(frames, 3), colour_stats(frames))
    assert colour_drift(frames, matched) < drifts[2] / 5


def test_gpu_storyboard_plan_is_twelve_five_second_shots_within_the_limits():
    from bench.gpu import FAST_MODEL
    from bench.gpu_storyboard import storyboard_plan

    spec = CATALOG[FAST_MODEL]
    plan = storyboard_plan(spec)  # 60 s in all: exactly the storyboard limit, not refused
    assert len(plan.shots) == 12 and plan.steps == spec.default_steps and (plan.width, plan.height) == (768, 512)
    assert {shot.request.num_frames for shot in plan.shots} == {spec.max_frames} == {121}
    assert plan.num_frames == 121 + 11 * 112  # later shots drop 9 frames at the cut and cannot grow past 121
    with pytest.raises(ValueError, match="only width, height and steps"):
        storyboard_plan(spec, num_frames=9)


def test_gpu_storyboard_row_runs_on_a_shrunk_fast_model_on_cpu(capsys):
    """The --gpu storyboard code path end to end, on the fast model's shrunk config (the GPU cannot run here)."""
    import json

    from test_full_size_configs import _shrunk, _small_request

    from bench import gpu

    spec = CATALOG[gpu.FAST_MODEL]
    side = 2 * spec.size_multiple
    result = gpu.measure_model(
        spec, "cpu", baseline="off", configs=_shrunk(spec.repo_id), request_overrides=_small_request(spec),
        storyboard={"shots": 3, "seconds": 0.5, "width": side, "height": side, "steps": 2},
    )
    storyboard = result["fast"]["storyboard"]
    json.dumps(result)
    assert storyboard["error"] is None, storyboard["error"]
    assert storyboard["frames_per_shot"] == [9, 17, 17] and storyboard["video_frames"] == 9 + 2 * 8
    assert len(storyboard["shots_s"]) == 3 and storyboard["max_shot_s"] == max(storyboard["shots_s"])
    expected = sum(storyboard["shots_s"]) / storyboard["video_seconds"]
    assert storyboard["gpu_s_per_video_s"] == pytest.approx(expected, rel=0.01)
    assert storyboard["wall_s_per_video_s"] >= storyboard["gpu_s_per_video_s"] - 0.01
    assert "storyboard (3 shots x 0.5 s" in capsys.readouterr().out
