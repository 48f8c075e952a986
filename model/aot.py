"""Ahead-of-time compile of the transformer on ZeroGPU (the ZeroGPU AoT recipe: capture, torch.export,
`spaces.aoti_compile` in one GPU call at start, after any FP8 quantization): one compiled graph per served size
preset, all on the transformer's own weights, and the eager transformer for every call no graph covers.

`spaces` is imported only inside `compile_transformer_on_zerogpu`, which the fast path calls only when
SPACES_ZERO_GPU is set: nothing here touches `spaces` on CPU or on an ordinary GPU.

The export marks every tensor dimension `Dim.AUTO`, and the frame counts a call passes as plain integers
(`num_frames`, `audio_num_frames`: LTX-2), so torch.export keeps symbolic what varies with the clip's length and
fixes the rest. Wan takes its sizes from the video tensor alone, so one graph serves every preset and image shape.
LTX-2 also passes the latent height and width as integers, which torch.export fixes: so each preset gets its own
graph (`size_key`), and a call of another size (a picture's own shape) runs eagerly. So does any call with keywords
the graphs were not exported with (LTX-2's image-conditioned calls carry per-token timesteps) and any call while a
LoRA adapter is active (a compiled graph cannot follow `set_adapters`).

Weights: `spaces.aoti_apply` would empty the transformer's parameters, leaving no eager path, and each graph that
comes back from the GPU call brings its own copy of the constants. Here every graph's constants are pointed back
at the transformer's own tensors instead (one copy of the weights, as spaces' own `aoti_blocks_load` does), and a
graph whose constants do not map onto them fails the step visibly rather than doubling the memory.
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


# Integer keywords torch.export may keep symbolic: the clip's length in latent frames (video and sound).
DYNAMIC_INTEGERS = ("num_frames", "audio_num_frames")
# Integer keywords that name the graph's size: fixed by the export, so one graph per preset.
SIZE_INTEGERS = ("height", "width")


def example_call_kwargs(spec, preset: str | None = None) -> dict:
    """A cheap call at one preset (the entry's default when None) and its default duration: the capture stops at
    the first transformer call, so only text encoding and latent preparation actually run."""
    width, height = spec.presets[preset or spec.default_preset]
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
    if spec.family in ("ltx", "ltx2"):
        kwargs["frame_rate"] = spec.fps
    kwargs.update(spec.extra_call_kwargs)  # as the engine calls it (LTX-2: no guidance passes of its own)
    return kwargs


def example_calls(spec) -> dict[str, dict]:
    """One example call per served preset, keyed by preset name, the default preset first."""
    order = [spec.default_preset] + [name for name in spec.presets if name != spec.default_preset]
    return {name: example_call_kwargs(spec, name) for name in order}


def dynamic_shapes_for(kwargs: dict) -> dict:
    """Dim.AUTO on every tensor dimension and on the frame-count integers; None for everything else."""
    shapes = {}
    for name, value in kwargs.items():
        if torch.is_tensor(value):
            shapes[name] = {dim: torch.export.Dim.AUTO for dim in range(value.ndim)}
        elif name in DYNAMIC_INTEGERS and type(value) is int:
            shapes[name] = torch.export.Dim.AUTO
        else:
            shapes[name] = None
    return shapes


def size_key(kwargs: dict) -> tuple | None:
    """The integer size a transformer call names (LTX-2's latent height and width), or None (Wan: sizes travel
    in the tensors, so one graph serves them all)."""
    if all(type(kwargs.get(name)) is int for name in SIZE_INTEGERS):
        return tuple(kwargs[name] for name in SIZE_INTEGERS)
    return None


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


class CompiledGraphs:
    """The transformer's forward after the compile: each call goes to the graph exported for its size when its
    keywords are the ones that graph was exported with, else to the eager transformer.

    Extra keywords that are None are dropped (WanImageToVideoPipeline passes `encoder_hidden_states_image=None`,
    which WanPipeline, where the call was captured, does not); an extra keyword with a value would change the
    computation, so such a call runs eagerly. `adapters_active()` says whether a LoRA adapter is switched on."""

    def __init__(self, graphs: dict, keywords: dict, eager, adapters_active=lambda: False):
        self.graphs = graphs  # size_key -> compiled graph
        self.keywords = {key: frozenset(names) for key, names in keywords.items()}
        self.eager = eager
        self.adapters_active = adapters_active
        self.compiled_calls = 0
        self.eager_calls = 0

    def graph_for(self, kwargs: dict):
        key = size_key(kwargs)
        if key not in self.graphs or self.adapters_active():
            return None, None
        names = self.keywords[key]
        if any(name not in names and value is not None for name, value in kwargs.items()):
            return None, None
        if not names <= kwargs.keys():  # a keyword the graph was exported with is missing from this call
            return None, None
        return self.graphs[key], names

    def __call__(self, *args, **kwargs):
        graph, names = (None, None) if args else self.graph_for(kwargs)
        if graph is None:
            self.eager_calls += 1
            return self.eager(*args, **kwargs)
        self.compiled_calls += 1
        return graph(**{name: value for name, value in kwargs.items() if name in names})


def share_module_weights(compiled, transformer: torch.nn.Module) -> None:
    """Point a compiled graph's constants at the transformer's own tensors, so the graphs and the eager path hold
    one copy of the weights. Raises NotExportable when a constant has no tensor of that name in the transformer."""
    weights = getattr(compiled, "weights", None)
    if weights is None:
        return
    own = transformer.state_dict(keep_vars=True)
    names = list(weights.constants_map)
    missing = [name for name in names if name not in own]
    if missing:
        raise NotExportable(
            f"{len(missing)} of the compiled graph's {len(names)} constants are not the transformer's own tensors "
            f"(first: {missing[0]}); sharing them would double the weights in GPU memory"
        )
    compiled.weights = type(weights)({name: own[name].detach() for name in names})


def compile_transformer_on_zerogpu(pipeline, example_calls: dict[str, dict], adapters_active=lambda: False) -> None:
    """Capture and export one call per preset and compile them in one ZeroGPU call, then route the transformer's
    calls through them (`CompiledGraphs`). Presets whose call names no size share the first graph."""
    import spaces  # only here: ZeroGPU only

    transformer = pipeline.transformer

    @spaces.GPU(duration=AOT_COMPILE_GPU_SECONDS)
    def compile_transformer():
        compiled = {}
        for call_kwargs in example_calls.values():
            with spaces.aoti_capture(transformer) as call:
                pipeline(**call_kwargs)
            key = size_key(call.kwargs)
            exported = export_transformer(transformer, tuple(call.args), dict(call.kwargs))
            compiled[key] = (spaces.aoti_compile(exported), tuple(call.kwargs))
            if key is None:
                break  # the call names no size (Wan): this one graph serves every preset, no more captures
        return compiled

    compiled = compile_transformer()
    for graph, _ in compiled.values():
        share_module_weights(graph, transformer)
    transformer.forward = CompiledGraphs(
        graphs={key: graph for key, (graph, _) in compiled.items()},
        keywords={key: names for key, (_, names) in compiled.items()},
        eager=transformer.forward,
        adapters_active=adapters_active,
    )
    logger.info(
        "Transformer of %s compiled ahead of time: %d graph(s), sizes %s",
        type(pipeline).__name__, len(compiled), ", ".join(str(key) for key in compiled) or "all",
    )
