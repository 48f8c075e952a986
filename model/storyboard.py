"""Planning a storyboard: a list of shots (prompt, seconds, optional negative prompt and end picture), one style,
an optional reference picture, one seed. Everything is checked here, before any shot runs, so a storyboard
that would fail at shot 5 is refused before shot 1 spends any GPU time.

Each shot is validated by plan_request (the single-clip rules); refusals name the shot. Shot k (0-based) gets
seed + k. All shots share the first shot's width, height and fps, so nothing jumps at a cut.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from types import MappingProxyType

from PIL import Image

from .catalog import ModelSpec
from .continuity import Continuity, continuity_for
from .images import ImageProblem, check_image, cover_and_crop, pixel_sha256, to_rgb
from .requests import MAX_SEED, GenerationRequest, InvalidRequest, plan_request

MAX_SHOTS = 12
DEFAULT_MAX_TOTAL_SECONDS = 60.0
MAX_SHOTS_JSON_CHARS = 64 * 1024
# "seed" is optional: it replaces seed + k for that shot alone, which is how one shot is re-rolled.
SHOT_FIELDS = ("prompt", "seconds", "negative_prompt", "end_image", "seed")
# Refusals on these fields are about the whole storyboard, not one shot.
_SHARED_FIELDS = ("seed", "resolution", "steps", "guidance", "audio", "lora", "lora_scale")


@dataclass(frozen=True)
class Style:
    name: str
    prompt_suffix: str  # appended to every shot's prompt
    negative_prompt: str  # joined to every shot's own negative prompt

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


STYLE_PRESETS = MappingProxyType({
    "none": Style("none", "", ""),
    "cinematic": Style(
        "cinematic",
        "cinematic film still, anamorphic lens, shallow depth of field, dramatic lighting, film grain",
        "cartoon, illustration, oversaturated, low quality, watermark, text",
    ),
    "anime": Style(
        "anime",
        "anime style, cel shading, clean line art, vibrant colours",
        "photorealistic, 3d render, blurry, low quality, watermark, text",
    ),
    "documentary": Style(
        "documentary",
        "documentary footage, natural light, handheld camera, realistic detail",
        "cartoon, illustration, stylized, oversaturated, watermark, text",
    ),
    "claymation": Style(
        "claymation",
        "claymation, stop-motion animation, plasticine figures, handmade textures",
        "photorealistic, live action, blurry, low quality, watermark, text",
    ),
})


def resolve_style(style=None, style_text=None) -> Style:
    """A preset by name (None or "" means "none"), with optional free text appended to its prompt suffix.

    Free text goes in its own argument so a mistyped preset name is refused rather than sent to the model as
    words."""
    name = "none" if style in (None, "") else style
    if not isinstance(name, str) or name.strip().lower() not in STYLE_PRESETS:
        choices = ", ".join(STYLE_PRESETS)
        raise InvalidRequest(f"Unknown style {str(name)[:40]!r}; choose one of: {choices}.", "style")
    preset = STYLE_PRESETS[name.strip().lower()]
    if style_text in (None, ""):
        return preset
    if not isinstance(style_text, str):
        raise InvalidRequest("The style text must be text.", "style")
    text = style_text.strip()
    suffix = ", ".join(part for part in (preset.prompt_suffix, text) if part)
    return Style(preset.name if not text else f"{preset.name}+text", suffix, preset.negative_prompt)


@dataclass(frozen=True)
class PlannedShot:
    index: int  # 0-based; messages and manifests say index + 1
    request: GenerationRequest  # request.image is the reference picture (shot 1 only)
    continues: bool  # starts from the end of the shot before
    overlap: int  # leading frames dropped at the cut (they reproduce the conditioning input)
    end_image: Image.Image | None = dataclasses.field(default=None, compare=False, repr=False)
    end_image_entry: dict | None = None  # {"width", "height", "sha256"} of the picture as sent

    @property
    def new_frames(self) -> int:
        return self.request.num_frames - self.overlap


@dataclass(frozen=True)
class StoryboardPlan:
    model: str
    style: Style
    seed: int
    resolution: str
    steps: int
    guidance: float
    width: int
    height: int
    fps: int
    shots: tuple[PlannedShot, ...]
    # Colour target: "reference" (the reference picture) or "first shot".
    colour_target: str = "first shot"

    @property
    def num_frames(self) -> int:
        return sum(shot.new_frames for shot in self.shots)

    @property
    def reference_image(self) -> Image.Image | None:
        return self.shots[0].request.image


def parse_shots(value) -> list:
    """JSON text or an already-decoded list of shot objects; only the outer shape is checked here."""
    if isinstance(value, (str, bytes)):
        if len(value) > MAX_SHOTS_JSON_CHARS:
            limit = MAX_SHOTS_JSON_CHARS // 1024
            raise InvalidRequest(f"The shots text is too long; the limit is {limit} KB.", "shots")
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise InvalidRequest(f"The shots are not valid JSON ({error.msg}).", "shots") from None
        except UnicodeDecodeError:
            raise InvalidRequest("The shots are not valid JSON (not UTF-8 text).", "shots") from None
    if not isinstance(value, (list, tuple)):
        raise InvalidRequest("The shots must be a list of shots, each with a prompt and seconds.", "shots")
    if not value:
        raise InvalidRequest("The storyboard has no shots; add at least one.", "shots")
    if len(value) > MAX_SHOTS:
        raise InvalidRequest(f"The storyboard has {len(value)} shots; the limit is {MAX_SHOTS}.", "shots")
    for number, shot in enumerate(value, start=1):
        if not isinstance(shot, dict):
            raise InvalidRequest(f"Shot {number}: a shot must be an object with a prompt and seconds.", "shots")
        unknown = sorted(str(name) for name in shot if name not in SHOT_FIELDS)
        if unknown:
            raise InvalidRequest(
                f"Shot {number}: unknown field {unknown[0][:40]!r}; a shot has {', '.join(SHOT_FIELDS)}.", "shots"
            )
    return list(value)


def prepare_end_image(number: int, image, width: int, height: int) -> tuple[Image.Image, dict]:
    """The end picture cropped to the video's size, and its manifest entry (hash of the picture as sent)."""
    try:
        check_image(image)
    except ImageProblem as problem:
        raise InvalidRequest(f"Shot {number}: end image: {problem}", "shots") from None
    rgb = to_rgb(image)
    entry = {"width": rgb.width, "height": rgb.height, "sha256": pixel_sha256(rgb)}
    return cover_and_crop(rgb, width, height), entry


def _with_shot(number: int, error: InvalidRequest, style: Style) -> InvalidRequest:
    if error.field in _SHARED_FIELDS:
        return error
    message = error.message
    if error.field == "prompt" and style.prompt_suffix and "characters long" in message:
        message = message.rstrip(".") + f", counting the style's words ({len(style.prompt_suffix) + 2} characters)."
    return InvalidRequest(f"Shot {number}: {message}", error.field or "shots")


def _capability_refusal(
    spec: ModelSpec, continuity: Continuity, number: int, continues: bool, has_start: bool, has_end: bool,
    image_alternatives, end_image_alternatives,
) -> None:
    def others(labels) -> str:
        labels = [label for label in labels if label != spec.label]
        return f", or choose one of: {', '.join(labels)}" if labels else ""

    if continues and continuity.continues is None:
        raise InvalidRequest(
            f"Shot {number}: {spec.label} makes video from text only, so it cannot continue shot {number - 1}. "
            f"Use a single shot{others(image_alternatives)}.",
            "shots",
        )
    if has_end and not continuity.end_image:
        raise InvalidRequest(
            f"Shot {number}: {spec.label} cannot end a shot on a chosen picture. "
            f"Remove the end image{others(end_image_alternatives)}.",
            "shots",
        )
    if has_end and continuity.end_image_needs_start and not has_start:
        raise InvalidRequest(
            f"Shot {number}: {spec.label} can end on a picture only when the shot starts from one: "
            "add a reference image or remove the end image.",
            "shots",
        )


def plan_shot(
    spec: ModelSpec, index: int, shot: dict, style: Style, seed: int, resolution, steps, guidance,
    reference=None, continues: bool = False, size: tuple[int, int] | None = None,
    image_alternatives=(), end_image_alternatives=(), **request_options,
) -> PlannedShot:
    """One shot checked and planned. `size` forces the storyboard's shared width x height on later shots;
    `request_options` (sound, adapter) go to plan_request as they are, the same for every shot."""
    number = index + 1
    continuity = continuity_for(spec)
    end_image = shot.get("end_image")
    _capability_refusal(
        spec, continuity, number, continues, reference is not None or continues, end_image is not None,
        image_alternatives, end_image_alternatives,
    )
    prompt = shot.get("prompt")
    if isinstance(prompt, str) and prompt.strip() and style.prompt_suffix:
        prompt = f"{prompt.strip()}, {style.prompt_suffix}"
    negative = shot.get("negative_prompt") or ""
    if isinstance(negative, str) and style.negative_prompt:
        negative = ", ".join(part for part in (negative.strip(), style.negative_prompt) if part)
    try:
        if isinstance(shot.get("seconds"), str) and shot["seconds"].strip().lower() == "auto":
            # Shots are cut to their lengths before any runs (the total, the overlaps): a length must be known.
            raise InvalidRequest('seconds "auto" is for single clips; give this shot\'s length in seconds.', "seconds")
        request = plan_request(
            spec, prompt=prompt, negative_prompt=negative, seed=seed, seconds=shot.get("seconds"),
            resolution=resolution, steps=steps, guidance=guidance, image=reference,
            image_alternatives=image_alternatives, **request_options,
        )
    except InvalidRequest as error:
        raise _with_shot(number, error, style) from None
    overlap = continuity.overlap if continues else 0
    if continues:
        # The conditioning frames come back at the start and are dropped, so the shot is generated that much
        # longer (within the model's limit) to keep its asked duration.
        num_frames = min(request.num_frames + max(0, overlap - 1), spec.max_frames)
        request = dataclasses.replace(request, num_frames=num_frames)
    if size is not None:
        request = dataclasses.replace(request, width=size[0], height=size[1])
    prepared_end, end_entry = (None, None)
    if end_image is not None:
        prepared_end, end_entry = prepare_end_image(number, end_image, request.width, request.height)
    return PlannedShot(index, request, continues, overlap, prepared_end, end_entry)


def plan_storyboard(
    spec: ModelSpec,
    shots,
    style=None,
    style_text=None,
    reference=None,
    seed=-1,
    resolution=None,
    steps=None,
    guidance=None,
    max_total_seconds: float = DEFAULT_MAX_TOTAL_SECONDS,
    image_alternatives=(),
    end_image_alternatives=(),
    **request_options,
) -> StoryboardPlan:
    """Check and plan a whole storyboard. `max_total_seconds` is REEL_STORYBOARD_MAX_SECONDS, read by the
    caller; `*_alternatives` are labels of other served models that can do what this one cannot;
    `request_options` (audio, lora, lora_scale, served_loras, audio_alternatives) apply to every shot."""
    items = parse_shots(shots)
    chosen_style = resolve_style(style, style_text)
    planned: list[PlannedShot] = []
    base_seed = seed
    for index, item in enumerate(items):
        shot_seed = base_seed if index == 0 else (base_seed + index) % (MAX_SEED + 1)
        if item.get("seed") not in (None, -1):
            if index == 0:
                raise InvalidRequest("Shot 1: its seed is the storyboard's seed; change that one instead.", "seed")
            shot_seed = item["seed"]
        size = None if index == 0 else (planned[0].request.width, planned[0].request.height)
        shot = plan_shot(
            spec, index, item, chosen_style, shot_seed, resolution, steps, guidance,
            reference=reference if index == 0 else None, continues=index > 0, size=size,
            image_alternatives=image_alternatives, end_image_alternatives=end_image_alternatives, **request_options,
        )
        if index == 0:
            base_seed = shot.request.seed  # -1 drew one seed here, for the whole storyboard
        planned.append(shot)
    total = sum(float(item.get("seconds") or spec.default_seconds) for item in items)
    if total > max_total_seconds + 1e-9:
        raise InvalidRequest(
            f"The storyboard is {total:g} seconds long in total; the limit is {max_total_seconds:g} seconds.",
            "shots",
        )
    first = planned[0].request
    return StoryboardPlan(
        model=spec.key, style=chosen_style, seed=base_seed, resolution=first.resolution, steps=first.steps,
        guidance=first.guidance, width=first.width, height=first.height, fps=first.fps, shots=tuple(planned),
        colour_target="reference" if reference is not None else "first shot",
    )
