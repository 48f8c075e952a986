"""The studio: the one service behind the tabs. It owns the work every GPU endpoint does behind the gate
(admission and quota, the GPU call through ui/gpu.py, encoding, signing and keeping) and the history actions; the
tabs only lay out controls and wire their events to it.

Its parts, one per kind of work, share the runtime: `clips` (`/generate`), `storyboards` (`/storyboard`),
`reproductions` (`/reproduce`, `/extend` and the same two under a result) and `history` (`/history`,
`/history_video`, `/history_delete` and the History tab's actions) and `admin` (the `/admin_*` endpoints and the
Admin tab's actions). Each public handler keeps its explicit
signature and docstring (the API page and the MCP tools read them) and hands its inputs on as one frozen form
(`forms.py`); `planning.py` checks a form before anything runs, `delivery.py` runs what surrounds the GPU.
"""

from __future__ import annotations

import gradio as gr

from ..runtime import Runtime
from .admin import AdminActions
from .clips import Clips
from .delivery import STOPPED_TOAST
from .forms import (
    ClipForm,
    ExtendForm,
    Form,
    KeptExtendForm,
    KeptReproduceForm,
    ReproduceForm,
    ResultExtendForm,
    ResultReproduceForm,
    StoryboardForm,
)
from .history_actions import HistoryActions
from .reproductions import Reproductions
from .storyboards import Storyboards


class Studio:
    """One per page: the tabs wire their events to its parts, which share the runtime."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.clips = Clips(runtime)
        self.storyboards = Storyboards(runtime)
        self.reproductions = Reproductions(runtime, self.storyboards)
        self.history = HistoryActions(runtime, self.reproductions)
        self.admin = AdminActions(runtime)

    @staticmethod
    def stopped() -> None:
        """What every Stop button says as it cancels its jobs (a toast): what a Stop costs, whenever it lands."""
        gr.Info(STOPPED_TOAST)

    def stop_event(self) -> dict:
        """What every Stop button's click passes besides `cancels=`: the toast, queued (a toast needs the queue)
        but never behind the GPU jobs it stops."""
        return dict(fn=self.stopped, api_visibility="private", concurrency_limit=None)

    def gpu_queue(self) -> dict:
        """What every GPU event passes to Gradio: the calls at once that the GPU takes, in one shared queue."""
        return dict(concurrency_limit=self.runtime.gpu_concurrency, concurrency_id="gpu")


__all__ = [
    "ClipForm",
    "ExtendForm",
    "Form",
    "KeptExtendForm",
    "KeptReproduceForm",
    "ReproduceForm",
    "ResultExtendForm",
    "ResultReproduceForm",
    "StoryboardForm",
    "Studio",
]
