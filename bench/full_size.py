"""Full-size configs of every real catalog model, as plain data, and a builder that makes the real diffusers
pipeline from them with RANDOM weights: no download, no Hub. `python -m bench --gpu` (bench/gpu.py) times these.

The configs live in bench/full_size_wan.py, bench/full_size_ltx.py, bench/full_size_ltx2.py (LTX-2.0),
bench/full_size_ltx23.py (LTX-2.3) and bench/full_size_ltx25.py (LTX-2.5), one module per model family or version,
keyed by the Hub repo id the catalog names. For each component: the class, the constructor
arguments, and where the numbers were read (repository + path). Numbers were transcribed by hand; nothing here is
copied code.
The diffusers snapshot read was huggingface/diffusers at 58eb52c0803ea9af3abec60841c2a093bdf1f951; the classes
and their argument names were checked against the installed diffusers 0.42.1 and transformers 5.24.

Random weights make the timing real (same shapes, same kernels, same memory) and the frames meaningless. One
thing they do change: a cache hook that skips transformer passes when the first block's output barely moves
(FirstBlockCache) skips as often as random weights make it skip, not as often as trained weights would, so
bench/gpu.py reports how many passes actually ran.

The tokenizer is a stand-in: an in-memory unigram T5Tokenizer (the model/tiny.py approach) padded with filler
pieces to the real vocabulary size; for LTX-2 an in-memory GemmaTokenizer (BPE with byte fallback), padded the same
way. The pipelines pad every prompt to a fixed length (Wan 512, LTX 256, LTX-2 1024 tokens), so the text encoder
sees exactly the sequence length it sees with the real tokenizer; what matters for time and memory is the
embedding table size, not the vocabulary content.

Wan and LTX-Video have three model components (transformer, text encoder, VAE), the rows of the catalog's
WeightSizes. LTX-2 has six (LTX-2.5 seven, with its duration head); each of the others names the row it is counted
under ("counted_as"), and `weight_rows` folds the per-component counts into those rows.

Published weights that are not part of the pipeline a config builds (the LTX-2 versions' latent upsamplers,
LTX-2.5's diffusion decoder and its Gemma 4 E2B prompt enhancer) are a config's "extra_components": never passed to
the pipeline and counted in no row; `extra_parameter_counts` counts them.
"""

from __future__ import annotations

import copy
import importlib
import inspect

import torch

from .full_size_ltx import LTX_CONFIGS, T5_V1_1_XXL_ENCODER  # noqa: F401 (T5_V1_1_XXL_ENCODER: re-exported)
from .full_size_ltx2 import GEMMA3_12B, LTX2_CONFIGS  # noqa: F401 (GEMMA3_12B: re-exported)
from .full_size_ltx23 import LTX23_CONFIGS
from .full_size_ltx25 import GEMMA4_12B, GEMMA4_E2B, LTX25_CONFIGS  # noqa: F401 (re-exported)
from .full_size_wan import UMT5_XXL_ENCODER, WAN_CONFIGS  # noqa: F401 (UMT5_XXL_ENCODER: re-exported)

DIFFUSERS_SNAPSHOT = "huggingface/diffusers@58eb52c0803ea9af3abec60841c2a093bdf1f951"

# Per model, keyed by the catalog's repo id. The text encoders (UMT5_XXL_ENCODER for Wan, T5_V1_1_XXL_ENCODER for
# LTX-Video, GEMMA3_12B for LTX-2 and LTX-2.3, GEMMA4_12B for LTX-2.5) stay importable from here too.
FULL_SIZE_CONFIGS: dict[str, dict] = {**WAN_CONFIGS, **LTX_CONFIGS, **LTX2_CONFIGS, **LTX23_CONFIGS, **LTX25_CONFIGS}

# Diffusers pipelines take these components by these argument names; every config has them. LTX-2 adds model
# components of its own (connectors, audio_vae, vocoder).
COMPONENT_NAMES = ("transformer", "vae", "text_encoder", "tokenizer", "scheduler")
# The rows of the catalog's WeightSizes, and the order models are built in (largest first, see
# build_full_size_pipeline); any other model component follows in its config's order.
WEIGHT_ROWS = ("transformer", "text_encoder", "vae")
# Components that are not models: built by build_stand_in_tokenizer and build_scheduler.
_NOT_MODELS = ("tokenizer", "scheduler")


def model_component_names(config: dict) -> list[str]:
    """Names of the model components of one full-size config (tokenizer and scheduler left out), in build order."""
    names = [name for name in config["components"] if name not in _NOT_MODELS]
    return [name for name in WEIGHT_ROWS if name in names] + [name for name in names if name not in WEIGHT_ROWS]


def full_size_config(repo_id: str) -> dict:
    """A deep copy of the full-size config for `repo_id` (safe to edit)."""
    try:
        return copy.deepcopy(FULL_SIZE_CONFIGS[repo_id])
    except KeyError:
        known = ", ".join(FULL_SIZE_CONFIGS)
        raise KeyError(f"No full-size config for {repo_id!r}; bench/full_size.py knows: {known}") from None


# ---------------------------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------------------------

_FILLER = "<reel_filler_{}>"


def build_tokenizer(vocab_size: int, model_max_length: int):
    """An in-memory unigram T5Tokenizer with exactly `vocab_size` pieces: a few real pieces (so prompts tokenize)
    and fillers that never win (so ids stay small). Building 256k pieces takes about 0.3 s on CPU."""
    from transformers import T5Tokenizer

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    words = "a the of and in on with at cat dog sea sky city night day red blue green light slow fast camera"
    vocab += [("▁" + word, -5.0) for word in words.split()]
    vocab += [(char, -8.0) for char in "abcdefghijklmnopqrstuvwxyz0123456789"]
    if vocab_size < len(vocab):
        raise ValueError(f"vocab_size {vocab_size} is smaller than the {len(vocab)} base pieces")
    vocab += [(_FILLER.format(index), -100.0) for index in range(vocab_size - len(vocab))]
    return T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=model_max_length)


def build_gemma_tokenizer(vocab_size: int, model_max_length: int):
    """An in-memory GemmaTokenizer (BPE with byte fallback, left padding, <bos> first, as Gemma 3's) with exactly
    `vocab_size` pieces: Gemma's five special tokens at their ids, single characters and the 256 byte pieces (so
    any prompt tokenizes, one piece a character, with no merges), then fillers no merge ever reaches."""
    from transformers import GemmaTokenizer

    pieces = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "▁"]
    pieces += list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'-")
    pieces += [f"<0x{byte:02X}>" for byte in range(256)]
    if vocab_size < len(pieces):
        raise ValueError(f"vocab_size {vocab_size} is smaller than the {len(pieces)} base pieces")
    pieces += [_FILLER.format(index) for index in range(vocab_size - len(pieces))]
    return GemmaTokenizer(
        vocab={piece: index for index, piece in enumerate(pieces)},
        merges=[],
        model_max_length=model_max_length,
        padding_side="left",
        add_bos_token=True,
        add_eos_token=False,
    )


def build_stand_in_tokenizer(component: dict):
    """The stand-in tokenizer a config's "tokenizer" entry describes (T5Tokenizer unless it names GemmaTokenizer)."""
    builder = build_gemma_tokenizer if component.get("class") == "GemmaTokenizer" else build_tokenizer
    return builder(component["vocab_size"], component["model_max_length"])


def _class(name: str, module: str | None = None):
    if module is not None:  # a class the libraries do not export at the top level, e.g. LTX-2's vocoder
        return getattr(importlib.import_module(module), name)

    import diffusers
    import transformers

    for library in (diffusers, transformers):
        if hasattr(library, name):
            return getattr(library, name)
    raise AttributeError(f"Neither diffusers nor transformers has {name}")


def instantiate(component: dict):
    """Construct one model component from its config, with the library's own random initialisation, on the
    current default device (use `with torch.device(...)`; "meta" allocates nothing)."""
    cls = _class(component["class"], component.get("module"))
    if "config_class" in component:
        return cls(_class(component["config_class"])(**component["config"]))
    return cls(**component["config"])


def count_parameters(module: torch.nn.Module) -> int:
    """Parameters, each shared tensor once (T5's tied embedding is one table)."""
    return sum(parameter.numel() for parameter in module.parameters())


def keep_in_fp32_names(module: torch.nn.Module) -> tuple[str, ...]:
    """Names diffusers' from_pretrained keeps in float32 when loading in half precision (`_keep_in_fp32_modules`
    of diffusers models; transformers applies its own list only for float16, which no entry here uses)."""
    from diffusers import ModelMixin

    if isinstance(module, ModelMixin):
        return tuple(getattr(module, "_keep_in_fp32_modules", None) or ())
    return ()


def cast_like_from_pretrained(module: torch.nn.Module, dtype: torch.dtype) -> torch.nn.Module:
    """Give `module` the dtypes `from_pretrained(..., dtype=dtype)` would: every parameter and persistent buffer
    (what a checkpoint holds) in `dtype`, except those under a keep-in-float32 name; non-persistent buffers (rotary
    tables built at init) keep the dtype they were made in. One tensor at a time, so the peak is the module plus
    its largest tensor."""
    keep = keep_in_fp32_names(module) if dtype in (torch.float16, torch.bfloat16) else ()
    for module_name, submodule in module.named_modules():
        parts = module_name.split(".") if module_name else []
        for name, parameter in submodule._parameters.items():
            if parameter is None or not parameter.is_floating_point():
                continue
            target = torch.float32 if any(k in parts + [name] for k in keep) else dtype
            if parameter.dtype != target:
                parameter.data = parameter.data.to(target)
        for name, buffer in list(submodule._buffers.items()):
            if buffer is None or not buffer.is_floating_point() or name in submodule._non_persistent_buffers_set:
                continue
            target = torch.float32 if any(k in parts + [name] for k in keep) else dtype
            if buffer.dtype != target:
                submodule._buffers[name] = buffer.to(target)
    return module


def build_component(component: dict, device, dtype: torch.dtype, seed: int = 0) -> torch.nn.Module:
    """One model component at full size, random weights, made directly on `device` (no CPU copy of the weights),
    then cast as from_pretrained would cast it. Made in `dtype` when that is a half-precision one (random weights
    need no float32 start, and LTX-2's 19B transformer made in float32 would be 75.5 GB, more than an 80 GB H100
    holds next to anything else), else in float32."""
    torch.manual_seed(seed)
    made_in = dtype if dtype in (torch.bfloat16, torch.float16) else torch.float32
    default = torch.get_default_dtype()
    torch.set_default_dtype(made_in)
    try:
        with torch.device(device):
            module = instantiate(component)
    finally:
        torch.set_default_dtype(default)
    module.to(device)  # anything a constructor put on the CPU explicitly
    cast_like_from_pretrained(module, dtype)
    module.eval()
    module.requires_grad_(False)
    return module


def build_scheduler(component: dict):
    return _class(component["class"])(**component["config"])


def build_full_size_pipeline(repo_id: str, device="cuda", dtype: torch.dtype = torch.bfloat16, configs=None):
    """The real diffusers pipeline class for `repo_id`, every component at full size with random weights, built on
    `device` in `dtype` (what `from_pretrained(repo_id, dtype=dtype).to(device)` would give, minus the weights).

    `configs` replaces FULL_SIZE_CONFIGS (tests pass shrunken copies to run the same code on CPU).

    Components are made in `dtype` when it is half precision (see build_component), so LTX-2 builds at its bf16
    size, 67.7 GB, with no float32 peak.
    """
    import diffusers

    config = copy.deepcopy((configs or FULL_SIZE_CONFIGS)[repo_id])
    parts = config["components"]
    # Largest first (transformer, text encoder, VAE: seeds 0, 1, 2), then LTX-2's other components in their config's
    # order: the float32 construction peak of each component then lands before the others exist.
    models = {
        name: build_component(parts[name], device, dtype, seed=seed)
        for seed, name in enumerate(model_component_names(config))
    }
    tokenizer = build_stand_in_tokenizer(parts["tokenizer"])
    scheduler = build_scheduler(parts["scheduler"])

    pipeline_class = getattr(diffusers, config["pipeline_class"])
    accepted = inspect.signature(pipeline_class.__init__).parameters
    extra = {name: value for name, value in config.get("pipeline_config", {}).items() if name in accepted}
    return pipeline_class(**models, tokenizer=tokenizer, scheduler=scheduler, **extra)


def meta_parameter_counts(repo_id: str, configs=None) -> dict[str, int]:
    """Parameter count of each model component (LTX-2's connectors, audio VAE and vocoder too), built on the meta
    device (no memory; about a second each, LTX-2's Gemma 3 12B included, once the libraries are imported)."""
    config = (configs or FULL_SIZE_CONFIGS)[repo_id]
    counts = {}
    with torch.device("meta"):
        for name in model_component_names(config):
            counts[name] = count_parameters(instantiate(config["components"][name]))
    return counts


def extra_parameter_counts(repo_id: str, configs=None) -> dict[str, int]:
    """Parameter count of each of a config's "extra_components" (published weights outside its pipeline: latent
    upsamplers, a diffusion decoder, a prompt enhancer), on the meta device; empty when it has none."""
    config = (configs or FULL_SIZE_CONFIGS)[repo_id]
    counts = {}
    with torch.device("meta"):
        for name, component in config.get("extra_components", {}).items():
            counts[name] = count_parameters(instantiate(component))
    return counts


def linear_weight_counts(repo_id: str, configs=None) -> dict[str, int]:
    """Parameters in each model component's nn.Linear weights, the language-model head left out (the layers
    Reel's FP8 steps quantize, model/acceleration.py; Gemma's head is tied to its embedding table), on the meta
    device."""
    config = (configs or FULL_SIZE_CONFIGS)[repo_id]
    counts = {}
    with torch.device("meta"):
        for name in model_component_names(config):
            module = instantiate(config["components"][name])
            counts[name] = sum(
                layer.weight.numel()
                for layer_name, layer in module.named_modules()
                if isinstance(layer, torch.nn.Linear) and not layer_name.endswith("lm_head")
            )
    return counts


def weight_rows(repo_id: str, counts: dict[str, int] | None = None, configs=None) -> dict[str, int]:
    """Parameters per row of the catalog's WeightSizes (transformer, text_encoder, vae): each component counted
    under its own name, or under the row its config names ("counted_as"). `counts`: meta_parameter_counts'
    answer, when already made."""
    config = (configs or FULL_SIZE_CONFIGS)[repo_id]
    counts = counts if counts is not None else meta_parameter_counts(repo_id, configs)
    rows = dict.fromkeys(WEIGHT_ROWS, 0)
    for name, count in counts.items():
        rows[config["components"][name].get("counted_as", name)] += count
    return rows
