"""The Reproduce & extend tab, the `/reproduce` and `/extend` APIs, and the same two actions under a result.

Reproduce makes a clip or storyboard again from its manifest (JSON text, or the Reel MP4 that carries it): on the
same model and hardware the frames are identical. Extend continues a Reel MP4 from its last frames with a new
prompt and returns the longer video. Manifests and videos come from outside, so every field is checked with
Reel's own messages before anything runs.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from pathlib import Path

import gradio as gr

from access import AccessDenied
from model import (
    MAX_MANIFEST_BYTES,
    MAX_PROMPT_CHARS,
    ImageProblem,
    InvalidRequest,
    NotAReelVideo,
    ScaledProgress,
    ShotFailed,
    check_adapter_files,
    extend_clip,
    load_manifest,
    open_image_file,
    pixel_sha256,
    plan_from_manifest,
    plan_request,
    read_manifest,
    read_reel_video,
    request_from_entry,
    to_rgb,
)

from .components import (
    JsonObject,
    PictureUpload,
    PlannedNumber,
    PlannedSlider,
    UploadedFiles,
    gpu_action_validation,
    stop_control,
    uploaded_picture,
    validation,
)
from .runtime import Runtime
from .storyboard import StoryboardTab
from .studio import delivery

logger = logging.getLogger("reel.app")

REPRODUCE_INPUTS = ("manifest", "video", "image", "keyframes", "access_token")
EXTEND_INPUTS = ("video", "prompt", "seconds", "negative_prompt", "seed", "access_token")


def _path(file) -> Path | None:
    """A file input's path: a str or Path from type="filepath", or an object with the path as `.name`."""
    if file is None or file == "":
        return None
    return Path(file if isinstance(file, (str, Path)) else file.name)


def manifest_from(manifest_text, video) -> dict:
    """The manifest from its JSON text, else from the Reel MP4's tag; Reel's messages for anything else."""
    if isinstance(manifest_text, str) and manifest_text.strip():
        return load_manifest(manifest_text)
    if isinstance(manifest_text, dict) and manifest_text:
        return load_manifest(manifest_text)
    path = _path(video)
    if path is None:
        raise InvalidRequest("Give a manifest (its JSON text) or a video made by Reel.", "manifest")
    try:
        manifest = read_manifest(path)
    except Exception:  # PyAV raises several kinds for a file that is not a video
        manifest = {}
    if not manifest or "model" not in manifest:
        raise InvalidRequest("This file is not a video made by Reel (it carries no Reel manifest).", "video")
    return load_manifest(manifest)


def pictures_by_hash(files, what: str) -> dict[str, object]:
    """Uploaded pictures keyed by the hash manifests name them by (their RGB pixels)."""
    pictures = {}
    for number, path in enumerate(filter(None, (_path(item) for item in files or [])), start=1):
        try:
            picture = open_image_file(path, f"{what} {number}")
        except ImageProblem as problem:
            raise InvalidRequest(str(problem), "keyframes") from None
        pictures[pixel_sha256(to_rgb(picture))] = picture
    return pictures


class ReproduceTab:
    def __init__(self, runtime: Runtime, storyboards: StoryboardTab):
        self.runtime = runtime
        self.storyboards = storyboards  # storyboards are made again the way they were made

    def engine_of(self, manifest: dict):
        model = manifest.get("model")
        if not isinstance(model, str) or model not in self.runtime.engines:
            served = ", ".join(self.runtime.engines)
            raise InvalidRequest(
                f"This was made with the model {str(model)[:60]!r}, which this Space does not serve "
                f"(it serves: {served}).",
                "manifest",
            )
        return self.runtime.engines[model]

    def plan_reproduction(self, manifest_text, video, image, keyframes):
        """(engine, single-clip request or None, storyboard plan or None), everything checked."""
        manifest = manifest_from(manifest_text, video)
        engine = self.engine_of(manifest)
        check_adapter_files(engine, manifest)
        image = uploaded_picture(image, "image")
        if "shots" not in manifest:
            request = request_from_entry(engine.spec, manifest, image=image)
            self.runtime.policy.budget(engine.spec, request)
            return engine, request, None
        ends = pictures_by_hash(keyframes, "Keyframe")
        end_images = {
            number: ends.get((entry.get("end_image") or {}).get("sha256"))
            for number, entry in enumerate(manifest["shots"], start=1) if isinstance(entry, dict)
        }
        plan = plan_from_manifest(engine.spec, manifest, reference=image, end_images=end_images)
        for shot in plan.shots:
            try:
                self.runtime.policy.budget(engine.spec, shot.request)
            except InvalidRequest as too_long:
                raise InvalidRequest(f"Shot {shot.index + 1}: {too_long.message}", "manifest") from None
        return engine, None, plan

    async def validate_reproduce(self, manifest, video, image, keyframes, access_token, request: gr.Request,
                                 profile: gr.OAuthProfile | None):
        """Before the queue, on the event loop; reading the manifest and pictures goes to a worker thread."""
        grant, problems = self.runtime.admission(access_token, profile, request)
        try:
            await asyncio.to_thread(self.plan_reproduction, manifest, video, image, keyframes)
        except InvalidRequest as invalid:
            problems[invalid.field or "manifest"] = invalid.message
        return validation(REPRODUCE_INPUTS, self.runtime.job_admission(grant, problems, request))

    async def reproduce(
        self,
        manifest: str = "",
        video=None,
        image=None,
        keyframes=None,
        access_token: str = "",
        request: gr.Request = None,
        profile: gr.OAuthProfile | None = None,
        progress=gr.Progress(),
    ):
        """Make a Reel clip or storyboard again, from its manifest or from the MP4 that carries it: the same
        model, prompt, seed and settings, so on the same model and hardware the frames are identical. Only
        models this Space serves can be reproduced. Takes as long as making it did and counts against the access
        token's daily quota like a new video (a storyboard: one clip per shot). Returns the video (the MP4's path
        or URL; it also joins the token holder's history) and its manifest.

        Args:
            manifest: the manifest as JSON text (a clip's or a storyboard's, at most 256 KB); empty: read from `video`.
            video: a Reel MP4, whose tags carry its manifest; used when `manifest` is empty.
            image: the start image or reference the video was made from, if any (manifests name it by hash only).
            keyframes: the pictures its storyboard shots ended on, if any, in any order (matched by their hashes).
            access_token: required: a Reel access token (reel_...), or send it as the header "Authorization: Bearer".
        """
        return await self.runtime.job_control.run(request, functools.partial(
            self.reproduction, manifest, video, image, keyframes, access_token, request, profile, progress
        ))

    def reproduction(self, manifest, video, image, keyframes, access_token, request, profile, progress, job):
        """The job behind `reproduce` (and the Reproduce buttons), in a worker thread."""
        started = time.perf_counter()
        client = self.runtime.client_of(request)
        admit = functools.partial(self.runtime.admit, access_token, profile, request)
        try:
            grant = admit()
            engine, clip_request, plan = self.plan_reproduction(manifest, video, image, keyframes)
        except (AccessDenied, InvalidRequest) as refused:
            raise delivery.refusal(refused) from None
        job.claim(grant, client)
        if plan is not None:
            path, made = self.storyboards.render(engine, plan, grant, admit, request, progress, job)
        else:
            path, made = delivery.render_clip(self.runtime, grant, client, engine, clip_request, progress, job)
        logger.info("Reproduction ready in %.3f s", time.perf_counter() - started)
        return path, made

    def check_extension(self, video, prompt, seconds):
        """What can be checked without decoding the video: it is a Reel MP4 of a served model, and the new
        shot's prompt and length are valid for it."""
        path = _path(video)
        if path is None:
            raise InvalidRequest("Upload the Reel MP4 to extend.", "video")
        engine = self.engine_of(manifest_from("", path))
        plan_request(engine.spec, prompt, seconds=seconds)
        return engine, path

    async def validate_extend(self, video, prompt, seconds, negative_prompt, seed, access_token,
                              request: gr.Request, profile: gr.OAuthProfile | None):
        """Before the queue, on the event loop; reading the video's manifest goes to a worker thread."""
        grant, problems = self.runtime.admission(access_token, profile, request)
        try:
            await asyncio.to_thread(self.check_extension, video, prompt, seconds)
        except InvalidRequest as invalid:
            problems[invalid.field or "video"] = invalid.message
        return validation(EXTEND_INPUTS, self.runtime.job_admission(grant, problems, request))

    async def extend(
        self,
        video,
        prompt: str,
        seconds: float | None = None,
        negative_prompt: str = "",
        seed: float = -1,
        access_token: str = "",
        request: gr.Request = None,
        profile: gr.OAuthProfile | None = None,
        progress=gr.Progress(),
    ):
        """Continue a Reel video from its last frames with a new prompt: one new shot is made and joined on, so
        nothing jumps at the cut. The new shot keeps the video's model, size, sound setting (the sound track runs on
        across the cut) and its last shot's LoRA adapter; the whole video stays within the storyboard limit (60 s
        unless the Space sets another). Counts the new shot as a clip against the access token's daily quota.
        Returns the longer video (it also joins the token holder's history) and its manifest, a storyboard manifest
        whose last shot is the new one.

        Args:
            video: a Reel MP4 made by this Space's models (its tags carry the manifest); other videos are refused.
            prompt: what happens next, in plain words (at most 1000 characters).
            seconds: seconds to add, 0.5 up to the model's longest clip (5 s on most); the model's default if left out.
            negative_prompt: what to avoid in the new shot; empty for nothing.
            seed: the new shot's seed, a whole number; -1 picks one (the manifest says which).
            access_token: required: a Reel access token (reel_...), or send it as the header "Authorization: Bearer".
        """
        return await self.runtime.job_control.run(request, functools.partial(
            self.extension, video, prompt, seconds, negative_prompt, seed, access_token, request, profile, progress
        ))

    def extension(self, video, prompt, seconds, negative_prompt, seed, access_token, request, profile, progress, job):
        """The job behind `extend` (and the Extend buttons), in a worker thread."""
        started = time.perf_counter()
        client = self.runtime.client_of(request)
        admit = functools.partial(self.runtime.admit, access_token, profile, request)
        try:
            grant = admit()
            engine, path = self.check_extension(video, prompt, seconds)
            frames, manifest, sound = read_reel_video(path)
        except NotAReelVideo as not_reel:
            raise gr.Error(str(not_reel), print_exception=False) from None
        except (AccessDenied, InvalidRequest) as refused:
            raise delivery.refusal(refused) from None
        job.claim(grant, client)
        continuing, ending = self.runtime.storyboard_alternatives(engine)
        runner = delivery.ShotRunner(self.runtime, engine, admit, client, job)
        report = delivery.GradioProgress(progress, job)
        try:
            result = extend_clip(
                engine, frames, manifest, prompt, seconds=seconds, negative_prompt=negative_prompt, seed=seed,
                cache=self.runtime.shot_cache, run_shot=runner,
                on_progress=ScaledProgress(report, delivery.ENCODING_STARTS),
                max_total_seconds=self.runtime.storyboard_max_seconds, image_alternatives=continuing,
                end_image_alternatives=ending, sound=sound,
            )
            clip = delivery.encode_video(self.runtime, engine, "extended", result.pieces, engine.spec.fps,
                                         result.manifest, result.sound, None, report)
        except InvalidRequest as refused:
            raise delivery.refusal(refused) from None
        except ShotFailed as failed:
            raise delivery.shot_failure(failed, len(result_shots(manifest)) + 1) from None
        except Exception as error:
            raise delivery.server_failure(error) from None
        self.runtime.prune_old_clips()
        delivered = delivery.deliver(self.runtime, grant, clip, result.manifest, "extended", engine.spec.label)
        logger.info("Extension ready in %.3f s", time.perf_counter() - started)
        return delivered, result.manifest

    # -- the page ---------------------------------------------------------------------------------------------

    def result_actions(self, access_token: gr.Textbox):
        """Reproduce and Extend under another tab's result (its video and manifest components); `build` returns
        their two events, for that tab's Stop button."""
        runtime = self.runtime

        def build(video, manifest) -> list:
            with gr.Row():
                again = gr.Button("Reproduce", size="sm", elem_id="reproduce-result")
            with gr.Accordion("Extend this video", open=False):
                prompt = gr.Textbox(label="What happens next", lines=2, max_length=MAX_PROMPT_CHARS,
                                    elem_id="extend-result-prompt")
                seconds = PlannedSlider(label="Seconds to add", minimum=0.5, maximum=5, step=0.5, value=2,
                                        elem_id="extend-result-seconds")
                extend = gr.Button("Extend", size="sm", elem_id="extend-result")
            async def validate_reproduce_shown(manifest_value, token, request: gr.Request,
                                               profile: gr.OAuthProfile | None):
                return await gpu_action_validation(runtime, ("manifest", "access_token"), token, request, profile)

            async def reproduce_shown(manifest_value, token, request: gr.Request, profile: gr.OAuthProfile | None,
                                      progress=gr.Progress()):
                if not manifest_value:
                    raise gr.Error("Nothing to reproduce yet: make a video first.", print_exception=False)
                return await runtime.job_control.run(request, functools.partial(
                    self.reproduction, json.dumps(manifest_value), None, None, None, token, request, profile, progress
                ))

            async def validate_extend_shown(video_value, text, length, token, request: gr.Request,
                                            profile: gr.OAuthProfile | None):
                names = ("video", "prompt", "seconds", "access_token")
                return await gpu_action_validation(runtime, names, token, request, profile)

            async def extend_shown(video_value, text, length, token, request: gr.Request,
                                   profile: gr.OAuthProfile | None, progress=gr.Progress()):
                if not video_value:
                    raise gr.Error("Nothing to extend yet: make a video first.", print_exception=False)
                return await runtime.job_control.run(request, functools.partial(
                    self.extension, video_value, text, length, "", -1, token, request, profile, progress
                ))

            gpu = dict(concurrency_limit=runtime.gpu_concurrency, concurrency_id="gpu", show_progress_on=[video])
            return [
                again.click(reproduce_shown, inputs=[manifest, access_token], outputs=[video, manifest],
                            api_visibility="private", validator=validate_reproduce_shown, **gpu),
                extend.click(extend_shown, inputs=[video, prompt, seconds, access_token], outputs=[video, manifest],
                             api_visibility="private", validator=validate_extend_shown, **gpu),
            ]

        return build

    def build(self, access_token: gr.Textbox):
        gpu = dict(concurrency_limit=self.runtime.gpu_concurrency, concurrency_id="gpu")
        with gr.Row():
            with gr.Column():
                gr.Markdown("### Reproduce\nThe same frames again, from a Reel MP4 or its manifest.")
                video = UploadedFiles(label="Reel MP4", file_types=[".mp4"], type="filepath", elem_id="reproduce-video")
                manifest = gr.Textbox(
                    label=f"…or its manifest (JSON, at most {MAX_MANIFEST_BYTES // 1024} KB)", lines=4, value="",
                    elem_id="reproduce-manifest",
                )
                with gr.Accordion("Pictures it was made from", open=False):
                    image = PictureUpload(label="Start image or reference", type="filepath", elem_id="reproduce-image")
                    keyframes = UploadedFiles(label="Keyframes", file_count="multiple", file_types=["image"],
                                              type="filepath", elem_id="reproduce-keyframes")
                with gr.Row():
                    reproduce = gr.Button("Reproduce", variant="primary", elem_id="reproduce", scale=3)
                    stop_reproducing = stop_control(elem_id="reproduce-stop")
                gr.Markdown("### Extend\nContinue a Reel MP4 from its last frames.")
                extend_video = UploadedFiles(label="Reel MP4 to extend", file_types=[".mp4"], type="filepath",
                                             elem_id="extend-video")
                prompt = gr.Textbox(label="What happens next", lines=2, max_length=MAX_PROMPT_CHARS,
                                    elem_id="extend-prompt")
                seconds = PlannedSlider(label="Seconds to add", minimum=0.5, maximum=5, step=0.5, value=2,
                                        elem_id="extend-seconds")
                with gr.Accordion("Advanced", open=False):
                    negative_prompt = gr.Textbox(label="Negative prompt", max_length=MAX_PROMPT_CHARS, value="",
                                                 elem_id="extend-negative-prompt")
                    seed = PlannedNumber(label="Seed (-1 for random)", value=-1, precision=0, elem_id="extend-seed")
                with gr.Row():
                    extend = gr.Button("Extend", variant="primary", elem_id="extend", scale=3)
                    stop_extending = stop_control(elem_id="extend-stop")
            with gr.Column():
                result = gr.Video(label="Video", elem_id="reproduce-result-video", autoplay=True)
                result_manifest = JsonObject(label="Manifest", elem_id="reproduce-result-manifest")
        reproducing = reproduce.click(
            self.reproduce, inputs=[manifest, video, image, keyframes, access_token],
            outputs=[result, result_manifest], api_name="reproduce", validator=self.validate_reproduce,
            show_progress_on=[result], **gpu,
        )
        extending = extend.click(
            self.extend, inputs=[extend_video, prompt, seconds, negative_prompt, seed, access_token],
            outputs=[result, result_manifest], api_name="extend", validator=self.validate_extend,
            show_progress_on=[result], **gpu,
        )
        stop_reproducing.click(None, cancels=[reproducing])
        stop_extending.click(None, cancels=[extending])


def result_shots(manifest: dict) -> list:
    return manifest.get("shots") or [manifest]
