"""The Space's fast path as `python -m bench --gpu` (bench/gpu.py) runs it on a random-weight pipeline: what
model/acceleration.py does on a plain GPU, minus the steps that need the Hub or ZeroGPU (reported as skipped)."""

from __future__ import annotations

import dataclasses

_LORA_REASON = "needs the real LoRA weights from the Hub; this benchmark has random weights and no Hub"
_AOT_REASON = (
    "ZeroGPU only (spaces.aoti_capture / aoti_compile / aoti_apply); not measured here, the cache hook runs "
    "instead, as on any other GPU"
)


class _FallbackReport:
    """What VideoEngine reads from a fast-path report, when model/acceleration.py is not there."""

    def __init__(self):
        self.applied: list[str] = []
        self.skipped: list[tuple[str, str]] = []
        self.vae_tiling_min_pixels = None


def _fallback_fast_path(pipeline, spec):
    """bf16 (the pipeline is already built in it), the entry's cache hook, VAE tiling from its threshold."""
    report = _FallbackReport()
    speed = spec.speed
    report.applied.append("bf16")
    if speed.cache == "first_block":
        from diffusers import FirstBlockCacheConfig

        pipeline.transformer.enable_cache(FirstBlockCacheConfig(threshold=speed.cache_threshold))
        report.applied.append("cache")
    elif speed.cache:
        report.skipped.append(("cache", f"unknown cache kind {speed.cache!r}"))
    if speed.vae_tiling_min_pixels and hasattr(pipeline.vae, "enable_tiling"):
        report.vae_tiling_min_pixels = speed.vae_tiling_min_pixels
        report.applied.append("vae_tiling")
    return report


def apply_benchmark_fast_path(pipeline, spec, device, precision=None, precision_failures=None) -> tuple[object, dict]:
    """Run the Space's fast path on a random-weight pipeline: model/acceleration.py's apply_fast_path as on a plain
    GPU (not ZeroGPU), with the LoRA step taken out (it would try the Hub). Returns (the report VideoEngine reads,
    {"applied": [step], "skipped": [[step, why]], "via": which code ran it})."""
    bench_spec = spec
    if spec.speed.lora_repo:
        bench_spec = dataclasses.replace(
            spec, speed=dataclasses.replace(spec.speed, lora_repo=None, lora_file=None)
        )
    try:
        from model.acceleration import apply_fast_path
    except ImportError:
        report = _fallback_fast_path(pipeline, bench_spec)
        source = "bench fallback (model/acceleration.py has no apply_fast_path)"
    else:
        report = apply_fast_path(
            pipeline, bench_spec, str(device), zerogpu=False, precision=precision,
            precision_failures=precision_failures,
        )
        source = "model/acceleration.py apply_fast_path"
    skipped = []
    for step, why in report.skipped:
        if step == "lora" and spec.speed.lora_repo:
            why = _LORA_REASON
        elif step == "aot_compile" and spec.speed.aot_compile:
            why = _AOT_REASON
        skipped.append([step, why])
    if spec.speed.lora_repo and "lora" not in [step for step, _ in skipped]:
        skipped.append(["lora", _LORA_REASON])
    return report, {"applied": list(report.applied), "skipped": skipped, "via": source}
