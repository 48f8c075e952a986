"""The Reproduce & extend tab: a Reel video made again from its manifest or its MP4 (`/reproduce`), or continued
from its last frames with a new prompt (`/extend`). Layout and wiring only; the work is the studio's
(ui/studio/)."""

from __future__ import annotations

import gradio as gr

from model import MAX_MANIFEST_BYTES, MAX_PROMPT_CHARS

from .components import (
    PICTURE_DROP_TEXT,
    JsonObject,
    PictureUpload,
    PlannedNumber,
    PlannedSlider,
    UploadedFiles,
    stop_control,
)
from .studio import ExtendForm, ReproduceForm, Studio


class ReproduceTab:
    def __init__(self, studio: Studio):
        self.studio = studio

    def build(self, access_token: gr.Textbox) -> None:
        """The tab's controls and events: Reproduce and Extend, each with its own Stop, sharing one result."""
        reproductions = self.studio.reproductions
        gpu = self.studio.gpu_queue()
        with gr.Row():
            with gr.Column():
                gr.Markdown("### Reproduce\nThe same frames again, from a Reel MP4 or its manifest.")
                video = UploadedFiles(label="Reel MP4", file_types=[".mp4"], type="filepath", elem_id="reproduce-video")
                manifest = gr.Textbox(
                    label=f"…or its manifest (JSON, at most {MAX_MANIFEST_BYTES // 1024} KB)", lines=4, value="",
                    elem_id="reproduce-manifest",
                )
                with gr.Accordion("Pictures it was made from", open=False):
                    image = PictureUpload(label="Start image or reference", type="filepath",
                                          placeholder=PICTURE_DROP_TEXT, elem_id="reproduce-image")
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
            reproductions.reproduce,
            inputs=ReproduceForm.inputs(
                manifest=manifest, video=video, image=image, keyframes=keyframes, access_token=access_token
            ),
            outputs=[result, result_manifest], api_name="reproduce", validator=reproductions.validate_reproduce,
            show_progress_on=[result], **gpu,
        )
        extending = extend.click(
            reproductions.extend,
            inputs=ExtendForm.inputs(
                video=extend_video, prompt=prompt, seconds=seconds, negative_prompt=negative_prompt, seed=seed,
                access_token=access_token,
            ),
            outputs=[result, result_manifest], api_name="extend", validator=reproductions.validate_extend,
            show_progress_on=[result], **gpu,
        )
        stop_reproducing.click(**self.studio.stop_event(), cancels=[reproducing])
        stop_extending.click(**self.studio.stop_event(), cancels=[extending])
