"""Running a planned storyboard shot by shot: conditioning, cache, colour matching, stitching, manifest.

The app decides how each shot runs (`run_shot`, e.g. its own ZeroGPU call) and may stop the storyboard before a
shot (`before_shot`, e.g. a quota reservation that raises). Finished shots go to the shot cache as generated,
so a retry after a failure, or a re-roll of a later shot, starts where it has to.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import diffusers
import numpy as np

from .continuity import (
    ColourStats,
    ShotInputs,
    StitchedVideo,
    colour_drift,
    colour_stats,
    continuation_inputs,
    continuity_for,
    match_colour,
)
from .encoding import encode_mp4, output_file_name
from .engine import MANIFEST_REQUEST_FIELDS, GeneratedClip, VideoEngine
from .images import pixel_sha256
from .shot_cache import ShotCache, shot_key
from .sound import SoundTrack, join_sound
from .storyboard import PlannedShot, StoryboardPlan
from .version import APP_VERSION

# Frames each side of a cut that the colour drift there is measured on.
DRIFT_WINDOW = 4
# run_shot(request, inputs, on_progress) -> GeneratedClip (or bare uint8 frames (F, H, W, 3))
RunShot = Callable[..., GeneratedClip | np.ndarray]


class ShotFailed(RuntimeError):
    """A shot raised while generating; `shot` is its 1-based number, the original error is `__cause__`."""

    def __init__(self, shot: int, error: BaseException):
        super().__init__(f"Shot {shot} failed: {error}")
        self.shot = shot
        self.error = error


@dataclass(frozen=True)
class StoryboardResult:
    pieces: tuple[np.ndarray, ...]  # the video, uint8 (F, H, W, 3) a shot at a time, as stitched
    manifest: dict
    generated_shots: tuple[int, ...]  # 1-based numbers of the shots that ran (the rest came from the cache)
    sound: SoundTrack | None = None  # the whole video's sound, as long as its frames; None: silent

    @functools.cached_property
    def frames(self) -> np.ndarray:
        """The whole video as one array, joined on first use (the encoder takes the pieces as they are)."""
        return self.pieces[0] if len(self.pieces) == 1 else np.concatenate(self.pieces)


@dataclass(frozen=True)
class RenderedStoryboard:
    path: Path
    manifest: dict
    result: StoryboardResult

    @property
    def frames(self) -> np.ndarray:
        return self.result.frames


def _no_progress(fraction: float, text: str) -> None:
    pass


class SoundStitch:
    """The sound of a stitched video, piece by piece beside its frames: a continued shot drops the same span of
    sound as of frames, and a piece without sound (a silent start) becomes silence of its length, so the track
    stays in sync across every cut."""

    def __init__(self, fps: int, previous_frames: int = 0, previous: SoundTrack | None = None):
        self.fps = fps
        self.pieces: list[tuple[int, SoundTrack | None]] = [(previous_frames, previous)] if previous_frames else []

    def append(self, frames_kept: int, sound: SoundTrack | None, dropped_frames: int) -> None:
        if sound is not None and dropped_frames:
            sound = sound.without_first(dropped_frames / self.fps)
        self.pieces.append((frames_kept, sound.fitted(frames_kept / self.fps) if sound is not None else None))

    def track(self) -> SoundTrack | None:
        known = [sound for _, sound in self.pieces if sound is not None]
        if not known:
            return None
        rate, channels = known[0].sample_rate, max(sound.channels for sound in known)
        tracks = [
            sound if sound is not None
            else SoundTrack(np.zeros((channels, int(round(count / self.fps * rate))), np.float32), rate)
            for count, sound in self.pieces
        ]
        return join_sound(tracks)


def _frames_and_sound(made) -> tuple[np.ndarray, SoundTrack | None]:
    if isinstance(made, GeneratedClip):
        return np.asarray(made.frames), made.sound
    return np.asarray(made), None


def _cache_parts(engine: VideoEngine, plan: StoryboardPlan, shot: PlannedShot, conditioning: dict | None) -> dict:
    request = shot.request
    return {
        "model": engine.spec.key,
        "source": engine.source,
        "diffusers": diffusers.__version__,
        "request": {name: getattr(request, name) for name in MANIFEST_REQUEST_FIELDS if name != "mode"},
        "reference": pixel_sha256(request.image) if request.image is not None else None,
        "style": plan.style.as_dict(),
        "start": conditioning,
        "end": pixel_sha256(shot.end_image) if shot.end_image is not None else None,
    }


@dataclass(frozen=True)
class ShotProgress:
    """One shot's 0..1 progress mapped into its slice of the whole bar, with "Shot n/N · " before the text.

    A class, not a closure: on ZeroGPU it travels to the GPU worker with the shot's other arguments, pickled."""

    on_progress: Callable[[float, str], None]
    number: int
    total: int
    first: int
    count: int

    def __call__(self, fraction: float, text: str) -> None:
        self.on_progress(
            min(1.0, ((self.number - self.first) + fraction) / self.count), f"Shot {self.number}/{self.total} · {text}"
        )


@dataclass(frozen=True)
class ScaledProgress:
    """Progress squeezed into the first `scale` of the bar (the rest is left for encoding); picklable."""

    on_progress: Callable[[float, str], None]
    scale: float

    def __call__(self, fraction: float, text: str) -> None:
        self.on_progress(self.scale * fraction, text)


def run_shots(
    engine: VideoEngine,
    plan: StoryboardPlan,
    shots: tuple[PlannedShot, ...],
    previous: np.ndarray | None,
    target: ColourStats | None,
    cache: ShotCache | None,
    run_shot: RunShot | None,
    before_shot: Callable[[int], None] | None,
    on_progress,
    total_shots: int,
    created_at: datetime,
    previous_sound: SoundTrack | None = None,
) -> tuple[tuple[np.ndarray, ...], list[dict], ColourStats, tuple[int, ...], SoundTrack | None]:
    """Generate `shots` after the video `previous` (None: from the start) and its sound; returns the stitched
    video, the shots' manifests, the colour target, which shots ran and the sound track (None when silent).
    Shared by storyboards and clip extension."""
    continuity = continuity_for(engine.spec)
    run_shot = run_shot or (lambda request, inputs, progress: engine.generate(
        request, progress, **inputs.engine_kwargs()))
    video = StitchedVideo(previous)
    sound_track = SoundStitch(engine.spec.fps, len(video), previous_sound)
    manifests, generated = [], []
    first_number = shots[0].index + 1
    for shot in shots:
        number = shot.index + 1
        report = ShotProgress(on_progress, number, total_shots, first_number, len(shots))
        inputs, conditioning = ShotInputs(end_image=shot.end_image), None
        if shot.continues:
            inputs, conditioning = continuation_inputs(continuity, video.tail(continuity.overlap))
            inputs = ShotInputs(inputs.start_image, inputs.start_frames, shot.end_image)
        request = shot.request
        expected = (request.num_frames, request.height, request.width, 3)
        key = shot_key(_cache_parts(engine, plan, shot, conditioning))
        raw, sound = _cached_shot(cache, key, expected, request.audio, engine.sample_rate)
        if raw is not None:
            report(1.0, "Reused from cache")
        else:
            if before_shot is not None:
                before_shot(number)  # may raise: the storyboard stops here, earlier shots stay cached
            try:
                raw, sound = _frames_and_sound(run_shot(request, inputs, report))
            except Exception as error:
                raise ShotFailed(number, error) from error
            if raw.dtype != np.uint8 or raw.shape != expected:
                raise ShotFailed(number, ValueError(f"got frames {raw.dtype} {raw.shape}, expected {expected}"))
            if cache is not None:
                cache.put(key, raw, sound.samples if sound is not None else None)
            generated.append(number)
        correction, drift = None, None
        if not len(video):
            frames = raw
            target = target or colour_stats(raw)
        else:
            frames, fix = match_colour(raw, target)
            correction = fix.as_dict()
            before_cut = video.tail(DRIFT_WINDOW)
            drift = {
                "raw": colour_drift(before_cut, raw[shot.overlap:], DRIFT_WINDOW),
                "matched": colour_drift(before_cut, frames[shot.overlap:], DRIFT_WINDOW),
            }
        first_frame = len(video)
        video.append(frames, shot.overlap)
        dropped = shot.overlap if first_frame else 0
        sound_track.append(len(frames) - dropped, sound if request.audio else None, dropped)
        entry = engine.manifest(request, created_at)
        entry.update(
            shot=number, mode="continuation" if shot.continues else entry["mode"], first_frame=first_frame,
            last_frame=len(video) - 1, generated_frames=request.num_frames, dropped_leading_frames=shot.overlap,
            continues_from=conditioning, end_image=shot.end_image_entry, colour_correction=correction,
            colour_drift_at_cut=drift,
        )
        manifests.append(entry)
    return tuple(video.pieces), manifests, target, tuple(generated), sound_track.track()


def _cached_shot(cache: ShotCache | None, key: str, expected: tuple, audio: bool, sample_rate: int | None):
    """(frames, sound) of a cached shot, or (None, None): frames whose sound is asked for but missing are a miss."""
    raw = cache.get(key, expected) if cache is not None else None
    if raw is None or not audio:
        return raw, None
    samples = cache.get_sound(key)
    if samples is None or not sample_rate:
        return None, None
    return raw, SoundTrack(samples, sample_rate)


def storyboard_manifest(
    plan: StoryboardPlan, pieces: tuple[np.ndarray, ...], shots: list[dict], target: ColourStats,
    created_at: datetime, kind: str = "storyboard", sound: SoundTrack | None = None,
) -> dict:
    manifest = {
        "kind": kind,
        "model": plan.model,
        "style": plan.style.as_dict(),
        "seed": plan.seed,
        "resolution": plan.resolution,
        "steps": plan.steps,
        "guidance": plan.guidance,
        "fps": plan.fps,
        "width": plan.width,
        "height": plan.height,
        "num_frames": sum(len(piece) for piece in pieces),
        "colour_target": {"source": plan.colour_target, **target.as_dict()},
        "created_at": created_at.isoformat(timespec="seconds"),
        "app_version": APP_VERSION,
        "shots": shots,
    }
    if sound is not None:
        manifest["sound"] = {"codec": "aac", "sample_rate": sound.sample_rate, "channels": sound.channels}
    return manifest


def run_storyboard(
    engine: VideoEngine,
    plan: StoryboardPlan,
    cache: ShotCache | None = None,
    run_shot: RunShot | None = None,
    before_shot: Callable[[int], None] | None = None,
    on_progress=_no_progress,
    created_at: datetime | None = None,
) -> StoryboardResult:
    """All shots of `plan`, stitched, with the storyboard manifest. Raises ShotFailed naming the shot."""
    if plan.model != engine.spec.key:
        raise ValueError(f"the plan is for {plan.model}, the engine serves {engine.spec.key}")
    created_at = created_at or datetime.now(timezone.utc)
    reference = plan.reference_image
    target = None
    if plan.colour_target == "reference" and reference is not None:
        target = colour_stats(np.asarray(reference)[None])
    pieces, shots, target, generated, sound = run_shots(
        engine, plan, plan.shots, None, target, cache, run_shot, before_shot, on_progress, len(plan.shots),
        created_at,
    )
    manifest = storyboard_manifest(plan, pieces, shots, target, created_at, sound=sound)
    return StoryboardResult(pieces, manifest, generated, sound)


def render_storyboard(
    engine: VideoEngine,
    plan: StoryboardPlan,
    output_dir: Path,
    cache: ShotCache | None = None,
    run_shot: RunShot | None = None,
    before_shot: Callable[[int], None] | None = None,
    on_progress=_no_progress,
) -> RenderedStoryboard:
    """run_storyboard, then one MP4 in output_dir with the manifest in its container tag."""
    result = run_storyboard(engine, plan, cache, run_shot, before_shot, ScaledProgress(on_progress, 0.95))
    on_progress(0.95, "Encoding video")
    name = output_file_name("storyboard", plan.seed)
    path = encode_mp4(list(result.pieces), plan.fps, Path(output_dir) / name, result.manifest,
                      preset=engine.spec.encoder_preset, sound=result.sound)
    on_progress(1.0, "Done")
    return RenderedStoryboard(path, result.manifest, result)
