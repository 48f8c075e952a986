"""`python -m bench --gpu`'s HD row (bench/gpu_hd.py) on the default model's shrunk config, on CPU: the same code
the GPU runs, at tiny sizes (the GPU cannot run here, so nothing is judged against the 0.6x goal)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch
from test_full_size_configs import _shrunk, _small_request

from model import CATALOG

pytestmark = pytest.mark.models


def _engine(spec, configs):
    from bench.full_size import build_full_size_pipeline
    from model.engine import VideoEngine

    pipeline = build_full_size_pipeline(spec.repo_id, "cpu", torch.float32, configs=configs)
    return VideoEngine(spec=spec, pipeline=pipeline, device="cpu", source="test")


def test_the_hd_row_times_standard_two_stage_and_one_stage_renders_on_cpu():
    from bench import gpu
    from bench.gpu_hd import hd_goals, hd_line, measure_hd
    from model.hardware import KINDS

    spec = CATALOG[gpu.FAST_MODEL]
    assert spec.hd is not None
    configs = _shrunk(spec.repo_id)
    engine = _engine(spec, configs)
    small = _small_request(spec, steps=1)
    hd = measure_hd(engine, "cpu", configs=configs, dtype=torch.float32, kind=KINDS["h100"], warmup_steps=1,
                    **small)
    json.dumps(hd)  # goes into `python -m bench --gpu`'s JSON
    assert hd["error"] is None, hd["error"]
    rows = hd["rows"]
    assert set(rows) == {"standard", "hd", "one_stage"}
    assert all(row["error"] is None and row["seconds"] > 0 for row in rows.values()), rows
    side, frames = small["width"], small["num_frames"]
    assert rows["standard"]["frames_shape"] == [frames, side, side, 3]
    # HD: twice the width and height, in two stages (the steps at the standard size, then the refine) or in one.
    assert rows["hd"]["frames_shape"] == rows["one_stage"]["frames_shape"] == [frames, 2 * side, 2 * side, 3]
    assert rows["hd"]["refine_steps"] == spec.hd.refine_steps and rows["one_stage"]["refine_steps"] == 0
    assert hd["hd_over_one_stage"] == round(rows["hd"]["seconds"] / rows["one_stage"]["seconds"], 3)
    assert hd["hd_over_standard"] == round(rows["hd"]["seconds"] / rows["standard"]["seconds"], 3)
    # No CUDA memory counters: the plan's HD call is stated, the fit is not made up.
    memory = hd["memory"]
    assert memory["plan_kind"] == "h100" and memory["hd_call_planned_gib"] > memory["hd_call_planned_extra_gib"] > 0
    assert memory["hd_call_extra_gib"] is None and memory["hd_fits_memory_plan"] is None
    assert engine.upsampler is None and engine.upsample_pipeline is None  # taken off again
    assert "HD two-stage 128x128" in hd_line(spec.key, hd)

    goals = {goal["metric"]: goal for goal in hd_goals({spec.key: {"fast": {"hd": hd}}}, spec.key)}
    assert goals["hd_over_one_stage"]["value"] == hd["hd_over_one_stage"]
    assert goals["hd_over_one_stage"]["met"] is (hd["hd_over_one_stage"] <= 0.6)
    assert goals["hd_over_one_stage"]["settings"] == "128x128 vs 128x128 in one stage, 9 frames, 1 + 3 steps"
    assert goals["hd_fits_memory_plan"]["met"] is None
    not_run = {goal["metric"]: goal for goal in gpu._evaluate_goals({})}  # what bench --gpu judges
    assert not_run["hd_over_one_stage"]["met"] is None and not_run["hd_over_one_stage"]["settings"] == "not run"


def test_an_hd_row_that_fails_is_reported_not_raised():
    from bench import gpu
    from bench.gpu_hd import build_upsampler, hd_line, measure_hd

    spec = CATALOG[gpu.FAST_MODEL]
    configs = _shrunk(spec.repo_id)
    engine = _engine(spec, configs)
    upsampler = build_upsampler(spec, "cpu", torch.float32, configs)

    def broken(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    upsampler.forward = broken
    hd = measure_hd(engine, "cpu", upsampler=upsampler, warmup_steps=1, **_small_request(spec, steps=1))
    rows = hd["rows"]
    assert rows["hd"]["error"] == "out of memory: CUDA out of memory. Tried to allocate 20.00 GiB"
    assert hd["error"] == f"hd: {rows['hd']['error']}"
    assert rows["standard"]["error"] is None and rows["one_stage"]["error"] is None  # the other rows still ran
    assert hd["hd_over_one_stage"] is None and hd["hd_over_standard"] is None
    assert "out of memory" in hd_line(spec.key, hd)

    # A model without HD, or an override the row does not know: reported too.
    no_hd = measure_hd(SimpleNamespace(spec=CATALOG["wan2.1-t2v-1.3b"]), "cpu")
    assert "has no HD recipe" in no_hd["error"] and no_hd["rows"] == {}
    unknown = measure_hd(engine, "cpu", upsampler=upsampler, fps=12)
    assert "only width, height, num_frames, steps can be overridden" in unknown["error"]


def test_bench_gpu_runs_the_hd_row_on_the_fast_model_only_when_on(capsys):
    from bench import gpu
    from settings import read_setting

    spec = CATALOG[gpu.FAST_MODEL]
    assert read_setting("REEL_BENCH_HD", {}) == "on"
    assert read_setting("REEL_BENCH_HD", {"REEL_BENCH_HD": "off"}) == "off"
    result = gpu.measure_model(
        spec, "cpu", baseline="off", configs=_shrunk(spec.repo_id), request_overrides=_small_request(spec, steps=1),
        hd={**_small_request(spec, steps=1), "warmup_steps": 1},
    )
    hd = result["fast"]["hd"]
    assert hd["error"] is None, hd["error"]
    assert hd["rows"]["hd"]["frames_shape"][1:3] == [2 * dim for dim in result["fast"]["frames_shape"][1:3]]
    assert f"[bench --gpu] {spec.key} HD, 9 frames: standard 64x64" in capsys.readouterr().out
    models = {spec.key: result}
    gpu.print_report({"device": "cpu", "torch": torch.__version__, "cuda": None, "diffusers": "-",
                      "baseline_steps": 1, "models": models, "goals": gpu._evaluate_goals(models),
                      "notes": gpu._notes(models)})
    printed = capsys.readouterr().out
    assert "HD (fast path)" in printed and f"  {spec.key} HD, 9 frames: " in printed
    assert f"two-stage HD at most 0.6x the one-stage time: {spec.key} (128x128 vs 128x128" in printed
