"""The Storyboard tab and the `/storyboard` API: a film of up to a minute, shot by shot, each shot continuing the
one before, with a shared style and seed family, keyframes, and re-rolls that remake only what changed."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import secrets
import time
from pathlib import Path

import gradio as gr

from access import AccessDenied
from model import (
    MAX_SEED,
    STYLE_PRESETS,
    ImageProblem,
    InvalidRequest,
    ScaledProgress,
    ShotFailed,
    StoryboardPlan,
    open_image_file,
    parse_shots,
    plan_storyboard,
    run_storyboard,
)

from .components import (
    JsonObject,
    PictureUpload,
    PlannedDropdown,
    PlannedNumber,
    PlannedRadio,
    PlannedSlider,
    UploadedFiles,
    lora_default_scale,
    lora_picker,
    lora_scale_slider,
    model_extras,
    model_picker,
    resolution_choices,
    sound_checkbox,
    stop_control,
    uploaded_picture,
    validation,
)
from .runtime import Runtime
from .studio import delivery

logger = logging.getLogger("reel.app")

INPUT_NAMES = (
    "shots", "style", "reference", "keyframes", "seed", "resolution", "steps", "model", "access_token", "audio", "lora",
    "lora_scale",
)
EXAMPLE_SHOTS = [
    {"prompt": "A lighthouse on a cliff at dawn, waves breaking below", "seconds": 2},
    {"prompt": "The camera glides towards the lighthouse lamp as it turns on", "seconds": 2},
]
SHOT_TABLE_HEADERS = ["shot", "seed", "seconds", "frames", "prompt"]


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


def shots_table(manifest: dict | None) -> list[list]:
    """One row per shot: its number, seed, seconds in the film, frames and prompt."""
    rows = []
    for shot in (manifest or {}).get("shots", []):
        frames = shot["last_frame"] - shot["first_frame"] + 1
        rows.append([
            shot["shot"], shot["seed"], round(frames / shot["fps"], 2), f"{shot['first_frame']}–{shot['last_frame']}",
            shot["prompt"],
        ])
    return rows


def reroll(shots_text: str, shot_number, manifest: dict | None):
    """New seed for one shot, keeping every other shot's: the storyboard seed is pinned to the one the last run
    used, so the shots before come from the cache and only this shot and the ones after it are made again."""
    try:
        items = parse_shots(shots_text)
    except InvalidRequest as invalid:
        raise gr.Error(invalid.message, print_exception=False) from None
    if not manifest or "shots" not in manifest:
        raise gr.Error("Make the storyboard first; then re-roll one of its shots.", print_exception=False)
    if not isinstance(shot_number, (int, float)) or not 1 <= int(shot_number) <= len(items):
        raise gr.Error(f"Choose a shot between 1 and {len(items)} to re-roll.", print_exception=False)
    number = int(shot_number)
    new_seed = secrets.randbelow(MAX_SEED + 1)
    if number == 1:
        return gr.update(), new_seed  # shot 1's seed is the storyboard's
    items[number - 1] = {**items[number - 1], "seed": new_seed}
    return json.dumps(items, indent=2, ensure_ascii=False), manifest["seed"]


class StoryboardTab:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def plan(
        self, shots, style, reference, keyframes, seed, resolution, steps, model, audio=None, lora=None,
        lora_scale=None,
    ):
        """The whole storyboard checked before any shot runs, each shot's GPU call sized; returns the engine
        and the plan."""
        engine = self.runtime.engine_for(model)
        items = attach_keyframes(parse_shots(shots), keyframes)
        preset, text = split_style(style)
        continuing, ending = self.runtime.storyboard_alternatives(engine)
        reference_picture = uploaded_picture(reference, "reference", "The reference picture")
        plan = plan_storyboard(
            engine.spec, items, style=preset, style_text=text, reference=reference_picture, seed=seed,
            resolution=resolution, steps=steps, max_total_seconds=self.runtime.storyboard_max_seconds,
            image_alternatives=continuing, end_image_alternatives=ending, audio=audio, lora=lora,
            lora_scale=lora_scale, served_loras=engine.served_loras, audio_alternatives=engine.audio_alternatives,
        )
        for shot in plan.shots:
            try:
                self.runtime.policy.budget(engine.spec, shot.request)
            except InvalidRequest as too_long:
                raise InvalidRequest(f"Shot {shot.index + 1}: {too_long.message}", "steps") from None
        return engine, plan

    async def validate(
        self, shots, style, reference, keyframes, seed, resolution, steps, model, access_token, audio, lora,
        lora_scale, request: gr.Request, profile: gr.OAuthProfile | None,
    ):
        """Before the queue: the token, every shot, and the quota for all of them at once."""
        grant, problems = self.runtime.admission(access_token, profile, request)
        plan = None
        planning = functools.partial(
            self.plan, shots, style, reference, keyframes, seed, resolution, steps, model, audio, lora, lora_scale
        )
        try:
            _, plan = await asyncio.to_thread(planning)
        except InvalidRequest as invalid:
            problems[invalid.field or "shots"] = invalid.message
        if grant is not None and plan is not None:
            try:
                self.runtime.gate.check_quota(grant, plan.num_frames / plan.fps, clips=len(plan.shots))
            except AccessDenied as spent:
                problems["access_token"] = spent.message
        return validation(INPUT_NAMES, self.runtime.job_admission(grant, problems, request))

    async def storyboard(
        self,
        shots: str,
        style: str = "cinematic",
        reference=None,
        keyframes=None,
        seed: float = -1,
        resolution: str | None = None,
        steps: float | None = None,
        model: str | None = None,
        access_token: str = "",
        audio: bool = True,
        lora: str = "none",
        lora_scale: float = 1.0,
        request: gr.Request = None,
        profile: gr.OAuthProfile | None = None,
        progress=gr.Progress(),
    ):
        """Make a short film from several shots stitched into one MP4 (up to 12 shots and 60 seconds in all, each
        shot at most the model's longest clip, 5 s on most models). Each shot continues from the end of the one
        before, with one style and a family of seeds, so nothing jumps at a cut. Takes minutes and counts every
        shot as a clip against the access token's daily quota. Returns the video (a URL to download the MP4, for a
        few hours; it also stays in the token holder's history) and its manifest, whose `shots` list gives each
        shot's prompt, seed and first and last frame in the video.

        Args:
            shots: JSON list of shots, e.g. [{"prompt": "...", "seconds": 2}]; optional "negative_prompt", "seed".
            style: a preset (none, cinematic, anime, documentary, claymation) or free text added to every shot.
            reference: optional picture the first shot starts from: an uploaded file or a data: URL.
            keyframes: pictures a shot can end on, named by its "end_image" (1 for the first); API only, not MCP.
            seed: shot k uses seed + k; -1 picks one.
            resolution: "landscape", "portrait" or "square".
            steps: denoising steps per shot; the model's default when left out.
            model: one of the models the Space serves (their keys); the Space's default when left out.
            access_token: a Reel access token (reel_...); may be left empty when sent as "Authorization: Bearer".
            audio: keep the model's sound track, continuous across the cuts (models with sound only).
            lora: an adapter the model serves, by name (e.g. "dolly-in"), for every shot; "none" for none.
            lora_scale: the adapter's strength, 0 to 2.
        """
        return await self.runtime.job_control.run(request, functools.partial(
            self.make_storyboard, shots, style, reference, keyframes, seed, resolution, steps, model, access_token,
            audio, lora, lora_scale, request, profile, progress,
        ))

    def make_storyboard(
        self, shots, style, reference, keyframes, seed, resolution, steps, model, access_token, audio, lora,
        lora_scale, request, profile, progress, job,
    ):
        """The job behind `storyboard`, in a worker thread: admit, plan, render every shot."""
        started = time.perf_counter()
        admit = functools.partial(self.runtime.admit, access_token, profile, request)
        try:
            grant = admit()
            engine, plan = self.plan(
                shots, style, reference, keyframes, seed, resolution, steps, model, audio, lora, lora_scale
            )
        except (AccessDenied, InvalidRequest) as refused:
            raise delivery.refusal(refused) from None
        job.claim(grant, self.runtime.client_of(request))
        logger.info("Storyboard: %d shots on %s, seed %d", len(plan.shots), engine.spec.key, plan.seed)
        path, manifest = self.render(engine, plan, grant, admit, request, progress, job)
        logger.info("Storyboard ready in %.3f s", time.perf_counter() - started)
        return path, manifest

    def render(self, engine, plan: StoryboardPlan, grant, admit, request, progress, job) -> tuple[str, dict]:
        """Run every shot through the gate and its own GPU call, then stitch, encode, sign and keep it in the
        holder's history; errors name the shot. A stopped job ends at its current shot (earlier shots stay
        made and cached). Returns the MP4's path and the manifest."""
        runner = delivery.ShotRunner(self.runtime, engine, admit, self.runtime.client_of(request), job)
        report = delivery.GradioProgress(progress, job)
        try:
            result = run_storyboard(
                engine, plan, cache=self.runtime.shot_cache, run_shot=runner,
                on_progress=ScaledProgress(report, delivery.ENCODING_STARTS),
            )
            path = delivery.encode_video(self.runtime, engine, "storyboard", result.pieces, plan.fps, result.manifest,
                                         result.sound, plan.seed, report)
        except ShotFailed as failed:
            raise delivery.shot_failure(failed, len(plan.shots)) from None
        except Exception as error:
            raise delivery.server_failure(error) from None
        self.runtime.prune_old_clips()
        delivered = delivery.deliver(self.runtime, grant, path, result.manifest, "storyboard", engine.spec.label)
        return delivered, result.manifest

    def build(self, access_token: gr.Textbox):
        runtime = self.runtime
        engine = runtime.engines[runtime.default_model]
        spec = engine.spec
        with gr.Row():
            with gr.Column():
                shots = gr.Code(
                    value=json.dumps(EXAMPLE_SHOTS, indent=2), language="json", label="Shots (JSON list)",
                    elem_id="shots",
                )
                style = PlannedDropdown(
                    label="Style (a preset, or type your own words)", choices=list(STYLE_PRESETS), value="cinematic",
                    allow_custom_value=True, elem_id="style",
                )
                model = model_picker(runtime.engines, elem_id="storyboard-model")
                with gr.Row():
                    audio = sound_checkbox(spec, elem_id="storyboard-audio")
                    lora = lora_picker(engine, elem_id="storyboard-lora")
                with gr.Accordion("Pictures: reference and keyframes", open=False):
                    reference = PictureUpload(
                        label="Reference (optional): the first shot starts from it", type="filepath",
                        sources=["upload", "clipboard"], elem_id="reference",
                    )
                    keyframes = UploadedFiles(
                        label="Keyframes (optional): a shot with \"end_image\": 1 ends on the first",
                        file_count="multiple", file_types=["image"], type="filepath", elem_id="keyframes",
                    )
                with gr.Accordion("Advanced", open=False):
                    seed = PlannedNumber(label="Seed (shot k uses seed + k; -1 for random)", value=-1, precision=0,
                                         elem_id="storyboard-seed")
                    resolution = PlannedRadio(
                        label="Resolution", choices=resolution_choices(spec), value=spec.default_preset,
                        elem_id="storyboard-resolution",
                    )
                    steps = PlannedSlider(
                        label="Steps per shot", minimum=spec.min_steps, maximum=spec.max_steps, step=1, precision=0,
                        value=spec.default_steps, elem_id="storyboard-steps",
                    )
                    lora_scale = lora_scale_slider(elem_id="storyboard-lora-scale")
                with gr.Row():
                    make = gr.Button("Make storyboard", variant="primary", elem_id="storyboard-generate", scale=3)
                    stop = stop_control(elem_id="storyboard-stop")
            with gr.Column():
                video = gr.Video(label="Video", elem_id="storyboard-video", autoplay=True)
                table = gr.Dataframe(
                    headers=SHOT_TABLE_HEADERS, label="Shots", interactive=False, elem_id="storyboard-shots",
                )
                with gr.Row():
                    reroll_number = gr.Number(label="Shot", value=2, precision=0, minimum=1, elem_id="reroll-shot")
                    reroll_button = gr.Button("Re-roll this shot", elem_id="reroll")
                manifest = JsonObject(label="Manifest", elem_id="storyboard-manifest")

        model.change(
            lambda key: model_extras(runtime.engine_for(key)), inputs=model, outputs=[audio, lora],
            api_visibility="private", queue=False,
        )
        lora.change(
            functools.partial(lora_default_scale, runtime), inputs=[model, lora], outputs=lora_scale,
            api_visibility="private", queue=False,
        )
        inputs = [shots, style, reference, keyframes, seed, resolution, steps, model, access_token, audio, lora,
                  lora_scale]
        event = dict(
            inputs=inputs, outputs=[video, manifest], validator=self.validate,
            concurrency_limit=runtime.gpu_concurrency, concurrency_id="gpu", show_progress_on=[video],
        )
        making = make.click(self.storyboard, api_name="storyboard", **event)
        making.then(shots_table, inputs=manifest, outputs=table, api_visibility="private", queue=False)
        remaking = reroll_button.click(
            reroll, inputs=[shots, reroll_number, manifest], outputs=[shots, seed], api_visibility="private",
            queue=False,
        ).success(self.storyboard, api_visibility="private", **event)
        remaking.then(shots_table, inputs=manifest, outputs=table, api_visibility="private", queue=False)
        stop.click(None, cancels=[making, remaking])
