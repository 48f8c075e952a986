"""Form controls shared by the tabs, and what the API page says about them.

Scalar inputs (slider, radio, number, dropdown) are stock components whose `preprocess` hands the value through
as sent: the engine's planning owns every limit and says what is wrong in Reel's own words, where the stock check
would fail the validator stage with a bare HTTP 400. `is_template` keeps the stock front end.

Pictures come in through `PictureUpload`, which hands over the uploaded file's path undecoded: Reel reads it
itself (`ui/studio/planning.py`), so a huge, broken or foreign file gets Reel's message too. Other files come in
through `UploadedFiles`. Neither writes anything while a call is read: a call's inputs are read before any
token is checked, so a call must not be a way to fill the disk (`ui/uploads.py` budgets the bytes of every call).
"""

from __future__ import annotations

import base64
import binascii
import io

import gradio as gr
from gradio.data_classes import ImageData, ListFiles
from pydantic import ConfigDict, field_serializer

from model import LORA_SCALE_RANGE, InvalidRequest, ModelSpec

from .gradio_internals import (
    file_path_value,
    has_allowed_file_type,
    is_in_gradio_cache,
    is_web_address,
    not_uploaded_error,
    web_addresses_not_fetched,
)


def _pass_value_through(self, payload):
    return payload


class PlannedSlider(gr.Slider):
    is_template = True
    preprocess = _pass_value_through


class PlannedRadio(gr.Radio):
    is_template = True
    preprocess = _pass_value_through


class PlannedNumber(gr.Number):
    is_template = True
    preprocess = _pass_value_through


class PlannedDropdown(gr.Dropdown):
    is_template = True
    preprocess = _pass_value_through

    def api_info(self) -> dict:
        """A dropdown that takes typed text (the storyboard's style) accepts any string, not only its choices:
        the API page and the MCP schema say so (an enum there would make agents refuse their own words)."""
        if self.allow_custom_value and not self.multiselect:
            return {"type": "string"}
        return super().api_info()


class JsonObject(gr.JSON):
    """A JSON output that is always an object (a manifest, a history page): the API says `dict`, where the stock
    component says "any JSON"."""

    is_template = True

    def api_info(self) -> dict:
        return {"type": "object", "additionalProperties": True, "description": "a JSON object"}


TOKEN_DESCRIPTION = "required: a Reel access token (reel_...), here or as the header Authorization: Bearer reel_..."
TOKEN_ON_SPACES = "; an allow-listed Hugging Face account signed in on the page needs none"


class TokenBox(gr.Textbox):
    """The access token field. Its API description says the token is needed even though the parameter may be
    left out: it can come as a header instead (a required parameter would make gradio_client and MCP callers
    who send the header pass an empty one). `is_template` keeps the stock front end."""

    is_template = True

    def api_info(self) -> dict:
        return {"type": "string", "additional_description": getattr(self, "reel_description", TOKEN_DESCRIPTION)}


def access_token_box(hf_sign_in: bool) -> TokenBox:
    """The page's one token field, shared by every tab's events."""
    box = TokenBox(label="Access token", type="password", value="", placeholder="reel_...", elem_id="access-token")
    box.reel_description = TOKEN_DESCRIPTION + (TOKEN_ON_SPACES if hf_sign_in else "")
    return box


# An image drop zone's visible text. Gradio names the zone's button "Drop an image file here to upload" (its own
# English text, `image.drop_to_upload`) but shows "Drop Image Here - or - Click to Upload": a name that does not
# hold the words shown fails axe's label-content-name-mismatch (speech users say what they see). Pass it as
# `placeholder=` so the two agree.
PICTURE_DROP_TEXT = "Drop an image file here to upload"


class PictureData(ImageData):
    """Gradio's image payload, except that a `data:` address is left out when Gradio keeps a copy of the
    payload in the session's state (it dumps each input there, per session, for as long as the session lives),
    so an inline picture is not held in memory after its call."""

    model_config = ConfigDict(title="ImageData")  # the API page's schema stays Gradio's

    @field_serializer("url")
    def _without_inline_bytes(self, url: str | None) -> str | None:
        return None if url is not None and url.startswith("data:") else url


@web_addresses_not_fetched
class PictureUpload(gr.Image):
    """An image input whose handler gets the uploaded file's path, never the decoded picture.

    The stock `preprocess` opens and converts the whole picture before any validator runs, even with
    type="filepath" (it converts to image_mode), so a decompression bomb or a broken file fails the validator
    stage with a bare HTTP 400. A web address given as the picture is passed on as sent and never fetched
    (`web_addresses_not_fetched`): the stock input downloads it (refusing private addresses with another bare
    400), and Reel refuses it with a message asking for the file instead. A picture sent inline as a `data:`
    address is handed over as its bytes in memory (a file object), never written: that happens before any token
    is checked.

    Give it type="filepath", so the API docs say what the handler gets. It defines no `__init__`: Gradio builds
    the page's props from the constructor's signature."""

    is_template = True
    data_model = PictureData

    def api_info(self) -> dict:
        """The stock text offers "a publicly available URL", which Reel refuses."""
        refused = "An uploaded file or a data: URL; web addresses are refused."
        return {**super().api_info(), "additional_description": refused}

    def preprocess(self, payload) -> str | io.BytesIO | None:
        """The path of the uploaded file, the bytes of an inline picture, or the web address as sent (Reel
        refuses it with a message)."""
        if payload is None:
            return None
        sent = payload.path or payload.url
        if not sent or is_web_address(sent):
            return sent or None
        if sent.startswith("data:"):
            return inline_bytes(sent)
        # A payload without the file marker skips Gradio's upload-folder check: only uploaded files are read.
        if not is_in_gradio_cache(self, sent):
            raise not_uploaded_error(sent)
        return sent


def inline_bytes(address: str) -> io.BytesIO:
    """The bytes of a base64 `data:` address, undecoded as a picture (its size is checked from its header)."""
    header, comma, encoded = address.partition(",")
    try:
        if not comma or not header.endswith(";base64"):
            raise ValueError("not base64")
        return io.BytesIO(base64.b64decode(encoded))
    except (ValueError, binascii.Error):  # a malformed request, as Gradio answers it
        raise gr.Error("The image's data address is not valid base64.", print_exception=False) from None


class UploadedFiles(gr.File):
    """A file input (type="filepath") whose handler gets the uploaded files' paths, as the stock one's does,
    without the empty temporary file the stock `preprocess` (gradio 6.31) leaves in Gradio's cache for every
    file of every call, a token or not. Gradio has already checked each path is an upload."""

    is_template = True

    def preprocess(self, payload) -> str | list[str] | None:
        if payload is None or self.type != "filepath":
            return super().preprocess(payload)
        files = list(payload) if isinstance(payload, ListFiles) else [payload]
        for file in files:
            if self.file_types and not has_allowed_file_type(file.path, self.file_types):
                raise gr.Error(f"Invalid file type. Please upload a file that is one of these formats: "
                               f"{self.file_types}", print_exception=False)
        paths = [file_path_value(file.path) for file in files]
        if self.file_count == "single":
            return paths[0] if paths else None
        return paths


def resolution_choices(spec: ModelSpec) -> list[tuple[str, str]]:
    return [(f"{name.title()} {width}×{height}", name) for name, (width, height) in spec.presets.items()]


def quality_choices(engine) -> list[tuple[str, str]]:
    """Standard, and HD where the loaded model has its upscaler (model/spec.py HdSpec)."""
    choices = [("Standard", "standard")]
    if engine.supports_hd:
        choices.append((f"HD ({engine.spec.hd.scale}× width and height, slower)", "hd"))
    return choices


def _quality_settings(engine) -> dict:
    return dict(choices=quality_choices(engine), value="standard", interactive=engine.supports_hd)


def quality_radio(engine, elem_id: str):
    """Standard or HD for `engine`'s model, HD offered only where it has its upscaler; `quality_update` follows a
    change of model."""
    return PlannedRadio(label="Quality", elem_id=elem_id, **_quality_settings(engine))


def quality_update(engine):
    """The Quality radio for the chosen model."""
    return gr.update(**_quality_settings(engine))


def enhance_checkbox(engine, elem_id: str) -> gr.Checkbox:
    """Off by default (a rewrite costs GPU time and changes the words); locked where the model has no enhancer."""
    return gr.Checkbox(
        label="Enhance prompt (the model rewrites it in detail first)", value=False,
        interactive=engine.enhances_prompts, elem_id=elem_id,
    )


def enhance_update(engine):
    """The Enhance prompt checkbox for the chosen model."""
    return gr.update(value=False, interactive=engine.enhances_prompts)


def smooth_checkbox(engine, elem_id: str) -> gr.Checkbox:
    """Off by default; locked where the model has no temporal upsampler."""
    return gr.Checkbox(
        label="Smooth motion (twice the frame rate)", value=False, interactive=engine.supports_smooth, elem_id=elem_id
    )


def smooth_update(engine):
    return gr.update(value=False, interactive=engine.supports_smooth)


def enhanced_prompt_update(manifest) -> dict:
    """The enhanced prompt under the video: shown when the clip on the page was made from one."""
    enhanced = manifest.get("enhanced_prompt") if isinstance(manifest, dict) else None
    return gr.update(value=enhanced or "", visible=bool(enhanced))


def preview_banner(spec: ModelSpec) -> str:
    """One line, with the why folded under it (a `<details>`): on a phone the notice must not push the prompt
    off the first screen."""
    if not spec.is_preview:
        return ""
    return (
        "<details><summary><strong>Preview: videos will be coloured noise.</strong> Why?</summary>"
        f"<p>This Space has no GPU, so it runs {spec.label}, whose weights are random: you get "
        f"noise{' with a noisy sound track' if spec.has_audio else ''}, not what you describe. Everything else "
        "works as with a real model: tokens, quotas, history, downloads.</p></details>"
    )


def model_picker(engines, elem_id: str) -> PlannedDropdown:
    return PlannedDropdown(
        label="Model",
        choices=[(engine.spec.label, key) for key, engine in engines.items()],
        value=next(iter(engines)),
        visible=len(engines) > 1,
        elem_id=elem_id,
    )


NO_LORA = "none"


def sound_label(spec: ModelSpec) -> str:
    if spec.has_audio:
        return "Sound: a sound track made with the video"
    return f"Sound: not available, {spec.label} makes silent video"


def sound_checkbox(spec: ModelSpec, elem_id: str) -> gr.Checkbox:
    """On by default where the model makes sound; off and locked where it does not (asking a silent model for
    sound is refused, not ignored)."""
    return gr.Checkbox(label=sound_label(spec), value=spec.has_audio, interactive=spec.has_audio, elem_id=elem_id)


def lora_choices(engine) -> list[tuple[str, str]]:
    return [("None", NO_LORA)] + [(lora.label, name) for name, lora in engine.served_loras.items()]


def lora_picker(engine, elem_id: str) -> PlannedDropdown:
    return PlannedDropdown(
        label="LoRA adapter (camera moves, styles)", choices=lora_choices(engine), value=NO_LORA,
        interactive=bool(engine.served_loras), elem_id=elem_id,
    )


def lora_scale_slider(elem_id: str) -> PlannedSlider:
    low, high = LORA_SCALE_RANGE
    return PlannedSlider(
        label="LoRA scale (0 is the base model)", minimum=low, maximum=high, step=0.05, value=1.0, elem_id=elem_id
    )


def model_extras(engine) -> tuple:
    """Updates for the sound checkbox and the LoRA picker when another model is chosen."""
    spec = engine.spec
    return (
        gr.update(label=sound_label(spec), value=spec.has_audio, interactive=spec.has_audio),
        gr.update(choices=lora_choices(engine), value=NO_LORA, interactive=bool(engine.served_loras)),
    )


def lora_default_scale(runtime, model, lora) -> dict:
    """The chosen adapter's own default scale."""
    try:
        adapter = runtime.engine_for(model).served_loras.get(lora)
    except InvalidRequest:  # an unknown model: leave the slider as it is
        adapter = None
    return gr.update(value=adapter.default_scale) if adapter is not None else gr.update()


def stop_control(elem_id: str, interactive: bool = True) -> gr.Button:
    """Stop, beside a GPU action's button: its click cancels that action's jobs (`cancels=`), waiting or
    running, and the job is refunded. Always shown (Gradio's page runs nothing after a validator's refusal, so a
    button shown only while a job runs would stay up after a refused one); `interactive=False` for one that
    `page.stop_on_click` enables as a job starts and `page.stop_off_after` disables as it ends."""
    return gr.Button("Stop", variant="stop", elem_id=elem_id, scale=1, min_width=80, interactive=interactive)
