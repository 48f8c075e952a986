"""`/history`, `/history_video` and `/history_delete`, and the History tab's actions: each holder's own videos.

Every action admits the caller again and asks the store for that holder's item by id, so an id from another
holder, a guessed one or one left in the page's state after a token change is answered exactly like an unknown
id. Files reach the browser as copies in the clips folder, which Gradio caches and serves like any result; the
data dir itself stays closed to every file route.
"""

from __future__ import annotations

import functools
import logging
import shutil
import uuid
from pathlib import Path

import gradio as gr
from PIL import Image

from access import AccessDenied, Grant
from history import HistoryItem, InvalidPage
from model import last_frame

from ..job_control import Job
from ..runtime import Runtime
from .forms import ExtendForm, KeptExtendForm, KeptReproduceForm, ReproduceForm, page_action_validation
from .reproductions import Reproductions

logger = logging.getLogger("reel.app")

NOT_FOUND_MESSAGE = "There is no video with that id in your history."
MISSING_FILE_MESSAGE = (
    "This video's file is missing from the Space's storage. Its details and manifest are still in your history: "
    "Reproduce makes it again."
)
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
        "seed": item.seed, "seconds": item.seconds, "manifest": item.manifest, "missing": item.missing,
    }


class HistoryActions:
    """The studio's history actions: the three history endpoints and what the History tab's buttons call."""

    def __init__(self, runtime: Runtime, reproductions: Reproductions):
        self.runtime = runtime
        self.reproductions = reproductions  # a kept video is made again or extended as any other

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
        """A copy of the item's file in the clips folder, for Gradio to cache and serve (pruned like any clip); a
        missing file is Reel's message, not an error page."""
        self.runtime.output_dir.mkdir(parents=True, exist_ok=True)
        copy = self.runtime.output_dir / f"reel-history-{uuid.uuid4().hex}.mp4"
        try:
            shutil.copyfile(item.path, copy)
        except FileNotFoundError:
            raise gr.Error(MISSING_FILE_MESSAGE, print_exception=False) from None
        return str(copy)

    # -- the API -----------------------------------------------------------------------------------------------

    def history(
        self, access_token: str = "", limit: float = 20, before: str = "", request: gr.Request = None,
        profile: gr.OAuthProfile | None = None,
    ) -> dict:
        """List the videos made with this access token (clips, storyboards and extensions), newest first, each with
        its id, time, kind, model, prompt, seed, length in seconds and whole manifest; nobody else's are shown.
        Fast, and uses no quota. Returns {"items": [{"id", "created_at", "kind", "model", "prompt", "seed",
        "seconds", "manifest", "missing"}], "next_before": an id or null}; pass `next_before` as `before` for the
        next page. "missing" is true when the video's file is gone from the Space's storage: it cannot be
        downloaded, but /reproduce makes it again from its manifest. Over MCP the answer is that object as JSON;
        a refusal is {"error": message}.

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
        present = [item for item in items if not item.missing]
        gallery = [(self.served_copy(item), describe(item)) for item in present]
        note = "" if items else "Nothing here yet: the videos you make appear here."
        if len(present) < len(items):
            note = (f"{len(items) - len(present)} of your newest videos are missing from the Space's storage; "
                    "/history still lists them with the manifests that make them again.")
        return gallery, [item.id for item in present], None, "", note, None

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
        """The selected video's last frame, as a picture to start a new clip from."""
        grant = self.holder(access_token, profile, request)
        item = self.item(grant, selected)
        if item.missing:
            raise gr.Error(MISSING_FILE_MESSAGE, print_exception=False)
        return Image.fromarray(last_frame(Path(item.path)))

    # The two GPU actions: each a job like any other (a slot among the holder's jobs, a Stop button).

    async def validate_reproduce_selected(self, selected, access_token, request: gr.Request,
                                          profile: gr.OAuthProfile | None):
        form = KeptReproduceForm(selected=selected, access_token=access_token)
        return await page_action_validation(self.runtime, form, request, profile)

    async def reproduce_selected(self, selected, access_token, request: gr.Request, profile: gr.OAuthProfile | None,
                                 progress=gr.Progress()):
        form = KeptReproduceForm(selected=selected, access_token=access_token)
        return await self.runtime.job_control.run(
            request, functools.partial(self.reproduce_item, form, request, profile, progress)
        )

    def reproduce_item(self, form: KeptReproduceForm, request, profile, progress, job: Job):
        """The kept item's manifest goes to the reproduction as it is stored, never as JSON text."""
        grant = self.holder(form.access_token, profile, request)
        item = self.item(grant, form.selected)
        reproduction = ReproduceForm(manifest=item.manifest, video=None, image=None, keyframes=None,
                                     access_token=form.access_token)
        return self.reproductions.make_reproduction(reproduction, request, profile, progress, job)

    async def validate_extend_selected(self, selected, prompt, seconds, access_token, request: gr.Request,
                                       profile: gr.OAuthProfile | None):
        form = KeptExtendForm(selected=selected, prompt=prompt, seconds=seconds, access_token=access_token)
        return await page_action_validation(self.runtime, form, request, profile)

    async def extend_selected(self, selected, prompt, seconds, access_token, request: gr.Request,
                              profile: gr.OAuthProfile | None, progress=gr.Progress()):
        form = KeptExtendForm(selected=selected, prompt=prompt, seconds=seconds, access_token=access_token)
        return await self.runtime.job_control.run(
            request, functools.partial(self.extend_item, form, request, profile, progress)
        )

    def extend_item(self, form: KeptExtendForm, request, profile, progress, job: Job):
        grant = self.holder(form.access_token, profile, request)
        item = self.item(grant, form.selected)
        extension = ExtendForm(video=self.served_copy(item), prompt=form.prompt, seconds=form.seconds,
                               negative_prompt="", seed=-1, access_token=form.access_token)
        return self.reproductions.make_extension(extension, request, profile, progress, job)
