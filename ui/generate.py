"""The Generate tab: one clip from text or from a start image (`/generate`), with the result's own "Reproduce" and
"Extend" actions. Layout and wiring only; the work is the studio's (ui/studio/)."""

from __future__ import annotations

import functools

import gradio as gr

from model import MAX_PROMPT_CHARS

from . import page as page_js
from .components import (
    PICTURE_DROP_TEXT,
    JsonObject,
    PictureUpload,
    PlannedNumber,
    PlannedRadio,
    PlannedSlider,
    enhance_checkbox,
    enhance_update,
    enhanced_prompt_update,
    smooth_checkbox,
    smooth_update,
    lora_default_scale,
    lora_picker,
    lora_scale_slider,
    model_extras,
    model_picker,
    preview_banner,
    quality_radio,
    quality_update,
    resolution_choices,
    sound_checkbox,
    stop_control,
)
from .studio import ClipForm, ResultExtendForm, ResultReproduceForm, Studio


def image_label(spec) -> str:
    if spec.supports_image:
        return "Start image (optional): the clip starts from it and keeps its shape"
    return f"Start image: not available, {spec.label} makes video from text only"


class GenerateTab:
    """Builds the tab inside the current Blocks and wires its events to the studio."""

    def __init__(self, studio: Studio):
        self.studio = studio
        self.runtime = studio.runtime

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
            quality_update(engine),
            *model_extras(engine),
            enhance_update(engine),
            smooth_update(engine),
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

    def result_actions(self, access_token: gr.Textbox, video: gr.Video, manifest: JsonObject, stop: gr.Button) -> list:
        """Reproduce and Extend under the result, each a GPU job of the studio's like any other, disabled until
        there is a clip; returns their two events, which the tab's `stop` button cancels."""
        reproductions = self.studio.reproductions
        with gr.Row():
            again = gr.Button("Reproduce", size="sm", interactive=False, elem_id="reproduce-result")
        with gr.Accordion("Extend this video", open=False):
            prompt = gr.Textbox(label="What happens next", lines=2, max_length=MAX_PROMPT_CHARS,
                                elem_id="extend-result-prompt")
            seconds = PlannedSlider(label="Seconds to add", minimum=0.5, maximum=5, step=0.5, value=2,
                                    elem_id="extend-result-seconds")
            extend = gr.Button("Extend", size="sm", interactive=False, elem_id="extend-result")
        page_js.enabled_with_a_clip(video, again, extend)
        page_js.stop_on_click(stop, again)
        page_js.stop_on_click(stop, extend)
        gpu = dict(**self.studio.gpu_queue(), show_progress_on=[video])
        jobs = [
            again.click(
                reproductions.reproduce_result,
                inputs=ResultReproduceForm.inputs(manifest=manifest, access_token=access_token),
                outputs=[video, manifest], api_visibility="private", validator=reproductions.validate_reproduce_result,
                **gpu,
            ),
            extend.click(
                reproductions.extend_result,
                inputs=ResultExtendForm.inputs(video=video, prompt=prompt, seconds=seconds, access_token=access_token),
                outputs=[video, manifest], api_visibility="private", validator=reproductions.validate_extend_result,
                **gpu,
            ),
        ]
        for job in jobs:
            page_js.stop_off_after(stop, job)
        return jobs

    def build(self, access_token: gr.Textbox, banner: gr.Markdown) -> gr.Image:
        """The tab's controls and events. Returns the start image box, which the History tab's "Use as start
        image" fills. The Stop button stops this tab's jobs: Generate and the result's own actions."""
        runtime = self.runtime
        engine = runtime.engines[runtime.default_model]
        spec = engine.spec
        with gr.Row():
            with gr.Column():
                prompt = gr.Textbox(
                    label="Prompt",
                    lines=3,
                    max_length=MAX_PROMPT_CHARS,
                    # A hint, not a prompt: a real prompt here reads as filled in, and Generate then says
                    # "Enter a prompt".
                    placeholder="Describe the video: who or what, where, the light, how the camera moves",
                    elem_id="prompt",
                )
                # Right under the prompt: on a phone the prompt, the token and this button fit the first screen.
                with gr.Row():
                    generate_button = gr.Button("Generate", variant="primary", elem_id="generate", scale=3)
                    stop_button = stop_control(elem_id="stop", interactive=False)  # on while a job runs
                model = model_picker(runtime.engines, elem_id="model")
                image = PictureUpload(
                    label=image_label(spec),
                    type="filepath",
                    sources=["upload", "clipboard"],
                    interactive=spec.supports_image,
                    placeholder=PICTURE_DROP_TEXT,
                    elem_id="image",
                )
                resolution = PlannedRadio(
                    label="Resolution", choices=resolution_choices(spec), value=spec.default_preset,
                    elem_id="resolution",
                )
                quality = quality_radio(engine, elem_id="quality")
                seconds = PlannedSlider(
                    label="Duration (seconds)", minimum=0.5, maximum=spec.max_seconds, step=0.5,
                    value=spec.default_seconds, elem_id="seconds",
                )
                with gr.Row():
                    audio = sound_checkbox(spec, elem_id="audio")
                    lora = lora_picker(engine, elem_id="lora")
                with gr.Row():
                    enhance_prompt = enhance_checkbox(engine, elem_id="enhance-prompt")
                    smooth = smooth_checkbox(engine, elem_id="smooth")
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
                enhanced_prompt = gr.Textbox(
                    label="Enhanced prompt (what the clip was made from)", interactive=False, visible=False, lines=3,
                    elem_id="enhanced-prompt",
                )
                with gr.Accordion("Details", open=False, elem_id="details"):  # a long JSON: closed under the video
                    manifest = JsonObject(label="Manifest", elem_id="manifest")  # its label names the API output
                result_jobs = self.result_actions(access_token, video, manifest, stop_button)
                reuse_seed = gr.Button("Reuse this seed", size="sm", interactive=False, elem_id="reuse-seed")
                page_js.enabled_with_a_clip(video, reuse_seed)

        model.change(
            self.show_model_settings,
            inputs=model,
            outputs=[banner, resolution, seconds, steps, image, quality, audio, lora, enhance_prompt, smooth],
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
        for field in (seed, seconds, resolution, quality, steps, image, model, audio, lora, lora_scale, enhance_prompt,
                      smooth):
            # A textbox drops its refusal when edited; these do when an event they feed starts: a no-op one.
            field.input(page_js.accept_edit, inputs=field, show_progress="hidden", **page)
        # The old result goes at once, in the browser: a refused run leaves no video from before on the page.
        generate_button.click(None, outputs=[video, manifest], js=page_js.CLEAR_RESULT, **page)
        page_js.stop_on_click(stop_button, generate_button)
        clips = self.studio.clips
        generating = generate_button.click(
            clips.generate,
            inputs=ClipForm.inputs(
                prompt=prompt, negative_prompt=negative_prompt, seed=seed, seconds=seconds, resolution=resolution,
                steps=steps, access_token=access_token, image=image, model=model, audio=audio, lora=lora,
                lora_scale=lora_scale, quality=quality, enhance_prompt=enhance_prompt, smooth=smooth,
            ),
            outputs=[video, manifest],
            api_name="generate",
            validator=clips.validate,
            show_progress_on=[video],
            **self.studio.gpu_queue(),
        )
        generating.success(None, js=page_js.SHOW_RESULT, **page)
        # The enhanced prompt follows each clip that lands (not the manifest's every change: a server round trip
        # that ends while a validator's refusal is on the page would clear the refusal).
        for job in (generating, *result_jobs):
            job.success(enhanced_prompt_update, inputs=manifest, outputs=enhanced_prompt, **page)
        page_js.stop_off_after(stop_button, generating)
        stop_button.click(**self.studio.stop_event(), cancels=[generating, *result_jobs])
        return image

