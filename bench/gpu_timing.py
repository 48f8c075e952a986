"""Synchronised timings and GPU memory readings for `python -m bench --gpu` (bench/gpu.py): device helpers and
_Probe, the hooks that split one pipeline call into text encoding / denoising / VAE decoding."""

from __future__ import annotations

import gc
import time

import torch

GIB = 2**30


# ---------------------------------------------------------------------------------------------------------------
# Small helpers (every one of them is a no-op or None off CUDA, so the same code runs on CPU in the tests)
# ---------------------------------------------------------------------------------------------------------------


def _is_cuda(device) -> bool:
    return torch.device(device).type == "cuda"


def _sync(device) -> None:
    if _is_cuda(device):
        torch.cuda.synchronize(device)


def _gib(value_bytes: float) -> float:
    return round(value_bytes / GIB, 2)


def _reset_peak(device) -> None:
    if _is_cuda(device):
        torch.cuda.reset_peak_memory_stats(device)


def _allocated_gib(device) -> float | None:
    return _gib(torch.cuda.memory_allocated(device)) if _is_cuda(device) else None


def _peak_gib(device) -> tuple[float | None, float | None]:
    if not _is_cuda(device):
        return None, None
    return _gib(torch.cuda.max_memory_allocated(device)), _gib(torch.cuda.max_memory_reserved(device))


def _free_memory(device) -> None:
    """Drop the last model's GPU memory before building the next (gc.collect takes 0.2 s: CUDA only)."""
    if _is_cuda(device):
        gc.collect()
        torch.cuda.empty_cache()


# ---------------------------------------------------------------------------------------------------------------
# Where the time goes: hooks on the text encoder, the transformer and the VAE's decode
# ---------------------------------------------------------------------------------------------------------------


def _transformer_blocks(transformer):
    for name in ("blocks", "transformer_blocks"):  # Wan, LTX
        blocks = getattr(transformer, name, None)
        if isinstance(blocks, torch.nn.ModuleList) and len(blocks):
            return blocks
    return None


class _Probe:
    """Synchronised timings of the phases of one pipeline call, and a count of full transformer passes (a pass
    the cache hook skips never reaches the last block's attention)."""

    def __init__(self, pipeline, device):
        self.pipeline = pipeline
        self.device = device
        self._handles = []
        self._decode_wrapped = False
        self.reset()

    def reset(self) -> None:
        self.text_s = 0.0
        self.decode_s = 0.0
        self.pass_s: list[float] = []
        self.full_passes = 0
        self.non_finite_passes = 0
        self._t0 = None

    def _start(self, module, args):
        _sync(self.device)
        self._t0 = time.perf_counter()

    def _stop_text(self, module, args, output):
        _sync(self.device)
        self.text_s += time.perf_counter() - self._t0

    def _stop_pass(self, module, args, output):
        _sync(self.device)
        self.pass_s.append(time.perf_counter() - self._t0)
        sample = output[0] if isinstance(output, (tuple, list)) else getattr(output, "sample", output)
        if torch.is_tensor(sample) and not bool(torch.isfinite(sample).all()):
            self.non_finite_passes += 1

    def _count_full(self, module, args):
        self.full_passes += 1

    def attach(self) -> _Probe:
        pipeline = self.pipeline
        text_encoder = getattr(pipeline, "text_encoder", None)
        if text_encoder is not None:
            self._handles.append(text_encoder.register_forward_pre_hook(self._start))
            self._handles.append(text_encoder.register_forward_hook(self._stop_text))
        transformer = pipeline.transformer
        self._handles.append(transformer.register_forward_pre_hook(self._start))
        self._handles.append(transformer.register_forward_hook(self._stop_pass))
        blocks = _transformer_blocks(transformer)
        tail_attention = getattr(blocks[-1], "attn1", None) if blocks is not None else None
        self.counts_full_passes = tail_attention is not None
        if tail_attention is not None:
            self._handles.append(tail_attention.register_forward_pre_hook(self._count_full))

        vae = pipeline.vae
        decode = vae.decode

        def timed_decode(*args, **kwargs):
            _sync(self.device)
            start = time.perf_counter()
            result = decode(*args, **kwargs)
            _sync(self.device)
            self.decode_s += time.perf_counter() - start
            return result

        vae.decode = timed_decode  # instance attribute: shadows the method until detach()
        self._decode_wrapped = True
        return self

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        if self._decode_wrapped:
            del self.pipeline.vae.decode
            self._decode_wrapped = False

    def phases(self, total_s: float) -> dict:
        denoise = sum(self.pass_s)
        return {
            "text_encoder_s": round(self.text_s, 3),
            "denoise_s": round(denoise, 3),
            "vae_decode_s": round(self.decode_s, 3),
            "other_s": round(total_s - self.text_s - denoise - self.decode_s, 3),
        }
