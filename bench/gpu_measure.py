"""Measuring one catalog model for `python -m bench --gpu` (bench/gpu.py): build it at full size with random
weights, apply the fast path or not, warm it up, time one default request through Reel's own engine."""

from __future__ import annotations

import dataclasses
import statistics
import time

import torch

from settings import default_of

from .gpu_fast_path import apply_benchmark_fast_path
from .gpu_report import _progress
from .gpu_timing import _allocated_gib, _free_memory, _gib, _is_cuda, _peak_gib, _Probe, _reset_peak, _sync

# The same request the CPU benchmark makes.
PROMPT = "a paper boat drifting down a rain-soaked street at dusk"
SEED = 1234

DEFAULT_BASELINE = default_of("REEL_BENCH_BASELINE")  # float32
DEFAULT_BASELINE_STEPS = default_of("REEL_BENCH_BASELINE_STEPS")  # 4
WARMUP_STEPS = 2


def default_request(spec, **overrides):
    """The request a person gets by typing a prompt and pressing Generate (text-to-video)."""
    from model.requests import plan_request

    request = plan_request(spec, PROMPT, seed=SEED)
    return dataclasses.replace(request, **overrides) if overrides else request


def _settings(request) -> dict:
    return {
        "resolution": request.resolution,
        "width": request.width,
        "height": request.height,
        "num_frames": request.num_frames,
        "fps": request.fps,
        "video_seconds": round(request.seconds, 3),
        "steps": request.steps,
        "guidance": request.guidance,
        "mode": request.mode,
        "prompt": request.prompt,
        "seed": request.seed,
    }


def _weights_bytes(counts: dict[str, int], dtype: torch.dtype) -> int:
    return sum(counts.values()) * torch.empty((), dtype=dtype).element_size()


def measure_variant(
    spec,
    request,
    device,
    *,
    fast: bool,
    dtype: torch.dtype,
    steps: int | None = None,
    configs=None,
    parameter_counts: dict[str, int] | None = None,
    storyboard: dict | None = None,
    precision=None,
    aot: bool = False,
    hd: dict | None = None,
) -> dict:
    """Build the full-size pipeline for `spec` in `dtype`, optionally with the fast path, warm it up and time one
    `request` (with `steps` steps when given, then scaled to the request's steps). Errors (out of memory above
    all) are reported in the result, not raised, so one model cannot stop the others.

    `storyboard` (keyword arguments of bench/gpu_storyboard.py's measure_storyboard, e.g. {"shots": 12}): then
    the same engine also runs that storyboard, into result["storyboard"].

    `hd` (keyword arguments of bench/gpu_hd.py's measure_hd, e.g. {"kind": kind}): then the same engine also runs
    the HD row (standard, two-stage HD and one-stage HD-size renders), into result["hd"], after any storyboard.

    `precision` (model.precision.Precision): the fast variant holds its weights as that says (FP8 compute, FP8
    storage or bf16, as loading.py would), and with `aot` its transformer is compiled ahead of time the way
    model/aot.py does on ZeroGPU (spaces' AoT helpers also run on an ordinary GPU)."""
    from model.engine import VideoEngine

    from .full_size import build_full_size_pipeline

    dtype_name = str(dtype).removeprefix("torch.")
    result: dict = {"variant": "fast" if fast else "baseline", "dtype": dtype_name, "error": None}
    pipeline = engine = probe = None
    try:
        if _is_cuda(device) and parameter_counts:
            need = _weights_bytes(parameter_counts, dtype)
            total = torch.cuda.get_device_properties(device).total_memory
            if need > 0.98 * total:
                raise MemoryError(f"the weights alone need {_gib(need)} GiB in {dtype_name}; the GPU has {_gib(total)}")

        _free_memory(device)
        _reset_peak(device)
        _sync(device)
        start = time.perf_counter()
        pipeline = build_full_size_pipeline(spec.repo_id, device, dtype, configs=configs)
        _sync(device)
        result["build_s"] = round(time.perf_counter() - start, 2)
        result["weights_gib"] = _allocated_gib(device)
        result["build_peak_gib"] = _peak_gib(device)[0]

        if fast and precision is not None:
            from model.quantization import apply_precision

            precision, failures = apply_precision(pipeline, spec, precision)  # as loading does
            result["precision"], result["precision_failures"] = precision.describe(), failures
            result["weights_narrow_gib"] = _allocated_gib(device)
            report, result["fast_path"] = apply_benchmark_fast_path(
                pipeline, spec, device, precision=precision, precision_failures=failures
            )
            if aot:
                from model.aot import compile_transformer_on_zerogpu, example_calls

                _sync(device)
                start = time.perf_counter()
                compile_transformer_on_zerogpu(pipeline, example_calls(spec))
                _sync(device)
                result["aot_compile_s"] = round(time.perf_counter() - start, 2)
        elif fast:
            if spec.speed.transformer_storage_dtype:
                from model.quantization import store_transformer_narrow

                store_transformer_narrow(pipeline, spec)  # as loading does, before anything runs
                result["weights_narrow_gib"] = _allocated_gib(device)
            report, result["fast_path"] = apply_benchmark_fast_path(pipeline, spec, device)
        else:
            report = None
            result["fast_path"] = {
                "applied": [],
                "skipped": [["all", "baseline: no fast path (no cache hook, no VAE tiling)"]],
                "via": None,
            }

        engine = VideoEngine(
            spec=spec, pipeline=pipeline, device=str(device), source=f"random weights ({spec.repo_id})",
            fast_path=report,
        )
        probe = _Probe(pipeline, device).attach()

        warmup = dataclasses.replace(request, num_frames=spec.frame_step + 1, steps=min(WARMUP_STEPS, request.steps))
        _sync(device)
        start = time.perf_counter()
        engine.generate_frames(warmup)
        _sync(device)
        result["warmup_s"] = round(time.perf_counter() - start, 2)

        timed = request
        if steps and steps < request.steps:
            timed = dataclasses.replace(request, steps=steps)
        probe.reset()
        _reset_peak(device)
        _sync(device)
        start = time.perf_counter()
        frames = engine.generate_frames(timed)
        _sync(device)
        measured = time.perf_counter() - start

        phases = probe.phases(measured)
        seconds = measured
        if timed.steps != request.steps:
            # No cache hook here: every step is the same work, so denoising scales with the step count.
            scaled = phases["denoise_s"] * request.steps / timed.steps
            seconds = measured - phases["denoise_s"] + scaled
            result["extrapolated_from_steps"] = timed.steps
            result["measured_s"] = round(measured, 3)
            result["measured_phases"] = dict(phases)
            phases["denoise_s"] = round(scaled, 3)
        peak, reserved = _peak_gib(device)
        passes = len(probe.pass_s)
        full = probe.full_passes if probe.counts_full_passes else None
        full_pass_s = sorted(probe.pass_s, reverse=True)[: full or passes]
        result.update(
            {
                "seconds": round(seconds, 3),
                "gpu_s_per_video_s": round(seconds / request.seconds, 3),
                "peak_gib": peak,
                "peak_reserved_gib": reserved,
                "phases": phases,
                "steps_run": timed.steps,
                "transformer_passes": passes,
                "full_passes": full,
                "median_full_pass_s": round(statistics.median(full_pass_s), 4) if full_pass_s else None,
                "non_finite_passes": probe.non_finite_passes,
                "frames_shape": list(frames.shape),
                "vae_tiling": bool(getattr(pipeline.vae, "use_tiling", False)),
            }
        )
        if storyboard is not None or hd is not None:
            probe.detach()  # its synchronised hooks would slow every pass of what follows
        if storyboard is not None:
            from .gpu_storyboard import measure_storyboard

            result["storyboard"] = measure_storyboard(engine, device, **storyboard)
        if hd is not None:
            from .gpu_hd import measure_hd

            result["hd"] = measure_hd(engine, device, configs=configs, dtype=dtype, **hd)
    except (torch.OutOfMemoryError, MemoryError) as error:
        result["error"] = f"out of memory: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
    except Exception as error:  # one model's failure is reported, the others still run
        result["error"] = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    if probe is not None:
        probe.detach()
    pipeline = engine = probe = None
    _free_memory(device)
    left = _allocated_gib(device)
    if left:
        result["left_allocated_gib"] = left
    return result


def estimate_for(spec, request, kind) -> dict:
    """Reel's GPU time estimate for `request` on `kind` (the GPU measured) and on ZeroGPU `large` (Blackwell).
    The weight move a fresh ZeroGPU worker pays is left out: the benchmark builds its weights on the GPU."""
    from model.gpu_time import GpuPolicy
    from model.hardware import KINDS

    return {
        "kind": kind.key,
        "estimated_s": round(GpuPolicy(kind=kind).needs(spec, request), 2),
        "zerogpu_large_estimated_s": round(GpuPolicy(kind=KINDS["zerogpu-rtx-pro-6000"]).needs(spec, request), 2),
    }


def _no_cache_estimate(fast: dict) -> float | None:
    """What the fast variant would take if every pass ran in full (the cache hook skipping nothing): an upper bound
    for the fast path with trained weights, from the same run."""
    passes, median = fast.get("transformer_passes"), fast.get("median_full_pass_s")
    if not passes or median is None or fast.get("full_passes") is None:
        return None
    phases = fast["phases"]
    return round(fast["seconds"] - phases["denoise_s"] + passes * median, 3)

def measure_model(
    spec,
    device="cuda",
    *,
    baseline: str = DEFAULT_BASELINE,
    baseline_steps: int | None = DEFAULT_BASELINE_STEPS,
    configs=None,
    request_overrides: dict | None = None,
    kind=None,
    storyboard: dict | None = None,
    hd: dict | None = None,
) -> dict:
    """Both variants of one catalog model at its default settings (request_overrides: tests shrink the request).
    `storyboard`: the fast variant also runs a storyboard (see measure_variant). `hd`: the fast variant also runs
    the HD row (bench/gpu_hd.py; `kind` is passed on to it, and tests shrink it with width, height, num_frames and
    steps in `hd`).

    `kind` (model.hardware.GpuKind): the GPU this runs on; the result then carries what Reel's GPU time estimate
    says for the same request there, to set against the measured seconds."""
    from .full_size import meta_parameter_counts

    request = default_request(spec, **(request_overrides or {}))
    counts = meta_parameter_counts(spec.repo_id, configs)
    result = {
        "model": spec.key,
        "label": spec.label,
        "repo_id": spec.repo_id,
        "pipeline": spec.pipeline_class,
        "parameters_billion": {name: round(count / 1e9, 3) for name, count in counts.items()},
        "settings": _settings(request),
        "fast": measure_variant(
            spec, request, device, fast=True, dtype=getattr(torch, spec.torch_dtype), configs=configs,
            parameter_counts=counts, storyboard=storyboard, hd=None if hd is None else {"kind": kind, **hd},
        ),
    }
    result["fast"]["all_passes_full_estimate_s"] = (
        _no_cache_estimate(result["fast"]) if not result["fast"]["error"] else None
    )
    if kind is not None:
        result["estimate"] = estimate_for(spec, request, kind)
    _progress(spec.key, result["fast"])
    if baseline != "off":
        result["baseline"] = measure_variant(
            spec, request, device, fast=False, dtype=getattr(torch, baseline), steps=baseline_steps or None,
            configs=configs, parameter_counts=counts,
        )
        _progress(spec.key, result["baseline"])
        fast_s, base_s = result["fast"].get("seconds"), result["baseline"].get("seconds")
        result["speedup"] = round(base_s / fast_s, 2) if fast_s and base_s else None
    return result
