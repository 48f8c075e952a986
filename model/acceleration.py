"""The GPU fast path: what each catalog entry turns on after `.to(device)`, and nothing at all off GPU.

`plan_fast_path` is a pure function (spec, device, zerogpu, precision) -> step names, so the choice is testable
without a GPU; `apply_fast_path` runs the planned steps and reports what was applied and what was skipped, and why.
The weights themselves are quantized or narrowed before they move to the GPU (model/quantization.py); the steps
here check that they were.

Steps, in the order they run (the order matters: weights are quantized, a LoRA fused and the attention backend set
before the transformer is exported, and a cache hook cannot be exported at all):
- "bf16": weights in the entry's half-precision dtype (done by from_pretrained in loading.py; checked here).
- "fp8_compute": the transformer's linear layers quantized with torchao's float8 dynamic-activation, float8-weight
  scheme, on GPUs with FP8 tensor cores (model/precision.py). Done by loading.py before the weights move to the
  GPU (model/quantization.py); where it fails, FP8 storage takes its place and the failure shows in the footer.
- "fp8_storage": the transformer's weights kept in a narrower dtype and cast layer by layer to the compute dtype
  (diffusers' `enable_layerwise_casting`), for entries whose memory plan counts on it. Done by loading.py before
  the weights move to the GPU (in half precision they would not fit); checked here. Never skipped quietly: a model
  planned with it cannot run without it.
- "text_encoder_fp8": the text encoder's linear weights in FP8 (torchao weight-only), same GPUs, same place.
- "lora": the distillation LoRA, loaded with `load_lora_weights` and fused into the transformer.
- "attention_backend": `transformer.set_attention_backend(...)` with the backend the precision plan chose for the
  GPU's architecture, tried once on a small attention call; if it fails, native SDPA and a warning.
- "aot_compile": ahead-of-time compile of the transformer on ZeroGPU (model/aot.py).
- "cache": a diffusers cache hook (`transformer.enable_cache(FirstBlockCacheConfig(...))`) on other GPUs.
- "vae_tiling": tiled VAE decoding for frames at or above the entry's pixel threshold (switched per request).

The one CPU-side change, the VAE's Conv3d weights made channels-last by `set_conv3d_memory_format`, lives here
too but is not a fast-path step: it only changes how those weights are laid out in memory.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field

import torch

from .catalog import ModelSpec
from .precision import NATIVE_SDPA, Precision
from .quantization import float8_linears

logger = logging.getLogger("reel.model")

FAST_PATH_STEPS = (
    "bf16", "fp8_compute", "fp8_storage", "text_encoder_fp8", "lora", "attention_backend", "aot_compile", "cache",
    "vae_tiling",
)
HALF_DTYPES = ("bfloat16", "float16")
# The attention probe's GPU call on ZeroGPU: a few milliseconds of work plus the worker's start.
ATTENTION_PROBE_GPU_SECONDS = 30


class FastPathError(RuntimeError):
    """A step the model cannot run correctly without (the distillation LoRA) failed."""


@dataclass
class FastPathReport:
    device: str
    applied: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (step, why)
    # Per-request VAE tiling threshold the engine uses; None: never tile.
    vae_tiling_min_pixels: int | None = None
    # How the weights are held and computed, and the attention backend, as they ended up (after any fallback).
    precision: Precision | None = None

    def lines(self) -> list[str]:
        return [f"applied {step}" for step in self.applied] + [f"skipped {step}: {why}" for step, why in self.skipped]

    @property
    def failed(self) -> list[tuple[str, str]]:
        return [(step, why) for step, why in self.skipped if why.startswith("failed")]

    def summary(self) -> str:
        """One line for the start-up log and the page: is the fast path on, and did anything fail."""
        speedups = [step for step in self.applied if step != "bf16"]
        if not self.applied:
            reasons = {why for _, why in self.skipped if not why.startswith("not enabled")}
            return "off (" + ("; ".join(sorted(reasons)) or "nothing enabled for this model") + ")"
        line = "on: " + (", ".join(self.applied) if speedups else "bf16 only")
        if self.failed:
            line += " (" + "; ".join(f"{step} {why}" for step, why in self.failed) + ")"
        return line


def on_zerogpu() -> bool:
    """Hugging Face sets SPACES_ZERO_GPU on ZeroGPU hardware."""
    return os.environ.get("SPACES_ZERO_GPU", "").strip().lower() not in ("", "0", "false", "no")


def is_gpu(device: str) -> bool:
    return str(device).startswith("cuda")


def default_precision(spec: ModelSpec) -> Precision:
    """The precision when the GPU's capability is not known: no FP8 compute, FP8 storage where the entry needs it."""
    mode = "fp8_storage" if spec.speed.transformer_storage_dtype else "bf16"
    return Precision(mode, attention_backend=spec.speed.attention_backend)


def plan_fast_path(spec: ModelSpec, device: str, zerogpu: bool, precision: Precision | None = None) -> list[str]:
    """The steps to run for `spec` on `device` with `precision` (model/precision.py), in order. Off GPU: none."""
    if not is_gpu(device):
        return []
    precision = precision or default_precision(spec)
    speed = spec.speed
    steps = []
    if spec.torch_dtype in HALF_DTYPES:
        steps.append("bf16")
    if precision.transformer in ("fp8_compute", "fp8_storage"):
        steps.append(precision.transformer)
    if precision.text_encoder_fp8:
        steps.append("text_encoder_fp8")
    if speed.lora_repo:
        steps.append("lora")
    if precision.attention_backend:
        steps.append("attention_backend")
    if zerogpu and speed.aot_compile:
        steps.append("aot_compile")
    elif speed.cache:
        steps.append("cache")
    if speed.vae_tiling_min_pixels:
        steps.append("vae_tiling")
    return steps


def _skip_reason(step: str, spec: ModelSpec, device: str, zerogpu: bool, precision: Precision) -> str:
    if not is_gpu(device):
        return f"not on a GPU (device {device})"
    if step == "fp8_compute" and spec.speed.fp8_compute:
        return "needs FP8 tensor cores (compute capability 8.9 or more); FP8 storage instead"
    if step == "text_encoder_fp8" and spec.speed.text_encoder_fp8:
        return "needs FP8 tensor cores (compute capability 8.9 or more)"
    if step == "fp8_storage" and precision.transformer == "fp8_compute":
        return "FP8 compute keeps the weights in FP8 already"
    if step == "cache" and zerogpu and spec.speed.aot_compile and spec.speed.cache:
        return "replaced by the AoT-compiled transformer on ZeroGPU (hooks cannot be exported)"
    if step == "aot_compile" and spec.speed.aot_compile and not zerogpu:
        return "only on ZeroGPU (SPACES_ZERO_GPU is not set)"
    return f"not enabled for {spec.key}"


def apply_fast_path(
    pipeline,
    spec: ModelSpec,
    device: str,
    zerogpu: bool | None = None,
    example_call: dict | None = None,
    precision: Precision | None = None,
    precision_failures: dict[str, str] | None = None,
) -> FastPathReport:
    """Run the planned steps on a loaded pipeline. A failed speed-up is logged and skipped, never fatal, except
    the distillation LoRA (without it the entry's step counts make noise) and narrow storage (without it the model
    does not fit): those raise FastPathError.

    `precision` is what loading.py's `apply_precision` put in place, `precision_failures` the precision steps that
    failed there (step -> why), reported here with the rest."""
    zerogpu = on_zerogpu() if zerogpu is None else zerogpu
    precision = precision or default_precision(spec)
    planned = plan_fast_path(spec, device, zerogpu, precision)
    report = FastPathReport(device=str(device), precision=precision if is_gpu(device) else None)
    for step, why in (precision_failures or {}).items():
        report.skipped.append((step, f"failed: {why}"[:240]))
    for step in FAST_PATH_STEPS:
        if step in (precision_failures or {}):
            continue
        if step not in planned:
            report.skipped.append((step, _skip_reason(step, spec, device, zerogpu, precision)))
            continue
        try:
            _STEP_FUNCTIONS[step](pipeline, spec, report, example_call)
        except FastPathError:
            raise
        except Exception as error:  # a speed-up that fails must not take the Space down
            logger.warning(
                "Fast path step %s FAILED for %s, the model runs without it: %s: %s",
                step, spec.key, type(error).__name__, error,
            )
            logger.debug("Fast path step %s failure", step, exc_info=True)
            report.skipped.append((step, f"failed: {type(error).__name__}: {error}"[:200]))
            if step == "aot_compile" and spec.speed.cache:
                # The cache hook was planned out only because the compiled graph replaces it; without the
                # compile it is the next best speed-up, so it goes on.
                planned.insert(planned.index("aot_compile") + 1, "cache")
                logger.warning("Fast path %s: using the cache hook instead of the failed compile", spec.key)
            continue
        report.applied.append(step)
    for line in report.lines():
        logger.info("Fast path %s on %s: %s", spec.key, device, line)
    logger.info("Fast path %s: %s", spec.key, report.summary())
    return report


def set_conv3d_memory_format(module: torch.nn.Module, memory_format: torch.memory_format) -> int:
    """Store every 3-D convolution's weights in `memory_format`; returns how many convolutions there were.

    For the CPU preview: oneDNN picks faster Conv3d kernels for the channels-last layout (the video VAE's decode
    is most of a preview clip; `python -m bench` reports the gain as `vae_channels_last_speedup`, switching back
    with `torch.contiguous_format`), and the frames come out the same. Not used on GPU, where it has not been
    measured."""
    convolutions = [layer for layer in module.modules() if isinstance(layer, torch.nn.Conv3d)]
    for layer in convolutions:
        layer.weight.data = layer.weight.data.contiguous(memory_format=memory_format)
    return len(convolutions)


def _check_narrow_storage(pipeline, spec, report, example_call) -> None:
    wanted = getattr(torch, spec.speed.transformer_storage_dtype)
    stored = {parameter.dtype for name, parameter in pipeline.transformer.named_parameters() if "norm" not in name}
    if wanted not in stored:
        raise FastPathError(
            f"{spec.key}: the transformer's weights are {sorted(map(str, stored))}, not {wanted}; the memory plan "
            "counted on them being stored narrow"
        )


def _check_half_precision(pipeline, spec, report, example_call) -> None:
    wanted = getattr(torch, spec.torch_dtype)
    if pipeline.transformer.dtype != wanted:
        raise RuntimeError(f"transformer is {pipeline.transformer.dtype}, expected {wanted}")


def _fuse_lora(pipeline, spec, report, example_call) -> None:
    speed = spec.speed
    try:
        pipeline.load_lora_weights(speed.lora_repo, weight_name=speed.lora_file, adapter_name="distill")
        pipeline.fuse_lora(lora_scale=speed.lora_scale, components=["transformer"])
        pipeline.unload_lora_weights()  # the fused weights stay; the adapter layers go
    except Exception as error:
        raise FastPathError(
            f"Could not fuse the distillation LoRA {speed.lora_repo}/{speed.lora_file} into {spec.key}: {error}. "
            f"Download it first with `hf download {speed.lora_repo} {speed.lora_file}`."
        ) from error


def _set_attention_backend(pipeline, spec, report, example_call) -> None:
    """The backend the precision plan chose, tried once on a small attention call; on any failure the transformer
    goes back to native SDPA and the failure is reported (a warning in the log, a line in the footer)."""
    backend = report.precision.attention_backend
    try:
        pipeline.transformer.set_attention_backend(backend)
        probe_attention_backend(backend, report.device)
    except Exception as error:
        pipeline.transformer.set_attention_backend(NATIVE_SDPA)
        report.precision = dataclasses.replace(report.precision, attention_backend=NATIVE_SDPA)
        detail = " ".join(str(error).split())[:140]
        raise RuntimeError(f"native SDPA instead of {backend} ({type(error).__name__}: {detail})") from error


def probe_attention_backend(backend: str, device: str) -> None:
    """One small attention call through diffusers' dispatcher: a backend whose kernel is missing or has no build
    for this GPU fails here, at start, rather than in a visitor's first clip. On ZeroGPU it runs in a short GPU
    call (the main process has no GPU)."""
    from diffusers.models.attention_dispatch import dispatch_attention_fn

    def attend():
        query = torch.randn(1, 16, 2, 64, device=device, dtype=torch.bfloat16)  # batch, tokens, heads, head dim
        out = dispatch_attention_fn(query, query, query, backend=backend)
        if not torch.isfinite(out.float()).all():
            raise RuntimeError("the attention probe returned non-finite values")

    if on_zerogpu():
        import spaces  # only on ZeroGPU

        spaces.GPU(duration=ATTENTION_PROBE_GPU_SECONDS)(attend)()
    else:
        attend()


def _check_fp8_compute(pipeline, spec, report, example_call) -> None:
    quantized, linears = float8_linears(pipeline.transformer)
    if not quantized:
        raise FastPathError(f"{spec.key}: none of the transformer's {linears} linear layers is quantized to FP8")


def _check_text_encoder_fp8(pipeline, spec, report, example_call) -> None:
    quantized, linears = float8_linears(pipeline.text_encoder)
    if not quantized:
        raise FastPathError(
            f"{spec.key}: none of the text encoder's {linears} linear layers holds FP8 weights; the memory plan "
            "counted on them"
        )


def _enable_cache(pipeline, spec, report, example_call) -> None:
    from diffusers import FirstBlockCacheConfig

    if spec.speed.cache != "first_block":
        raise ValueError(f"unknown cache kind {spec.speed.cache!r}")
    pipeline.transformer.enable_cache(FirstBlockCacheConfig(threshold=spec.speed.cache_threshold))


def _aot_compile(pipeline, spec, report, example_call) -> None:
    from .aot import compile_transformer_on_zerogpu, example_calls

    calls = example_call if example_call else example_calls(spec)
    compile_transformer_on_zerogpu(pipeline, calls, adapters_active=adapters_switch(pipeline.transformer))


def adapters_switch(transformer: torch.nn.Module):
    """A cheap "is a LoRA adapter on?" for every transformer call: peft's flag on the first adapter layer, which
    diffusers' enable_lora / disable_lora set on all of them together."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    first = next((layer for layer in transformer.modules() if isinstance(layer, BaseTunerLayer)), None)
    if first is None:
        return lambda: False
    return lambda: not first.disable_adapters


def _vae_tiling(pipeline, spec, report, example_call) -> None:
    if not hasattr(pipeline.vae, "enable_tiling"):
        raise RuntimeError(f"{type(pipeline.vae).__name__} has no tiling")
    report.vae_tiling_min_pixels = spec.speed.vae_tiling_min_pixels


_STEP_FUNCTIONS = {
    "bf16": _check_half_precision,
    "fp8_compute": _check_fp8_compute,
    "fp8_storage": _check_narrow_storage,
    "text_encoder_fp8": _check_text_encoder_fp8,
    "lora": _fuse_lora,
    "attention_backend": _set_attention_backend,
    "aot_compile": _aot_compile,
    "cache": _enable_cache,
    "vae_tiling": _vae_tiling,
}
