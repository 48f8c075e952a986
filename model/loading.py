"""Choosing and loading models: catalog keys or local folders, always through from_pretrained.

`REEL_MODEL` picks one model ("auto" or unset: the real default on GPU, the tiny preview on CPU).
`REEL_MODELS` lists several, comma-separated, the first being the default; empty or unset means just the one
`REEL_MODEL` picks.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Iterable

import torch

from settings import read_setting, read_settings, split_list

from .adapters import load_adapters
from .acceleration import apply_fast_path, is_gpu, on_zerogpu, plan_fast_path, set_conv3d_memory_format
from .aot import example_calls
from .catalog import CATALOG, DEFAULT_CPU_MODEL, DEFAULT_GPU_MODEL, ModelSpec
from .engine import VideoEngine
from .hardware import KINDS, GpuKind, detect_gpu_kind
from .memory import MemoryPlan, MemoryPlanError, check_memory
from .precision import choose_precision
from .quantization import apply_precision
from .tiny import ensure_tiny_pipeline

logger = logging.getLogger("reel.model")


class ModelUnavailable(RuntimeError):
    """The chosen model cannot be loaded here; the message says what to do about it."""


def resolve_model_choice(choice: str | None, cuda_available: bool) -> str:
    """`REEL_MODEL` semantics: "auto" (or unset) means the real default on GPU, the tiny preview on CPU."""
    choice = (choice or "auto").strip()
    if choice == "auto":
        return DEFAULT_GPU_MODEL if cuda_available else DEFAULT_CPU_MODEL
    return choice


def parse_model_list(
    models: str | Iterable[str] | None, model: str | None = None, cuda_available: bool = False
) -> list[str]:
    """`REEL_MODELS` semantics: catalog keys or local folders (a comma list, or its items), in order, duplicates
    dropped.

    Empty or unset means just the one model `model` (`REEL_MODEL`) picks. "auto" in the list works as in
    REEL_MODEL. Nothing is checked here; load_engines refuses unknown entries.
    """
    if not isinstance(models, str):
        models = ",".join(str(entry) for entry in models or ())  # a list of choices reads as its comma list
    choices: list[str] = []
    for item in split_list(models):
        resolved = resolve_model_choice(item, cuda_available)
        if resolved not in choices:
            choices.append(resolved)
    return choices or [resolve_model_choice(model, cuda_available)]


def configured_models(cuda_available: bool, environ=None) -> list[str]:
    """The models REEL_MODELS (else REEL_MODEL) names, as parse_model_list reads them."""
    settings = read_settings(environ, ("REEL_MODELS", "REEL_MODEL"))
    return parse_model_list(settings["REEL_MODELS"], settings["REEL_MODEL"], cuda_available)


def _unknown_choice_message(choices: list[str], variable: str) -> str:
    keys = ", ".join(CATALOG)
    names = ", ".join(repr(choice) for choice in choices)
    which = "is neither a catalog key" if len(choices) == 1 else "are neither catalog keys"
    return f"{variable}: {names} {which} ({keys}) nor a local folder."


def _is_known(choice: str) -> bool:
    return choice in CATALOG or Path(choice).is_dir()


def _folder_matches(spec: ModelSpec, pipeline) -> bool:
    config = dict(pipeline.config)
    return spec.pipeline_class == type(pipeline).__name__ and all(
        bool(config.get(name)) == bool(value) for name, value in spec.pipeline_config.items()
    )


def _spec_for_folder(folder: Path, pipeline) -> ModelSpec:
    """A local folder borrows the settings of the catalog entry with the same pipeline class and flags.

    Real models are preferred over tiny ones, so a downloaded Wan folder gets Wan's 720p presets.
    """
    class_name = type(pipeline).__name__
    matches = sorted((spec for spec in CATALOG.values() if _folder_matches(spec, pipeline)), key=lambda s: s.is_preview)
    if not matches:
        known = ", ".join(sorted({spec.pipeline_class for spec in CATALOG.values()}))
        raise ModelUnavailable(f"{folder} holds a {class_name}; Reel can drive: {known}.")
    return dataclasses.replace(matches[0], key=folder.name, label=f"{class_name} from {folder}", repo_id=str(folder))


def _load_failure_message(name: str, source, error: Exception) -> str:
    """One message naming the model and the fix. A missing download is the common case (OSError for a repo id);
    anything else (a tokenizer transformers cannot read, a broken or newer config in a local folder) is named by
    its type and a short excerpt of its text, which is about the operator's own model, never a visitor's input."""
    fallback = f"or use REEL_MODEL={DEFAULT_CPU_MODEL} for the CPU preview."
    if isinstance(error, OSError) and not Path(source).is_dir():
        return (
            f"Could not load {name} from {source}: it is not in the local Hugging Face cache and the Hub cannot be "
            f"reached ({type(error).__name__}). Download it first with `hf download {source}`, point REEL_MODEL "
            f"at a local folder, {fallback}"
        )
    detail = " ".join(str(error).split())[:300].rstrip(".")
    return (
        f"Could not load {name} from {source}: {type(error).__name__}: {detail}. Check that the packages in "
        f"requirements.txt are installed (sentencepiece and protobuf read slow tokenizers), that the folder is a "
        f"complete diffusers pipeline, {fallback}"
    )


def _pipeline_class(spec: ModelSpec | None):
    import diffusers

    return getattr(diffusers, spec.pipeline_class) if spec else diffusers.DiffusionPipeline


def load_engine(
    choice: str | None = None, data_dir: Path | None = None, device: str | None = None, kind: GpuKind | None = None
) -> VideoEngine:
    """Load the engine for a catalog key or a local diffusers folder, then run the GPU fast path.

    Tiny models are built into `<data_dir>/models/<key>` on first use and then loaded from there exactly like
    a downloaded model, so the loading code tested on CPU is the code that runs on the Space. `kind` (detected when
    None) decides the precision: FP8 compute, FP8 storage or bf16 (model/precision.py).
    """
    cuda_available = torch.cuda.is_available()
    device = device or ("cuda" if cuda_available else "cpu")
    if kind is None:
        kind = detect_gpu_kind(on_zerogpu(), cuda_available) if is_gpu(device) else KINDS["cpu"]
    choice = resolve_model_choice(choice if choice is not None else read_setting("REEL_MODEL"), cuda_available)
    data_dir = Path(data_dir or read_setting("REEL_DATA_DIR"))

    if choice in CATALOG:
        spec = CATALOG[choice]
        source = (
            ensure_tiny_pipeline(spec.tiny_builder, data_dir / "models" / spec.key)
            if spec.tiny_builder
            else spec.repo_id
        )
    elif Path(choice).is_dir():
        spec, source = None, Path(choice)
    else:
        raise ModelUnavailable(_unknown_choice_message([choice], "REEL_MODEL"))

    dtype = getattr(torch, spec.torch_dtype) if (spec and device != "cpu") else torch.float32
    try:
        pipeline = _pipeline_class(spec).from_pretrained(source, dtype=dtype)
    except Exception as error:  # any failure here must end start-up with one message, not a stack of internals
        raise ModelUnavailable(_load_failure_message(spec.key if spec else Path(source).name, source, error)) from error
    if spec is None:
        spec = _spec_for_folder(Path(source), pipeline)
    upsampler = _load_upsampler(spec, source, dtype, spec.hd and spec.hd.upsampler_subfolder, "HD", "standard quality")
    temporal_upsampler = _load_upsampler(
        spec, source, dtype, spec.smooth and spec.smooth.upsampler_subfolder, "Smooth motion", "its own frame rate"
    )
    adapters = load_adapters(pipeline, spec, data_dir)  # outside inference mode, before the weights move
    zerogpu = on_zerogpu()
    precision, precision_failures = choose_precision(spec, kind), {}
    if is_gpu(device):
        try:  # before the move: in half precision the weights would not fit
            precision, precision_failures = apply_precision(pipeline, spec, precision)
        except Exception as error:
            raise ModelUnavailable(
                f"Could not narrow {spec.key}'s weights as planned ({precision.describe()}): "
                f"{type(error).__name__}: {str(error)[:200]}. Without it the model does not fit this GPU."
            ) from error
    pipeline.to(device)
    if device == "cpu" and getattr(pipeline, "vae", None) is not None:
        set_conv3d_memory_format(pipeline.vae, torch.channels_last_3d)
    planned = plan_fast_path(spec, device, zerogpu, precision)
    example = example_calls(spec) if "aot_compile" in planned else None
    fast_path = apply_fast_path(
        pipeline, spec, device, zerogpu=zerogpu, example_call=example, precision=precision,
        precision_failures=precision_failures,
    )
    logger.info("Loaded %s from %s on %s", spec.key, source, device)
    return VideoEngine(
        spec=spec, pipeline=pipeline, device=device, source=str(source), fast_path=fast_path, adapters=adapters,
        upsampler=upsampler, temporal_upsampler=temporal_upsampler,
    )


def _load_upsampler(spec: ModelSpec, source, dtype, subfolder: str | None, feature: str, without: str):
    """A latent upsampler (HD's spatial one, smooth motion's temporal one) from its subfolder beside the pipeline, or
    None where the model has no such feature. It stays in CPU memory: the engine moves it to the GPU for the calls
    that use it only, so a standard clip's memory plan is unchanged. One that cannot be loaded is left out with a
    warning, as an adapter is: the model still serves `without` the feature, and requests for it are refused."""
    if subfolder is None:
        return None
    if Path(source).is_dir() and not (Path(source) / subfolder).is_dir():
        logger.info("%s has no %s folder: %s only", source, subfolder, without)
        return None
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    try:
        return LTX2LatentUpsamplerModel.from_pretrained(source, subfolder=subfolder, dtype=dtype)
    except Exception as error:  # the model serves without the feature; the log says why in one line
        logger.warning("%s left out for %s: %s", feature, spec.key, _load_failure_message(f"its {subfolder}", source, error))
        return None


def plan_served_memory(choices, kind: GpuKind | None = None) -> MemoryPlan:
    """The memory plan for the catalog entries among `choices` (REEL_MODELS when None) on `kind` (detected when
    None); raises ModelUnavailable, with the plan's own message, when they fit no size. Local folders are not
    counted: their size is known only once loaded."""
    cuda_available = torch.cuda.is_available()
    if choices is None:
        choices = configured_models(cuda_available)
    kind = kind or detect_gpu_kind(on_zerogpu(), cuda_available)
    try:
        return check_memory([CATALOG[choice] for choice in choices if choice in CATALOG], kind)
    except MemoryPlanError as too_big:
        raise ModelUnavailable(str(too_big)) from None


def load_engines(
    choices=None,
    data_dir: Path | None = None,
    device: str | None = None,
    kind: GpuKind | None = None,
    plan: MemoryPlan | None = None,
) -> dict[str, VideoEngine]:
    """Load several engines, keyed by model key, in the order given; the first is the default.

    `choices`: a list of catalog keys / local folders, a comma-separated string, or None for REEL_MODELS /
    REEL_MODEL. Every entry is checked before any model loads, so a typo or a combination that does not fit the
    GPU (`kind`, detected when None) fails at once. Each engine learns which of the others can animate an
    image, for its refusal message.
    """
    cuda_available = torch.cuda.is_available()
    if choices is None:
        choices = configured_models(cuda_available)
    else:
        choices = parse_model_list(choices, None, cuda_available)
    unknown = [choice for choice in choices if not _is_known(choice)]
    if unknown:
        raise ModelUnavailable(_unknown_choice_message(unknown, "REEL_MODELS"))
    if plan is None:
        plan = plan_served_memory(choices, kind)
        logger.info("Memory plan: %s", plan.describe())

    engines: dict[str, VideoEngine] = {}
    for choice in choices:
        # The plan's kind: on ZeroGPU the size the calls run on (the same compute capability either way).
        engine = load_engine(choice, data_dir=data_dir, device=device, kind=plan.kind)
        engines.setdefault(engine.spec.key, engine)
    for engine in engines.values():
        others = [other for other in engines.values() if other is not engine]
        engine.image_alternatives = [other.spec.label for other in others if other.supports_image]
        engine.audio_alternatives = [other.spec.label for other in others if other.spec.has_audio]
    return engines
