"""Holding the weights as the precision plan says (model/precision.py), before they move to the GPU: torchao's
float8 quantization of the transformer (FP8 compute) and of the text encoder's linear weights, or diffusers' layerwise
casting (FP8 storage). loading.py calls `apply_precision`; model/acceleration.py's fast-path steps check the result.

torchao is imported inside the functions: only a GPU load (or a test that asks) pays for it.
"""

from __future__ import annotations

import dataclasses
import logging

import torch

from .catalog import ModelSpec
from .precision import Precision

logger = logging.getLogger("reel.model")


def store_transformer_narrow(pipeline, spec: ModelSpec) -> None:
    """Keep the transformer's weights in the entry's storage dtype, computing in its GPU dtype; loading.py calls it
    before the move to the GPU. On CPU it is never planned (the CPU runs float32 with nothing narrowed)."""
    storage = getattr(torch, spec.speed.transformer_storage_dtype)
    compute = pipeline.transformer.dtype
    pipeline.transformer.enable_layerwise_casting(storage_dtype=storage, compute_dtype=compute)


def _quantizable_linear(module: torch.nn.Module, name: str) -> bool:
    """nn.Linear layers FP8 compute may quantize: not an adapter's own layers, and shapes FP8 matrix multiplies take
    (both sides multiples of 16, torch._scaled_mm's rule)."""
    return (
        isinstance(module, torch.nn.Linear)
        and "lora_" not in name
        and module.in_features % 16 == 0
        and module.out_features % 16 == 0
    )


def _text_encoder_linear(module: torch.nn.Module, name: str) -> bool:
    """The text encoder's linear layers, less the language-model head: it is tied to the embedding table (which
    stays bf16) and the pipeline never calls it (it reads hidden states)."""
    return isinstance(module, torch.nn.Linear) and "lora_" not in name and not name.endswith("lm_head")


def quantize_transformer_fp8(pipeline) -> None:
    """FP8 compute: torchao's float8 dynamic-activation, float8-weight quantization of the transformer's linear
    layers. torchao asserts compute capability 8.9 or more, so this raises on older GPUs and on CPU."""
    from torchao.quantization import Float8DynamicActivationFloat8WeightConfig, quantize_

    quantize_(pipeline.transformer, Float8DynamicActivationFloat8WeightConfig(), filter_fn=_quantizable_linear)


def quantize_text_encoder_fp8(pipeline) -> None:
    """FP8 weights for the text encoder's linear layers (torchao weight-only float8; runs on CPU too)."""
    from torchao.quantization import Float8WeightOnlyConfig, quantize_

    quantize_(pipeline.text_encoder, Float8WeightOnlyConfig(), filter_fn=_text_encoder_linear)


def float8_linears(module: torch.nn.Module) -> tuple[int, int]:
    """(linear layers whose weight torchao quantized to float8, all linear layers)."""
    linears = [layer for layer in module.modules() if isinstance(layer, torch.nn.Linear)]
    float8 = [layer for layer in linears if "Float8" in type(layer.weight).__name__]
    return len(float8), len(linears)


def apply_precision(pipeline, spec: ModelSpec, precision: Precision) -> tuple[Precision, dict[str, str]]:
    """Quantize or narrow the weights as `precision` says, before they move to the GPU; returns the precision in
    place and the steps that failed (step -> why).

    FP8 compute that fails (an older torchao, a kernel without a build for this GPU) falls back to FP8 storage, which
    holds the same bytes, so the memory plan still holds and the footer says what happened. FP8 storage or FP8 text
    encoder weights that fail raise: without them the model does not fit the plan."""
    failures: dict[str, str] = {}
    if precision.text_encoder_fp8:
        quantize_text_encoder_fp8(pipeline)
    if precision.transformer == "fp8_compute":
        try:
            quantize_transformer_fp8(pipeline)
        except Exception as error:
            why = f"{type(error).__name__}: {' '.join(str(error).split())[:160]}; FP8 storage instead"
            logger.warning("FP8 compute FAILED for %s, storing its transformer in FP8 instead: %s", spec.key, why)
            failures["fp8_compute"] = why
            precision = dataclasses.replace(precision, transformer="fp8_storage")
    if precision.transformer == "fp8_storage":
        store_transformer_narrow(pipeline, spec)
    return precision, failures
