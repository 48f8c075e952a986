"""`python -m bench --gpu`'s precision comparison for the default model, at full size with random weights: the same
default clip with the transformer in bf16, in FP8 storage (bf16 compute), in FP8 compute (torchao float8, the text
encoder's weights in FP8 too), and in FP8 compute with the transformer compiled ahead of time as model/aot.py does
on ZeroGPU. Each variant builds its pipeline afresh and gets its own warm-up; the report gives time and peak memory
as ratios to bf16 in the same run (a figure from another run or machine is not comparable), and whether the peak
fits ZeroGPU's `large` size.

Knob: REEL_BENCH_PRECISIONS (default "bf16,fp8_storage,fp8_compute,fp8_compute+aot"; "off" skips the comparison).
"""

from __future__ import annotations

import torch

from settings import read_setting

from .gpu_measure import default_request, measure_variant
from .gpu_timing import GIB

PRECISION_VARIANTS = ("bf16", "fp8_storage", "fp8_compute", "fp8_compute+aot")


def precision_variants(environ=None) -> tuple[str, ...]:
    """REEL_BENCH_PRECISIONS, checked: a comma-separated subset of PRECISION_VARIANTS, or "off" (none); unset, every
    variant."""
    names = read_setting("REEL_BENCH_PRECISIONS", environ)
    if names is None:
        return PRECISION_VARIANTS
    if names == ("off",):
        return ()
    unknown = [name for name in names if name not in PRECISION_VARIANTS]
    if unknown:
        raise SystemExit(f"REEL_BENCH_PRECISIONS: unknown {', '.join(unknown)}; choose from {', '.join(PRECISION_VARIANTS)}")
    return names


def _precision(name: str, spec, kind):
    """The Precision a variant runs and whether it compiles. The text encoder's FP8 weights go with FP8 compute, as
    the plan pairs them; the attention backend is the one the plan picks for this GPU in every variant."""
    from model.precision import Precision, choose_precision

    planned = choose_precision(spec, kind)
    mode = name.removesuffix("+aot")
    precision = Precision(
        mode,
        text_encoder_fp8=mode == "fp8_compute" and planned.text_encoder_fp8,
        attention_backend=planned.attention_backend,
    )
    return precision, name.endswith("+aot")


def measure_precisions(spec, device, kind, variants=PRECISION_VARIANTS, configs=None, request_overrides=None) -> dict:
    """One default clip per precision variant; rows with seconds, peak GiB and their ratios to bf16."""
    from model.hardware import KINDS

    from .full_size import meta_parameter_counts

    request = default_request(spec, **(request_overrides or {}))
    counts = meta_parameter_counts(spec.repo_id, configs)
    large = KINDS["zerogpu-rtx-pro-6000"]
    rows = {}
    for name in variants:
        precision, aot = _precision(name, spec, kind)
        print(f"[bench --gpu] {spec.key}: precision {name} ...", flush=True)
        rows[name] = measure_variant(
            spec, request, device, fast=True, dtype=torch.bfloat16, configs=configs, parameter_counts=counts,
            precision=precision, aot=aot,
        )
    base = rows.get("bf16", {})
    for row in rows.values():
        for figure, key in (("seconds", "time_vs_bf16"), ("peak_gib", "peak_vs_bf16")):
            mine, theirs = row.get(figure), base.get(figure)
            row[key] = round(mine / theirs, 3) if mine and theirs else None
        peak = row.get("peak_gib")
        row["peak_fits_zerogpu_large"] = None if peak is None else peak * GIB <= large.memory_bytes
    return {"model": spec.key, "settings": {"width": request.width, "height": request.height,
                                             "num_frames": request.num_frames, "steps": request.steps},
            "variants": rows}


def precision_lines(comparison: dict) -> list[str]:
    """The comparison as printed lines: one per variant."""
    lines = [f"Precision comparison, {comparison['model']} {comparison['settings']} (ratios to bf16, this run):"]
    for name, row in comparison["variants"].items():
        if row.get("error"):
            lines.append(f"  {name:<16} error: {row['error']}")
            continue
        failures = "; ".join(f"{step} {why}" for step, why in (row.get("precision_failures") or {}).items())
        peak = "-" if row["peak_gib"] is None else f"{row['peak_gib']:.1f} GiB x{row['peak_vs_bf16']:.2f}"
        lines.append(
            f"  {name:<16} {row['seconds']:8.2f} s  x{row['time_vs_bf16']:.2f}  peak {peak}  fits large: "
            f"{row['peak_fits_zerogpu_large']}" + (f"  ({failures})" if failures else "")
        )
    return lines
