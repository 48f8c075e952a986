"""Tiny random-weight pipelines, built by code, so the engine runs with no Hub and no GPU.

They use the real diffusers classes with tiny configs (the way diffusers' own tests do): every loading,
generation and encoding path is the real one, only the weights are small and meaningless. Output is
coloured noise, which is why the app shows a banner whenever one of these is loaded.
"""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from pathlib import Path

import torch
from transformers import T5Config, T5EncoderModel, T5Tokenizer, UMT5Config, UMT5EncoderModel

from .tiny_ltx2 import build_tiny_ltx2, build_tiny_ltx2_upsampler
from .tiny_ltx23 import build_tiny_ltx23
from .tiny_ltx25 import build_tiny_ltx25, build_tiny_ltx25_temporal_upsampler

# A deterministic unigram vocabulary: special tokens, the word boundary, letters and a few words. Prompts in
# any language still tokenize (unknown pieces map to <unk>), which is all a random-weight encoder needs.
_SPECIAL_PIECES = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
_WORDS = "a the of and in on with at cat dog sea sky city night day red blue green light slow fast camera".split()
_LETTERS = list("abcdefghijklmnopqrstuvwxyz0123456789")

BUILD_SEED = 0
BUILD_INFO_FILE = "reel_tiny_build.json"
# Bump when a tiny config changes, so stale builds under the data dir are rebuilt instead of reused.
# 2: tiny-ltx saved as LTXConditionPipeline, tiny-wan built like Wan 2.2 TI2V, tiny-wan-t2v added.
# 3: tiny-ltx2 gains its latent upsampler (HD).
# 4: the tiny Gemma tokenizer names its image tokens and renders pictures in its chat template (prompt enhancement);
#    tiny-ltx2.5 added (2.0 and 2.3 weights unchanged).
# 5: tiny-ltx2.5 gains its temporal upsampler (smooth motion).
TINY_BUILD_VERSION = 5


def _tiny_tokenizer() -> T5Tokenizer:
    vocab = list(_SPECIAL_PIECES)
    vocab += [("▁" + word, -5.0) for word in _WORDS]
    vocab += [(letter, -8.0) for letter in _LETTERS]
    return T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=512)


def _tiny_text_encoder_kwargs(vocab_size: int) -> dict:
    return dict(
        vocab_size=vocab_size,
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
    )


def build_tiny_ltx():
    """LTX-Video family: tiny widths but the real 32x spatial / 8x temporal VAE compression, so UI-sized
    clips stay cheap on CPU. Saved as LTXConditionPipeline, the class the distilled LTX entry uses for both
    text- and image-to-video."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(BUILD_SEED)
    tokenizer = _tiny_tokenizer()
    text_encoder = T5EncoderModel(T5Config(**_tiny_text_encoder_kwargs(len(tokenizer))))
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    )
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, True, False),
        decoder_spatio_temporal_scaling=(True, True, True, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=4,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    scheduler = FlowMatchEulerDiscreteScheduler()
    return LTXConditionPipeline(
        scheduler=scheduler, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, transformer=transformer
    )


def _tiny_wan_transformer(channels: int):
    from diffusers import WanTransformer3DModel

    return WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=channels,
        out_channels=channels,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )


def _tiny_wan_text():
    tokenizer = _tiny_tokenizer()
    return tokenizer, UMT5EncoderModel(UMT5Config(**_tiny_text_encoder_kwargs(len(tokenizer))))


def _wan_scheduler():
    from diffusers import UniPCMultistepScheduler

    return UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)


def build_tiny_wan():
    """Wan 2.2 TI2V shape at toy size: the Wan 2.2 VAE layout (48 latent channels, 2x2 patchified pixels, 16x
    spatial compression) and `expand_timesteps`, so WanPipeline and WanImageToVideoPipeline run the same code
    path as the 5B model on CPU."""
    from diffusers import AutoencoderKLWan, WanPipeline

    torch.manual_seed(BUILD_SEED)
    tokenizer, text_encoder = _tiny_wan_text()
    vae = AutoencoderKLWan(
        base_dim=4,
        z_dim=48,
        in_channels=12,
        out_channels=12,
        is_residual=True,
        patch_size=2,
        latents_mean=[0.0] * 48,
        latents_std=[1.0] * 48,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        scale_factor_spatial=16,
        scale_factor_temporal=4,
        temperal_downsample=[False, True, True],
    )
    return WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        transformer=_tiny_wan_transformer(48),
        scheduler=_wan_scheduler(),
        expand_timesteps=True,
    )


def build_tiny_wan_t2v():
    """Wan 2.1 text-to-video shape at toy size (16 latent channels, 8x spatial compression)."""
    from diffusers import AutoencoderKLWan, WanPipeline

    torch.manual_seed(BUILD_SEED)
    tokenizer, text_encoder = _tiny_wan_text()
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )
    return WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        transformer=_tiny_wan_transformer(16),
        scheduler=_wan_scheduler(),
    )


TINY_BUILDERS = {
    "tiny-ltx": build_tiny_ltx,
    "tiny-wan": build_tiny_wan,
    "tiny-wan-t2v": build_tiny_wan_t2v,
    "tiny-ltx2": functools.partial(build_tiny_ltx2, seed=BUILD_SEED),
    "tiny-ltx2.3": functools.partial(build_tiny_ltx23, seed=BUILD_SEED),
    "tiny-ltx2.5": functools.partial(build_tiny_ltx25, seed=BUILD_SEED),
}
# Models saved in a subfolder beside a tiny pipeline's components, as the real repos keep theirs (the catalog entry
# names the subfolder): loaded separately, never by the pipeline's own from_pretrained.
TINY_COMPANIONS = {
    "tiny-ltx2": {"latent_upsampler": functools.partial(build_tiny_ltx2_upsampler, seed=BUILD_SEED)},
    "tiny-ltx2.3": {"latent_upsampler": functools.partial(build_tiny_ltx2_upsampler, seed=BUILD_SEED)},
    "tiny-ltx2.5": {
        "latent_upsampler": functools.partial(build_tiny_ltx2_upsampler, seed=BUILD_SEED),
        "temporal_latent_upsampler": functools.partial(build_tiny_ltx25_temporal_upsampler, seed=BUILD_SEED),
    },
}


def build_once(target_dir: Path, info: dict, info_file: str, write) -> bool:
    """Run `write(folder)` into a temporary sibling of target_dir and rename it into place, unless target_dir
    already holds a build with the same `info`. An interrupted build never leaves a half-written folder that later
    loads would fail on. Returns whether it built."""
    info_path = target_dir / info_file
    if info_path.is_file() and json.loads(info_path.read_text()) == info:
        return False
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}-", dir=target_dir.parent))
    try:
        write(staging)
        (staging / info_file).write_text(json.dumps(info))
        if target_dir.exists():
            shutil.rmtree(target_dir)
        staging.rename(target_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def ensure_tiny_pipeline(builder_name: str, target_dir: Path) -> Path:
    """Build and save a tiny pipeline once; later calls reuse the saved folder."""
    info = {"builder": builder_name, "version": TINY_BUILD_VERSION}

    def write(folder: Path) -> None:
        TINY_BUILDERS[builder_name]().save_pretrained(folder)
        for subfolder, build in TINY_COMPANIONS.get(builder_name, {}).items():
            build().save_pretrained(folder / subfolder)

    build_once(target_dir, info, BUILD_INFO_FILE, write)
    return target_dir
