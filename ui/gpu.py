"""The only functions that hold a GPU on ZeroGPU: denoising and decoding, one clip or one storyboard shot a call.

ZeroGPU runs them in a forked worker and pickles their arguments, so they take the model's key, not the loaded
model: the engines are registered here once at start (`serve`) and found by key in the worker, which inherits
them. Validation, the token check, quota and MP4 encoding all happen outside, so they spend no GPU quota.
"""

from __future__ import annotations

import spaces  # noqa: I001  # before torch touches CUDA

from model import GeneratedClip, GenerationRequest, GpuBudget, ShotInputs, VideoEngine

_ENGINES: dict[str, VideoEngine] = {}


def serve(engines: dict[str, VideoEngine]) -> None:
    """Register the engines loaded at start; called once, before the app launches."""
    _ENGINES.update(engines)


def gpu_duration(model_key: str, request: GenerationRequest, budget: GpuBudget, inputs=None, progress=None) -> int:
    """Seconds of ZeroGPU time to ask for: what planning estimated this request needs, not a flat maximum."""
    return budget.seconds


def _generate(model_key: str, request: GenerationRequest, inputs: ShotInputs | None, progress) -> GeneratedClip:
    kwargs = inputs.engine_kwargs() if inputs is not None else {}
    if progress is None:
        return _ENGINES[model_key].generate(request, **kwargs)
    return _ENGINES[model_key].generate(request, progress, **kwargs)


# One GPU function per ZeroGPU size: the size is fixed when decorating (the duration is asked per call), and
# spaces hands back its first wrapper when the same function is decorated twice, so each size has its own.
@spaces.GPU(duration=gpu_duration)
def frames_on_gpu(model_key: str, request: GenerationRequest, budget: GpuBudget, inputs=None, progress=None):
    return _generate(model_key, request, inputs, progress)


@spaces.GPU(duration=gpu_duration, size="xlarge")
def frames_on_whole_gpu(model_key: str, request: GenerationRequest, budget: GpuBudget, inputs=None, progress=None):
    return _generate(model_key, request, inputs, progress)


_BY_SIZE = {"large": frames_on_gpu, "xlarge": frames_on_whole_gpu}


def generate(
    model_key: str, request: GenerationRequest, budget: GpuBudget, inputs=None, progress=None
) -> GeneratedClip:
    """Frames (and sound) for one clip or shot, on the GPU size its budget names. `progress(fraction, text)`."""
    return _BY_SIZE[budget.size](model_key, request, budget, inputs, progress)
