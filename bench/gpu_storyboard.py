"""The storyboard row of `python -m bench --gpu` (bench/gpu.py): a one-minute storyboard on the fast model.

12 shots of 5 s (model.plan_storyboard at the model's default preset and steps, style "none", seed SEED) run by
Reel's own storyboard runner (model.run_storyboard: continuity conditioning on the last frames of the video so
far, colour matching, stitching; no shot cache, no encoding) through Reel's engine, on the full-size
random-weight pipeline that bench/gpu_measure.py has just built, warmed up and timed with the fast path on.

Reported: `gpu_s_per_video_s`, the seconds of the 12 generate_frames calls (each synchronised; on ZeroGPU each
is its own GPU call) over the seconds of the stitched video; `wall_s_per_video_s`, the whole runner (colour
matching and stitching on the CPU included) over the same; per-shot seconds (the longest is what one ZeroGPU call
must be granted) and the colour drift at the cuts (random weights: meaningless as quality, kept as a check).

The video is shorter than 60 s: a later shot is made 8 frames longer to make up for the 9 it drops at the cut,
but no shot may pass the model's 121-frame limit, so each of shots 2-12 adds 112 frames (4.67 s):
121 + 11 * 112 = 1353 frames, 56.4 s at 24 fps. The figure is per second of the video actually made.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from settings import default_of

from .gpu_timing import _peak_gib, _reset_peak, _sync

STORYBOARD_SHOTS = default_of("REEL_BENCH_STORYBOARD_SHOTS")  # 12
STORYBOARD_SHOT_SECONDS = 5.0
PROMPT = "a paper boat drifting down a rain-soaked street at dusk"  # bench/gpu_measure.py's prompt
SEED = 1234


def storyboard_plan(spec, shots: int = STORYBOARD_SHOTS, seconds: float = STORYBOARD_SHOT_SECONDS, **overrides):
    """The planned storyboard; `overrides` (width, height, steps only) shrink every shot for tests."""
    from model import plan_storyboard

    unknown = set(overrides) - {"width", "height", "steps"}
    if unknown:
        raise ValueError(f"only width, height and steps can be overridden, not {', '.join(sorted(unknown))}")
    items = [{"prompt": f"{PROMPT}, part {number}", "seconds": seconds} for number in range(1, shots + 1)]
    plan = plan_storyboard(spec, items, style="none", seed=SEED, max_total_seconds=shots * seconds)
    if not overrides:
        return plan
    planned = tuple(dataclasses.replace(shot, request=dataclasses.replace(shot.request, **overrides))
                    for shot in plan.shots)
    return dataclasses.replace(plan, shots=planned, **overrides)


def measure_storyboard(engine, device, shots: int = STORYBOARD_SHOTS, seconds: float = STORYBOARD_SHOT_SECONDS,
                       warmup_steps: int = 2, **overrides) -> dict:
    """Time the storyboard on an engine that has already been warmed up on a text-to-video request. Errors (out of
    memory above all) are reported in the result, not raised."""
    import torch

    from model import run_storyboard
    from model.continuity import continuity_for

    from .storyboard import drift_summary

    result: dict = {"shots": shots, "shot_seconds": seconds, "error": None}
    try:
        plan = storyboard_plan(engine.spec, shots, seconds, **overrides)
        spec = engine.spec
        # Warm-up of the conditioned path (a video condition is VAE-encoded first): same size, short, few steps.
        overlap = continuity_for(spec).overlap
        warm = dataclasses.replace(
            plan.shots[-1].request, num_frames=2 * spec.frame_step + 1, steps=min(warmup_steps, plan.steps)
        )
        engine.generate_frames(warm, start_frames=np.zeros((overlap, plan.height, plan.width, 3), np.uint8))

        shot_s: list[float] = []

        def run_shot(request, inputs, on_progress):
            _sync(device)
            start = time.perf_counter()
            frames = engine.generate_frames(request, on_progress, **inputs.engine_kwargs())
            _sync(device)
            shot_s.append(time.perf_counter() - start)
            return frames

        _reset_peak(device)
        _sync(device)
        start = time.perf_counter()
        made = run_storyboard(engine, plan, run_shot=run_shot)
        total = time.perf_counter() - start
        video_s = len(made.frames) / plan.fps
        drift = drift_summary([made.manifest]) if shots > 1 else None
        result.update(
            {
                "size": f"{plan.width}x{plan.height}",
                "steps": plan.steps,
                "frames_per_shot": [shot.request.num_frames for shot in plan.shots],
                "video_frames": len(made.frames),
                "video_seconds": round(video_s, 3),
                "seconds": round(total, 3),
                "shots_s": [round(value, 3) for value in shot_s],
                "max_shot_s": round(max(shot_s), 3),
                "gpu_s_per_video_s": round(sum(shot_s) / video_s, 3),
                "wall_s_per_video_s": round(total / video_s, 3),
                "peak_gib": _peak_gib(device)[0],
                "drift_raw": None if drift is None else round(drift["raw"], 3),
                "drift_matched": None if drift is None else round(drift["matched"], 3),
            }
        )
    except (torch.OutOfMemoryError, MemoryError) as error:
        result["error"] = f"out of memory: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
    except Exception as error:  # reported beside the model's other figures, which stand
        result["error"] = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return result


def storyboard_line(key: str, storyboard: dict) -> str:
    """The printed row."""
    label = f"{storyboard['shots']} shots x {storyboard['shot_seconds']:g} s"
    if storyboard["error"]:
        return f"{key} storyboard ({label}): {storyboard['error']}"
    return (f"{key} storyboard ({label}, {storyboard['size']}, {storyboard['steps']} steps, "
            f"{storyboard['video_seconds']:.1f} s of video): {storyboard['gpu_s_per_video_s']:.2f} GPU s per video s "
            f"({sum(storyboard['shots_s']):.1f} s in {storyboard['shots']} shot calls, longest "
            f"{storyboard['max_shot_s']:.1f} s); {storyboard['wall_s_per_video_s']:.2f} s per video s with colour "
            f"matching and stitching; peak {storyboard['peak_gib'] if storyboard['peak_gib'] is not None else '-'} GiB")
