"""`/generate` and the Generate tab's button: one clip from text or from a start picture."""

from __future__ import annotations

import asyncio
import functools
import logging
import time

import gradio as gr

from access import AccessDenied
from model import InvalidRequest

from ..job_control import Job
from ..runtime import Runtime
from .delivery import refusal, render_clip
from .forms import ClipForm, note_quota_problem, validation
from .planning import plan_clip

logger = logging.getLogger("reel.app")


class Clips:
    """The studio's clips: the validator, the public `/generate` handler and the job behind it."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    async def validate(
        self, prompt, negative_prompt, seed, seconds, resolution, steps, access_token, image, model, audio, lora,
        lora_scale, quality, enhance_prompt, smooth, request: gr.Request, profile: gr.OAuthProfile | None,
    ):
        """Runs before the queue: a bad token, a spent quota or bad input is answered at once, never behind a
        running job. Nothing is reserved here; the job reserves its clip when it starts.

        `async` so it runs on the event loop instead of waiting for a worker thread: under a busy CPU that
        hand-off was most of a rejection's latency. Its work is a few milliseconds (a SQLite lookup, request
        planning), except preparing a start image, which can take long on a big picture and so goes to a worker
        thread."""
        form = ClipForm(
            prompt=prompt, negative_prompt=negative_prompt, seed=seed, seconds=seconds, resolution=resolution,
            steps=steps, access_token=access_token, image=image, model=model, audio=audio, lora=lora,
            lora_scale=lora_scale, quality=quality, enhance_prompt=enhance_prompt, smooth=smooth,
        )
        grant, problems = self.runtime.admission(form.access_token, profile, request)
        generation_request = None
        planning = functools.partial(plan_clip, self.runtime, form)
        try:
            _, generation_request, _ = await asyncio.to_thread(planning) if form.image is not None else planning()
        except InvalidRequest as invalid:
            problems[invalid.field or "prompt"] = invalid.message
        if generation_request is not None:
            note_quota_problem(self.runtime, grant, problems, generation_request.seconds)
        return validation(ClipForm, self.runtime.job_admission(grant, problems, request))

    async def generate(
        self,
        prompt: str,
        negative_prompt: str = "",
        seed: float = -1,
        seconds: float | None = None,
        resolution: str | None = None,
        steps: float | None = None,
        access_token: str = "",
        image=None,
        model: str | None = None,
        audio: bool = True,
        lora: str = "none",
        lora_scale: float = 1.0,
        quality: str = "standard",
        enhance_prompt: bool = False,
        smooth: bool = False,
        request: gr.Request = None,
        profile: gr.OAuthProfile | None = None,
        progress=gr.Progress(),
    ):
        """Make one short video clip, an MP4 of at most 5 seconds, from a text prompt or from a start picture and
        a prompt, with one of the open-weight models this Space serves. On a GPU the default is LTX-2, which makes
        the clip's sound too; a Space without a GPU serves tiny preview models whose clips are coloured noise.
        Takes seconds to minutes and counts one clip and its seconds against the access token's daily quota.
        Returns the video (a URL to download the MP4, for a few hours; it also stays in the token holder's
        history) and its manifest: model, prompt, the seed used, steps, size, frames, fps, sound and adapter,
        enough to make the same clip again; with enhance_prompt, also the enhanced prompt the clip was made from.
        A job can be stopped (`job.cancel()` in gradio_client) and is then refunded; each person may have a few
        jobs queued or running at once, and more are refused at once.
        Over MCP the answer is one JSON object: {"video_url", "seconds", "seed", "model", "sound" (true when the
        MP4 has a sound track), "manifest"}; a refusal is {"error": message}, with {"invalid": {parameter:
        message}} when the call's parameters (the token among them) were refused.

        Args:
            prompt: what the video shows, in plain words (at most 1000 characters).
            negative_prompt: what to avoid; empty for nothing.
            seed: -1 picks one; the same seed, prompt and settings give the same clip. The manifest says which.
            seconds: the clip's length, up to the model's longest (5 s on most); "auto" lets LTX-2.5 choose it.
            resolution: "landscape", "portrait" or "square"; each model has its own sizes.
            steps: denoising steps (more is slower and finer); the model's default when left out.
            access_token: a Reel access token (reel_...); may be left empty when sent as "Authorization: Bearer".
            image: optional start picture (image-to-video): an uploaded file or a data: URL; web addresses are refused.
            model: one of the models the Space serves (their keys); the Space's default when left out.
            audio: keep the model's sound track (AAC) in the MP4; only models that make sound accept true.
            lora: a camera-move adapter the model serves, by name (e.g. "dolly-in"); "none" for none.
            lora_scale: the adapter's strength, 0 (the base model) to 2.
            quality: "standard", or "hd" for twice the width and height in two stages (models with an upscaler: LTX-2).
            enhance_prompt: true to have the model first rewrite the prompt in detail (LTX-2.0 and 2.3), seeded.
            smooth: true for twice the frames at twice the frame rate, the same length (LTX-2.5; text to video).
        """
        form = ClipForm(
            prompt=prompt, negative_prompt=negative_prompt, seed=seed, seconds=seconds, resolution=resolution,
            steps=steps, access_token=access_token, image=image, model=model, audio=audio, lora=lora,
            lora_scale=lora_scale, quality=quality, enhance_prompt=enhance_prompt, smooth=smooth,
        )
        return await self.runtime.job_control.run(
            request, functools.partial(self.make_clip, form, request, profile, progress)
        )

    def make_clip(self, form: ClipForm, request, profile, progress, job: Job):
        """The job behind `generate`, in a worker thread: admit, plan, render."""
        started = time.perf_counter()
        client = self.runtime.client_of(request)
        try:
            grant = self.runtime.admit(form.access_token, profile, request)
            engine, generation_request, _ = plan_clip(self.runtime, form)
        except (AccessDenied, InvalidRequest) as refused:
            raise refusal(refused) from None
        job.claim(grant, client)
        result = render_clip(self.runtime, grant, client, engine, generation_request, progress, job)
        logger.info("Clip ready in %.3f s", time.perf_counter() - started)  # the whole handler: gate, render
        return result
