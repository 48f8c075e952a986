"""Turning what a person asked for into a request the model can run.

Sizes and frame counts are snapped to the model's rules instead of failing on them; everything else that is
out of range is refused with a message written for the person who sent it.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field

from PIL import Image

from .catalog import LORA_SCALE_RANGE, QUALITIES, LoraSpec, ModelSpec
from .images import ImageProblem, prepare_image

MAX_PROMPT_CHARS = 1000
MAX_SEED = 2**32 - 1
MIN_SECONDS = 0.5
# The shortest length a duration head may choose: LTX2Pipeline's own default lower bound (`min_seconds`).
AUTO_MIN_SECONDS = 1.0
MAX_GUIDANCE = 20.0


class InvalidRequest(ValueError):
    """A request a person can fix; its message is shown to them as is, next to `field` where the UI can."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    negative_prompt: str
    seed: int
    width: int
    height: int
    num_frames: int
    fps: int
    steps: int
    guidance: float
    resolution: str
    # Image-to-video: the first frame, already converted and sized to width x height. Never in the manifest.
    image: Image.Image | None = field(default=None, compare=False, repr=False)
    # {"width", "height", "sha256"} of the image as sent (sha256 of its RGB pixels); None for text-to-video.
    input_image: dict | None = None
    # Keep the model's sound track in the file (only for models that make sound).
    audio: bool = False
    # A per-request adapter the model serves, by name, and its scale; None: the base model.
    lora: str | None = None
    lora_scale: float = 0.0
    # "hd": width and height are twice the preset's, made in two stages (model/spec.py HdSpec).
    quality: str = "standard"
    # The HD refine's steps, run after `steps` (0 for standard quality).
    refine_steps: int = 0
    # Rewrite the prompt with the model's enhancer inside the GPU call (model/prompt_enhancement.py).
    enhance_prompt: bool = False
    # The words the frames are made from when enhanced: filled in by the GPU call, or given by a manifest to
    # make the same clip again without rewriting.
    enhanced_prompt: str | None = None
    # `seconds="auto"`: the model's duration head chooses the length, up to `num_frames` (the longest it may make,
    # which the GPU time and the quota reservation are planned for).
    auto_length: bool = False
    # Twice the frames at twice the frame rate (num_frames and fps are the doubled ones), in two stages (SmoothSpec).
    smooth: bool = False

    @property
    def seconds(self) -> float:
        return self.num_frames / self.fps

    @property
    def total_steps(self) -> int:
        return self.steps + self.refine_steps

    @property
    def mode(self) -> str:
        return "image-to-video" if self.image is not None else "text-to-video"


def snap_size(value: int, multiple: int) -> int:
    """Nearest multiple, never below one multiple."""
    return max(multiple, int(round(value / multiple)) * multiple)


def snap_num_frames(wanted_frames: float, frame_step: int, max_frames: int) -> int:
    """Nearest count of the form frame_step * k + 1 (k >= 1), capped at the model's longest clip."""
    k = max(1, int(round((wanted_frames - 1) / frame_step)))
    return min(k * frame_step + 1, max_frames)


def _number(value, what: str, field: str, whole: bool = False) -> float:
    """Accept numbers and numeric strings (API callers send both); refuse bools, NaN and infinities."""
    kind = "a whole number" if whole else "a number"
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise InvalidRequest(f"{what} must be {kind}.", field) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidRequest(f"{what} must be {kind}.", field)
    if whole and value != int(value):
        raise InvalidRequest(f"{what} must be {kind}.", field)
    return int(value) if whole else float(value)


def _text(value, what: str, field: str, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidRequest(f"{what} must be text.", field)
    value = value.strip()
    if required and not value:
        raise InvalidRequest("Enter a prompt that describes the video you want.", field)
    if len(value) > MAX_PROMPT_CHARS:
        raise InvalidRequest(f"{what} is {len(value)} characters long; the limit is {MAX_PROMPT_CHARS}.", field)
    return value


def plan_request(
    spec: ModelSpec,
    prompt,
    negative_prompt="",
    seed=-1,
    seconds=None,
    resolution=None,
    steps=None,
    guidance=None,
    image=None,
    image_alternatives=(),
    audio=None,
    lora=None,
    lora_scale=None,
    served_loras: dict[str, LoraSpec] | None = None,
    audio_alternatives=(),
    quality=None,
    hd_available: bool | None = None,
    enhance_prompt=None,
    enhance_available: bool | None = None,
    length_available: bool | None = None,
    smooth=None,
    smooth_available: bool | None = None,
) -> GenerationRequest:
    """Validate and snap one request for `spec`. None means "the model's default".

    `image` (a PIL image or None) makes it image-to-video: the size then follows the image's shape at about
    the preset's pixel area. `image_alternatives` are labels of other models on offer that can animate an
    image, named in the refusal when this one cannot; `audio_alternatives` likewise for sound. `served_loras`
    are the adapters actually loaded (by name); None means the ones the catalog lists. `quality` "hd" doubles the
    width and height (two stages); `hd_available` says whether the loaded model has its upsampler (None: the
    catalog's word). `enhance_prompt` true rewrites the prompt with the model's enhancer; `enhance_available` says
    whether the loaded model can (None: the catalog's word). `seconds` "auto" lets the model's duration head choose
    the length; `length_available` says whether the loaded model has one (None: the catalog's word). `smooth` true
    doubles the frame rate; `smooth_available` says whether the loaded model has its temporal upsampler.
    """
    prompt = _text(prompt, "The prompt", "prompt", required=True)
    negative_prompt = _text(negative_prompt, "The negative prompt", "negative_prompt", required=False)

    seed = -1 if seed is None else _number(seed, "The seed", "seed", whole=True)
    if not -1 <= seed <= MAX_SEED:
        raise InvalidRequest(f"The seed must be between 0 and {MAX_SEED}, or -1 for a random one.", "seed")
    if seed == -1:
        seed = secrets.randbelow(MAX_SEED + 1)

    resolution = spec.default_preset if resolution in (None, "") else resolution
    if not isinstance(resolution, str) or resolution not in spec.presets:
        choices = ", ".join(spec.presets)
        raise InvalidRequest(f"Unknown resolution {str(resolution)[:40]!r}; choose one of: {choices}.", "resolution")
    width, height = (snap_size(side, spec.size_multiple) for side in spec.presets[resolution])
    prepared = _image(spec, resolution, image, image_alternatives)
    if prepared is not None:
        width, height = prepared.width, prepared.height

    auto_length = _wants_auto_length(spec, seconds, spec.auto_length if length_available is None else length_available)
    if auto_length:
        seconds = spec.max_seconds
    seconds = spec.default_seconds if seconds is None else _number(seconds, "The duration", "seconds")
    if not MIN_SECONDS <= seconds <= spec.max_seconds:
        raise InvalidRequest(
            f"The duration must be between {MIN_SECONDS:g} and {spec.max_seconds:g} seconds for this model.",
            "seconds",
        )
    num_frames = snap_num_frames(seconds * spec.fps, spec.frame_step, spec.max_frames)

    steps = spec.default_steps if steps is None else _number(steps, "Steps", "steps", whole=True)
    if not spec.min_steps <= steps <= spec.max_steps:
        raise InvalidRequest(f"Steps must be between {spec.min_steps} and {spec.max_steps} for this model.", "steps")

    guidance = spec.default_guidance if guidance is None else _number(guidance, "Guidance", "guidance")
    if not 0.0 <= guidance <= MAX_GUIDANCE:
        raise InvalidRequest(f"Guidance must be between 0 and {MAX_GUIDANCE:g}.", "guidance")

    audio = _audio(spec, audio, audio_alternatives)
    lora, lora_scale = check_lora_choice(spec, served_loras, lora, lora_scale)
    quality = check_quality(spec, quality, spec.hd is not None if hd_available is None else hd_available)
    if quality == "hd":
        width, height = width * spec.hd.scale, height * spec.hd.scale
    available = spec.prompt_enhancement is not None if enhance_available is None else enhance_available
    enhance_prompt = check_enhance_prompt(spec, enhance_prompt, available)

    smooth = check_smooth(
        spec, smooth, spec.smooth is not None if smooth_available is None else smooth_available,
        steps=steps, image=prepared, quality=quality, auto_length=auto_length, negative_prompt=negative_prompt,
    )
    fps = spec.fps
    refine_steps = spec.hd.refine_steps if quality == "hd" else 0
    if smooth:
        num_frames, fps, refine_steps = 2 * (num_frames - 1) + 1, 2 * spec.fps, spec.smooth.refine_steps

    return GenerationRequest(
        prompt=prompt,
        negative_prompt=negative_prompt,
        seed=seed,
        width=width,
        height=height,
        num_frames=num_frames,
        fps=fps,
        steps=steps,
        guidance=guidance,
        resolution=resolution,
        image=prepared.image if prepared is not None else None,
        input_image=prepared.manifest_entry() if prepared is not None else None,
        audio=audio,
        lora=lora,
        lora_scale=lora_scale,
        quality=quality,
        refine_steps=refine_steps,
        enhance_prompt=enhance_prompt,
        auto_length=auto_length,
        smooth=smooth,
    )


def check_smooth(spec: ModelSpec, smooth, available: bool, *, steps, image, quality, auto_length, negative_prompt):
    """None means no. Smooth motion runs diffusers' distilled DFR recipe, which takes text only, the model's own
    distilled steps, no negative prompt and one known length: anything else is refused with what to change."""
    if smooth is None or (isinstance(smooth, str) and smooth.strip().lower() in ("", "false")):
        return False
    if isinstance(smooth, str) and smooth.strip().lower() == "true":
        smooth = True
    if not isinstance(smooth, bool):
        raise InvalidRequest("smooth must be true or false.", "smooth")
    if not smooth:
        return False
    if not available:
        raise InvalidRequest(f"{spec.label} has no temporal upsampler here; turn smooth motion off.", "smooth")
    conflict = (
        "a start image" if image is not None else
        "HD" if quality == "hd" else
        'seconds "auto"' if auto_length else
        "a negative prompt" if negative_prompt else None
    )
    if conflict:
        raise InvalidRequest(f"Smooth motion cannot be combined with {conflict} yet; turn one of them off.", "smooth")
    distilled = len(spec.distilled_sigmas or ())
    if steps != distilled:
        raise InvalidRequest(f"Smooth motion runs the model's {distilled} distilled steps; set steps to {distilled}.",
                             "steps")
    return True


def _wants_auto_length(spec: ModelSpec, seconds, available: bool) -> bool:
    """`seconds="auto"`: only where the model can choose; elsewhere refused with what to send instead."""
    if not (isinstance(seconds, str) and seconds.strip().lower() == "auto"):
        return False
    if not available:
        raise InvalidRequest(
            f"{spec.label} cannot choose a clip's length; give the duration in seconds, up to {spec.max_seconds:g}.",
            "seconds",
        )
    return True


def check_enhance_prompt(spec: ModelSpec, enhance_prompt, available: bool) -> bool:
    """None means no; true from a model without an enhancer is refused, never quietly ignored."""
    if enhance_prompt is None or (isinstance(enhance_prompt, str) and not enhance_prompt.strip()):
        return False
    if isinstance(enhance_prompt, str) and enhance_prompt.strip().lower() in ("true", "false"):
        enhance_prompt = enhance_prompt.strip().lower() == "true"
    if not isinstance(enhance_prompt, bool):
        raise InvalidRequest("enhance_prompt must be true or false.", "enhance_prompt")
    if enhance_prompt and not available:
        raise InvalidRequest(
            f"{spec.label} has no prompt enhancer here; turn prompt enhancement off.", "enhance_prompt"
        )
    return enhance_prompt


def check_quality(spec: ModelSpec, quality, hd_available: bool) -> str:
    """"standard" or "hd"; None or "" means standard. HD from a model without its upsampler is refused, never
    quietly made at the standard size."""
    if quality is None or (isinstance(quality, str) and not quality.strip()):
        return "standard"
    if not isinstance(quality, str) or quality.strip().lower() not in QUALITIES:
        raise InvalidRequest(f"Unknown quality {str(quality)[:40]!r}; choose one of: {', '.join(QUALITIES)}.", "quality")
    quality = quality.strip().lower()
    if quality == "hd" and not hd_available:
        raise InvalidRequest(f"{spec.label} has no HD upscaler here; choose quality \"standard\".", "quality")
    return quality


def _audio(spec: ModelSpec, audio, audio_alternatives) -> bool:
    """None: sound wherever the model makes it. True on a silent model is refused, never ignored."""
    if audio is None:
        return spec.has_audio
    if isinstance(audio, str) and audio.strip().lower() in ("true", "false"):
        audio = audio.strip().lower() == "true"
    if not isinstance(audio, bool):
        raise InvalidRequest("audio must be true or false.", "audio")
    if audio and not spec.has_audio:
        others = [label for label in audio_alternatives if label != spec.label]
        choose = f", or choose a model with sound: {', '.join(others)}" if others else ""
        raise InvalidRequest(f"{spec.label} makes video without sound. Turn sound off{choose}.", "audio")
    return audio


def check_lora_choice(
    spec: ModelSpec, served: dict[str, LoraSpec] | None, name, scale
) -> tuple[str | None, float]:
    """(adapter name or None, scale) for a request, or InvalidRequest saying what is offered. An empty name or
    "none" means no adapter; a missing scale means the adapter's default."""
    served = {lora.name: lora for lora in spec.loras} if served is None else served
    if name is None or (isinstance(name, str) and name.strip().lower() in ("", "none")):
        return None, 0.0
    if not isinstance(name, str) or name.strip() not in served:
        offered = ", ".join(served) or "none"
        raise InvalidRequest(f"Unknown LoRA {str(name)[:60]!r} for {spec.label}; choose one of: {offered}.", "lora")
    name = name.strip()
    if scale is None or scale == "":
        return name, served[name].default_scale
    scale = _number(scale, "The LoRA scale", "lora_scale")
    low, high = LORA_SCALE_RANGE
    if not low <= scale <= high:
        raise InvalidRequest(f"The LoRA scale must be between {low:g} and {high:g}.", "lora_scale")
    return name, scale


def text_only_message(spec: ModelSpec, image_alternatives=()) -> str:
    message = f"{spec.label} makes video from text only. Remove the image"
    alternatives = [label for label in image_alternatives if label != spec.label]
    if alternatives:
        return f"{message}, or choose one of: {', '.join(alternatives)}."
    return f"{message}."


def _image(spec: ModelSpec, resolution: str, image, image_alternatives):
    if image is None:
        return None
    if not spec.supports_image:
        raise InvalidRequest(text_only_message(spec, image_alternatives), "image")
    try:
        return prepare_image(spec, resolution, image)
    except ImageProblem as problem:
        raise InvalidRequest(str(problem), "image") from None
