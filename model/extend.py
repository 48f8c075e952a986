"""Extending a finished clip or storyboard with one more shot that continues from its last frames.

The result's manifest is a storyboard manifest (kind "extended") whose `shots` are the history plus the new
shot, so reproduce() can make the whole longer video again. That only gives identical frames when the frames
extended are the ones the engine made (not frames decoded back from the lossy MP4): keep them, or reproduce
the clip first.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from .continuity import colour_stats
from .engine import VideoEngine
from .reproduce import (
    check_adapter_files,
    colour_target_from_manifest,
    load_manifest,
    request_from_entry,
    style_from_manifest,
)
from .sound import SoundTrack
from .requests import MAX_SEED, InvalidRequest
from .shot_cache import ShotCache
from .storyboard import DEFAULT_MAX_TOTAL_SECONDS, MAX_SHOTS, StoryboardPlan, Style, plan_shot
from .storyboard_runner import StoryboardResult, run_shots, storyboard_manifest

_NO_STYLE = Style("none", "", "")


def _history(manifest: dict, frames: np.ndarray) -> list[dict]:
    """The shots so far; a single clip becomes shot 1 spanning all its frames."""
    if "shots" in manifest:
        shots = manifest["shots"]
        if not isinstance(shots, list) or not shots or not all(isinstance(shot, dict) for shot in shots):
            raise InvalidRequest("The manifest's shots are malformed.", "manifest")
        expected_first = 0
        for shot in shots:
            first, last = shot.get("first_frame"), shot.get("last_frame")
            if not (type(first) is int and type(last) is int and first == expected_first and last >= first):
                raise InvalidRequest("The manifest's shot boundaries are malformed.", "manifest")
            expected_first = last + 1
        if expected_first != len(frames):
            raise InvalidRequest("The frames do not match their manifest (frame count).", "frames")
        return [dict(shot) for shot in shots]
    if manifest.get("num_frames") != len(frames):
        raise InvalidRequest("The frames do not match their manifest (frame count).", "frames")
    single = dict(manifest)
    for name in ("created_at", "app_version"):
        single.pop(name, None)
    single.update(shot=1, first_frame=0, last_frame=len(frames) - 1, generated_frames=len(frames),
                  dropped_leading_frames=0, continues_from=None, end_image=None, colour_correction=None,
                  colour_drift_at_cut=None)
    return [single]


def extend_clip(
    engine: VideoEngine,
    frames: np.ndarray,
    manifest,
    prompt,
    seconds=None,
    negative_prompt="",
    seed=None,
    end_image=None,
    cache: ShotCache | None = None,
    run_shot=None,
    before_shot=None,
    on_progress=lambda fraction, text: None,
    max_total_seconds: float = DEFAULT_MAX_TOTAL_SECONDS,
    image_alternatives=(),
    end_image_alternatives=(),
    sound: SoundTrack | None = None,
) -> StoryboardResult:
    """`frames` (uint8, as the engine made them) and their `sound`, plus one shot continuing from their end, same
    size and fps. The new shot keeps the video's sound setting and its last shot's LoRA, so picture, sound and
    camera carry on as they were; the sound track runs on across the cut.

    `seed` None continues the storyboard rule (first shot's seed + shot index); -1 draws a random one."""
    spec = engine.spec
    manifest = load_manifest(manifest)
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) < 1:
        raise InvalidRequest("The frames must be uint8 video frames (count, height, width, 3).", "frames")
    history = _history(manifest, frames)
    check_adapter_files(engine, {"shots": history})
    requests = [
        request_from_entry(spec, entry, f"Shot {number}: ", verify_image=False)
        for number, entry in enumerate(history, start=1)
    ]
    first = requests[0]
    if (frames.shape[2], frames.shape[1]) != (first.width, first.height) or any(
        (r.width, r.height) != (first.width, first.height) for r in requests
    ):
        raise InvalidRequest("The frames do not match their manifest (size).", "frames")
    if len(history) >= MAX_SHOTS:
        raise InvalidRequest(f"This video already has {len(history)} shots; the limit is {MAX_SHOTS}.", "shots")
    style = style_from_manifest(manifest) if "shots" in manifest else _NO_STYLE
    index = len(history)
    shot_seed = (first.seed + index) % (MAX_SEED + 1) if seed is None else seed
    shot = plan_shot(
        spec, index,
        {"prompt": prompt, "seconds": seconds, "negative_prompt": negative_prompt, "end_image": end_image},
        style, shot_seed, first.resolution, first.steps, first.guidance, continues=True,
        size=(first.width, first.height), image_alternatives=image_alternatives,
        end_image_alternatives=end_image_alternatives, audio=first.audio, lora=requests[-1].lora,
        lora_scale=requests[-1].lora_scale if requests[-1].lora else None, served_loras=engine.served_loras,
        quality=requests[-1].quality, hd_available=engine.supports_hd,  # an HD video goes on in HD, in two stages
    )
    total = (len(frames) + shot.new_frames) / spec.fps
    if total > max_total_seconds + 1e-9:
        raise InvalidRequest(
            f"The extended video would be {total:.1f} seconds long; the limit is {max_total_seconds:g} seconds.",
            "seconds",
        )
    colour_source = (manifest.get("colour_target") or {}).get("source", "first shot")
    target = colour_target_from_manifest(manifest)
    if target is None or colour_source not in ("reference", "first shot"):
        colour_source = "first shot"
        target = colour_stats(frames[: history[0]["last_frame"] + 1])
    plan = StoryboardPlan(
        model=spec.key, style=style, seed=first.seed, resolution=first.resolution, steps=first.steps,
        guidance=first.guidance, width=first.width, height=first.height, fps=spec.fps, shots=(shot,),
        colour_target=colour_source,
    )
    created_at = datetime.now(timezone.utc)
    pieces, new_shots, target, generated, track = run_shots(
        engine, plan, (shot,), frames, target, cache, run_shot, before_shot, on_progress, index + 1, created_at,
        previous_sound=sound,
    )
    result = storyboard_manifest(plan, pieces, history + new_shots, target, created_at, kind="extended", sound=track)
    return StoryboardResult(pieces, result, generated, track)
