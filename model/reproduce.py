"""Making a clip or storyboard again from its manifest, and reading manifests that came from outside.

A manifest arrives from a downloaded MP4 or an API caller, so it is untrusted: its size, every field's type
and range, and the model's rules (frame counts, sizes, abilities) are checked before anything runs. Pictures
are named in manifests only by hash; the caller supplies them and they must hash the same.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from .catalog import ModelSpec
from .continuity import ColourStats, continuity_for
from .engine import VideoEngine
from .images import pixel_sha256, to_rgb
from .prompt_enhancement import MAX_ENHANCED_PROMPT_CHARS
from .requests import MAX_SEED, GenerationRequest, InvalidRequest, plan_request
from .shot_cache import ShotCache
from .storyboard import MAX_SHOTS, PlannedShot, StoryboardPlan, Style, prepare_end_image
from .storyboard_runner import StoryboardResult, run_storyboard

MAX_MANIFEST_BYTES = 256 * 1024
# Generous bound on a manifest's pixel area (image-to-video sizes follow the picture's shape at about a
# preset's area), so a forged manifest cannot ask for a huge frame.
_AREA_SLACK = 1.5


def _check_size(size: int) -> None:
    if size > MAX_MANIFEST_BYTES:
        limit = MAX_MANIFEST_BYTES // 1024
        raise InvalidRequest(f"The manifest is {size // 1024} KB; the limit is {limit} KB.", "manifest")


def load_manifest(manifest) -> dict:
    """A manifest dict from a dict or JSON text, refused above MAX_MANIFEST_BYTES."""
    if isinstance(manifest, (str, bytes)):
        _check_size(len(manifest.encode() if isinstance(manifest, str) else manifest))
        try:
            manifest = json.loads(manifest)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InvalidRequest("The manifest is not valid JSON.", "manifest") from None
    elif isinstance(manifest, dict):
        try:
            size = len(json.dumps(manifest, ensure_ascii=False).encode())
        except (TypeError, ValueError):
            raise InvalidRequest("The manifest holds values that are not JSON.", "manifest") from None
        _check_size(size)
    if not isinstance(manifest, dict):
        raise InvalidRequest("The manifest must be a JSON object.", "manifest")
    return manifest


def _get(entry: dict, name: str, kinds, where: str):
    if name not in entry:
        raise InvalidRequest(f"{where}the manifest has no {name!r}.", "manifest")
    value = entry[name]
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise InvalidRequest(f"{where}the manifest's {name!r} has the wrong type.", "manifest")
    return value


def _whole(entry: dict, name: str, where: str, low: int, high: int) -> int:
    value = _get(entry, name, int, where)
    if not low <= value <= high:
        raise InvalidRequest(f"{where}the manifest's {name!r} must be between {low} and {high}.", "manifest")
    return value


def _check_image(image, entry: dict, what: str, where: str):
    """The caller's picture for a manifest entry {"width", "height", "sha256"}, checked by hash."""
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
        raise InvalidRequest(f"{where}the manifest's {what} entry is malformed.", "manifest")
    if image is None:
        named = entry["sha256"][:12]
        raise InvalidRequest(f"{where}this was made from an {what} (sha256 {named}...); provide it.", "image")
    try:
        digest = pixel_sha256(to_rgb(image))
    except Exception:
        raise InvalidRequest(f"{where}the {what} could not be read.", "image") from None
    if digest != entry["sha256"]:
        raise InvalidRequest(f"{where}the {what} given is not the one the manifest names.", "image")
    return image


def request_from_entry(
    spec: ModelSpec, entry: dict, where: str = "", image=None, verify_image: bool = True
) -> GenerationRequest:
    """The exact request one manifest entry describes (seed, size, frames), validated for `spec`.

    `verify_image` False checks an image-to-video entry without its picture (the request then has none)."""
    if not isinstance(entry, dict):
        raise InvalidRequest(f"{where}a manifest entry must be an object.", "manifest")
    model = _get(entry, "model", str, where)
    if model != spec.key:
        raise InvalidRequest(f"{where}the manifest is for model {model[:60]!r}; this one is {spec.key!r}.", "manifest")
    seed = _whole(entry, "seed", where, 0, MAX_SEED)
    smooth = entry.get("smooth", False)  # absent in manifests from before smooth motion
    if not isinstance(smooth, bool):
        raise InvalidRequest(f"{where}the manifest's 'smooth' has the wrong type.", "manifest")
    rate = 2 if smooth else 1  # smooth motion: twice the frames at twice the frame rate
    fps = _whole(entry, "fps", where, rate * spec.fps, rate * spec.fps)
    quality = entry.get("quality")  # absent in manifests from before HD: standard
    if quality is not None and not isinstance(quality, str):
        raise InvalidRequest(f"{where}the manifest's 'quality' has the wrong type.", "manifest")
    scale = spec.hd.scale if quality == "hd" and spec.hd else 1
    largest_side = max(max(size) for size in spec.presets.values()) * 2 * scale
    width = _whole(entry, "width", where, spec.size_multiple, largest_side)
    height = _whole(entry, "height", where, spec.size_multiple, largest_side)
    largest_area = max(w * h for w, h in spec.presets.values()) * _AREA_SLACK * scale * scale
    multiple = spec.size_multiple * scale  # HD's first stage renders at half the size, on the model's own grid
    if width % multiple or height % multiple or width * height > largest_area:
        raise InvalidRequest(f"{where}the manifest's size {width}x{height} is not one this model makes.", "manifest")
    num_frames = _whole(entry, "num_frames", where, spec.frame_step + 1, rate * (spec.max_frames - 1) + 1)
    if (num_frames - 1) % spec.frame_step:
        raise InvalidRequest(f"{where}the manifest's num_frames must be {spec.frame_step}k + 1.", "manifest")
    input_image = entry.get("input_image") if verify_image else None
    if input_image is not None:
        image = _check_image(image, input_image, "input image", where)
    audio = entry.get("audio")  # absent in manifests from before sound: the model's default
    if audio is not None and not isinstance(audio, bool):
        raise InvalidRequest(f"{where}the manifest's 'audio' has the wrong type.", "manifest")
    lora_name, lora_scale = _lora_entry(entry, where)
    try:
        request = plan_request(
            spec, prompt=_get(entry, "prompt", str, where), negative_prompt=_get(entry, "negative_prompt", str, where),
            seed=seed, resolution=_get(entry, "resolution", str, where), steps=_get(entry, "steps", int, where),
            guidance=_get(entry, "guidance", (int, float), where), image=image if input_image is not None else None,
            audio=audio, lora=lora_name, lora_scale=lora_scale, quality=quality, smooth=smooth,
        )
    except InvalidRequest as error:
        raise InvalidRequest(f"{where}{error.message}", "manifest") from None
    if input_image is not None and (request.width, request.height) != (width, height):
        raise InvalidRequest(f"{where}the input image does not give the manifest's size.", "manifest")
    return dataclasses.replace(
        request, width=width, height=height, num_frames=num_frames, fps=fps, **_enhanced_entry(entry, where)
    )


def _enhanced_entry(entry: dict, where: str) -> dict:
    """An enhanced clip is made again from the words it was made from, without rewriting: frame-exact, and no
    enhancer needed."""
    enhanced = entry.get("enhanced_prompt")
    if enhanced is None:
        return {}
    if not isinstance(enhanced, str) or not enhanced.strip():
        raise InvalidRequest(f"{where}the manifest's 'enhanced_prompt' has the wrong type.", "manifest")
    if len(enhanced) > MAX_ENHANCED_PROMPT_CHARS:
        raise InvalidRequest(
            f"{where}the manifest's 'enhanced_prompt' is longer than {MAX_ENHANCED_PROMPT_CHARS} characters.",
            "manifest",
        )
    return {"enhance_prompt": True, "enhanced_prompt": enhanced}


def _lora_entry(entry: dict, where: str) -> tuple[str | None, float | None]:
    lora = entry.get("lora")
    if lora is None:
        return None, None
    if not isinstance(lora, dict) or not isinstance(lora.get("name"), str) or not isinstance(lora.get("sha256"), str):
        raise InvalidRequest(f"{where}the manifest's 'lora' entry is malformed.", "manifest")
    scale = lora.get("scale")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)):
        raise InvalidRequest(f"{where}the manifest's LoRA scale has the wrong type.", "manifest")
    return lora["name"], scale


def check_adapter_files(engine, manifest: dict) -> None:
    """Every adapter the manifest names must be served here with the very file it was made with (same sha256),
    or the frames would differ: say which."""
    entries = manifest.get("shots") if isinstance(manifest.get("shots"), list) else [manifest]
    for number, entry in enumerate(entries, start=1):
        lora = entry.get("lora") if isinstance(entry, dict) else None
        if not isinstance(lora, dict):
            continue
        where = f"Shot {number}: " if "shots" in manifest else ""
        served = engine.adapters.adapters.get(lora.get("name"))
        if served is None:
            raise InvalidRequest(f"{where}the LoRA {str(lora.get('name'))[:60]!r} is not served here.", "manifest")
        if served.sha256 != lora.get("sha256"):
            raise InvalidRequest(
                f"{where}the LoRA {served.spec.name!r} served here is a different file (sha256 "
                f"{served.sha256[:12]}...) from the one this was made with ({str(lora.get('sha256'))[:12]}...).",
                "manifest",
            )


def is_storyboard(manifest: dict) -> bool:
    return "shots" in manifest


def style_from_manifest(manifest: dict) -> Style:
    """The style a storyboard was made with; none for a single clip."""
    style = manifest.get("style") or {"name": "none", "prompt_suffix": "", "negative_prompt": ""}
    fields = ("name", "prompt_suffix", "negative_prompt")
    if not isinstance(style, dict) or not all(isinstance(style.get(name), str) for name in fields):
        raise InvalidRequest("The manifest's style is malformed.", "manifest")
    return Style(style["name"], style["prompt_suffix"], style["negative_prompt"])


def plan_from_manifest(spec: ModelSpec, manifest, reference=None, end_images=None) -> StoryboardPlan:
    """The storyboard plan a storyboard (or extended clip) manifest describes. `end_images` maps 1-based shot
    numbers to the end pictures the manifest names by hash; `reference` is shot 1's input image."""
    manifest = load_manifest(manifest)
    shots = _get(manifest, "shots", list, "")
    if not 1 <= len(shots) <= MAX_SHOTS:
        raise InvalidRequest(f"The manifest must have between 1 and {MAX_SHOTS} shots.", "manifest")
    end_images = end_images or {}
    continuity = continuity_for(spec)
    planned = []
    for index, entry in enumerate(shots):
        where = f"Shot {index + 1}: "
        request = request_from_entry(spec, entry, where, image=reference if index == 0 else None)
        if index > 0:
            if entry.get("input_image") is not None:
                raise InvalidRequest(f"{where}only the first shot may start from an input image.", "manifest")
            if continuity.continues is None:
                message = f"{where}{spec.label} makes video from text only and cannot continue a shot."
                raise InvalidRequest(message, "manifest")
            if (request.width, request.height) != (planned[0].request.width, planned[0].request.height):
                raise InvalidRequest(f"{where}every shot must have the first shot's size.", "manifest")
        overlap = continuity.overlap if index > 0 else 0
        if entry.get("dropped_leading_frames", overlap) != overlap or request.num_frames <= overlap:
            raise InvalidRequest(f"{where}the manifest's frame counts do not follow this model's rules.", "manifest")
        end_image, end_entry = None, entry.get("end_image")
        if end_entry is not None:
            if not continuity.end_image:
                raise InvalidRequest(f"{where}{spec.label} cannot end a shot on a chosen picture.", "manifest")
            picture = _check_image(end_images.get(index + 1), end_entry, "end image", where)
            end_image, end_entry = prepare_end_image(index + 1, picture, request.width, request.height)
        planned.append(PlannedShot(index, request, index > 0, overlap, end_image, end_entry))
    source = (manifest.get("colour_target") or {}).get("source", "first shot")
    if source not in ("reference", "first shot"):
        raise InvalidRequest("The manifest's colour target is malformed.", "manifest")
    first = planned[0].request
    if source == "reference" and first.image is None:
        raise InvalidRequest("The manifest matches colours to a reference image it does not name.", "manifest")
    seed = manifest.get("seed", first.seed)
    return StoryboardPlan(
        model=spec.key, style=style_from_manifest(manifest), seed=seed if isinstance(seed, int) else first.seed,
        resolution=first.resolution, steps=first.steps, guidance=first.guidance, width=first.width,
        height=first.height, fps=first.fps, shots=tuple(planned), colour_target=source,
    )


def reproduce(
    engine: VideoEngine, manifest, reference=None, end_images=None, cache: ShotCache | None = None, **run_options
):
    """Frames made again from a manifest: a uint8 array for a single clip, a StoryboardResult (with
    `mismatched_shots`: shots whose conditioning did not hash as recorded) for a storyboard."""
    manifest = load_manifest(manifest)
    check_adapter_files(engine, manifest)
    if not is_storyboard(manifest):
        return engine.generate_frames(request_from_entry(engine.spec, manifest, image=reference))
    plan = plan_from_manifest(engine.spec, manifest, reference, end_images)
    result = run_storyboard(engine, plan, cache=cache, **run_options)
    recorded = [entry.get("continues_from") for entry in manifest["shots"]]
    mismatched = tuple(
        entry["shot"] for entry, before in zip(result.manifest["shots"], recorded)
        if entry["continues_from"] is not None and entry["continues_from"] != before
    )
    return ReproducedStoryboard(
        result.pieces, result.manifest, result.generated_shots, sound=result.sound, mismatched_shots=mismatched
    )


@dataclasses.dataclass(frozen=True)
class ReproducedStoryboard(StoryboardResult):
    mismatched_shots: tuple[int, ...] = ()


def colour_target_from_manifest(manifest: dict) -> ColourStats | None:
    """The stored colour target, or None when absent or malformed (then it is recomputed)."""
    target = manifest.get("colour_target")
    try:
        mean, std = target["mean"], target["std"]
        values = [float(v) for v in (*mean, *std)]
    except (TypeError, KeyError, ValueError):
        return None
    if len(mean) != 3 or len(std) != 3 or not all(np.isfinite(values)):
        return None
    return ColourStats(tuple(values[:3]), tuple(values[3:]))
