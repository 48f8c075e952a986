"""Reel: open-weight video generation behind the Space operator's own access tokens.

UI and API wiring only. The video engine lives in `model/`, the gate in `access/`.
"""

import spaces  # noqa: F401  # ZeroGPU: must be imported before torch touches CUDA.

import asyncio
import dataclasses
import functools
import logging
import os
import tempfile
import time
from pathlib import Path

import gradio as gr
import torch

from access import (
    AccessDenied,
    AllowList,
    Gate,
    Grant,
    behind_proxy_from_env,
    client_id,
    default_data_dir,
    token_from_authorization,
)
from access.hf import grant_for_profile, is_shared, running_on_spaces
from model import (
    MAX_PROMPT_CHARS,
    GenerationRequest,
    GpuBudget,
    GpuPolicy,
    InvalidRequest,
    ModelUnavailable,
    UnknownGpuKind,
    detect_gpu_kind,
    load_engines,
    on_zerogpu,
)

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
GENERATION_FAILED_MESSAGE = (
    "Generation failed on the server. Please try again; if it keeps failing, tell the Space's operator."
)


def load_served_models():
    """The engines (REEL_MODELS / REEL_MODEL; the first is the default) and the GPU time policy for them.

    Loaded at import, outside any GPU function: on ZeroGPU this is where `.to("cuda")` must happen. Anything
    that stops a model from loading ends start-up with one message naming the model and the fix."""
    try:
        kind = detect_gpu_kind(on_zerogpu(), torch.cuda.is_available())
        engines = load_engines(data_dir=DATA_DIR, kind=kind)
    except (ModelUnavailable, UnknownGpuKind) as cannot:
        raise SystemExit(f"Reel cannot start: {cannot}") from None
    # ZeroGPU copies every served model into a fresh worker: each call's estimate includes that copy.
    resident = sum(engine.spec.weight_bytes for engine in engines.values())
    policy = dataclasses.replace(GpuPolicy.from_env(kind), resident_weight_bytes=resident)
    for key, engine in engines.items():
        logger.info("Model %s, fast path %s", key, engine.fast_path.summary())
    return engines, policy


ENGINES, GPU_POLICY = load_served_models()
DEFAULT_MODEL = next(iter(ENGINES))
DEFAULT_SPEC = ENGINES[DEFAULT_MODEL].spec
GATE = Gate.from_env(DATA_DIR)
STARTUP = GATE.startup()  # merge the REEL_TOKENS secret; refund clips a crash or restart left reserved
ALLOW_LIST = AllowList.from_env()  # REEL_ALLOWED_USERS / REEL_ALLOWED_ORGS for Hugging Face sign-in
ON_SPACES = running_on_spaces()
BEHIND_PROXY = behind_proxy_from_env()
SHARED = is_shared(os.environ.get("GRADIO_SERVER_NAME"), os.environ.get("GRADIO_SHARE", "").lower() == "true")

INPUT_NAMES = (
    "prompt", "negative_prompt", "seed", "seconds", "resolution", "steps", "access_token", "image", "model",
)


def _pass_value_through(self, payload):
    """Hand the value to plan() as sent: plan() owns every limit and says what is wrong in Reel's own words,
    where the stock check would fail the validator stage with a bare HTTP 400."""
    return payload


# Stock components (`is_template` keeps the stock front end) whose values plan() checks instead of Gradio.
class _PlannedSlider(gr.Slider):
    is_template = True
    preprocess = _pass_value_through


class _PlannedRadio(gr.Radio):
    is_template = True
    preprocess = _pass_value_through


class _PlannedNumber(gr.Number):
    is_template = True
    preprocess = _pass_value_through


class _PlannedDropdown(gr.Dropdown):
    is_template = True
    preprocess = _pass_value_through


def bearer_token(request: gr.Request | None) -> str | None:
    header = request.headers.get("authorization") if request is not None else None
    return token_from_authorization(header)


def presented_token(access_token: str | None, bearer: str | None) -> str | None:
    """The token from the form or API parameter, else from an `Authorization: Bearer reel_...` header.

    A bearer value that is not a Reel token (a Hugging Face token sent to reach a private Space) is not taken
    for a wrong Reel token.
    """
    if access_token and access_token.strip():
        return access_token
    return bearer if bearer and bearer.startswith("reel_") else None


def client_of(request: gr.Request | None) -> str:
    """Who failed attempts are counted against: the first X-Forwarded-For hop on Spaces, else the peer."""
    peer = request.client.host if request is not None and request.client is not None else None
    headers = request.headers if request is not None else {}
    return client_id(headers, peer, BEHIND_PROXY)


def admit(access_token: str | None, profile: gr.OAuthProfile | None, request: gr.Request | None) -> Grant:
    """Who may generate: a Reel token; else an allow-listed Hugging Face sign-in (browser) or HF token (API).

    Raises AccessDenied with the message to show. Failed attempts count towards the client's lockout.
    """
    client = client_of(request)
    bearer = bearer_token(request)
    token = presented_token(access_token, bearer)
    if token is None and profile is not None and not ALLOW_LIST.empty:
        return grant_for_profile(profile, ALLOW_LIST, ON_SPACES, SHARED)
    if token is None and bearer and bearer.startswith("hf_") and not ALLOW_LIST.empty:
        return GATE.admit_hf(bearer, client, ALLOW_LIST)
    return GATE.admit(token, client)


def engine_for(model: str | None):
    key = model or DEFAULT_MODEL
    if not isinstance(key, str) or key not in ENGINES:
        raise InvalidRequest(f"Unknown model {str(key)[:60]!r}; this Space serves: {', '.join(ENGINES)}.", "model")
    return ENGINES[key]


def plan(
    prompt, negative_prompt, seed, seconds, resolution, steps, image, model
) -> tuple[str, GenerationRequest, GpuBudget]:
    """Check and snap one request, and size its GPU call: a request that needs more GPU time than one call may
    ask for is refused here, with what would fit, instead of being stopped half-way on ZeroGPU."""
    engine = engine_for(model)
    generation_request = engine.plan(
        prompt=prompt,
        negative_prompt=negative_prompt,
        seed=seed,
        seconds=seconds,
        resolution=resolution,
        steps=steps,
        image=image,
    )
    return engine.spec.key, generation_request, GPU_POLICY.budget(engine.spec, generation_request)


async def validate_generation(
    prompt,
    negative_prompt,
    seed,
    seconds,
    resolution,
    steps,
    access_token,
    image,
    model,
    request: gr.Request,
    profile: gr.OAuthProfile | None,
):
    """Runs before the queue: a bad token, a spent quota or bad input is answered at once, never behind a
    running job. Nothing is reserved here; the job reserves its clip when it starts.

    `async` so it runs on the event loop instead of waiting for a worker thread: under a busy CPU that hand-off
    was most of a rejection's latency. Its work is a few milliseconds (a SQLite lookup, request planning), except
    preparing a start image, which can take long on a big picture and so goes to a worker thread."""
    problems: dict[str, str] = {}
    grant = generation_request = None
    try:
        grant = admit(access_token, profile, request)
    except AccessDenied as denied:
        problems["access_token"] = denied.message
    planning = functools.partial(plan, prompt, negative_prompt, seed, seconds, resolution, steps, image, model)
    try:
        _, generation_request, _ = await asyncio.to_thread(planning) if image is not None else planning()
    except InvalidRequest as invalid:
        problems[invalid.field or "prompt"] = invalid.message
    if grant is not None and generation_request is not None:
        try:
            GATE.check_quota(grant, generation_request.seconds)
        except AccessDenied as spent:
            problems["access_token"] = spent.message
    return [gr.validate(name not in problems, problems.get(name, "")) for name in INPUT_NAMES]


def gpu_duration(model_key: str, generation_request: GenerationRequest, budget: GpuBudget, progress=None) -> int:
    """Seconds of ZeroGPU time to ask for: what plan() estimated this request needs, not a flat maximum."""
    return budget.seconds


def prune_old_clips(folder: Path, max_age_seconds: float) -> None:
    """Our copy of a clip is only needed until Gradio has cached it; old ones go, so the disk does not fill."""
    cutoff = time.time() - max_age_seconds
    for clip in folder.glob("reel-*.mp4"):
        try:
            if clip.stat().st_mtime < cutoff:
                clip.unlink()
        except OSError:
            pass  # removed by a concurrent prune


def progress_reporter(progress):
    def report(fraction: float, phase: str) -> None:
        if progress is not None:
            progress(fraction, desc=phase)

    return report


def generate_frames(model_key: str, generation_request: GenerationRequest, progress=None):
    """Denoising and decoding: the only work that needs a GPU. Validation, the token check and the MP4 encoding
    happen outside the GPU call, so they spend none of the visitor's GPU quota."""
    return ENGINES[model_key].generate_frames(generation_request, on_progress=progress_reporter(progress))


# One GPU function per ZeroGPU size: the size is fixed when decorating (the duration is asked per call), and
# spaces hands back its first wrapper when the same function is decorated twice, so each size has its own.
@spaces.GPU(duration=gpu_duration)
def frames_on_gpu(model_key: str, generation_request: GenerationRequest, budget: GpuBudget, progress=None):
    return generate_frames(model_key, generation_request, progress)


@spaces.GPU(duration=gpu_duration, size="xlarge")
def frames_on_whole_gpu(model_key: str, generation_request: GenerationRequest, budget: GpuBudget, progress=None):
    return generate_frames(model_key, generation_request, progress)


GPU_FUNCTIONS = {"large": frames_on_gpu, "xlarge": frames_on_whole_gpu}


def render(model_key: str, generation_request: GenerationRequest, budget: GpuBudget, progress=None):
    frames = GPU_FUNCTIONS[budget.size](model_key, generation_request, budget, progress)
    clip = ENGINES[model_key].encode(frames, generation_request, OUTPUT_DIR, on_progress=progress_reporter(progress))
    prune_old_clips(OUTPUT_DIR, CLIP_LIFETIME_SECONDS)
    return str(clip.path), clip.manifest


def generate(
    prompt: str,
    negative_prompt: str = "",
    seed: float = -1,
    seconds: float = DEFAULT_SPEC.default_seconds,
    resolution: str = DEFAULT_SPEC.default_preset,
    steps: float = DEFAULT_SPEC.default_steps,
    access_token: str = "",
    image=None,
    model: str = DEFAULT_MODEL,
    request: gr.Request = None,
    profile: gr.OAuthProfile | None = None,
    progress=gr.Progress(),
):
    """Generate one clip, from text or from a start image. Returns the MP4 and its manifest (with the seed used).

    Access is checked again here, when the job leaves the queue: a token revoked or expired while the job
    waited does not generate. The clip is reserved against the quota before the GPU work and refunded if it
    fails.
    """
    started = time.perf_counter()
    try:
        grant = admit(access_token, profile, request)
        model_key, generation_request, budget = plan(
            prompt, negative_prompt, seed, seconds, resolution, steps, image, model
        )
        reservation = GATE.begin(grant, generation_request.seconds, client_of(request), generation_request.prompt)
    except (AccessDenied, InvalidRequest) as refused:
        raise gr.Error(refused.message, print_exception=False) from None
    logger.info(
        "Generation for %r: %s, seed %d, asking for %d GPU s (%s)",
        grant.quota_key, model_key, generation_request.seed, budget.seconds, budget.size,
    )
    try:
        video_path, manifest = render(model_key, generation_request, budget, progress)
    except BaseException as error:  # a cancelled job is refunded too
        GATE.fail(reservation, "failed" if isinstance(error, Exception) else "cancelled")
        if isinstance(error, gr.Error):
            # ZeroGPU's own refusals (quota spent, duration not allowed, task aborted) are gr.Errors written for
            # the visitor: they pass through unchanged. Reel's own code raises none inside the render.
            logger.warning("GPU layer refused the generation: %s", error.title or "gr.Error")
            raise
        if not isinstance(error, Exception):
            raise
        logger.exception("Generation failed")
        raise gr.Error(GENERATION_FAILED_MESSAGE, print_exception=False) from None
    GATE.succeed(reservation, generation_request.seconds)
    logger.info("Clip ready in %.3f s", time.perf_counter() - started)  # the whole handler: gate, render
    return video_path, manifest


def preview_banner(spec) -> str:
    if not spec.is_preview:
        return ""
    return (
        f"**Preview model in use:** {spec.label}. Its weights are random, so clips are coloured noise. "
        "It proves the whole path on CPU; the Space serves a real model where a GPU is present."
    )


def status_footer(engines, policy: GpuPolicy) -> str:
    """What the Space runs on and whether each model's fast path is on, so a failed compile is visible."""
    lines = [f"Running on {policy.kind.label}."]
    lines += [f"Fast path for {engine.spec.label}: {engine.fast_path.summary()}." for engine in engines.values()]
    return "\n\n".join(lines)


def resolution_choices(spec) -> list[tuple[str, str]]:
    return [(f"{name.title()} {width}×{height}", name) for name, (width, height) in spec.presets.items()]


def image_label(spec) -> str:
    if spec.supports_image:
        return "Start image (optional): the clip starts from it and keeps its shape"
    return f"Start image: not available, {spec.label} makes video from text only"


def show_model_settings(model: str):
    """Each model has its own sizes, longest clip and step range: the controls follow the chosen model."""
    spec = engine_for(model).spec
    return (
        gr.update(value=preview_banner(spec), visible=spec.is_preview),
        gr.update(choices=resolution_choices(spec), value=spec.default_preset),
        gr.update(maximum=spec.max_seconds, value=min(spec.default_seconds, spec.max_seconds)),
        gr.update(minimum=spec.min_steps, maximum=spec.max_steps, value=spec.default_steps),
        gr.update(label=image_label(spec), interactive=spec.supports_image),
    )


with gr.Blocks(title="Reel", delete_cache=(3600, CLIP_LIFETIME_SECONDS)) as demo:
    gr.Markdown("# Reel\nOpen-weight video generation. You need an access token from this Space's operator.")
    banner = gr.Markdown(preview_banner(DEFAULT_SPEC), elem_id="preview-banner", visible=DEFAULT_SPEC.is_preview)
    if ON_SPACES and not ALLOW_LIST.empty:
        # Only on Spaces: elsewhere Gradio's sign-in is a mock that signs every visitor in as the host's account.
        gr.Markdown("Allow-listed Hugging Face accounts may sign in instead of using a token.")
        gr.LoginButton()
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
            model = _PlannedDropdown(
                label="Model",
                choices=[(engine.spec.label, key) for key, engine in ENGINES.items()],
                value=DEFAULT_MODEL,
                visible=len(ENGINES) > 1,
                elem_id="model",
            )
            image = gr.Image(
                label=image_label(DEFAULT_SPEC),
                type="pil",
                sources=["upload", "clipboard"],
                interactive=DEFAULT_SPEC.supports_image,
                elem_id="image",
            )
            resolution = _PlannedRadio(
                label="Resolution",
                choices=resolution_choices(DEFAULT_SPEC),
                value=DEFAULT_SPEC.default_preset,
                elem_id="resolution",
            )
            seconds = _PlannedSlider(
                label="Duration (seconds)",
                minimum=0.5,
                maximum=DEFAULT_SPEC.max_seconds,
                step=0.5,
                value=DEFAULT_SPEC.default_seconds,
                elem_id="seconds",
            )
            with gr.Accordion("Advanced", open=False):
                negative_prompt = gr.Textbox(
                    label="Negative prompt", lines=2, value="", max_length=MAX_PROMPT_CHARS, elem_id="negative-prompt"
                )
                seed = _PlannedNumber(label="Seed (-1 for random)", value=-1, precision=0, elem_id="seed")
                steps = _PlannedSlider(
                    label="Steps",
                    minimum=DEFAULT_SPEC.min_steps,
                    maximum=DEFAULT_SPEC.max_steps,
                    step=1,
                    value=DEFAULT_SPEC.default_steps,
                    elem_id="steps",
                )
            generate_button = gr.Button("Generate", variant="primary", elem_id="generate")
        with gr.Column():
            video = gr.Video(label="Video", elem_id="video", autoplay=True, loop=True)
            manifest = gr.JSON(label="Manifest (seed used, settings)", elem_id="manifest")
    gr.Markdown(status_footer(ENGINES, GPU_POLICY), elem_id="status-footer")

    model.change(
        show_model_settings,
        inputs=model,
        outputs=[banner, resolution, seconds, steps, image],
        api_visibility="private",
        queue=False,
    )
    generate_button.click(
        generate,
        inputs=[prompt, negative_prompt, seed, seconds, resolution, steps, access_token, image, model],
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
    logger.info(
        "Start-up: %d clip reservation(s) left by a restart refunded; REEL_TOKENS added %d token(s)",
        STARTUP.refunded,
        STARTUP.merged.inserted,
    )
    demo.launch(
        show_error=False,  # internal error text never reaches API clients; gr.Error messages still do
        run_history=False,  # would keep every input, the token box included, in the browser's localStorage
        enable_monitoring=False,
        strict_cors=True,
        max_file_size="10mb",
        allowed_paths=[],
        blocked_paths=[str(DATA_DIR.resolve())],
    )
