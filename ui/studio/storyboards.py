"""`/storyboard` and the Storyboard tab's buttons: a film of up to a minute, shot by shot, each shot continuing the
one before; a re-roll remakes only the shot chosen and the ones after it."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import secrets
import time

import gradio as gr

from access import AccessDenied, Grant
from model import (
    MAX_SEED,
    InvalidRequest,
    ScaledProgress,
    ShotFailed,
    StoryboardPlan,
    VideoEngine,
    parse_shots,
    run_storyboard,
)

from ..job_control import Job
from ..runtime import Runtime
from .delivery import (
    ENCODING_STARTS,
    GradioProgress,
    ShotRunner,
    deliver,
    encode_video,
    refusal,
    server_failure,
    shot_failure,
)
from .forms import StoryboardForm, note_quota_problem, validation
from .planning import plan_storyboard_form

logger = logging.getLogger("reel.app")


class Storyboards:
    """The studio's storyboards: the validator, the public `/storyboard` handler, the job behind it, re-rolls, and
    `render`, which reproducing a storyboard shares."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def reroll(self, shots_text: str, shot_number, manifest: dict | None):
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

    async def validate(
        self, shots, style, reference, keyframes, seed, resolution, steps, model, access_token, audio, lora,
        lora_scale, quality, request: gr.Request, profile: gr.OAuthProfile | None,
    ):
        """Before the queue: the token, every shot, and the quota for all of them at once."""
        form = StoryboardForm(
            shots=shots, style=style, reference=reference, keyframes=keyframes, seed=seed, resolution=resolution,
            steps=steps, model=model, access_token=access_token, audio=audio, lora=lora, lora_scale=lora_scale,
            quality=quality,
        )
        grant, problems = self.runtime.admission(form.access_token, profile, request)
        plan = None
        try:
            _, plan = await asyncio.to_thread(plan_storyboard_form, self.runtime, form)
        except InvalidRequest as invalid:
            problems[invalid.field or "shots"] = invalid.message
        if plan is not None:
            note_quota_problem(self.runtime, grant, problems, plan.num_frames / plan.fps, clips=len(plan.shots))
        return validation(StoryboardForm, self.runtime.job_admission(grant, problems, request))

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
        quality: str = "standard",
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
        Over MCP the answer is one JSON object: {"video_url", "seconds", "seed", "model", "sound", "manifest"};
        a refusal is {"error": message}, with {"invalid": {parameter: message}} for refused parameters.

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
            quality: "standard", or "hd" for every shot at twice the width and height (models with an upscaler).
        """
        form = StoryboardForm(
            shots=shots, style=style, reference=reference, keyframes=keyframes, seed=seed, resolution=resolution,
            steps=steps, model=model, access_token=access_token, audio=audio, lora=lora, lora_scale=lora_scale,
            quality=quality,
        )
        return await self.runtime.job_control.run(
            request, functools.partial(self.make_storyboard, form, request, profile, progress)
        )

    def make_storyboard(self, form: StoryboardForm, request, profile, progress, job: Job):
        """The job behind `storyboard`, in a worker thread: admit, plan, render every shot."""
        started = time.perf_counter()
        admit = functools.partial(self.runtime.admit, form.access_token, profile, request)
        try:
            grant = admit()
            engine, plan = plan_storyboard_form(self.runtime, form)
        except (AccessDenied, InvalidRequest) as refused:
            raise refusal(refused) from None
        job.claim(grant, self.runtime.client_of(request))
        logger.info("Storyboard: %d shots on %s, seed %d", len(plan.shots), engine.spec.key, plan.seed)
        path, manifest = self.render(engine, plan, grant, admit, request, progress, job)
        logger.info("Storyboard ready in %.3f s", time.perf_counter() - started)
        return path, manifest

    def render(
        self, engine: VideoEngine, plan: StoryboardPlan, grant: Grant, admit, request, progress, job: Job
    ) -> tuple[str, dict]:
        """Run every shot through the gate and its own GPU call, then stitch, encode, sign and keep it in the
        holder's history; errors name the shot. A stopped job ends at its current shot (earlier shots stay
        made and cached). Returns the MP4's path and the manifest. Reproducing a storyboard comes here too."""
        runner = ShotRunner(self.runtime, engine, admit, self.runtime.client_of(request), job)
        report = GradioProgress(progress, job)
        try:
            result = run_storyboard(
                engine, plan, cache=self.runtime.shot_cache, run_shot=runner,
                on_progress=ScaledProgress(report, ENCODING_STARTS),
            )
            path = encode_video(self.runtime, engine, "storyboard", result.pieces, plan.fps, result.manifest,
                                result.sound, plan.seed, report)
        except ShotFailed as failed:
            raise shot_failure(failed, len(plan.shots)) from None
        except Exception as error:
            raise server_failure(error) from None
        self.runtime.prune_old_clips()
        delivered = deliver(self.runtime, grant, path, result.manifest, "storyboard", engine.spec.label, job)
        return delivered, result.manifest
