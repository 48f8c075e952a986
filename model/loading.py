"""Choosing and loading the model: a catalog key or a local folder, always through from_pretrained."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

import torch

from .catalog import CATALOG, DEFAULT_CPU_MODEL, DEFAULT_GPU_MODEL, ModelSpec
from .engine import VideoEngine
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


def _spec_for_folder(folder: Path, pipeline) -> ModelSpec:
    """A local folder borrows the settings of the catalog entry with the same pipeline class.

    Real models are preferred over tiny ones, so a downloaded Wan folder gets Wan's 720p presets.
    """
    class_name = type(pipeline).__name__
    matches = sorted(
        (spec for spec in CATALOG.values() if spec.pipeline_class == class_name), key=lambda spec: spec.is_preview
    )
    if not matches:
        known = ", ".join(sorted({spec.pipeline_class for spec in CATALOG.values()}))
        raise ModelUnavailable(f"{folder} holds a {class_name}; Reel can drive: {known}.")
    return dataclasses.replace(matches[0], key=folder.name, label=f"{class_name} from {folder}", repo_id=str(folder))


def load_engine(choice: str | None = None, data_dir: Path | None = None, device: str | None = None) -> VideoEngine:
    """Load the engine for a catalog key or a local diffusers folder.

    Tiny models are built into `<data_dir>/models/<key>` on first use and then loaded from there exactly like
    a downloaded model, so the loading code tested on CPU is the code that runs on the Space.
    """
    from diffusers import DiffusionPipeline

    cuda_available = torch.cuda.is_available()
    device = device or ("cuda" if cuda_available else "cpu")
    choice = resolve_model_choice(choice if choice is not None else os.environ.get("REEL_MODEL"), cuda_available)
    data_dir = Path(data_dir or os.environ.get("REEL_DATA_DIR") or "data")

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
        keys = ", ".join(CATALOG)
        raise ModelUnavailable(f"REEL_MODEL={choice!r} is neither a catalog key ({keys}) nor a local folder.")

    dtype = getattr(torch, spec.torch_dtype) if (spec and device != "cpu") else torch.float32
    try:
        pipeline = DiffusionPipeline.from_pretrained(source, dtype=dtype)
    except OSError as error:
        raise ModelUnavailable(
            f"Could not load {source}: it is not in the local Hugging Face cache and the Hub cannot be reached "
            f"({type(error).__name__}). Download it first with `hf download {source}`, point REEL_MODEL at a "
            f"local folder, or use REEL_MODEL={DEFAULT_CPU_MODEL} for the CPU preview."
        ) from error
    if spec is None:
        spec = _spec_for_folder(Path(source), pipeline)
    pipeline.to(device)
    logger.info("Loaded %s from %s on %s", spec.key, source, device)
    return VideoEngine(spec=spec, pipeline=pipeline, device=device, source=str(source))
