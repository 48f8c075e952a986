"""Each form checked and planned before anything runs: the validators call these on the event loop's doorstep,
and the jobs call them again (a call that skipped the validator is checked all the same).

Every problem is an InvalidRequest naming the field it belongs to, in Reel's words; pictures and manifests come
from outside, so each is read here with its size checked before decoding.
"""

from __future__ import annotations

from pathlib import Path

from model import (
    STYLE_PRESETS,
    GenerationRequest,
    GpuBudget,
    ImageProblem,
    InvalidRequest,
    StoryboardPlan,
    VideoEngine,
    check_adapter_files,
    load_manifest,
    open_image_file,
    parse_shots,
    pixel_sha256,
    plan_from_manifest,
    plan_request,
    plan_storyboard,
    read_manifest,
    request_from_entry,
    to_rgb,
)

from ..runtime import Runtime
from .forms import ClipForm, ReproduceForm, StoryboardForm


def uploaded_picture(value, field: str, what: str = "The image"):
    """The picture a PictureUpload handed over, read as RGB with its size checked before decoding; None when
    nothing was sent. Problems are refusals on `field`, in Reel's words."""
    if value is None or value == "":
        return None
    try:
        return open_image_file(value, what)
    except ImageProblem as problem:
        raise InvalidRequest(str(problem), field) from None


def file_path(file) -> Path | None:
    """A file input's path: a str or Path from type="filepath", or an object with the path as `.name`."""
    if file is None or file == "":
        return None
    return Path(file if isinstance(file, (str, Path)) else file.name)


# -- a clip ----------------------------------------------------------------------------------------------------


def plan_clip(runtime: Runtime, form: ClipForm) -> tuple[VideoEngine, GenerationRequest, GpuBudget]:
    """Check and snap one request, and size its GPU call: a request that needs more GPU time than one call may
    ask for is refused here, with what would fit, instead of being stopped half-way on ZeroGPU."""
    engine = runtime.engine_for(form.model)
    request = engine.plan(
        prompt=form.prompt, negative_prompt=form.negative_prompt, seed=form.seed, seconds=form.seconds,
        resolution=form.resolution, steps=form.steps, image=uploaded_picture(form.image, "image"), audio=form.audio,
        lora=form.lora, lora_scale=form.lora_scale, quality=form.quality, enhance_prompt=form.enhance_prompt,
        smooth=form.smooth,
    )
    return engine, request, runtime.policy.budget(engine.spec, request)


# -- a storyboard ----------------------------------------------------------------------------------------------


def split_style(style: str | None) -> tuple[str, str | None]:
    """`style` is a preset's name or free text added to every shot's prompt."""
    text = (style or "").strip()
    if not text or text.lower() in STYLE_PRESETS:
        return text.lower() or "none", None
    return "none", text


def attach_keyframes(items: list, keyframes) -> list:
    """Shots name their end picture as `end_image`: the number of an uploaded keyframe (1 for the first) or
    its file name. Each is replaced by the picture, read with its size checked before decoding."""
    paths = [Path(item if isinstance(item, (str, Path)) else item.name) for item in (keyframes or [])]
    pictures: dict[int, object] = {}

    def picture(number: int):
        if number not in pictures:
            try:
                pictures[number] = open_image_file(paths[number - 1], f"Keyframe {number}")
            except ImageProblem as problem:
                raise InvalidRequest(str(problem), "keyframes") from None
        return pictures[number]

    attached = []
    for shot_number, item in enumerate(items, start=1):
        wanted = item.get("end_image")
        if wanted is None:
            attached.append(item)
            continue
        names = {path.name: index for index, path in enumerate(paths, start=1)}
        if isinstance(wanted, int) and not isinstance(wanted, bool) and 1 <= wanted <= len(paths):
            number = wanted
        elif isinstance(wanted, str) and wanted in names:
            number = names[wanted]
        elif not paths:
            raise InvalidRequest(
                f"Shot {shot_number}: end_image {str(wanted)[:60]!r} names a keyframe, but none was uploaded. "
                "Upload the picture under keyframes.",
                "shots",
            )
        else:
            raise InvalidRequest(
                f"Shot {shot_number}: end_image {str(wanted)[:60]!r} names no uploaded keyframe; give its number "
                f"(1 to {len(paths)}) or its file name.",
                "shots",
            )
        attached.append({**item, "end_image": picture(number)})
    return attached


def check_shot_budgets(runtime: Runtime, engine: VideoEngine, plan: StoryboardPlan, field: str) -> None:
    """Every shot's GPU call sized before any runs; a shot too long for one call is refused by its number."""
    for shot in plan.shots:
        try:
            runtime.policy.budget(engine.spec, shot.request)
        except InvalidRequest as too_long:
            raise InvalidRequest(f"Shot {shot.index + 1}: {too_long.message}", field) from None


def plan_storyboard_form(runtime: Runtime, form: StoryboardForm) -> tuple[VideoEngine, StoryboardPlan]:
    """The whole storyboard checked before any shot runs, each shot's GPU call sized."""
    engine = runtime.engine_for(form.model)
    items = attach_keyframes(parse_shots(form.shots), form.keyframes)
    preset, text = split_style(form.style)
    continuing, ending = runtime.storyboard_alternatives(engine)
    reference = uploaded_picture(form.reference, "reference", "The reference picture")
    plan = plan_storyboard(
        engine.spec, items, style=preset, style_text=text, reference=reference, seed=form.seed,
        resolution=form.resolution, steps=form.steps, max_total_seconds=runtime.storyboard_max_seconds,
        image_alternatives=continuing, end_image_alternatives=ending, audio=form.audio, lora=form.lora,
        lora_scale=form.lora_scale, served_loras=engine.served_loras, audio_alternatives=engine.audio_alternatives,
        quality=form.quality, hd_available=engine.supports_hd,
    )
    check_shot_budgets(runtime, engine, plan, "steps")
    return engine, plan


# -- a reproduction or an extension ----------------------------------------------------------------------------


def manifest_from(manifest, video) -> dict:
    """The manifest from its JSON text or as the page holds it (a dict), else from the Reel MP4's tag; Reel's
    messages for anything else."""
    if isinstance(manifest, str) and manifest.strip():
        return load_manifest(manifest)
    if isinstance(manifest, dict) and manifest:
        return load_manifest(manifest)
    path = file_path(video)
    if path is None:
        raise InvalidRequest("Give a manifest (its JSON text) or a video made by Reel.", "manifest")
    try:
        found = read_manifest(path)
    except Exception:  # PyAV raises several kinds for a file that is not a video
        found = {}
    if not found or "model" not in found:
        raise InvalidRequest("This file is not a video made by Reel (it carries no Reel manifest).", "video")
    return load_manifest(found)


def pictures_by_hash(files, what: str) -> dict[str, object]:
    """Uploaded pictures keyed by the hash manifests name them by (their RGB pixels)."""
    pictures = {}
    for number, path in enumerate(filter(None, (file_path(item) for item in files or [])), start=1):
        try:
            picture = open_image_file(path, f"{what} {number}")
        except ImageProblem as problem:
            raise InvalidRequest(str(problem), "keyframes") from None
        pictures[pixel_sha256(to_rgb(picture))] = picture
    return pictures


def engine_of(runtime: Runtime, manifest: dict) -> VideoEngine:
    """The served engine a manifest names; a model this Space does not serve is refused, naming those it does."""
    model = manifest.get("model")
    if not isinstance(model, str) or model not in runtime.engines:
        served = ", ".join(runtime.engines)
        raise InvalidRequest(
            f"This was made with the model {str(model)[:60]!r}, which this Space does not serve "
            f"(it serves: {served}).",
            "manifest",
        )
    return runtime.engines[model]


def plan_reproduction(
    runtime: Runtime, form: ReproduceForm
) -> tuple[VideoEngine, GenerationRequest | None, StoryboardPlan | None]:
    """(engine, single-clip request or None, storyboard plan or None), everything checked."""
    manifest = manifest_from(form.manifest, form.video)
    engine = engine_of(runtime, manifest)
    check_adapter_files(engine, manifest)
    image = uploaded_picture(form.image, "image")
    if "shots" not in manifest:
        request = request_from_entry(engine.spec, manifest, image=image)
        runtime.policy.budget(engine.spec, request)
        return engine, request, None
    ends = pictures_by_hash(form.keyframes, "Keyframe")
    end_images = {
        number: ends.get((entry.get("end_image") or {}).get("sha256"))
        for number, entry in enumerate(manifest["shots"], start=1) if isinstance(entry, dict)
    }
    plan = plan_from_manifest(engine.spec, manifest, reference=image, end_images=end_images)
    check_shot_budgets(runtime, engine, plan, "manifest")
    return engine, None, plan


def check_extension(runtime: Runtime, video, prompt, seconds) -> tuple[VideoEngine, Path]:
    """What can be checked without decoding the video: it is a Reel MP4 of a served model, and the new shot's
    prompt and length are valid for it."""
    path = file_path(video)
    if path is None:
        raise InvalidRequest("Upload the Reel MP4 to extend.", "video")
    engine = engine_of(runtime, manifest_from("", path))
    plan_request(engine.spec, prompt, seconds=seconds)
    return engine, path
