"""The Storyboard tab: a film of up to a minute, shot by shot (`/storyboard`), with a table of its shots and a
re-roll that remakes only what changed. Layout and wiring only; the work is the studio's (ui/studio/)."""

from __future__ import annotations

import functools
import json

import gradio as gr

from model import STYLE_PRESETS

from .components import (
    PICTURE_DROP_TEXT,
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
    quality_radio,
    quality_update,
    resolution_choices,
    sound_checkbox,
    stop_control,
)
from .studio import StoryboardForm, Studio

EXAMPLE_SHOTS = [
    {"prompt": "A lighthouse on a cliff at dawn, waves breaking below", "seconds": 2},
    {"prompt": "The camera glides towards the lighthouse lamp as it turns on", "seconds": 2},
]
SHOT_TABLE_HEADERS = ["shot", "seed", "seconds", "frames", "prompt"]


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



class StoryboardTab:
    def __init__(self, studio: Studio):
        self.studio = studio
        self.runtime = studio.runtime

    def build(self, access_token: gr.Textbox) -> None:
        """The tab's controls and events; "Re-roll this shot" changes the shots' seeds, then makes the storyboard
        again as the button above does."""
        runtime = self.runtime
        engine = runtime.engines[runtime.default_model]
        spec = engine.spec
        with gr.Row():
            with gr.Column():
                shots = gr.Code(
                    value=json.dumps(EXAMPLE_SHOTS, indent=2), language="json", label="Shots (JSON list)",
                    wrap_lines=True,  # no sideways scrolling on a phone (a scrolled region must be focusable)
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
                        sources=["upload", "clipboard"], placeholder=PICTURE_DROP_TEXT, elem_id="reference",
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
                    quality = quality_radio(engine, elem_id="storyboard-quality")
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
            lambda key: (*model_extras(runtime.engine_for(key)), quality_update(runtime.engine_for(key))),
            inputs=model, outputs=[audio, lora, quality], api_visibility="private", queue=False,
        )
        lora.change(
            functools.partial(lora_default_scale, runtime), inputs=[model, lora], outputs=lora_scale,
            api_visibility="private", queue=False,
        )
        storyboards = self.studio.storyboards
        inputs = StoryboardForm.inputs(
            shots=shots, style=style, reference=reference, keyframes=keyframes, seed=seed, resolution=resolution,
            steps=steps, model=model, access_token=access_token, audio=audio, lora=lora, lora_scale=lora_scale,
            quality=quality,
        )
        event = dict(
            inputs=inputs, outputs=[video, manifest], validator=storyboards.validate, show_progress_on=[video],
            **self.studio.gpu_queue(),
        )
        making = make.click(storyboards.storyboard, api_name="storyboard", **event)
        making.then(shots_table, inputs=manifest, outputs=table, api_visibility="private", queue=False)
        remaking = reroll_button.click(
            storyboards.reroll, inputs=[shots, reroll_number, manifest], outputs=[shots, seed],
            api_visibility="private", queue=False,
        ).success(storyboards.storyboard, api_visibility="private", **event)
        remaking.then(shots_table, inputs=manifest, outputs=table, api_visibility="private", queue=False)
        stop.click(**self.studio.stop_event(), cancels=[making, remaking])
