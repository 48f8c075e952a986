"""The video engine: one loaded pipeline, turned into MP4 clips with progress along the way."""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .catalog import ModelSpec
from .encoding import encode_mp4, frames_to_uint8
from .requests import GenerationRequest, estimate_gpu_seconds, plan_request
from .version import APP_VERSION

logger = logging.getLogger("reel.model")

# on_progress(fraction in [0, 1], phase description)
ProgressCallback = Callable[[float, str], None]

# Where each phase sits on the progress bar. Denoising dominates on real models; decoding is the long tail.
_TEXT_PHASE_END = 0.05
_DENOISE_PHASE_END = 0.85
_ENCODE_PHASE_START = 0.95

MANIFEST_REQUEST_FIELDS = (
    "prompt", "negative_prompt", "seed", "steps", "guidance", "width", "height", "num_frames", "fps", "resolution",
)


@dataclass(frozen=True)
class RenderedClip:
    path: Path
    manifest: dict


def _no_progress(fraction: float, phase: str) -> None:
    pass


class VideoEngine:
    """Owns one diffusers pipeline and the spec that says how to drive it.

    A lock serialises calls: a pipeline holds per-call state (scheduler timesteps, hooks) and is not safe to
    run from two threads at once, whatever the queue's concurrency is set to.
    """

    def __init__(self, spec: ModelSpec, pipeline, device: str, source: str):
        self.spec = spec
        self.pipeline = pipeline
        self.device = device
        self.source = source
        self._lock = threading.Lock()
        pipeline.set_progress_bar_config(disable=True)

    def plan(self, **kwargs) -> GenerationRequest:
        return plan_request(self.spec, **kwargs)

    def gpu_seconds(self, request: GenerationRequest, cap_seconds: int) -> int:
        return estimate_gpu_seconds(self.spec, request, cap_seconds)

    def _call_kwargs(self, request: GenerationRequest, on_progress: ProgressCallback) -> dict:
        def report_step(pipeline, step_index, timestep, callback_kwargs):
            done = step_index + 1
            span = _DENOISE_PHASE_END - _TEXT_PHASE_END
            on_progress(_TEXT_PHASE_END + span * done / request.steps, f"Denoising step {done}/{request.steps}")
            if done == request.steps:
                on_progress(_DENOISE_PHASE_END, "Decoding frames")
            return callback_kwargs

        kwargs = dict(
            prompt=request.prompt,
            negative_prompt=request.negative_prompt or None,
            width=request.width,
            height=request.height,
            num_frames=request.num_frames,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            generator=torch.Generator(device="cpu").manual_seed(request.seed),
            output_type="np",
            callback_on_step_end=report_step,
        )
        if self.spec.family == "ltx":
            kwargs["frame_rate"] = request.fps
        kwargs.update(self.spec.extra_call_kwargs)
        return kwargs

    def generate_frames(self, request: GenerationRequest, on_progress: ProgressCallback = _no_progress) -> np.ndarray:
        """uint8 frames (F, H, W, 3) for one request; the same request and seed give the same frames."""
        on_progress(0.0, "Encoding text")
        with self._lock, torch.inference_mode():
            logger.info(
                "Generating %d frames at %dx%d, %d steps, seed %d on %s",
                request.num_frames, request.width, request.height, request.steps, request.seed, self.spec.key,
            )
            output = self.pipeline(**self._call_kwargs(request, on_progress))
        return frames_to_uint8(np.asarray(output.frames[0]))

    def manifest(self, request: GenerationRequest, created_at: datetime) -> dict:
        """Everything needed to make the same clip again, plus when and by which Reel it was made."""
        return {
            "model": self.spec.key,
            **{name: getattr(request, name) for name in MANIFEST_REQUEST_FIELDS},
            "created_at": created_at.isoformat(timespec="seconds"),
            "app_version": APP_VERSION,
        }

    def render(
        self, request: GenerationRequest, output_dir: Path, on_progress: ProgressCallback = _no_progress
    ) -> RenderedClip:
        """Generate and encode one clip into output_dir; the manifest travels inside the MP4."""
        frames = self.generate_frames(request, on_progress)
        on_progress(_ENCODE_PHASE_START, "Encoding video")
        created_at = datetime.now(timezone.utc)
        manifest = self.manifest(request, created_at)
        name = f"reel-{created_at:%Y%m%d-%H%M%S}-{request.seed}-{uuid.uuid4().hex[:8]}.mp4"
        path = encode_mp4(frames, request.fps, Path(output_dir) / name, manifest)
        on_progress(1.0, "Done")
        return RenderedClip(path=path, manifest=manifest)
