"""`/reproduce` and `/extend`, and the same two actions under a result on the page.

Reproduce makes a clip or storyboard again from its manifest (JSON text, the manifest the page holds, or the Reel
MP4 that carries it): on the same model and hardware the frames are identical. Extend continues a Reel MP4 from
its last frames with a new prompt and returns the longer video. Manifests and videos come from outside, so every
field is checked with Reel's own messages before anything runs (ui/studio/planning.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time

import gradio as gr

from access import AccessDenied
from model import InvalidRequest, NotAReelVideo, ScaledProgress, ShotFailed, extend_clip, read_reel_video

from ..job_control import Job
from ..runtime import Runtime
from .delivery import (
    ENCODING_STARTS,
    GradioProgress,
    ShotRunner,
    deliver,
    encode_video,
    refusal,
    render_clip,
    server_failure,
    shot_failure,
)
from .forms import (
    ExtendForm,
    ReproduceForm,
    ResultExtendForm,
    ResultReproduceForm,
    page_action_validation,
    validation,
)
from .planning import check_extension, plan_reproduction
from .storyboards import Storyboards

logger = logging.getLogger("reel.app")


def result_shots(manifest: dict) -> list:
    return manifest.get("shots") or [manifest]


class Reproductions:
    """The studio's reproductions and extensions: `/reproduce` and `/extend` with their validators and jobs, and
    the same two as page actions under a result."""

    def __init__(self, runtime: Runtime, storyboards: Storyboards):
        self.runtime = runtime
        self.storyboards = storyboards  # storyboards are made again the way they were made

    # -- /reproduce --------------------------------------------------------------------------------------------

    async def validate_reproduce(self, manifest, video, image, keyframes, access_token, request: gr.Request,
                                 profile: gr.OAuthProfile | None):
        """Before the queue, on the event loop; reading the manifest and pictures goes to a worker thread."""
        form = ReproduceForm(manifest=manifest, video=video, image=image, keyframes=keyframes,
                             access_token=access_token)
        grant, problems = self.runtime.admission(form.access_token, profile, request)
        try:
            await asyncio.to_thread(plan_reproduction, self.runtime, form)
        except InvalidRequest as invalid:
            problems[invalid.field or "manifest"] = invalid.message
        return validation(ReproduceForm, self.runtime.job_admission(grant, problems, request))

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
        form = ReproduceForm(manifest=manifest, video=video, image=image, keyframes=keyframes,
                             access_token=access_token)
        return await self.runtime.job_control.run(
            request, functools.partial(self.make_reproduction, form, request, profile, progress)
        )

    def make_reproduction(self, form: ReproduceForm, request, profile, progress, job: Job):
        """The job behind `reproduce` (and the Reproduce buttons), in a worker thread."""
        started = time.perf_counter()
        client = self.runtime.client_of(request)
        admit = functools.partial(self.runtime.admit, form.access_token, profile, request)
        try:
            grant = admit()
            engine, clip_request, plan = plan_reproduction(self.runtime, form)
        except (AccessDenied, InvalidRequest) as refused:
            raise refusal(refused) from None
        job.claim(grant, client)
        if plan is not None:
            path, made = self.storyboards.render(engine, plan, grant, admit, request, progress, job)
        else:
            path, made = render_clip(self.runtime, grant, client, engine, clip_request, progress, job)
        logger.info("Reproduction ready in %.3f s", time.perf_counter() - started)
        return path, made

    # -- /extend -----------------------------------------------------------------------------------------------

    async def validate_extend(self, video, prompt, seconds, negative_prompt, seed, access_token,
                              request: gr.Request, profile: gr.OAuthProfile | None):
        """Before the queue, on the event loop; reading the video's manifest goes to a worker thread."""
        form = ExtendForm(video=video, prompt=prompt, seconds=seconds, negative_prompt=negative_prompt, seed=seed,
                          access_token=access_token)
        grant, problems = self.runtime.admission(form.access_token, profile, request)
        try:
            await asyncio.to_thread(check_extension, self.runtime, form.video, form.prompt, form.seconds)
        except InvalidRequest as invalid:
            problems[invalid.field or "video"] = invalid.message
        return validation(ExtendForm, self.runtime.job_admission(grant, problems, request))

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
        form = ExtendForm(video=video, prompt=prompt, seconds=seconds, negative_prompt=negative_prompt, seed=seed,
                          access_token=access_token)
        return await self.runtime.job_control.run(
            request, functools.partial(self.make_extension, form, request, profile, progress)
        )

    def make_extension(self, form: ExtendForm, request, profile, progress, job: Job):
        """The job behind `extend` (and the Extend buttons), in a worker thread: the video's frames, manifest and
        sound read back, one new shot made through the gate and its own GPU call, then the longer video encoded,
        signed and kept like any other."""
        started = time.perf_counter()
        client = self.runtime.client_of(request)
        admit = functools.partial(self.runtime.admit, form.access_token, profile, request)
        try:
            grant = admit()
            engine, path = check_extension(self.runtime, form.video, form.prompt, form.seconds)
            frames, manifest, sound = read_reel_video(path)
        except NotAReelVideo as not_reel:
            raise gr.Error(str(not_reel), print_exception=False) from None
        except (AccessDenied, InvalidRequest) as refused:
            raise refusal(refused) from None
        job.claim(grant, client)
        continuing, ending = self.runtime.storyboard_alternatives(engine)
        runner = ShotRunner(self.runtime, engine, admit, client, job)
        report = GradioProgress(progress, job)
        try:
            result = extend_clip(
                engine, frames, manifest, form.prompt, seconds=form.seconds, negative_prompt=form.negative_prompt,
                seed=form.seed, cache=self.runtime.shot_cache, run_shot=runner,
                on_progress=ScaledProgress(report, ENCODING_STARTS),
                max_total_seconds=self.runtime.storyboard_max_seconds, image_alternatives=continuing,
                end_image_alternatives=ending, sound=sound,
            )
            clip = encode_video(self.runtime, engine, "extended", result.pieces, engine.spec.fps, result.manifest,
                                result.sound, None, report)
        except InvalidRequest as refused:
            raise refusal(refused) from None
        except ShotFailed as failed:
            raise shot_failure(failed, len(result_shots(manifest)) + 1) from None
        except Exception as error:
            raise server_failure(error) from None
        self.runtime.prune_old_clips()
        delivered = deliver(self.runtime, grant, clip, result.manifest, "extended", engine.spec.label, job)
        logger.info("Extension ready in %.3f s", time.perf_counter() - started)
        return delivered, result.manifest

    # -- the same two under a result on the page (no API) ------------------------------------------------------

    async def validate_reproduce_result(self, manifest, access_token, request: gr.Request,
                                        profile: gr.OAuthProfile | None):
        form = ResultReproduceForm(manifest=manifest, access_token=access_token)
        return await page_action_validation(self.runtime, form, request, profile)

    async def reproduce_result(self, manifest, access_token, request: gr.Request, profile: gr.OAuthProfile | None,
                               progress=gr.Progress()):
        """The manifest shown under the result, made again; it goes to the job as it is, never as JSON text."""
        if not manifest:
            raise gr.Error("Nothing to reproduce yet: make a video first.", print_exception=False)
        form = ReproduceForm(manifest=manifest, video=None, image=None, keyframes=None, access_token=access_token)
        return await self.runtime.job_control.run(
            request, functools.partial(self.make_reproduction, form, request, profile, progress)
        )

    async def validate_extend_result(self, video, prompt, seconds, access_token, request: gr.Request,
                                     profile: gr.OAuthProfile | None):
        form = ResultExtendForm(video=video, prompt=prompt, seconds=seconds, access_token=access_token)
        return await page_action_validation(self.runtime, form, request, profile)

    async def extend_result(self, video, prompt, seconds, access_token, request: gr.Request,
                            profile: gr.OAuthProfile | None, progress=gr.Progress()):
        """The video shown under the result, one shot longer (no negative prompt, a random seed)."""
        if not video:
            raise gr.Error("Nothing to extend yet: make a video first.", print_exception=False)
        form = ExtendForm(video=video, prompt=prompt, seconds=seconds, negative_prompt="", seed=-1,
                          access_token=access_token)
        return await self.runtime.job_control.run(
            request, functools.partial(self.make_extension, form, request, profile, progress)
        )
