"""What runs around the GPU for every endpoint: the quota reservation, the GPU call, the MP4 (one encoding path for
clips, storyboards and extensions), signing and keeping it, and the words a person sees when something stops.

A clip is reserved against the holder's quota before its GPU call and committed as the very last step, once it is
encoded, signed and kept; any failure or cancellation before then refunds it. A Stop that arrives after the render,
while the video is encoded, signed or kept, is honoured like any other: the video is taken out of the history and
the clip refunded, so the holder who was told "stopped" is neither charged nor shown it (a storyboard's finished
shots stay charged and cached, as when it is stopped between shots). A storyboard reserves shot by shot, and
checks access again before each shot, so a token revoked mid-storyboard stops it at the next shot. A stopped job (ui/job_control.py) ends at its next progress
report: the clip or shot being made is refunded as "cancelled", shots already made stay made (and cached).
ZeroGPU's own refusals are `gr.Error`s written for the visitor and pass through unchanged; any other internal error
is logged and answered with a generic message.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import gradio as gr

from access import AccessDenied, Grant
from history import HistoryFull
from model import (
    APP_VERSION,
    GeneratedClip,
    GenerationRequest,
    InvalidRequest,
    ShotFailed,
    ShotInputs,
    SoundTrack,
    VideoEngine,
    continuity_for,
    encode_mp4,
    output_file_name,
)
from provenance import SigningFailed

from .. import gpu
from ..job_control import Job
from ..runtime import Runtime

logger = logging.getLogger("reel.app")

GENERATION_FAILED_MESSAGE = (
    "Generation failed on the server. Please try again; if it keeps failing, tell the Space's operator."
)
UNSIGNED_MESSAGE = (
    "Your video is ready but unsigned this time: its C2PA signature could not be made. It still carries its "
    "manifest; the Space's operator can see why in the log."
)
NOT_KEPT_MESSAGE = "Your video is ready but could not be kept in your history this time."
STOPPED_TOAST = (
    "Stopped. A video that had not reached you yet is not charged and not kept; a storyboard's finished shots stay "
    "charged and cached, so trying again remakes only the rest."
)
# Where encoding starts on the progress bar: the GPU work (a clip's phases, a storyboard's shots) fills the bar up
# to here.
ENCODING_STARTS = 0.95


def refusal(error: AccessDenied | InvalidRequest) -> gr.Error:
    return gr.Error(error.message, print_exception=False)


def time_left(fraction: float, elapsed: float) -> str:
    """The progress text's ending, " · about N s left", from the share done so far and the time it took; empty
    until the estimate means something (a few percent done, a second spent) and once the work is done."""
    if not 0.03 <= fraction < 1 or elapsed < 1:
        return ""
    seconds = elapsed * (1 - fraction) / fraction
    if seconds < 5:
        return " · a few seconds left"
    if seconds < 90:
        return f" · about {round(seconds / 5) * 5:.0f} s left"
    return f" · about {round(seconds / 60):.0f} min left"


@dataclass(frozen=True)
class GradioProgress:
    """(fraction, text) -> gr.Progress, for the engine's and the storyboard runner's progress callbacks: the
    phase and step the engine reports, and the time left estimated from the time so far. It also ends a stopped
    job there (JobCancelled): the engine reports every denoising step. A class, not a closure: on ZeroGPU it is
    pickled into the GPU worker with the call's other arguments (a gr.Progress pickles; spaces forwards its
    updates; the job's copy there never stops); the start is wall-clock time, which the worker on the same machine
    shares."""

    progress: object
    job: Job | None = None
    started: float = field(default_factory=time.time)

    def __call__(self, fraction: float, text: str) -> None:
        if self.job is not None:
            self.job.check()
        if self.progress is not None:
            self.progress(fraction, desc=text + time_left(fraction, time.time() - self.started))


@dataclass
class Settlement:
    """The seconds a reservation is committed with: what was reserved, unless the block learns the real length (a
    clip whose length the model chose)."""

    seconds: float


@contextlib.contextmanager
def settled(runtime: Runtime, reservation, seconds: float):
    """Settle a clip reserved with `gate.begin` by the end of the block: committed when it finishes (with the
    Settlement's seconds, which the block may lower), refunded (audited "failed" or "cancelled") when it raises, and
    the error passes on unchanged."""
    settlement = Settlement(seconds)
    try:
        yield settlement
    except BaseException as error:  # a cancelled job is refunded too
        runtime.gate.fail(reservation, "failed" if isinstance(error, Exception) else "cancelled")
        raise
    runtime.gate.succeed(reservation, settlement.seconds)


def server_failure(error: BaseException) -> BaseException:
    """What the person sees for an error raised while generating: ZeroGPU's gr.Error as it is, anything else
    as the generic message (its text goes to the log only)."""
    if isinstance(error, gr.Error):
        logger.warning("GPU layer refused the generation: %s", error.title or "gr.Error")
        return error
    logger.error("Generation failed", exc_info=error)
    return gr.Error(GENERATION_FAILED_MESSAGE, print_exception=False)


def encode_video(
    runtime: Runtime, engine: VideoEngine, kind: str, pieces, fps: int, manifest: dict, sound: SoundTrack | None,
    seed: int | None, report,
) -> Path:
    """The one way a clip, a storyboard or an extension becomes an MP4 in the clips folder, its manifest in the
    file's tag: after the GPU work and outside any GPU call (encoding needs no GPU and would spend the visitor's
    quota). `pieces` are uint8 frame arrays encoded one after the other (a storyboard's shots), never joined."""
    report(ENCODING_STARTS, "Encoding video")
    path = encode_mp4(list(pieces), fps, runtime.output_dir / output_file_name(kind, seed), manifest,
                      preset=engine.spec.encoder_preset, sound=sound)
    report(1.0, "Done")
    return path


def deliver(runtime: Runtime, grant: Grant, path, manifest: dict, kind: str, model_label: str, job: Job) -> str:
    """The last steps of every output, after it is encoded: sign it (C2PA, when the operator set a certificate)
    as the very file the holder downloads, then keep a copy in the holder's history. Neither step can lose the
    video: a failure is logged for the operator and told to the holder as a warning, and the video is delivered.
    A job stopped by the end is undone instead (JobCancelled, the copy taken out of the history, the file gone):
    its holder was told it stopped."""
    if runtime.signer is not None:
        try:
            runtime.signer.sign_mp4(path, path, manifest, model_label, APP_VERSION)
        except SigningFailed as failed:
            logger.warning("C2PA signing failed; delivering unsigned: %s", failed.reason)
            gr.Warning(UNSIGNED_MESSAGE)
    kept = None
    try:
        kept = runtime.history.add(grant.quota_key, path, manifest, kind)
    except HistoryFull as full:
        logger.warning("History storage is full; a %s for %r was delivered but not kept", kind, grant.quota_key)
        gr.Warning(full.message)
    except Exception:  # a history that cannot take the file costs the copy, never the video
        logger.exception("Could not keep a %s in the history of %r", kind, grant.quota_key)
        gr.Warning(NOT_KEPT_MESSAGE)
    if job.stopped:
        if kept is not None:
            runtime.history.delete(grant.quota_key, kept.id)
        Path(path).unlink(missing_ok=True)
        logger.info("A %s for %r was stopped after its render; not delivered, not kept", kind, grant.quota_key)
        job.check()  # JobCancelled: the reservation around it is refunded as "cancelled"
    return str(path)


def render_clip(
    runtime: Runtime, grant: Grant, client: str, engine: VideoEngine, request: GenerationRequest, progress, job: Job
) -> tuple[str, dict]:
    """One clip: reserve, generate on the GPU, encode outside it. Returns the MP4 path and its manifest."""
    try:
        budget = runtime.policy.budget(engine.spec, request)
        reservation = runtime.gate.begin(grant, request.seconds, client, request.prompt)
    except (AccessDenied, InvalidRequest) as refused:
        raise refusal(refused) from None
    logger.info(
        "Generation for %r: %s, seed %d, asking for %d GPU s (%s; scheduled %d s, %d s of the visitor's quota)",
        grant.quota_key, engine.spec.key, request.seed, budget.seconds, budget.size, budget.scheduled_seconds,
        budget.quota_seconds,
    )
    report = GradioProgress(progress, job)
    try:
        with settled(runtime, reservation, request.seconds) as settlement:
            made = gpu.generate(engine.spec.key, request, budget, progress=report)
            request = made.made_for(request)  # the words and the length it was made with
            settlement.seconds = request.seconds
            manifest = engine.manifest(request, datetime.now(timezone.utc))
            path = encode_video(runtime, engine, "clip", [made.frames], request.fps, manifest, made.sound,
                                request.seed, report)
            delivered = deliver(runtime, grant, path, manifest, "clip", engine.spec.label, job)  # then committed
    except Exception as error:
        raise server_failure(error) from None
    runtime.prune_old_clips()
    return delivered, manifest


class ShotRunner:
    """The storyboard runner's `run_shot`: each shot is admitted again (a revoked token stops here), sized for
    its own ZeroGPU call, and reserved against the quota for the seconds it adds to the video. A stopped job
    stops before its next shot even where the GPU call cannot see the flag (ZeroGPU)."""

    def __init__(self, runtime: Runtime, engine: VideoEngine, admit, client: str, job: Job):
        self.runtime = runtime
        self.engine = engine
        self.admit = admit  # () -> Grant, raising AccessDenied
        self.client = client
        self.job = job
        self.overlap = continuity_for(engine.spec).overlap

    def __call__(self, request: GenerationRequest, inputs: ShotInputs, report) -> GeneratedClip:
        self.job.check()
        grant = self.admit()
        budget = self.runtime.policy.budget(self.engine.spec, request)
        continues = inputs.start_frames is not None or inputs.start_image is not None
        seconds = (request.num_frames - (self.overlap if continues else 0)) / request.fps
        reservation = self.runtime.gate.begin(grant, seconds, self.client, request.prompt)
        with settled(self.runtime, reservation, seconds):
            return gpu.generate(self.engine.spec.key, request, budget, inputs, report)


def shot_failure(failed: ShotFailed, total: int) -> gr.Error:
    """The message for a storyboard stopped at one shot: which shot, and why."""
    number, error = failed.shot, failed.error
    kept = f" Shots 1 to {number - 1} were made and are kept." if number > 2 else (
        " Shot 1 was made and is kept." if number == 2 else "")
    if isinstance(error, AccessDenied):
        return gr.Error(f"Stopped before shot {number} of {total}: {error.message}{kept}", print_exception=False)
    if isinstance(error, InvalidRequest):
        return gr.Error(f"Shot {number} of {total}: {error.message}", print_exception=False)
    if isinstance(error, gr.Error):
        logger.warning("GPU layer refused shot %d: %s", number, error.title or "gr.Error")
        return gr.Error(f"Shot {number} of {total}: {error.message}", title=error.title, print_exception=False)
    logger.error("Shot %d failed", number, exc_info=error)
    return gr.Error(
        f"Shot {number} of {total} failed on the server.{kept} Try again: only shot {number} onwards is made "
        "again, the shots before it come from the cache.",
        print_exception=False,
    )
