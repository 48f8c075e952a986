"""Storyboard figures for `python -m bench` (bench/cpu.py): a 4-shot `/storyboard` through gradio_client against
the bare diffusers calls it is made of, and the colour drift at its cuts with and without colour matching.

storyboard_over_bare: each round times one `/storyboard` call (4 shots of 1 s, style "none", the tiny model's
default preset and steps) and then the same four shots as bare pipeline calls, and takes their ratio; the figure
is the median of the rounds' ratios. Every round uses a new seed (rounds are SEED_STRIDE apart, more than the
4 seeds a storyboard uses), so the server's shot cache never serves a shot and each round really generates all
four.

What the bare side is (bare_storyboard_call): the plan comes from model.plan_storyboard on the same spec and
inputs the server gets, so each shot's prompt, width, height, num_frames (shots 2-4 are 8 frames longer: their
first 9 frames reproduce the conditioning and are dropped at the cut), steps, guidance and seed are the ones the
server's engine runs. The calls are the plain diffusers pipeline (loaded with DiffusionPipeline.from_pretrained
from the server's own tiny-model folder, as the single-clip bare call is), with `output_type="np"`, and shots 2-4
get the engine's continuity conditioning: one LTXVideoCondition at frame_index 0 holding the previous shot's last
9 frames. Included: the four pipeline calls and turning each previous shot's last 9 frames into uint8 pictures.
Excluded (all on the storyboard side only): HTTP, the queue and the client's download, the access gate and a quota
reservation per shot, the GPU-layer call per shot, shot-cache lookups and writes to disk, colour
matching, stitching, the manifest and encoding the whole video. Shots 2-4 of the bare side are conditioned on the
previous bare shot's raw frames, not on the colour-matched video: the same amount of work, other pixel values.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

import numpy as np

SHOT_PROMPTS = (
    "a paper boat drifting down a rain-soaked street at dusk",
    "the boat spins past a glowing shop window",
    "the boat tips over the edge of a storm drain",
    "the boat bobs out into a calm canal under street lamps",
)
SHOT_SECONDS = 1.0
STYLE = "none"
SEED = 1234
SEED_STRIDE = 10  # a storyboard uses seed .. seed + 3; rounds never share a shot


def storyboard_shots(prompts=SHOT_PROMPTS, seconds: float = SHOT_SECONDS) -> list[dict]:
    return [{"prompt": prompt, "seconds": seconds} for prompt in prompts]


def round_seeds(count: int, first: int = SEED, stride: int = SEED_STRIDE) -> list[int]:
    """One seed per storyboard (warm-ups included), far enough apart that no two share a shot's seed."""
    return [first + stride * index for index in range(count)]


def ratios_median(numerators: list[float], denominators: list[float]) -> float:
    """Median of each round's ratio (the two calls of a round ran back to back, so a slow spell hits both)."""
    if len(numerators) != len(denominators) or not numerators:
        raise ValueError("need the same positive number of samples on both sides")
    return statistics.median(n / d for n, d in zip(numerators, denominators))


def storyboard_handler_seconds(log_text: str) -> list[float]:
    """Seconds the `/storyboard` handler took per finished storyboard, in order, from the app's log line."""
    return [float(seconds) for seconds in re.findall(r"Storyboard ready in ([0-9.]+) s", log_text)]


def drift_summary(manifests) -> dict:
    """Colour drift at every cut of the given storyboard manifests (0-255 units): the median of the `raw`
    (as generated) and `matched` (after colour matching) values over all cuts, their ratio matched/raw (below 1:
    matching reduces the jump) and how many cuts went in. Shot 1 has no cut before it and is skipped."""
    raw, matched = [], []
    for manifest in manifests:
        for shot in manifest["shots"]:
            drift = shot.get("colour_drift_at_cut")
            if drift is None:
                continue
            raw.append(float(drift["raw"]))
            matched.append(float(drift["matched"]))
    if not raw:
        raise ValueError("no cuts: every manifest had a single shot")
    raw_median, matched_median = statistics.median(raw), statistics.median(matched)
    return {
        "raw": raw_median,
        "matched": matched_median,
        "matched_over_raw": matched_median / raw_median if raw_median > 0 else float("nan"),
        "cuts": len(raw),
    }


def colour_cast(frames: np.ndarray, shot_index: int, step=(24.0, 4.0, -16.0), fade: float = 0.08) -> np.ndarray:
    """A deliberate colour cast that grows with the shot (shot 0 untouched): contrast down by `fade` and RGB
    shifted by `step` per shot. What a real model's drift between shots looks like, made much larger."""
    if shot_index == 0:
        return frames
    scale = 1.0 - fade * shot_index
    shifted = frames.astype(np.float32) * scale + np.asarray(step, np.float32) * shot_index
    return np.clip(np.rint(shifted), 0, 255).astype(np.uint8)


def bare_storyboard_call(model_dir: Path, spec, shots: list[dict]):
    """The bare side (see the module docstring). Returns (plan_for, run): plan_for(seed) is the storyboard plan
    the server makes for that seed (kept apart so the timing covers the pipeline calls alone), run(plan) makes
    its shots as bare pipeline calls."""
    import torch
    from diffusers import DiffusionPipeline
    from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition
    from PIL import Image

    from model import plan_storyboard
    from model.continuity import continuity_for

    overlap = continuity_for(spec).overlap
    pipeline = DiffusionPipeline.from_pretrained(model_dir)
    pipeline.set_progress_bar_config(disable=True)
    if type(pipeline).__name__ != "LTXConditionPipeline":
        raise RuntimeError(f"{spec.key}: expected an LTXConditionPipeline, got {type(pipeline).__name__}")

    def plan_for(seed: int):
        return plan_storyboard(spec, shots, style=STYLE, seed=seed)

    def run(plan) -> None:
        previous = None
        for shot in plan.shots:
            request = shot.request
            kwargs = dict(
                prompt=request.prompt,
                negative_prompt=request.negative_prompt or None,
                width=request.width,
                height=request.height,
                num_frames=request.num_frames,
                frame_rate=request.fps,
                num_inference_steps=request.steps,
                guidance_scale=request.guidance,
                generator=torch.Generator().manual_seed(request.seed),
                output_type="np",
                **spec.extra_call_kwargs,
            )
            if spec.distilled_timesteps and len(spec.distilled_timesteps) == request.steps:
                kwargs["timesteps"] = list(spec.distilled_timesteps)
            if shot.continues:
                tail = [Image.fromarray(frame) for frame in previous[-overlap:]]
                kwargs["conditions"] = [LTXVideoCondition(video=tail, frame_index=0)]
            frames = pipeline(**kwargs).frames[0]
            previous = (np.clip(frames[-overlap:], 0.0, 1.0) * 255).round().astype(np.uint8)

    return plan_for, run


def measure_storyboard_and_bare(server, token: str, runs: int):
    """`/storyboard` through gradio_client and the bare four calls, in turns, one of each per round after a
    warm-up of each. Returns (storyboard seconds, bare seconds, handler seconds, manifests, settings)."""
    from model import CATALOG

    spec = CATALOG["tiny-ltx"]
    shots = storyboard_shots()
    shots_text = json.dumps(shots)
    client = server.client()
    manifests = []

    def storyboard(seed: int) -> dict:
        _, manifest = client.predict(
            shots=shots_text, style=STYLE, seed=seed, access_token=token, api_name="/storyboard"
        )
        return manifest if isinstance(manifest, dict) else json.loads(manifest)

    plan_for, bare = bare_storyboard_call(server.data_dir / "models" / spec.key, spec, shots)
    seeds = round_seeds(runs + 1)
    warm_manifest = storyboard(seeds[0])
    warm_plan = plan_for(seeds[0])
    bare(warm_plan)
    story_samples, bare_samples = [], []
    for seed in seeds[1:]:
        start = time.perf_counter()
        manifest = storyboard(seed)
        story_samples.append(time.perf_counter() - start)
        manifests.append(manifest)
        plan = plan_for(seed)  # untimed: planning is not a pipeline call
        start = time.perf_counter()
        bare(plan)
        bare_samples.append(time.perf_counter() - start)
    handler = storyboard_handler_seconds(server.log_text())[-runs:]
    frames_per_shot = [shot.request.num_frames for shot in warm_plan.shots]
    if [entry["generated_frames"] for entry in warm_manifest["shots"]] != frames_per_shot:
        raise RuntimeError("the bare plan's shots differ from the server's: the comparison would be unfair")
    settings = {
        "shots": len(shots),
        "shot_seconds": SHOT_SECONDS,
        "size": f"{warm_plan.width}x{warm_plan.height}",
        "steps": warm_plan.steps,
        "frames_per_shot": frames_per_shot,
        "video_frames": warm_manifest["num_frames"],
    }
    return story_samples, bare_samples, handler, manifests, settings


def synthetic_cast_drift(data_dir: Path, seed: int = SEED) -> dict:
    """SYNTHETIC: the engine-side storyboard runner on a local tiny engine, with every shot after the first given
    a growing colour cast (colour_cast) before the runner sees it; returns drift_summary of its manifest."""
    from model import CATALOG, load_engine, plan_storyboard, run_storyboard

    engine = load_engine("tiny-ltx", data_dir=data_dir, device="cpu")
    plan = plan_storyboard(CATALOG["tiny-ltx"], storyboard_shots(), style=STYLE, seed=seed)

    made = []

    def run_shot(request, inputs, on_progress):
        frames = engine.generate_frames(request, on_progress, **inputs.engine_kwargs())
        made.append(request)
        return colour_cast(frames, len(made) - 1)

    result = run_storyboard(engine, plan, run_shot=run_shot)
    return drift_summary([result.manifest])
