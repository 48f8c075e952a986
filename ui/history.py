"""The History tab: each holder's own videos, shown, selected, made again, extended, used as a start image or
deleted; and the hidden inputs behind `/history`, `/history_video` and `/history_delete`. Layout and wiring only;
the work is the studio's (ui/studio/history_actions.py)."""

from __future__ import annotations

import gradio as gr

from .components import JsonObject, PlannedNumber
from .studio import KeptExtendForm, KeptReproduceForm, Studio


class HistoryTab:
    def __init__(self, studio: Studio):
        self.studio = studio

    def build(self, access_token: gr.Textbox, tabs: gr.Tabs, start_image: gr.Image) -> None:
        """The tab; `start_image` is the Generate tab's image box, which "Use as start image" fills, opening that
        tab (`tabs`)."""
        actions = self.studio.history

        def use_as_start_image(item_id, token, request: gr.Request, profile: gr.OAuthProfile | None):
            return actions.start_image(item_id, token, request, profile), gr.Tabs(selected="generate-tab")

        gr.Markdown("Your own videos, newest first. Nobody else sees them; the Space's operator can delete them.")
        show = gr.Button("Show my videos", variant="primary", elem_id="history-show")
        note = gr.Markdown("", elem_id="history-note")
        gallery = gr.Gallery(label="My videos", columns=4, height="auto", allow_preview=False,
                             elem_id="history-gallery")
        shown = gr.State([])
        selected = gr.State(None)
        with gr.Row():
            with gr.Column():
                player = gr.Video(label="Selected video", interactive=False, elem_id="history-video")
                about = gr.Markdown("", elem_id="history-details")
            with gr.Column():
                manifest = gr.JSON(label="Manifest", elem_id="history-manifest")
                with gr.Row():
                    again = gr.Button("Reproduce", size="sm", elem_id="history-reproduce")
                    stop = gr.Button("Stop", size="sm", variant="stop", elem_id="history-stop")
                    use = gr.Button("Use as start image", size="sm", elem_id="history-start-image")
                    delete = gr.Button("Delete", size="sm", variant="stop", elem_id="history-delete")
                with gr.Accordion("Extend this video", open=False):
                    prompt = gr.Textbox(label="What happens next", lines=2, elem_id="history-extend-prompt")
                    seconds = gr.Slider(label="Seconds to add", minimum=0.5, maximum=5, step=0.5, value=2,
                                        elem_id="history-extend-seconds")
                    extend = gr.Button("Extend", size="sm", elem_id="history-extend")

        listing = [gallery, shown, selected, about, note, player]
        quick = dict(api_visibility="private", concurrency_limit=None)
        show.click(actions.show, inputs=access_token, outputs=listing, **quick)
        gallery.select(actions.select, inputs=[shown, access_token], outputs=[player, about, selected, manifest],
                       **quick)
        delete.click(actions.delete_selected, inputs=[selected, access_token], outputs=listing, **quick)
        use.click(use_as_start_image, inputs=[selected, access_token], outputs=[start_image, tabs], **quick)
        gpu = dict(api_visibility="private", show_progress_on=[player], **self.studio.gpu_queue())
        reproducing = again.click(
            actions.reproduce_selected, inputs=KeptReproduceForm.inputs(selected=selected, access_token=access_token),
            outputs=[player, manifest], validator=actions.validate_reproduce_selected, **gpu,
        )
        extending = extend.click(
            actions.extend_selected,
            inputs=KeptExtendForm.inputs(selected=selected, prompt=prompt, seconds=seconds, access_token=access_token),
            outputs=[player, manifest], validator=actions.validate_extend_selected, **gpu,
        )
        stop.click(**self.studio.stop_event(), cancels=[reproducing, extending])

        # The API: no page controls, so hidden inputs carry the parameters (history is cheap: never behind a GPU job).
        with gr.Row(visible=False):
            # The handler checks limit itself (a whole number 1 to 100); the id has no default, so it is required.
            limit = PlannedNumber(value=20, precision=0, label="limit")
            before = gr.Textbox(value="", label="before")
            item_id = gr.Textbox(value=None, label="id")
            listed = JsonObject(label="history")
            video = gr.Video(label="video")
            deleted = JsonObject(label="deleted")
            list_button, video_button, delete_button = gr.Button(), gr.Button(), gr.Button()
        api = dict(concurrency_limit=None)
        list_button.click(actions.history, inputs=[access_token, limit, before], outputs=listed, api_name="history",
                          **api)
        video_button.click(actions.history_video, inputs=[access_token, item_id], outputs=video,
                           api_name="history_video", **api)
        delete_button.click(actions.history_delete, inputs=[access_token, item_id], outputs=deleted,
                            api_name="history_delete", **api)
