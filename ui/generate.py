"""The Generate tab and the `/generate` API: one clip from text or from a start image, with the result's own
"Reproduce" and "Extend" actions."""

from __future__ import annotations

import asyncio
import functools
import logging
import time

import gradio as gr

from access import AccessDenied
from model import MAX_PROMPT_CHARS, GpuBudget, InvalidRequest

from . import page as page_js
from .components import (
    JsonObject,
    PictureUpload,
    PlannedNumber,
    PlannedRadio,
    PlannedSlider,
    lora_default_scale,
    lora_picker,
    lora_scale_slider,
    model_extras,
    model_picker,
    preview_banner,
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
    "prompt", "negative_prompt", "seed", "seconds", "resolution", "steps", "access_token", "image", "model", "audio",
    "lora", "lora_scale",
)


def image_label(spec) -> str:
    if spec.supports_image:
        return "Start image (optional): the clip starts from it and keeps its shape"
    return f"Start image: not available, {spec.label} makes video from text only"


class GenerateTab:
    """Builds the tab inside the current Blocks and wires its events; handlers read the shared runtime."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def plan(
        self, prompt, negative_prompt, seed, seconds, resolution, steps, image, model, audio=None, lora=None,
        lora_scale=None,
    ):
        """Check and snap one request, and size its GPU call: a request that needs more GPU time than one call
        may ask for is refused here, with what would fit, instead of being stopped half-way on ZeroGPU.
        `image` is what PictureUpload handed over (an uploaded file's path or an inline picture's bytes), read
        here."""
        engine = self.runtime.engine_for(model)
        request = engine.plan(
            prompt=prompt, negative_prompt=negative_prompt, seed=seed, seconds=seconds, resolution=resolution,
            steps=steps, image=uploaded_picture(image, "image"), audio=audio, lora=lora, lora_scale=lora_scale,
        )
        budget: GpuBudget = self.runtime.policy.budget(engine.spec, request)
        return engine, request, budget

    async def validate(
        self, prompt, negative_prompt, seed, seconds, resolution, steps, access_token, image, model, audio, lora,
        lora_scale, request: gr.Request, profile: gr.OAuthProfile | None,
    ):
        """Runs before the queue: a bad token, a spent quota or bad input is answered at once, never behind a
        running job. Nothing is reserved here; the job reserves its clip when it starts.

        `async` so it runs on the event loop instead of waiting for a worker thread: under a busy CPU that
        hand-off was most of a rejection's latency. Its work is a few milliseconds (a SQLite lookup, request
        planning), except preparing a start image, which can take long on a big picture and so goes to a worker
        thread."""
        grant, problems = self.runtime.admission(access_token, profile, request)
        generation_request = None
        planning = functools.partial(
            self.plan, prompt, negative_prompt, seed, seconds, resolution, steps, image, model, audio, lora, lora_scale
        )
        try:
            _, generation_request, _ = await asyncio.to_thread(planning) if image is not None else planning()
        except InvalidRequest as invalid:
            problems[invalid.field or "prompt"] = invalid.message
        if grant is not None and generation_request is not None:
            try:
                self.runtime.gate.check_quota(grant, generation_request.seconds)
            except AccessDenied as spent:
                problems["access_token"] = spent.message
        return validation(INPUT_NAMES, self.runtime.job_admission(grant, problems, request))

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
        enough to make the same clip again.
        A job can be stopped (`job.cancel()` in gradio_client) and is then refunded; each person may have a few
        jobs queued or running at once, and more are refused at once.

        Args:
            prompt: what the video shows, in plain words (at most 1000 characters).
            negative_prompt: what to avoid; empty for nothing.
            seed: -1 picks one; the same seed, prompt and settings give the same clip. The manifest says which.
            seconds: the clip's length, up to the model's longest (5 s on most); the model's default if left out.
            resolution: "landscape", "portrait" or "square"; each model has its own sizes.
            steps: denoising steps (more is slower and finer); the model's default when left out.
            access_token: a Reel access token (reel_...); may be left empty when sent as "Authorization: Bearer".
            image: optional start picture (image-to-video): an uploaded file or a data: URL; web addresses are refused.
            model: one of the models the Space serves (their keys); the Space's default when left out.
            audio: keep the model's sound track (AAC) in the MP4; only models that make sound accept true.
            lora: a camera-move adapter the model serves, by name (e.g. "dolly-in"); "none" for none.
            lora_scale: the adapter's strength, 0 (the base model) to 2.
        """
        return await self.runtime.job_control.run(request, functools.partial(
            self.make_clip, prompt, negative_prompt, seed, seconds, resolution, steps, access_token, image, model,
            audio, lora, lora_scale, request, profile, progress,
        ))

    def make_clip(
        self, prompt, negative_prompt, seed, seconds, resolution, steps, access_token, image, model, audio, lora,
        lora_scale, request, profile, progress, job,
    ):
        """The job behind `generate`, in a worker thread: admit, plan, render."""
        started = time.perf_counter()
        client = self.runtime.client_of(request)
        try:
            grant = self.runtime.admit(access_token, profile, request)
            engine, generation_request, _ = self.plan(
                prompt, negative_prompt, seed, seconds, resolution, steps, image, model, audio, lora, lora_scale
            )
        except (AccessDenied, InvalidRequest) as refused:
            raise delivery.refusal(refused) from None
        job.claim(grant, client)
        result = delivery.render_clip(self.runtime, grant, client, engine, generation_request, progress, job)
        logger.info("Clip ready in %.3f s", time.perf_counter() - started)  # the whole handler: gate, render
        return result

    def show_model_settings(self, model: str):
        """Each model has its own sizes, longest clip and step range: the controls follow the chosen model."""
        engine = self.runtime.engine_for(model)
        spec = engine.spec
        return (
            gr.update(value=preview_banner(spec), visible=spec.is_preview),
            gr.update(choices=resolution_choices(spec), value=spec.default_preset),
            gr.update(maximum=spec.max_seconds, value=min(spec.default_seconds, spec.max_seconds)),
            gr.update(minimum=spec.min_steps, maximum=spec.max_steps, value=spec.default_steps),
            gr.update(label=image_label(spec), interactive=spec.supports_image),
            *model_extras(engine),
        )

    def examples(self, prompt: gr.Textbox, image: gr.Image) -> None:
        """Prompts (and, where the model takes one, a start picture) that fill in the form. Never cached: a
        cached example is made without the visitor's token, so it would need a way past the gate, and on the
        CPU preview it would show noise anyway."""
        chosen = list(page_js.EXAMPLE_PROMPTS)
        examples = [[text, None] for _, text in chosen]
        if self.runtime.engines[self.runtime.default_model].spec.supports_image:
            picture = page_js.example_picture(self.runtime.output_dir.parent / "reel-examples")
            chosen.append(page_js.PICTURE_EXAMPLE)
            examples.append([page_js.PICTURE_EXAMPLE[1], str(picture)])
        gr.Examples(
            examples, inputs=[prompt, image], example_labels=[label for label, _ in chosen], cache_examples=False,
            label="Examples: choose one to fill in the form", elem_id="examples",
        )

    def build(self, access_token: gr.Textbox, banner: gr.Markdown, result_actions=None) -> gr.Image:
        """The tab's controls and events. `result_actions(video, manifest)` builds the actions shown under the
        result (Reproduce, Extend), wired by the tab that owns those endpoints. Returns the start image box, which
        the History tab's "Use as start image" fills. The Stop button stops this tab's jobs: Generate and the
        result's own actions."""
        runtime = self.runtime
        engine = runtime.engines[runtime.default_model]
        spec = engine.spec
        with gr.Row():
            with gr.Column():
                prompt = gr.Textbox(
                    label="Prompt",
                    lines=3,
                    max_length=MAX_PROMPT_CHARS,
                    placeholder="A paper boat drifting down a rain-soaked street at dusk, cinematic",
                    elem_id="prompt",
                )
                # Right under the prompt: on a phone the prompt, the token and this button fit the first screen.
                with gr.Row():
                    generate_button = gr.Button("Generate", variant="primary", elem_id="generate", scale=3)
                    stop_button = stop_control(elem_id="stop")
                model = model_picker(runtime.engines, elem_id="model")
                image = PictureUpload(
                    label=image_label(spec),
                    type="filepath",
                    sources=["upload", "clipboard"],
                    interactive=spec.supports_image,
                    elem_id="image",
                )
                resolution = PlannedRadio(
                    label="Resolution", choices=resolution_choices(spec), value=spec.default_preset,
                    elem_id="resolution",
                )
                seconds = PlannedSlider(
                    label="Duration (seconds)", minimum=0.5, maximum=spec.max_seconds, step=0.5,
                    value=spec.default_seconds, elem_id="seconds",
                )
                with gr.Row():
                    audio = sound_checkbox(spec, elem_id="audio")
                    lora = lora_picker(engine, elem_id="lora")
                with gr.Accordion("Advanced", open=False) as advanced:
                    negative_prompt = gr.Textbox(
                        label="Negative prompt", lines=2, value="", max_length=MAX_PROMPT_CHARS,
                        elem_id="negative-prompt",
                    )
                    with gr.Row():
                        seed = PlannedNumber(label="Seed (-1 for random)", value=-1, precision=0, elem_id="seed")
                        random_seed = gr.Button("Random seed", size="sm", scale=0, elem_id="random-seed")
                    steps = PlannedSlider(
                        label="Steps", minimum=spec.min_steps, maximum=spec.max_steps, step=1, precision=0,
                        value=spec.default_steps, elem_id="steps",
                    )
                    lora_scale = lora_scale_slider(elem_id="lora-scale")
                self.examples(prompt, image)
            with gr.Column():
                # Display only: it is also the Extend action's input, which would otherwise offer an upload box.
                video = gr.Video(label="Video", elem_id="video", autoplay=True, loop=True, interactive=False)
                manifest = JsonObject(label="Manifest", elem_id="manifest")  # its label names the API output
                result_jobs = result_actions(video, manifest) if result_actions is not None else []
                reuse_seed = gr.Button("Reuse this seed", size="sm", elem_id="reuse-seed")

        model.change(
            self.show_model_settings,
            inputs=model,
            outputs=[banner, resolution, seconds, steps, image, audio, lora],
            api_visibility="private",
            queue=False,
        )
        lora.change(
            functools.partial(lora_default_scale, runtime), inputs=[model, lora], outputs=lora_scale,
            api_visibility="private", queue=False,
        )
        page = dict(api_visibility="private", queue=False)
        random_seed.click(None, outputs=seed, js=page_js.RANDOM_SEED, **page)
        # Queued (its warning travels with queue messages) but never behind a GPU job.
        reuse_seed.click(page_js.seed_of, inputs=manifest, outputs=[seed, advanced], api_visibility="private",
                         concurrency_limit=None)
        for field in (seed, seconds, resolution, steps, image, model, audio, lora, lora_scale):
            # A textbox drops its refusal when edited; these do when an event they feed starts: a no-op one.
            field.input(page_js.accept_edit, inputs=field, show_progress="hidden", **page)
        # The old result goes at once, in the browser: a refused run leaves no video from before on the page.
        generate_button.click(None, outputs=[video, manifest], js=page_js.CLEAR_RESULT, **page)
        generating = generate_button.click(
            self.generate,
            inputs=[
                prompt, negative_prompt, seed, seconds, resolution, steps, access_token, image, model, audio, lora,
                lora_scale,
            ],
            outputs=[video, manifest],
            api_name="generate",
            validator=self.validate,
            concurrency_limit=runtime.gpu_concurrency,
            concurrency_id="gpu",
            show_progress_on=[video],
        )
        generating.success(None, js=page_js.SHOW_RESULT, **page)
        stop_button.click(None, cancels=[generating, *result_jobs])
        return image

