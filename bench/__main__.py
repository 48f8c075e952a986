"""`python -m bench`: a readable table, then ONE line of JSON with every figure.

Goals (CPU, tiny model): e2e_over_bare <= 1.10, storyboard_over_bare <= 1.15, encode_speedup >= 2,
reject_p95_ms < 100, reject_p95_over_clip <= 0.05, cold_start_s <= 10.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import datetime, timezone

CPU_GOALS = {
    "e2e_over_bare": ("<=", 1.10),
    "storyboard_over_bare": ("<=", 1.15),
    "encode_speedup": (">=", 2.0),
    "reject_p95_ms": ("<", 100.0),
    "reject_p95_over_clip": ("<=", 0.05),
    "cold_start_s": ("<=", 10.0),
}


# A short "what it is" beside some rows (docs/performance.md's table says it for the others).
DESCRIPTIONS = {
    "storyboard_over_bare": "/storyboard, 4 shots of 1 s, over its 4 bare pipeline calls (per-round ratio)",
    "storyboard_handler_seconds": "the server's own time in the /storyboard handler",
    "drift_raw": "colour drift at a cut, as generated (0-255, median over cuts)",
    "drift_matched": "the same after Reel's colour matching",
    "drift_matched_over_raw": "below 1: colour matching shrinks the jump at a cut",
    "synthetic_cast_drift_raw": "SYNTHETIC: growing colour cast put on shots 2-4",
    "synthetic_cast_drift_matched": "SYNTHETIC: the same after colour matching",
    "synthetic_cast_drift_matched_over_raw": "SYNTHETIC: matched over raw",
    "sound_clip_seconds": "tiny LTX-2 default clip (3 s with sound): generation + encoding",
    "audio_mux_over_clip": "writing the AAC track, over the clip's whole time",
    "lora_switch_ms": "one per-request adapter switch (none/dolly-in/jib-up cycle)",
    "lora_switch_over_clip": "that switch over the clip's whole time",
    "lora_load_ms": "loading one adapter from its folder (done once, at start)",
    "delivery_clip_seconds": "tiny LTX-2 default clip: generation + encoding (the two rows below divide by it)",
    "c2pa_sign_over_clip": "C2PA-signing the MP4 (throwaway CA, ES256), over the clip's time",
    "history_record_over_clip": "keeping the MP4 in the holder's history, over the clip's time",
    "load_clip_seconds": "tiny LTX-2 default clip through gradio_client, alone (the row below divides by it)",
    "reject_p95_over_clip": "wrong tokens (10/s) while such a clip renders: p95 answer time over the clip's time",
    "load_reject_p50_ms": "those wrong-token answers, median",
    "load_reject_p95_ms": "those wrong-token answers, 95th percentile",
    "load_reject_calls": "wrong-token calls made and answered within a clip",
    "load_clip_with_rejections_over_alone": "the clip with the wrong tokens coming in, over the clip alone",
}


def _meets(value: float, rule: tuple[str, float]) -> bool:
    op, goal = rule
    return {"<=": value <= goal, ">=": value >= goal, "<": value < goal}[op]


def _print_table(results: dict) -> None:
    print(f"{'metric':<40}{'value':>12}  {'goal':<16}what it is")
    for key, value in results.items():
        what = DESCRIPTIONS.get(key, "")
        if isinstance(value, float):
            goal = CPU_GOALS.get(key)
            mark = "" if goal is None else f"{goal[0]} {goal[1]:g}  {'met' if _meets(value, goal) else 'MISSED'}"
            print(f"{key:<40}{value:>12.3f}  {mark:<16}{what}".rstrip())
        else:
            print(f"{key:<40}{str(value):>12}  {'':<16}{what}".rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="timed repetitions per figure (median reported)")
    parser.add_argument("--gpu", action="store_true", help="full-size models on a CUDA GPU (see bench/gpu.py)")
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    if args.gpu:
        import torch

        from .gpu import NO_GPU_MESSAGE

        if not torch.cuda.is_available():
            parser.exit(1, NO_GPU_MESSAGE + "\n")  # before minutes of CPU measurements, not after

    from .cpu import run_cpu_benchmark

    results = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        **run_cpu_benchmark(runs=args.runs),
    }
    if args.gpu:
        from .gpu import run_gpu_benchmark

        results["gpu"] = run_gpu_benchmark()
    _print_table({k: v for k, v in results.items() if k != "gpu"})
    results["cpu_goals_met"] = all(_meets(results[key], rule) for key, rule in CPU_GOALS.items())
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
