"""The History tab and the `/history`, `/history_video` and `/history_delete` APIs: each holder's own videos.

Every action admits the caller again and asks the store for that holder's item by id, so an id from another
holder, a guessed one or one left in the page's state after a token change is answered exactly like an unknown
id. Files reach the browser as copies in the clips folder, which Gradio caches and serves like any result; the
data dir itself stays closed to every file route.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import uuid
from pathlib import Path

import gradio as gr
from PIL import Image

from access import AccessDenied, Grant
from history import HistoryItem, InvalidPage
from model import last_frame

from .components import JsonObject, PlannedNumber, gpu_action_validation
from .reproduce import ReproduceTab
from .runtime import Runtime

logger = logging.getLogger("reel.app")

NOT_FOUND_MESSAGE = "There is no video with that id in your history."
PAGE_SIZE = 12
MAX_API_LIMIT = 100


def describe(item: HistoryItem) -> str:
    """One line for the gallery: when, what, how long."""
    prompt = item.prompt if len(item.prompt) <= 60 else item.prompt[:59] + "…"
    return f"{item.created_at[:16].replace('T', ' ')} · {item.seconds:.1f} s · {prompt}"


def details(item: HistoryItem) -> str:
    return (
        f"**{item.kind.title()}** made {item.created_at.replace('T', ' ')} UTC with `{item.model}`, "
        f"{item.seconds:.1f} s, seed `{item.seed}`.\n\n> {item.prompt}"
    )


def api_entry(item: HistoryItem) -> dict:
    return {
        "id": item.id, "created_at": item.created_at, "kind": item.kind, "model": item.model, "prompt": item.prompt,
        "seed": item.seed, "seconds": item.seconds, "manifest": item.manifest,
    }


class HistoryTab:
    def __init__(self, runtime: Runtime, reproducer: ReproduceTab):
        self.runtime = runtime
        self.reproducer = reproducer

    # -- shared steps ------------------------------------------------------------------------------------------

    def holder(self, access_token, profile, request) -> Grant:
        try:
            return self.runtime.admit(access_token, profile, request)
        except AccessDenied as denied:
            raise gr.Error(denied.message, print_exception=False) from None

    def item(self, grant: Grant, item_id) -> HistoryItem:
        item = self.runtime.history.get(grant.quota_key, item_id) if isinstance(item_id, str) else None
        if item is None:
            raise gr.Error(NOT_FOUND_MESSAGE, print_exception=False)
        return item

    def served_copy(self, item: HistoryItem) -> str:
        """A copy of the item's file in the clips folder, for Gradio to cache and serve (pruned like any clip)."""
        self.runtime.output_dir.mkdir(parents=True, exist_ok=True)
        copy = self.runtime.output_dir / f"reel-history-{uuid.uuid4().hex}.mp4"
        shutil.copyfile(item.path, copy)
        return str(copy)

    # -- the API -----------------------------------------------------------------------------------------------

    def history(
        self, access_token: str = "", limit: float = 20, before: str = "", request: gr.Request = None,
        profile: gr.OAuthProfile | None = None,
    ) -> dict:
        """List the videos made with this access token (clips, storyboards and extensions), newest first, each with
        its id, time, kind, model, prompt, seed, length in seconds and whole manifest; nobody else's are shown.
        Fast, and uses no quota. Returns {"items": [{"id", "created_at", "kind", "model", "prompt", "seed",
        "seconds", "manifest"}], "next_before": an id or null}; pass `next_before` as `before` for the next page.

        Args:
            access_token: a Reel access token (reel_...); may be left empty when sent as "Authorization: Bearer".
            limit: how many to return, 1 to 100.
            before: for the next page, the `next_before` value of the previous answer; empty for the newest.
        """
        grant = self.holder(access_token, profile, request)
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit != int(limit) or not (
            1 <= limit <= MAX_API_LIMIT
        ):
            raise gr.Error(f"limit must be a whole number from 1 to {MAX_API_LIMIT}.", print_exception=False)
        try:
            items = self.runtime.history.list(grant.quota_key, limit=int(limit), before=(before or None))
        except InvalidPage as stale:
            raise gr.Error(stale.message, print_exception=False) from None
        more = len(items) == int(limit) and bool(
            self.runtime.history.list(grant.quota_key, limit=1, before=items[-1].id)
        )
        return {"items": [api_entry(item) for item in items], "next_before": items[-1].id if more else None}

    def history_video(
        self, access_token: str = "", id: str = "", request: gr.Request = None,  # noqa: A002 - the API's word
        profile: gr.OAuthProfile | None = None,
    ):
        """Download one of the videos made with this access token, by its id from /history: clip, storyboard or
        extension, as it was delivered. Fast, and uses no quota. Returns the video (the MP4's path or URL). An id
        that is not in this token's history, another holder's included, is answered "no video with that id".

        Args:
            access_token: required: a Reel access token (reel_...), or send it as the header "Authorization: Bearer".
            id: the video's id, as /history lists it.
        """
        grant = self.holder(access_token, profile, request)
        return self.served_copy(self.item(grant, id))

    def history_delete(
        self, access_token: str = "", id: str = "", request: gr.Request = None,  # noqa: A002 - the API's word
        profile: gr.OAuthProfile | None = None,
    ) -> dict:
        """Delete one of the videos made with this access token from its history, the kept file included, by its
        id from /history. It cannot be undone; quota already used is not given back. Returns {"deleted": the id}.
        An id that is not in this token's history, another holder's included, is answered "no video with that id".

        Args:
            access_token: required: a Reel access token (reel_...), or send it as the header "Authorization: Bearer".
            id: the video's id, as /history lists it.
        """
        grant = self.holder(access_token, profile, request)
        if not isinstance(id, str) or not self.runtime.history.delete(grant.quota_key, id):
            raise gr.Error(NOT_FOUND_MESSAGE, print_exception=False)
        logger.info("History item deleted by %r", grant.quota_key)
        return {"deleted": id}

    # -- the page ----------------------------------------------------------------------------------------------

    def show(self, access_token, request: gr.Request, profile: gr.OAuthProfile | None):
        """The newest videos of whoever the token box (or the sign-in) says, as a gallery; nothing selected."""
        grant = self.holder(access_token, profile, request)
        items = self.runtime.history.list(grant.quota_key, limit=PAGE_SIZE)
        gallery = [(self.served_copy(item), describe(item)) for item in items]
        note = "" if items else "Nothing here yet: the videos you make appear here."
        return gallery, [item.id for item in items], None, "", note, None

    def select(self, shown: list[str], access_token, evt: gr.SelectData, request: gr.Request,
               profile: gr.OAuthProfile | None):
        grant = self.holder(access_token, profile, request)
        if not shown or not 0 <= evt.index < len(shown):
            raise gr.Error(NOT_FOUND_MESSAGE, print_exception=False)
        item = self.item(grant, shown[evt.index])
        return self.served_copy(item), details(item), item.id, item.manifest

    def delete_selected(self, selected, access_token, request: gr.Request, profile: gr.OAuthProfile | None):
        self.history_delete(access_token, selected, request, profile)
        gr.Info("Deleted from your history.")
        return self.show(access_token, request, profile)

    def start_image(self, selected, access_token, request: gr.Request, profile: gr.OAuthProfile | None):
        """The selected video's last frame, in the Generate tab's start image, and that tab opened."""
        grant = self.holder(access_token, profile, request)
        item = self.item(grant, selected)
        return Image.fromarray(last_frame(Path(item.path))), gr.Tabs(selected="generate-tab")

    # The two GPU actions: each a job like any other (a slot among the holder's jobs, a Stop button).

    async def validate_reproduce_selected(self, selected, access_token, request: gr.Request,
                                          profile: gr.OAuthProfile | None):
        return await gpu_action_validation(self.runtime, ("selected", "access_token"), access_token, request, profile)

    async def reproduce_selected(self, selected, access_token, request: gr.Request, profile: gr.OAuthProfile | None,
                                 progress=gr.Progress()):
        return await self.runtime.job_control.run(request, functools.partial(
            self.reproduce_item, selected, access_token, request, profile, progress
        ))

    def reproduce_item(self, selected, access_token, request, profile, progress, job):
        grant = self.holder(access_token, profile, request)
        item = self.item(grant, selected)
        return self.reproducer.reproduction(json.dumps(item.manifest), None, None, None, access_token, request,
                                            profile, progress, job)

    async def validate_extend_selected(self, selected, prompt, seconds, access_token, request: gr.Request,
                                       profile: gr.OAuthProfile | None):
        names = ("selected", "prompt", "seconds", "access_token")
        return await gpu_action_validation(self.runtime, names, access_token, request, profile)

    async def extend_selected(self, selected, prompt, seconds, access_token, request: gr.Request,
                              profile: gr.OAuthProfile | None, progress=gr.Progress()):
        return await self.runtime.job_control.run(request, functools.partial(
            self.extend_item, selected, prompt, seconds, access_token, request, profile, progress
        ))

    def extend_item(self, selected, prompt, seconds, access_token, request, profile, progress, job):
        grant = self.holder(access_token, profile, request)
        item = self.item(grant, selected)
        return self.reproducer.extension(self.served_copy(item), prompt, seconds, "", -1, access_token, request,
                                         profile, progress, job)

    def build(self, access_token: gr.Textbox, tabs: gr.Tabs, start_image: gr.Image):
        """The tab; `start_image` is the Generate tab's image box, which "Use as start image" fills."""
        runtime = self.runtime
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
        show.click(self.show, inputs=access_token, outputs=listing, **quick)
        gallery.select(self.select, inputs=[shown, access_token], outputs=[player, about, selected, manifest],
                       **quick)
        delete.click(self.delete_selected, inputs=[selected, access_token], outputs=listing, **quick)
        use.click(self.start_image, inputs=[selected, access_token], outputs=[start_image, tabs], **quick)
        gpu = dict(api_visibility="private", concurrency_limit=runtime.gpu_concurrency, concurrency_id="gpu",
                   show_progress_on=[player])
        reproducing = again.click(self.reproduce_selected, inputs=[selected, access_token], outputs=[player, manifest],
                                  validator=self.validate_reproduce_selected, **gpu)
        extending = extend.click(self.extend_selected, inputs=[selected, prompt, seconds, access_token],
                                 outputs=[player, manifest], validator=self.validate_extend_selected, **gpu)
        stop.click(None, cancels=[reproducing, extending])

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
        list_button.click(self.history, inputs=[access_token, limit, before], outputs=listed, api_name="history",
                          **api)
        video_button.click(self.history_video, inputs=[access_token, item_id], outputs=video,
                           api_name="history_video", **api)
        delete_button.click(self.history_delete, inputs=[access_token, item_id], outputs=deleted,
                            api_name="history_delete", **api)
