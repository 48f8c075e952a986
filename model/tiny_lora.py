"""Tiny random LoRA adapters for the preview models, built by code and saved in diffusers' LoRA format.

They stand in for the real camera-control adapters on CPU: same file format (the pipeline class's own
`save_lora_weights`, the adapter's rank and alpha in the safetensors header), loaded with the same
`load_lora_weights` call from a folder. Their weights are random but not zero, so they visibly change the frames.
"""

from __future__ import annotations

import copy
import shutil
import zlib
from pathlib import Path

import torch

from .tiny import build_once

# The attention projections every diffusers video transformer names the same way.
ATTENTION_PROJECTIONS = ["to_q", "to_k", "to_v", "to_out.0"]
LORA_RANK = 4
LORA_ALPHA = 8
BUILD_INFO_FILE = "reel_tiny_lora.json"
TINY_LORA_VERSION = 1


def _seed_for(builder_name: str) -> int:
    """A fixed seed per adapter name, so each tiny adapter is different from the others and the same every build."""
    return zlib.crc32(builder_name.encode())


def build_tiny_lora(pipeline, builder_name: str, folder: Path, weight_name: str) -> Path:
    """Make a random adapter for `pipeline`'s transformer and save it under `folder`. The served transformer is
    untouched: the adapter is added to a copy."""
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    config = LoraConfig(
        r=LORA_RANK, lora_alpha=LORA_ALPHA, target_modules=ATTENTION_PROJECTIONS, init_lora_weights=False
    )
    scratch = copy.deepcopy(pipeline.transformer)
    torch.manual_seed(_seed_for(builder_name))
    scratch.add_adapter(config)
    layers = {name: tensor.detach().clone().contiguous() for name, tensor in get_peft_model_state_dict(scratch).items()}
    type(pipeline).save_lora_weights(
        save_directory=folder,
        transformer_lora_layers=layers,
        weight_name=weight_name,
        transformer_lora_adapter_metadata=config.to_dict(),
    )
    return folder / weight_name


def ensure_tiny_lora(pipeline, builder_name: str, target_dir: Path, weight_name: str) -> Path:
    """The adapter file, built once into target_dir (atomically, see model/tiny.py build_once); later calls reuse
    it."""
    info = {"builder": builder_name, "version": TINY_LORA_VERSION}
    if not (target_dir / weight_name).is_file():
        shutil.rmtree(target_dir, ignore_errors=True)  # an info file without its weights is no build
    build_once(target_dir, info, BUILD_INFO_FILE,
               lambda folder: build_tiny_lora(pipeline, builder_name, folder, weight_name))
    return target_dir / weight_name
