"""Reel: open-weight video generation behind the Space operator's own access tokens.

UI and API wiring only. The video engine lives in `model/`, the gate in `access/`.
"""

import spaces  # noqa: F401  # ZeroGPU: must be imported before torch touches CUDA.

import logging
import os
import tempfile
import time
from pathlib import Path

import gradio as gr

from access import AccessDenied, check_access, default_data_dir, default_store, token_from_authorization
from model import MAX_PROMPT_CHARS, GenerationRequest, InvalidRequest, load_engine

logger = logging.getLogger("reel.app")

DATA_DIR = default_data_dir()
# Clips are written beside Gradio's own cache, never under the data dir: the data dir holds the token database
# and must stay unreachable through every file route. Gradio copies each clip into its cache to serve it.
GRADIO_TEMP_DIR = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
OUTPUT_DIR = GRADIO_TEMP_DIR / "reel-clips"
# Served copies and our own clips are deleted after this long: download what you want to keep.
CLIP_LIFETIME_SECONDS = int(os.environ.get("REEL_CLIP_LIFETIME", str(6 * 3600)))
QUEUE_SIZE = int(os.environ.get("REEL_QUEUE_SIZE", "16"))
GPU_CONCURRENCY = int(os.environ.get("REEL_GPU_CONCURRENCY", "1"))
# ZeroGPU refuses durations above the visitor's tier; 120 s is the longest a standard call may ask for.
GPU_DURATION_CAP_SECONDS = int(os.environ.get("REEL_GPU_DURATION_CAP", "120"))
GENERATION_FAILED_MESSAGE = (
    "Generation failed on the server. Please try again; if it keeps failing, tell the Space's operator."
)

# Loaded at import, outside any GPU function: on ZeroGPU this is where `.to("cuda")` must happen.
ENGINE = load_engine(data_dir=DATA_DIR)
TOKENS = default_store()
SPEC = ENGINE.spec

INPUT_NAMES = ("prompt", "negative_prompt", "seed", "seconds", "resolution", "steps", "access_token")


class _PlannedSlider(gr.Slider):
    """A stock slider whose value reaches plan() unchecked, so API callers get Reel's own message for an
    out-of-range value instead of a bare HTTP 400 from the validator stage. `is_template` keeps the stock
    front end."""

    is_template = True

    def preprocess(self, payload):
        return payload


class _PlannedRadio(gr.Radio):
    """A stock radio group whose value reaches plan() unchecked (see _PlannedSlider)."""

    is_template = True

    def preprocess(self, payload):
        return payload


class _PlannedNumber(gr.Number):
    """A stock number box whose value reaches plan() unchecked (see _PlannedSlider)."""

    is_template = True

    def preprocess(self, payload):
        return payload


def presented_token(access_token: str | None, request: gr.Request | None) -> str | None:
    """The token from the form or API parameter, else from an `Authorization: Bearer reel_...` header.

    A bearer value that is not a Reel token (a Hugging Face token sent to reach a private Space) is ignored
    rather than treated as a wrong Reel token.
    """
    if access_token and access_token.strip():
        return access_token
    header = request.headers.get("authorization") if request is not None else None
    bearer = token_from_authorization(header)
    return bearer if bearer and bearer.startswith("reel_") else None


def plan(prompt, negative_prompt, seed, seconds, resolution, steps) -> GenerationRequest:
    return ENGINE.plan(
        prompt=prompt,
        negative_prompt=negative_prompt,
        seed=seed,
        seconds=seconds,
        resolution=resolution,
        steps=steps,
    )


def validate_generation(prompt, negative_prompt, seed, seconds, resolution, steps, access_token, request: gr.Request):
    """Runs before the queue: a bad token or bad input is answered at once, never behind a running job."""
    problems: dict[str, str] = {}
    try:
        check_access(TOKENS, presented_token(access_token, request))
    except AccessDenied as denied:
        problems["access_token"] = denied.message
    try:
        plan(prompt, negative_prompt, seed, seconds, resolution, steps)
    except InvalidRequest as invalid:
        problems[invalid.field or "prompt"] = invalid.message
    return [gr.validate(name not in problems, problems.get(name, "")) for name in INPUT_NAMES]


def gpu_duration(generation_request: GenerationRequest, progress=None) -> int:
    """Seconds of ZeroGPU time to ask for: what this request needs, not a flat maximum."""
    return ENGINE.gpu_seconds(generation_request, GPU_DURATION_CAP_SECONDS)


def prune_old_clips(folder: Path, max_age_seconds: float) -> None:
    """Our copy of a clip is only needed until Gradio has cached it; old ones go, so the disk does not fill."""
    cutoff = time.time() - max_age_seconds
    for clip in folder.glob("reel-*.mp4"):
        try:
            if clip.stat().st_mtime < cutoff:
                clip.unlink()
        except OSError:
            pass  # removed by a concurrent prune


@spaces.GPU(duration=gpu_duration)
def render_on_gpu(generation_request: GenerationRequest, progress=None):
    """The only function that holds a GPU on ZeroGPU; validation and the token check happen before it."""

    def report(fraction: float, phase: str) -> None:
        if progress is not None:
            progress(fraction, desc=phase)

    clip = ENGINE.render(generation_request, OUTPUT_DIR, on_progress=report)
    prune_old_clips(OUTPUT_DIR, CLIP_LIFETIME_SECONDS)
    return str(clip.path), clip.manifest


def generate(
    prompt: str,
    negative_prompt: str = "",
    seed: float = -1,
    seconds: float = SPEC.default_seconds,
    resolution: str = SPEC.default_preset,
    steps: float = SPEC.default_steps,
    access_token: str = "",
    request: gr.Request = None,
    progress=gr.Progress(),
):
    """Generate one clip. Returns the MP4 and its manifest (the seed actually used included)."""
    try:
        grant = check_access(TOKENS, presented_token(access_token, request))
        generation_request = plan(prompt, negative_prompt, seed, seconds, resolution, steps)
    except AccessDenied as denied:
        raise gr.Error(denied.message, print_exception=False) from None
    except InvalidRequest as invalid:
        raise gr.Error(invalid.message, print_exception=False) from None
    logger.info("Generation for token %r: seed %d", grant.label, generation_request.seed)
    started = time.perf_counter()
    try:
        video_path, manifest = render_on_gpu(generation_request, progress)
        logger.info("Clip ready in %.2f s", time.perf_counter() - started)
        return video_path, manifest
    except Exception:
        logger.exception("Generation failed")
        raise gr.Error(GENERATION_FAILED_MESSAGE, print_exception=False) from None


def preview_banner() -> str:
    if not SPEC.is_preview:
        return ""
    return (
        f"**Preview model in use:** {SPEC.label}. Its weights are random, so clips are coloured noise. "
        "It proves the whole path on CPU; the Space serves a real model where a GPU is present."
    )


with gr.Blocks(title="Reel", delete_cache=(3600, CLIP_LIFETIME_SECONDS)) as demo:
    gr.Markdown("# Reel\nOpen-weight video generation. You need an access token from this Space's operator.")
    gr.Markdown(preview_banner(), elem_id="preview-banner", visible=SPEC.is_preview)
    with gr.Row():
        with gr.Column():
            prompt = gr.Textbox(
                label="Prompt",
                lines=3,
                max_length=MAX_PROMPT_CHARS,
                placeholder="A paper boat drifting down a rain-soaked street at dusk, cinematic",
                elem_id="prompt",
            )
            access_token = gr.Textbox(
                label="Access token", type="password", value="", placeholder="reel_...", elem_id="access-token"
            )
            resolution = _PlannedRadio(
                label="Resolution",
                choices=[(f"{name.title()} {w}×{h}", name) for name, (w, h) in SPEC.presets.items()],
                value=SPEC.default_preset,
                elem_id="resolution",
            )
            seconds = _PlannedSlider(
                label="Duration (seconds)",
                minimum=0.5,
                maximum=SPEC.max_seconds,
                step=0.5,
                value=SPEC.default_seconds,
                elem_id="seconds",
            )
            with gr.Accordion("Advanced", open=False):
                negative_prompt = gr.Textbox(
                    label="Negative prompt", lines=2, value="", max_length=MAX_PROMPT_CHARS, elem_id="negative-prompt"
                )
                seed = _PlannedNumber(label="Seed (-1 for random)", value=-1, precision=0, elem_id="seed")
                steps = _PlannedSlider(
                    label="Steps",
                    minimum=SPEC.min_steps,
                    maximum=SPEC.max_steps,
                    step=1,
                    value=SPEC.default_steps,
                    elem_id="steps",
                )
            generate_button = gr.Button("Generate", variant="primary", elem_id="generate")
        with gr.Column():
            video = gr.Video(label="Video", elem_id="video", autoplay=True, loop=True)
            manifest = gr.JSON(label="Manifest (seed used, settings)", elem_id="manifest")

    generate_button.click(
        generate,
        inputs=[prompt, negative_prompt, seed, seconds, resolution, steps, access_token],
        outputs=[video, manifest],
        api_name="generate",
        validator=validate_generation,
        concurrency_limit=GPU_CONCURRENCY,
        concurrency_id="gpu",
        show_progress_on=[video],
    )

demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=GPU_CONCURRENCY)

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    demo.launch(
        show_error=False,  # internal error text never reaches API clients; gr.Error messages still do
        run_history=False,  # would keep every input, the token box included, in the browser's localStorage
        enable_monitoring=False,
        strict_cors=True,
        max_file_size="10mb",
        allowed_paths=[],
        blocked_paths=[str(DATA_DIR.resolve())],
    )
