"""The video engine: one loaded model, turned into MP4 clips from text or from an image, with progress."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from .adapters import AdapterSet
from .catalog import ModelSpec
from .encoding import encode_mp4, output_file_name, video_tensor_to_uint8
from .prompt_enhancement import build_processor, enhance_prompt
from .requests import AUTO_MIN_SECONDS, GenerationRequest, plan_request
from .sound import SoundTrack, audio_tensor_to_track
from .stages import (
    ENCODE_PHASE_START,
    ProgressCallback,
    build_smooth_pipelines,
    build_upsample_pipeline,
    render_hd,
    render_smooth,
    step_reporter,
)
from .version import APP_VERSION

logger = logging.getLogger("reel.model")


class _DistilledScheduleNotice(logging.Filter):
    """Distilled LTX runs on the exact timesteps it was trained for (diffusers' own recipe for it); the
    scheduler warns about that on every call, which would fill the Space's log with one line per clip."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "were passed without `sigmas`" not in record.getMessage()


logging.getLogger("diffusers.schedulers.scheduling_flow_match_euler_discrete").addFilter(_DistilledScheduleNotice())

MANIFEST_REQUEST_FIELDS = (
    "prompt", "negative_prompt", "seed", "steps", "guidance", "width", "height", "num_frames", "fps", "resolution",
    "mode", "input_image", "audio", "quality",
)


@dataclass(frozen=True)
class RenderedClip:
    path: Path
    manifest: dict


@dataclass(frozen=True)
class GeneratedClip:
    """What one GPU call makes: uint8 frames (F, H, W, 3) and, for a model with sound when the request keeps it,
    the sound track (exactly as long as the frames once encoded). `enhanced_prompt`: the words the frames were made
    from when the request asked for its prompt to be enhanced (the manifest keeps them)."""

    frames: np.ndarray
    sound: SoundTrack | None = None
    enhanced_prompt: str | None = None

    def made_for(self, request: GenerationRequest) -> GenerationRequest:
        """`request` as it was made, for its manifest and the quota: with the enhanced prompt this call wrote and
        the length the model chose."""
        if request.auto_length:
            request = dataclasses.replace(request, num_frames=len(self.frames))
        if self.enhanced_prompt is None:
            return request
        return dataclasses.replace(request, enhanced_prompt=self.enhanced_prompt)


def _no_progress(fraction: float, phase: str) -> None:
    pass


def build_image_pipeline(spec: ModelSpec, pipeline):
    """The image-to-video pipeline, made from the already-loaded modules (no second copy of any weight).

    Built by calling the class with the loaded components rather than `from_pipe`, which would also cast every
    shared module to one dtype. Config flags such as Wan 2.2's `expand_timesteps` carry over.
    """
    if not spec.supports_image:
        return None
    if type(pipeline).__name__ == spec.image_pipeline_class:
        return pipeline
    import diffusers

    image_class = getattr(diffusers, spec.image_pipeline_class)
    accepted = inspect.signature(image_class.__init__).parameters
    kwargs = {name: module for name, module in pipeline.components.items() if name in accepted}
    for name, value in {**dict(pipeline.config), **spec.pipeline_config}.items():
        if name in accepted and name not in kwargs and not name.startswith("_"):
            kwargs[name] = value
    image_pipeline = image_class(**kwargs)
    image_pipeline.set_progress_bar_config(disable=True)
    return image_pipeline


def _pictures_at_frames(first, start_frames, end_image, last_index: int) -> list[tuple[object, bool, int]]:
    """(picture or list of pictures, is_video, frame index) for each conditioning input that is given, in order."""
    from PIL import Image

    pictures = []
    if first is not None:
        pictures.append((first, False, 0))
    if start_frames is not None:
        pictures.append(([Image.fromarray(frame) for frame in np.asarray(start_frames, dtype=np.uint8)], True, 0))
    if end_image is not None:
        pictures.append((end_image, False, last_index))
    return pictures


def _frame_condition(family: str, picture, is_video: bool, index: int):
    """One condition for LTX's or LTX-2's condition pipeline, in that pipeline's own words."""
    if family == "ltx2":
        from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

        return LTX2VideoCondition(frames=picture, index=index)
    from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

    return LTXVideoCondition(video=picture, frame_index=index) if is_video else LTXVideoCondition(
        image=picture, frame_index=index
    )


class VideoEngine:
    """Owns one diffusers pipeline (plus its image-to-video twin sharing the same modules) and the spec that
    says how to drive it.

    A lock serialises calls: a pipeline holds per-call state (scheduler timesteps, hooks) and is not safe to
    run from two threads at once, whatever the queue's concurrency is set to.
    """

    def __init__(
        self, spec: ModelSpec, pipeline, device: str, source: str, fast_path=None, adapters: AdapterSet | None = None,
        upsampler=None, temporal_upsampler=None,
    ):
        self.spec = spec
        self.pipeline = pipeline
        self.device = device
        self.source = source
        self.fast_path = fast_path
        self.adapters = adapters or AdapterSet(pipeline, {})
        self.vae_tiling_min_pixels = getattr(fast_path, "vae_tiling_min_pixels", None)
        # Labels of other models on offer that can animate an image / make sound (load_engines fills them in).
        self.image_alternatives: list[str] = []
        self.audio_alternatives: list[str] = []
        self._lock = threading.Lock()
        pipeline.set_progress_bar_config(disable=True)
        self.image_pipeline = build_image_pipeline(spec, pipeline)
        # HD's latent upsampler (model/loading.py), kept in CPU memory between HD calls, and the pipeline that runs
        # it on the loaded VAE's latents.
        self.upsampler = upsampler
        self.upsample_pipeline = build_upsample_pipeline(pipeline, upsampler)
        # Smooth motion's temporal upsampler (LTX-2.5), kept in CPU memory the same way, and its two pipelines.
        self.temporal_upsampler = temporal_upsampler
        self.smooth_pipelines = build_smooth_pipelines(pipeline, temporal_upsampler)
        # Prompt enhancement's chat template and image processor (model/prompt_enhancement.py); None: not offered.
        processor = build_processor(pipeline) if spec.prompt_enhancement else None
        if processor is not None and getattr(pipeline, "processor", None) is None:
            pipeline.register_modules(processor=processor)
        self.enhances_prompts = processor is not None
        # LTX-2.5's duration head, which chooses a clip's length from its prompt (`seconds="auto"`).
        self.chooses_length = getattr(pipeline, "duration_head", None) is not None
        vocoder = getattr(pipeline, "vocoder", None)
        # The rate the loaded vocoder really produces (the catalog's figure is for the full-size model).
        self.sample_rate = getattr(getattr(vocoder, "config", None), "output_sampling_rate", None) or (
            spec.audio.sample_rate if spec.audio else None
        )

    @property
    def supports_image(self) -> bool:
        return self.image_pipeline is not None

    @property
    def supports_hd(self) -> bool:
        return self.upsampler is not None

    @property
    def supports_smooth(self) -> bool:
        return self.temporal_upsampler is not None

    @property
    def served_loras(self) -> dict:
        """Adapters loaded and offered per request, by name (LoraSpec)."""
        return {name: adapter.spec for name, adapter in self.adapters.adapters.items()}

    def plan(self, image=None, **kwargs) -> GenerationRequest:
        """Validate one request; `image` (PIL image or None) makes it image-to-video."""
        return plan_request(
            self.spec, image=image, image_alternatives=self.image_alternatives, served_loras=self.served_loras,
            audio_alternatives=self.audio_alternatives, hd_available=self.supports_hd,
            enhance_available=self.enhances_prompts, length_available=self.chooses_length,
            smooth_available=self.supports_smooth, **kwargs,
        )

    def prompt_for(self, request: GenerationRequest) -> str:
        """The prompt the pipeline gets (the enhanced one where there is one): the adapter's trigger words in front
        when the prompt lacks them."""
        prompt = request.enhanced_prompt or request.prompt
        lora = self.served_loras.get(request.lora) if request.lora else None
        trigger = lora.trigger_words.strip() if lora else ""
        if trigger and trigger.lower() not in prompt.lower():
            return f"{trigger}, {prompt}"
        return prompt

    def _call_kwargs(
        self,
        request: GenerationRequest,
        on_progress: ProgressCallback,
        start_image=None,
        start_frames=None,
        end_image=None,
    ) -> dict:
        kwargs = dict(
            prompt=self.prompt_for(request),
            negative_prompt=request.negative_prompt or None,
            width=request.width,
            height=request.height,
            num_frames=request.num_frames,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            generator=torch.Generator(device="cpu").manual_seed(request.seed),
            output_type="pt",  # converted to uint8 where it lives: see video_tensor_to_uint8
            callback_on_step_end=step_reporter(on_progress, 0, request.total_steps),
        )
        if self.spec.family in ("ltx", "ltx2"):
            kwargs["frame_rate"] = request.fps
        if request.auto_length:  # the duration head chooses, within Reel's bounds
            kwargs.update(num_frames=None, min_seconds=AUTO_MIN_SECONDS, max_seconds=request.seconds)
        timesteps = self.spec.distilled_timesteps
        if timesteps and len(timesteps) == request.steps:
            kwargs["timesteps"] = list(timesteps)
        sigmas = self.spec.distilled_sigmas
        if sigmas and len(sigmas) == request.steps:
            kwargs["sigmas"] = list(sigmas)
        if request.image is not None:
            kwargs["image"] = request.image
        self._add_conditioning(kwargs, request, start_image, start_frames, end_image)
        kwargs.update(self.spec.extra_call_kwargs)
        return kwargs

    def _add_conditioning(self, kwargs: dict, request: GenerationRequest, start_image, start_frames, end_image):
        """Storyboard conditioning (model/continuity.py decides what to give): a start picture, the previous
        shot's last frames (uint8 (N, H, W, 3), LTX and LTX-2 only) and a picture to end on.

        LTXConditionPipeline refuses `image` next to `conditions`, and LTX2ConditionPipeline takes no `image` at
        all, so on both every picture, the request's own image included, becomes one list of conditions at frames;
        Wan image-to-video takes `image` and `last_image`.
        """
        storyboard = any(item is not None for item in (start_image, start_frames, end_image))
        if self.spec.family == "ltx" and not storyboard:
            return  # a single clip keeps LTXConditionPipeline's own `image`
        if self.spec.family in ("ltx", "ltx2"):
            first = start_image if start_image is not None else kwargs.pop("image", None)
            pictures = _pictures_at_frames(first, start_frames, end_image, request.num_frames - 1)
            if pictures:
                kwargs["conditions"] = [_frame_condition(self.spec.family, *picture) for picture in pictures]
            return
        if not storyboard:
            return
        if start_frames is not None:
            raise ValueError(f"{self.spec.label} continues from one picture, not from frames")
        if start_image is not None:
            kwargs["image"] = start_image
        if end_image is not None:
            kwargs["last_image"] = end_image

    def _set_vae_tiling(self, request: GenerationRequest) -> None:
        threshold = self.vae_tiling_min_pixels
        if threshold is None:
            return
        if request.width * request.height >= threshold:
            self.pipeline.vae.enable_tiling()
        else:
            self.pipeline.vae.disable_tiling()

    def generate(
        self,
        request: GenerationRequest,
        on_progress: ProgressCallback = _no_progress,
        *,
        start_image=None,
        start_frames=None,
        end_image=None,
    ) -> GeneratedClip:
        """Frames, and sound where the model makes it and the request keeps it; the same request, seed and
        pictures give the same frames and samples.

        The keyword-only conditioning (see _add_conditioning) is how a storyboard shot continues the one before
        and ends on a keyframe; without it this is exactly the single-clip call."""
        conditioned = any(item is not None for item in (request.image, start_image, start_frames, end_image))
        if conditioned and self.image_pipeline is None:
            raise ValueError(f"{self.spec.label} cannot animate an image")
        pipeline = self.image_pipeline if conditioned else self.pipeline
        with self._lock, torch.inference_mode():
            if request.enhance_prompt and request.enhanced_prompt is None:
                on_progress(0.0, "Enhancing the prompt")
                request = dataclasses.replace(request, enhanced_prompt=enhance_prompt(
                    self.pipeline, self.spec, request.prompt, request.seed, self.device, image=request.image,
                ))
            on_progress(0.0, "Encoding text")
            logger.info(
                "Generating %d frames at %dx%d, %d steps, seed %d on %s (%s%s)",
                request.num_frames, request.width, request.height, request.steps, request.seed, self.spec.key,
                request.mode, f", LoRA {request.lora} at {request.lora_scale:g}" if request.lora else "",
            )
            self.adapters.select(request.lora, request.lora_scale)
            self._set_vae_tiling(request)
            kwargs = self._call_kwargs(request, on_progress, start_image, start_frames, end_image)
            if request.smooth:
                video, audio = render_smooth(
                    self.smooth_pipelines, self.temporal_upsampler, self.device, request, kwargs, on_progress
                )
            else:
                if request.quality == "hd":
                    output = render_hd(pipeline, self.upsample_pipeline, self.upsampler, self.device, self.spec,
                                       request, kwargs, on_progress)
                else:
                    output = pipeline(**kwargs)
                video, audio = output.frames, getattr(output, "audio", None)
            frames = video_tensor_to_uint8(video[0])  # in place, so inside inference mode
            sound = None
            if request.audio and audio is not None:
                sound = audio_tensor_to_track(audio, self.sample_rate).fitted(len(frames) / request.fps)
        return GeneratedClip(frames=frames, sound=sound, enhanced_prompt=request.enhanced_prompt)

    def generate_frames(self, request: GenerationRequest, on_progress: ProgressCallback = _no_progress, **conditioning):
        """Only the frames of `generate` (uint8 (F, H, W, 3))."""
        return self.generate(request, on_progress, **conditioning).frames

    def lora_manifest(self, request: GenerationRequest) -> dict | None:
        if request.lora is None:
            return None
        return self.adapters.adapters[request.lora].manifest_entry(request.lora_scale)

    def manifest(self, request: GenerationRequest, created_at: datetime) -> dict:
        """Everything needed to make the same clip again (the image by its hash, never its pixels; the adapter
        by name, scale and file hash), plus when and by which Reel it was made."""
        manifest = {
            "model": self.spec.key,
            **{name: getattr(request, name) for name in MANIFEST_REQUEST_FIELDS},
            "lora": self.lora_manifest(request),
            "created_at": created_at.isoformat(timespec="seconds"),
            "app_version": APP_VERSION,
        }
        if request.enhance_prompt:  # the person's words stay in "prompt"; the frames were made from these
            manifest["enhanced_prompt"] = request.enhanced_prompt
        if request.auto_length:  # num_frames is the length the model chose; a reproduction makes exactly that
            manifest["auto_length"] = True
        if request.smooth:  # fps and num_frames are the doubled ones
            manifest["smooth"] = True
        if request.audio:
            manifest["sound"] = {"codec": "aac", "sample_rate": self.sample_rate, "channels": self.spec.audio.channels}
        return manifest

    def render(
        self, request: GenerationRequest, output_dir: Path, on_progress: ProgressCallback = _no_progress
    ) -> RenderedClip:
        """Generate and encode one clip into output_dir; the manifest travels inside the MP4."""
        clip = self.generate(request, on_progress)
        return self.encode(clip.frames, clip.made_for(request), output_dir, on_progress, sound=clip.sound)

    def encode(
        self, frames: np.ndarray, request: GenerationRequest, output_dir: Path,
        on_progress: ProgressCallback = _no_progress, sound: SoundTrack | None = None,
    ) -> RenderedClip:
        """Encode frames (and sound) made for `request` into an MP4 under output_dir. Separate from generation so
        the app can run it after the ZeroGPU call returns: encoding needs no GPU and would spend the visitor's
        quota."""
        on_progress(ENCODE_PHASE_START, "Encoding video")
        created_at = datetime.now(timezone.utc)
        manifest = self.manifest(request, created_at)
        name = output_file_name("clip", request.seed, created_at)
        path = encode_mp4(
            frames, request.fps, Path(output_dir) / name, manifest, preset=self.spec.encoder_preset, sound=sound
        )
        on_progress(1.0, "Done")
        return RenderedClip(path=path, manifest=manifest)
