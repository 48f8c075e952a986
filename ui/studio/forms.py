"""Each GPU event's inputs as one frozen value: a form per endpoint, and one per page-only action.

A form's fields, in order, are its event's inputs. The public handler builds it from its explicit parameters
(they are the API page and the MCP tool, so they stay spelled out there), the tab lists the event's components
with `inputs(...)` by field name, and a validator's answers go to the inputs by `names()`: there is no list of
names to keep in step with the inputs by hand.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import gradio as gr

from access import AccessDenied


class Form:
    """What every form offers the tabs and the validators. Every form's `access_token` is left out of its repr, so
    a form in a log line or a traceback never shows the token."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in dataclasses.fields(cls))

    @classmethod
    def inputs(cls, **components) -> list:
        """The event's input components in the form's order, each given under its field's name."""
        names = cls.names()
        if set(components) != set(names):
            raise TypeError(f"{cls.__name__} takes the inputs {', '.join(names)}; got {', '.join(components)}")
        return [components[name] for name in names]


# -- the public endpoints --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClipForm(Form):
    """`/generate`: one clip from text or from a start picture."""

    prompt: str
    negative_prompt: str
    seed: float
    seconds: float | None
    resolution: str | None
    steps: float | None
    access_token: str = dataclasses.field(repr=False)
    image: object  # as PictureUpload hands it over: an uploaded file's path, an inline picture's bytes, or None
    model: str | None
    audio: bool
    lora: str
    lora_scale: float
    quality: str
    enhance_prompt: bool
    smooth: bool


@dataclass(frozen=True)
class StoryboardForm(Form):
    """`/storyboard`: a film shot by shot."""

    shots: str
    style: str
    reference: object  # as PictureUpload hands it over
    keyframes: list | None  # uploaded files' paths
    seed: float
    resolution: str | None
    steps: float | None
    model: str | None
    access_token: str = dataclasses.field(repr=False)
    audio: bool
    lora: str
    lora_scale: float
    quality: str


@dataclass(frozen=True)
class ReproduceForm(Form):
    """`/reproduce`: a clip or storyboard made again. `manifest` is JSON text from outside, or the manifest itself
    (a dict) where the page already holds it."""

    manifest: str | dict
    video: str | None
    image: object
    keyframes: list | None
    access_token: str = dataclasses.field(repr=False)


@dataclass(frozen=True)
class ExtendForm(Form):
    """`/extend`: one new shot joined onto a Reel video."""

    video: str | None
    prompt: str
    seconds: float | None
    negative_prompt: str
    seed: float
    access_token: str = dataclasses.field(repr=False)


# -- the page's own actions (no API) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultReproduceForm(Form):
    """The "Reproduce" button under a result: the manifest shown there."""

    manifest: dict | None
    access_token: str = dataclasses.field(repr=False)


@dataclass(frozen=True)
class ResultExtendForm(Form):
    """The "Extend" button under a result: the video shown there."""

    video: str | None
    prompt: str
    seconds: float | None
    access_token: str = dataclasses.field(repr=False)


@dataclass(frozen=True)
class KeptReproduceForm(Form):
    """The History tab's "Reproduce": the selected item's id."""

    selected: str | None
    access_token: str = dataclasses.field(repr=False)


@dataclass(frozen=True)
class KeptExtendForm(Form):
    """The History tab's "Extend": the selected item's id."""

    selected: str | None
    prompt: str
    seconds: float | None
    access_token: str = dataclasses.field(repr=False)


def validation(form: type[Form], problems: dict[str, str]) -> list:
    """One gr.validate per input, in the form's order; a problem under a name the form does not have goes on the
    first input so it is never lost. Gradio answers a refused call with all of them, which the page and
    gradio_client read input by input; ui/refusals.py gives the JavaScript client the refused ones' messages."""
    names = form.names()
    known = {name: message for name, message in problems.items() if name in names}
    stray = [message for name, message in problems.items() if name not in names]
    if stray:
        known[names[0]] = " ".join([known.get(names[0], ""), *stray]).strip()
    return [gr.validate(name not in known, known.get(name, "")) for name in names]


async def page_action_validation(runtime, form: Form, request, profile) -> list:
    """The validator of a page-only GPU action (Reproduce or Extend under a result or in the History): the
    holder, and a slot among their jobs queued or running. On the event loop, where the slots are taken."""
    grant, problems = runtime.admission(form.access_token, profile, request)
    return validation(type(form), runtime.job_admission(grant, problems, request))


def note_quota_problem(runtime, grant, problems: dict[str, str], seconds: float, clips: int = 1) -> None:
    """The holder's quota for `clips` clips of `seconds` in all, checked in the validator so a spent quota is
    refused before the queue: its message goes on the token's input."""
    if grant is None:
        return
    try:
        runtime.gate.check_quota(grant, seconds, clips=clips)
    except AccessDenied as spent:
        problems["access_token"] = spent.message
