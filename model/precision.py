"""How a model's weights are held and computed on a GPU kind, and which attention kernel it uses: a pure plan.

The plan follows the GPU's compute capability, so it is testable without a GPU and the memory plan
(model/memory.py) counts the same bytes the loader (model/loading.py) will hold:
- "fp8_compute": the transformer's linear layers quantized with torchao's float8 dynamic-activation,
  float8-weight scheme (diffusers documents it through `TorchAoConfig` / torchao's `quantize_`): weights one byte a
  parameter and the matrix multiplies on FP8 tensor cores. Needs compute capability 8.9 or more (Ada, Hopper,
  Blackwell; torchao 0.18.0 asserts it in `torchao/float8/inference.py`).
- "fp8_storage": weights kept in FP8 and cast to bf16 layer by layer (diffusers' `enable_layerwise_casting`): the
  same memory, bf16 speed (measured 1.3x slower than all-bf16 on an H100, docs/performance.md). The fallback where
  FP8 compute cannot run (A100) or fails to apply.
- "bf16": everything in half precision; "float32" on CPU.
The big text encoder (LTX-2's Gemma 3 12B) keeps its linear weights in FP8 (torchao's weight-only float8) on the
same GPUs: it runs once a clip, so its speed matters little and its 11 GB saved matter a lot.

Attention: FlashAttention 3 is Hopper-only (sm 9.0); on Blackwell (sm 10 and 12) cuDNN's SDPA, which PyTorch ships
and diffusers names "_native_cudnn"; elsewhere PyTorch's own SDPA. The loader tries the chosen backend once at
start and falls back to native SDPA with a warning (model/acceleration.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .hardware import GpuKind
from .spec import ModelSpec

TRANSFORMER_MODES = ("fp8_compute", "fp8_storage", "bf16", "float32")

# diffusers 0.42.1 AttentionBackendName values (diffusers/models/attention_dispatch.py).
FLASH_ATTENTION_3_HUB = "_flash_3_hub"  # kernels-community/flash-attn3 through the `kernels` package; Hopper only
CUDNN_SDPA = "_native_cudnn"  # torch.nn.functional.scaled_dot_product_attention on cuDNN's kernel
NATIVE_SDPA = "native"  # PyTorch's default choice of SDPA kernel

_MODE_LABELS = {
    "fp8_compute": "FP8 compute",
    "fp8_storage": "FP8 storage, bf16 compute",
    "bf16": "bf16",
    "float32": "float32",
}


@dataclass(frozen=True)
class Precision:
    transformer: str  # one of TRANSFORMER_MODES
    text_encoder_fp8: bool = False
    attention_backend: str | None = None  # None: leave diffusers' default (native SDPA)

    def describe(self) -> str:
        """For the start-up log and the footer: "FP8 compute, text encoder FP8, attention _native_cudnn"."""
        parts = [_MODE_LABELS[self.transformer]]
        if self.text_encoder_fp8:
            parts.append("text encoder FP8")
        if self.attention_backend:
            parts.append(f"attention {self.attention_backend}")
        return ", ".join(parts)


def attention_backend_for(capability: tuple[int, int] | None) -> str | None:
    """FA3 on Hopper, cuDNN SDPA on Blackwell, the default elsewhere (and on CPU)."""
    if capability is None:
        return None
    if capability[0] == 9:
        return FLASH_ATTENTION_3_HUB
    if capability[0] >= 10:
        return CUDNN_SDPA
    return None


def choose_precision(spec: ModelSpec, kind: GpuKind) -> Precision:
    """What `spec` runs as on `kind`. CPU: float32, nothing narrowed."""
    if kind.compute_capability is None:
        return Precision("float32")
    fp8 = kind.supports_fp8_compute()
    speed = spec.speed
    if fp8 and speed.fp8_compute:
        mode = "fp8_compute"
    elif speed.transformer_storage_dtype:
        mode = "fp8_storage"
    else:
        mode = "bf16"
    backend = speed.attention_backend or attention_backend_for(kind.compute_capability)
    return Precision(mode, text_encoder_fp8=fp8 and speed.text_encoder_fp8, attention_backend=backend)


def resident_weight_bytes(spec: ModelSpec, precision: Precision) -> int:
    """Bytes of `spec`'s weights on the GPU under `precision` (0 for the tiny previews).

    FP8 compute and the text encoder's FP8 quantize linear layers only (norms, biases, embeddings stay bf16), so
    they count the entry's linear-weight parameters at one byte and the rest at two; FP8 storage narrows every
    transformer weight."""
    weights = spec.weights
    if weights is None:
        return 0
    if precision.transformer == "float32":
        return weights.bytes_in("float32")
    transformer = 2 * weights.transformer
    if precision.transformer == "fp8_compute":
        transformer = 2 * weights.transformer - weights.transformer_linear
    elif precision.transformer == "fp8_storage":
        transformer = weights.transformer
    text_encoder = 2 * weights.text_encoder
    if precision.text_encoder_fp8:
        text_encoder -= weights.text_encoder_linear
    return transformer + text_encoder + 2 * weights.vae
