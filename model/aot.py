"""Ahead-of-time compile of the transformer on ZeroGPU: capture one real call, export it with dynamic shapes,
compile it on the GPU once, and swap it into the pipeline.

`spaces` is imported only inside `compile_transformer_on_zerogpu`, which the fast path calls only when
SPACES_ZERO_GPU is set: nothing here touches `spaces` on CPU or on an ordinary GPU.

The export marks every input dimension `Dim.AUTO`, so torch.export keeps symbolic the sizes that really vary
(latent frames, height, width, token count) and fixes the rest (batch, channels). Reel serves several presets,
durations and, with an image, the image's own shape: a graph specialised to one size would fail on the next
request, so `export_transformer` refuses one whose video dimensions came out fixed.
"""

from __future__ import annotations

import logging

import torch
from torch.fx.experimental.symbolic_shapes import is_concrete_int

logger = logging.getLogger("reel.model")

# Seconds of ZeroGPU time the one-off compile at start-up may take. A compile that runs past it is stopped by
# ZeroGPU and the fast path falls back to the cache hook (model/acceleration.py), so this bounds the start-up
# instead of holding it for the 25 minutes spaces' examples ask for. It counts in the Space's start-up timeout
# (README front matter, startup_duration_timeout; model/gpu_time.py worst_case_start_seconds).
AOT_COMPILE_GPU_SECONDS = 600


class NotExportable(RuntimeError):
    """The exported graph would not serve every request size."""


def example_call_kwargs(spec) -> dict:
    """A cheap call at the entry's default preset and duration: the capture stops at the first transformer
    call, so only text encoding and latent preparation actually run."""
    width, height = spec.presets[spec.default_preset]
    num_frames = int(spec.default_seconds * spec.fps) // spec.frame_step * spec.frame_step + 1
    kwargs = dict(
        prompt="a calm sea at dawn",
        width=width,
        height=height,
        num_frames=num_frames,
        num_inference_steps=2,
        guidance_scale=spec.default_guidance,
        output_type="latent",
    )
    if spec.family == "ltx":
        kwargs["frame_rate"] = spec.fps
    return kwargs


def dynamic_shapes_for(kwargs: dict) -> dict:
    """Dim.AUTO on every tensor dimension; None for everything else."""
    return {
        name: {dim: torch.export.Dim.AUTO for dim in range(value.ndim)} if torch.is_tensor(value) else None
        for name, value in kwargs.items()
    }


def _fixed_video_dims(exported, video: torch.Tensor, in_channels: int) -> list[int]:
    """Dimensions of `hidden_states` (other than batch and channels) that export fixed to one size."""
    inputs = [node for node in exported.graph.nodes if node.op == "placeholder" and node.name == "hidden_states"]
    if not inputs:
        raise NotExportable("the exported graph has no hidden_states input")
    channel_dim = next((dim for dim, size in enumerate(video.shape) if dim > 0 and size == in_channels), None)
    shape = inputs[0].meta["val"].shape
    return [dim for dim, size in enumerate(shape) if dim not in (0, channel_dim) and is_concrete_int(size)]


def export_transformer(transformer: torch.nn.Module, args: tuple, kwargs: dict):
    """torch.export the transformer for the captured call, leaving the video dimensions dynamic."""
    if args or "hidden_states" not in kwargs:
        raise NotExportable("the transformer call was not made with keyword arguments including hidden_states")
    exported = torch.export.export(transformer, args=(), kwargs=kwargs, dynamic_shapes=dynamic_shapes_for(kwargs))
    video = kwargs["hidden_states"]
    fixed = _fixed_video_dims(exported, video, transformer.config.in_channels)
    if fixed:
        raise NotExportable(
            f"export fixed dimension(s) {fixed} of hidden_states {tuple(video.shape)}; the compiled transformer "
            "would only serve one video size"
        )
    return exported


class KeywordAdapter:
    """Calls a compiled transformer with exactly the keywords it was exported with.

    The compiled graph checks its inputs' structure: WanImageToVideoPipeline passes
    `encoder_hidden_states_image=None`, which WanPipeline (where the call was captured) does not. Extra keywords
    that are None are dropped; an extra keyword with a value would change the computation, so it raises.
    """

    def __init__(self, forward, keywords):
        self.forward = forward
        self.keywords = frozenset(keywords)

    def __call__(self, *args, **kwargs):
        extra = sorted(name for name, value in kwargs.items() if name not in self.keywords and value is not None)
        if extra:
            raise TypeError(f"the compiled transformer was exported without {', '.join(extra)}")
        return self.forward(*args, **{name: value for name, value in kwargs.items() if name in self.keywords})


def compile_transformer_on_zerogpu(pipeline, example_call: dict) -> None:
    """Capture, export and compile on a ZeroGPU worker, then apply the compiled transformer in place."""
    import spaces  # only here: ZeroGPU only

    transformer = pipeline.transformer

    @spaces.GPU(duration=AOT_COMPILE_GPU_SECONDS)
    def compile_transformer():
        with spaces.aoti_capture(transformer) as call:
            pipeline(**example_call)
        exported = export_transformer(transformer, tuple(call.args), dict(call.kwargs))
        return spaces.aoti_compile(exported), tuple(call.kwargs)

    compiled, keywords = compile_transformer()
    spaces.aoti_apply(compiled, transformer)
    transformer.forward = KeywordAdapter(transformer.forward, keywords)
    logger.info("Transformer of %s compiled ahead of time", type(pipeline).__name__)
