"""The HD row of `python -m bench --gpu` (bench/gpu.py): the default model's two-stage HD against rendering the same
size in one stage, on the fast variant's engine (the full-size random-weight pipeline bench/gpu_measure.py has just
built, warmed up and timed with the fast path on).

The spatial latent upsampler is built at full size with random weights from the model's full-size config (its
"extra_components" entry named by the catalog's HdSpec.upsampler_subfolder, bench/full_size_ltx2.py), in the
pipeline's dtype on the GPU, and handed to the engine as model/loading.py hands over the real one (VideoEngine's
`upsampler` and the LTX2LatentUpsamplePipeline model/stages.py builds on the loaded VAE). model/stages.py's
render_hd moves it to the CPU after each HD call and back in for the next, as on the Space, so the timed HD call
includes that copy.

Three requests, each warmed up first (same size, fewest frames, few steps), each then timed once with
torch.cuda.synchronize() on both sides:

- standard: the default request (default preset, seconds and steps; text-to-video);
- hd: the same request at quality "hd" (twice the width and height): the default steps at the standard size, the
  latents doubled by the upsampler, then the HdSpec's short refine at the HD size;
- one_stage: the standard request at the HD width and height, quality standard: every step at the HD size.

Reported: seconds and peak GPU memory of each, `hd_over_one_stage` (hd / one_stage: the issue's goal is at most
0.6) and `hd_over_standard` (what HD costs on top of a standard clip).

Memory: the HD peak is compared with the memory plan's HD call (model/memory.py hd_call_bytes) for this model alone
on the GPU kind the benchmark runs on. The plan's weights are those of the precision the plan picks for that kind
(FP8 compute and an FP8 text encoder on an H100), not those this engine holds (FP8 storage, the fast path as
bench/gpu_fast_path.py runs it), so the whole peak is not comparable with hd_call_bytes. What is compared is what
the HD call adds on top of the weights already in GPU memory, `hd_call_extra_gib` = the call's peak allocated minus
what was allocated just before it (the upsampler moved in plus the activations), against what hd_call_bytes adds to
the plan's weights and runtime reserve (twice HdSpec.upsampler_parameters for bf16, plus HdSpec.activation_bytes):
`hd_fits_memory_plan`. `hd_call_planned_gib` is hd_call_bytes itself and `hd_call_with_plan_weights_gib` the plan's
weights and reserve plus the measured extra, set against the plan's usable memory on that kind
(`hd_fits_usable`). Off CUDA there are no memory counters: those figures are None, never a made-up "fits".

Errors (out of memory above all, say in the one-stage render at the HD size) are reported in the result, per row
and in `error`, not raised: the rows that did run keep their figures.

Only the default model's fast variant and this row, without `python -m bench`'s minutes of CPU figures first: with
REEL_BENCH_MODELS=ltx-2-distilled REEL_BENCH_BASELINE=off REEL_BENCH_STORYBOARD_SHOTS=0 REEL_BENCH_PRECISIONS=off
in the environment, run python -c "from bench.gpu import run_gpu_benchmark; run_gpu_benchmark()".
Not run on a GPU yet (2026-12-07): tests/test_bench_hd.py runs it on CPU on the shrunk config.
"""

from __future__ import annotations

import dataclasses
import time

from .gpu_timing import GIB, _free_memory, _is_cuda, _peak_gib, _reset_peak, _sync

ROWS = ("standard", "hd", "one_stage")
HD_GOAL = 0.6  # two-stage HD at most 0.6x the one-stage time
OVERRIDABLE = ("width", "height", "num_frames", "steps")


def _error_text(error: BaseException) -> str:
    import torch

    first = str(error).splitlines()[0] if str(error) else ""
    if isinstance(error, (torch.OutOfMemoryError, MemoryError)):
        return f"out of memory: {first or type(error).__name__}"
    return f"{type(error).__name__}: {first}"


def _allocated_bytes(device) -> int | None:
    import torch

    return torch.cuda.memory_allocated(device) if _is_cuda(device) else None


def _peak_bytes(device) -> int | None:
    import torch

    return torch.cuda.max_memory_allocated(device) if _is_cuda(device) else None


def build_upsampler(spec, device, dtype, configs=None):
    """HD's spatial latent upsampler at full size (or as `configs` shrinks it) with random weights, on `device` in
    `dtype`, from the model's full-size config."""
    from .full_size import FULL_SIZE_CONFIGS, build_component

    config = (configs or FULL_SIZE_CONFIGS)[spec.repo_id]
    name = spec.hd.upsampler_subfolder
    extras = config.get("extra_components", {})
    if name not in extras:
        raise KeyError(f"the full-size config of {spec.repo_id} has no {name!r} among its extra_components")
    return build_component(extras[name], device, dtype, seed=len(config["components"]))


def hd_requests(engine, **overrides) -> dict:
    """The three requests, by row. `overrides` (width, height, num_frames, steps) shrink the standard request for
    tests; the HD ones are then twice its width and height."""
    from .gpu_measure import PROMPT, SEED, default_request

    unknown = set(overrides) - set(OVERRIDABLE)
    if unknown:
        raise ValueError(f"only {', '.join(OVERRIDABLE)} can be overridden, not {', '.join(sorted(unknown))}")
    spec = engine.spec
    scale = spec.hd.scale
    standard = default_request(spec, **overrides)
    hd = engine.plan(prompt=PROMPT, seed=SEED, quality="hd")  # the engine's own check that it offers HD
    hd = dataclasses.replace(
        hd, width=scale * standard.width, height=scale * standard.height, num_frames=standard.num_frames,
        steps=standard.steps,
    )
    one_stage = dataclasses.replace(standard, width=hd.width, height=hd.height)
    return {"standard": standard, "hd": hd, "one_stage": one_stage}


def _time_row(engine, request, device, warmup_steps: int) -> dict:
    """Warm the shape up (fewest frames, few steps), then time the request once, synchronised."""
    spec = engine.spec
    warm = dataclasses.replace(request, num_frames=spec.frame_step + 1, steps=min(warmup_steps, request.steps))
    row: dict = {"size": f"{request.width}x{request.height}", "num_frames": request.num_frames,
                 "steps": request.steps, "refine_steps": request.refine_steps, "error": None}
    try:
        _sync(device)
        start = time.perf_counter()
        engine.generate_frames(warm)
        _sync(device)
        row["warmup_s"] = round(time.perf_counter() - start, 3)
        _reset_peak(device)
        _sync(device)
        before = _allocated_bytes(device)
        start = time.perf_counter()
        frames = engine.generate_frames(request)
        _sync(device)
        seconds = time.perf_counter() - start
        peak, reserved = _peak_gib(device)
        peak_bytes = _peak_bytes(device)
        row.update(
            {
                "seconds": round(seconds, 3),
                "gpu_s_per_video_s": round(seconds / request.seconds, 3),
                "peak_gib": peak,
                "peak_reserved_gib": reserved,
                "call_extra_gib": None if peak_bytes is None else round((peak_bytes - before) / GIB, 2),
                "frames_shape": list(frames.shape),
            }
        )
    except Exception as error:  # out of memory above all; the other rows still run
        row["error"] = _error_text(error)
    _free_memory(device)  # an out-of-memory traceback's tensors, before the next row
    return row


def _memory_check(spec, kind, row: dict) -> dict:
    """The HD call against the memory plan's HD call on `kind` (see the module's docstring)."""
    from model.memory import hd_call_bytes, plan_zerogpu_size

    checked = {"plan_kind": None, "hd_call_planned_gib": None, "hd_call_planned_extra_gib": None,
               "hd_call_extra_gib": row.get("call_extra_gib"), "hd_fits_memory_plan": None,
               "hd_call_with_plan_weights_gib": None, "plan_usable_gib": None, "hd_fits_usable": None}
    if kind is None:
        return checked
    plan = plan_zerogpu_size([spec], kind)
    planned = hd_call_bytes(plan, spec)
    planned_extra = planned - plan.weight_bytes - plan.reserve_bytes
    checked.update(plan_kind=plan.kind.key, hd_call_planned_gib=round(planned / GIB, 2),
                   hd_call_planned_extra_gib=round(planned_extra / GIB, 2),
                   plan_usable_gib=None if plan.usable_bytes is None else round(plan.usable_bytes / GIB, 2))
    extra = row.get("call_extra_gib")
    if extra is None:
        return checked
    with_plan = plan.weight_bytes + plan.reserve_bytes + extra * GIB
    checked.update(
        hd_fits_memory_plan=extra * GIB <= planned_extra,
        hd_call_with_plan_weights_gib=round(with_plan / GIB, 2),
        hd_fits_usable=None if plan.usable_bytes is None else with_plan <= plan.usable_bytes,
    )
    return checked


def measure_hd(engine, device, *, configs=None, dtype=None, kind=None, warmup_steps: int = 2, upsampler=None,
               **overrides) -> dict:
    """Time the standard, two-stage HD and one-stage HD-size renders on `engine` (a model whose spec has `hd`, the
    engine already warmed up on a standard request). The upsampler is built here (full size, or as `configs` shrinks
    it; in `dtype`, default the catalog entry's) unless one is given, attached to the engine for the measurement and
    taken off again. `kind` (model.hardware.GpuKind): the GPU this runs on, for the memory plan. `overrides` (width,
    height, num_frames, steps) shrink the requests for tests. Errors are reported in the result, not raised."""
    import torch

    from model.stages import build_upsample_pipeline

    spec = engine.spec
    result: dict = {"model": spec.key, "error": None, "rows": {}}
    attached = False
    try:
        if spec.hd is None:
            raise ValueError(f"{spec.label} has no HD recipe (its catalog entry has no hd)")
        if upsampler is None:
            dtype = dtype if dtype is not None else getattr(torch, spec.torch_dtype)
            _sync(device)
            start = time.perf_counter()
            upsampler = build_upsampler(spec, device, dtype, configs)
            _sync(device)
            result["upsampler_build_s"] = round(time.perf_counter() - start, 2)
        result["upsampler_parameters"] = sum(parameter.numel() for parameter in upsampler.parameters())
        engine.upsampler = upsampler  # as VideoEngine(upsampler=...) sets them up
        engine.upsample_pipeline = build_upsample_pipeline(engine.pipeline, upsampler)
        attached = True
        requests = hd_requests(engine, **overrides)
        result["refine_sigmas"] = list(spec.hd.refine_sigmas)
        for name in ROWS:
            print(f"[bench --gpu] {spec.key} HD row: {name} {requests[name].width}x{requests[name].height} ...",
                  flush=True)
            result["rows"][name] = _time_row(engine, requests[name], device, warmup_steps)
        rows = result["rows"]
        failed = [f"{name}: {rows[name]['error']}" for name in ROWS if rows[name]["error"]]
        if failed:
            result["error"] = "; ".join(failed)
        seconds = {name: rows[name].get("seconds") for name in ROWS}
        result["hd_over_one_stage"] = (
            round(seconds["hd"] / seconds["one_stage"], 3) if seconds["hd"] and seconds["one_stage"] else None
        )
        result["hd_over_standard"] = (
            round(seconds["hd"] / seconds["standard"], 3) if seconds["hd"] and seconds["standard"] else None
        )
        result["memory"] = _memory_check(spec, kind, rows["hd"])
    except Exception as error:  # reported beside the model's other figures, which stand
        result["error"] = _error_text(error)
    if attached:
        engine.upsampler = engine.upsample_pipeline = None
    upsampler = None
    _free_memory(device)
    return result


def hd_goals(models: dict, key: str) -> list[dict]:
    """The issue's goals for the default model's HD row: two-stage HD at most 0.6x the one-stage time, and the HD
    call within the memory plan's. Not run: not measured, never "met"."""
    hd = (models.get(key, {}).get("fast") or {}).get("hd") or {}
    rows = hd.get("rows", {})
    settings = "not run" if "hd" not in rows else (
        f"{rows['hd']['size']} vs {rows['one_stage']['size']} in one stage, {rows['hd']['num_frames']} frames, "
        f"{rows['hd']['steps']} + {rows['hd']['refine_steps']} steps"
    )
    ratio = hd.get("hd_over_one_stage")
    fits = (hd.get("memory") or {}).get("hd_fits_memory_plan")
    return [
        {"model": key, "what": f"two-stage HD at most {HD_GOAL:g}x the one-stage time", "metric": "hd_over_one_stage",
         "below": None, "goal": f"<= {HD_GOAL:g}", "value": ratio, "met": None if ratio is None else ratio <= HD_GOAL,
         "settings": settings},
        {"model": key, "what": "two-stage HD fits the memory plan's HD call", "metric": "hd_fits_memory_plan",
         "below": None, "goal": "True", "value": fits, "met": fits, "settings": settings},
    ]


def _gib_text(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def hd_line(key: str, hd: dict) -> str:
    """The printed row."""
    rows = hd.get("rows", {})
    if not rows:
        return f"{key} HD: {hd['error']}"
    parts = []
    for name in ROWS:
        row = rows.get(name)
        if row is None:
            continue
        label = {"standard": "standard", "hd": "HD two-stage", "one_stage": "one stage"}[name]
        if row["error"]:
            parts.append(f"{label} {row['size']}: {row['error']}")
            continue
        steps = f"{row['steps']}+{row['refine_steps']}" if row["refine_steps"] else f"{row['steps']}"
        parts.append(f"{label} {row['size']} ({steps} steps) {row['seconds']:.1f} s, peak {_gib_text(row['peak_gib'])}"
                     " GiB")
    ratio = hd.get("hd_over_one_stage")
    over_standard = hd.get("hd_over_standard")
    memory = hd.get("memory") or {}
    line = f"{key} HD, {rows.get('hd', rows.get('standard', {})).get('num_frames', '-')} frames: " + "; ".join(parts)
    line += (f"; HD/one-stage {'-' if ratio is None else f'{ratio:.2f}'} (goal <= {HD_GOAL:g}), HD/standard "
             f"{'-' if over_standard is None else f'{over_standard:.2f}'}")
    if memory.get("plan_kind"):
        line += (f"; HD call adds {_gib_text(memory['hd_call_extra_gib'])} GiB to the weights, planned "
                 f"{_gib_text(memory['hd_call_planned_extra_gib'])} GiB on {memory['plan_kind']}: fits "
                 f"{memory['hd_fits_memory_plan']}")
    return line
