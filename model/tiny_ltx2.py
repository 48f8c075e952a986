"""The tiny LTX-2 preview (video with sound), built by code from the real diffusers and transformers classes.

Same classes as the full-size entry (a Gemma 3 text encoder and a Gemma tokenizer, text connectors, the
audio-video transformer, the video VAE, the audio VAE and the vocoder), tiny widths and random weights. The video VAE
keeps the real 32x spatial / 8x temporal compression and the audio side the real timing (16 kHz mel frames, a 24 kHz
vocoder), so frame counts, sample counts and the whole sound path match the real model's on CPU. Sizes that must
agree across components are derived from each other below rather than repeated.
"""

from __future__ import annotations

import string

import torch

TEXT_HIDDEN = 32  # Gemma hidden size == connector inner dim == transformer caption_channels
TEXT_LAYERS = 2  # hidden_states returned = TEXT_LAYERS + 1 (embeddings) -> connectors.text_proj_in_factor
TOKENIZER_MAX_LENGTH = 128

# Same geometry as the real LTX-2 VAE: patch_size=4 and three 2x spatio-temporal stages
# -> 32x spatial / 8x temporal compression; (8k+1) frames -> (k+1) latent frames.
VIDEO_VAE_CONFIG = dict(
    in_channels=3,
    out_channels=3,
    latent_channels=8,
    block_out_channels=(8, 8, 8),
    down_block_types=("LTX2VideoDownBlock3D",) * 3,
    decoder_block_out_channels=(8, 8, 8),
    layers_per_block=(1, 1, 1, 1),
    decoder_layers_per_block=(1, 1, 1, 1),
    spatio_temporal_scaling=(True, True, True),
    decoder_spatio_temporal_scaling=(True, True, True),
    decoder_inject_noise=(False, False, False, False),
    downsample_type=("spatiotemporal",) * 3,
    upsample_type=("spatiotemporal",) * 3,
    upsample_residual=(False, False, False),
    upsample_factor=(1, 1, 1),
    timestep_conditioning=False,
    patch_size=4,
    patch_size_t=1,
    encoder_causal=True,
    decoder_causal=False,
)

# Real LTX-2 audio VAE timing: 16 kHz, hop 160 -> 100 mel frames/s, latent = mel/4 -> 25 latents/s.
# NOTE: the audio VAE's `latents_mean/std` buffers have `base_channels` entries but are applied to packed latents
# of width latent_channels * (mel_bins // 4), so base_channels must equal latent_channels * mel_bins // 4.
AUDIO_VAE_CONFIG = dict(
    base_channels=8,
    output_channels=2,
    ch_mult=(1, 2, 4),  # two 2x upsamples -> genuine 4x time/mel decode (no zero padding)
    num_res_blocks=1,
    attn_resolutions=None,
    in_channels=2,
    resolution=64,
    latent_channels=2,
    norm_type="pixel",
    causality_axis="height",
    dropout=0.0,
    mid_block_add_attention=False,
    sample_rate=16000,
    mel_hop_length=160,
    is_causal=True,
    mel_bins=16,
)

# 100 mel frames/s * prod(upsample_factors)=240 -> 24 kHz, same as the real LTX-2 vocoder.
VOCODER_CONFIG = dict(
    in_channels=AUDIO_VAE_CONFIG["output_channels"] * AUDIO_VAE_CONFIG["mel_bins"],
    hidden_channels=32,
    out_channels=2,
    upsample_kernel_sizes=[12, 15, 16],  # (k - stride) even -> exactly 240 samples per mel frame,
    upsample_factors=[6, 5, 8],
    resnet_kernel_sizes=[3],
    resnet_dilations=[[1, 3]],
    leaky_relu_negative_slope=0.1,
    output_sampling_rate=24000,
)

CONNECTORS_CONFIG = dict(
    caption_channels=TEXT_HIDDEN,
    text_proj_in_factor=TEXT_LAYERS + 1,
    video_connector_num_attention_heads=2,
    video_connector_attention_head_dim=TEXT_HIDDEN // 2,
    video_connector_num_layers=1,
    # Padding tokens are replaced by learnable registers: max_sequence_length must be a multiple of this.
    video_connector_num_learnable_registers=16,
    audio_connector_num_attention_heads=2,
    audio_connector_attention_head_dim=TEXT_HIDDEN // 2,
    audio_connector_num_layers=1,
    audio_connector_num_learnable_registers=16,
    connector_rope_base_seq_len=TOKENIZER_MAX_LENGTH,
    rope_theta=10000.0,
    rope_double_precision=False,
    causal_temporal_positioning=False,
    rope_type="split",
)

_LATENT_MEL_BINS = AUDIO_VAE_CONFIG["mel_bins"] // 4
TRANSFORMER_CONFIG = dict(
    in_channels=VIDEO_VAE_CONFIG["latent_channels"],
    out_channels=VIDEO_VAE_CONFIG["latent_channels"],
    patch_size=1,
    patch_size_t=1,
    num_attention_heads=2,
    attention_head_dim=16,
    cross_attention_dim=32,  # == num_attention_heads * attention_head_dim
    vae_scale_factors=(8, 32, 32),  # must match the VAE's (temporal, spatial, spatial) compression
    audio_in_channels=AUDIO_VAE_CONFIG["latent_channels"] * _LATENT_MEL_BINS,
    audio_out_channels=AUDIO_VAE_CONFIG["latent_channels"] * _LATENT_MEL_BINS,
    audio_num_attention_heads=2,
    audio_attention_head_dim=8,
    audio_cross_attention_dim=16,  # == audio_num_attention_heads * audio_attention_head_dim
    audio_sampling_rate=AUDIO_VAE_CONFIG["sample_rate"],
    audio_hop_length=AUDIO_VAE_CONFIG["mel_hop_length"],
    num_layers=2,
    qk_norm="rms_norm_across_heads",
    caption_channels=TEXT_HIDDEN,
    rope_double_precision=False,
    rope_type="split",
)


# Gemma special tokens (ids 0..4 are the GemmaTokenizer defaults).
_SPECIAL_TOKENS = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<start_of_turn>", "<end_of_turn>",
                   "<start_of_image>", "<end_of_image>", "<image_soft_token>"]


def build_tiny_gemma_tokenizer(extra_special_tokens: tuple[str, ...] = ()):
    """Character-level Gemma tokenizer (BPE with byte fallback) built from an in-memory vocab. `extra_special_tokens`
    follow the Gemma 3 ones (ids from 10 on), before the byte-fallback pieces; none for Gemma 3."""
    from transformers import GemmaTokenizer

    special_tokens = _SPECIAL_TOKENS + list(extra_special_tokens)
    vocab: dict[str, int] = {}
    for tok in special_tokens:
        vocab[tok] = len(vocab)
    for b in range(256):  # byte-fallback tokens, as in the real Gemma vocab
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for ch in "\u2581" + string.ascii_letters + string.digits + string.punctuation:
        vocab.setdefault(ch, len(vocab))
    # A few merges so common words are not purely per-character ("▁a", "▁t", ...).
    merges = [("\u2581", c) for c in string.ascii_lowercase]
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))

    tok = GemmaTokenizer(
        vocab=vocab,
        merges=merges,
        model_max_length=TOKENIZER_MAX_LENGTH,
        padding_side="left",
        add_bos_token=True,  # like the real Gemma 3 tokenizer: "<bos>" + text (must be explicit, default is False)
        add_eos_token=False,
        extra_special_tokens=special_tokens[5:],
        # Named as the real Gemma 3 tokenizer names them: Gemma3Processor reads them (prompt enhancement).
        boi_token="<start_of_image>",
        eoi_token="<end_of_image>",
        image_token="<image_soft_token>",
    )
    # Gemma 3's chat template, shortened: turns, and a picture as its start-of-image token (prompt enhancement).
    tok.chat_template = (
        "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ 'model' if m['role'] == 'assistant' else 'user' }}\n"
        "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for part in m['content'] %}"
        "{% if part['type'] == 'image' %}<start_of_image>{% else %}{{ part['text'] }}{% endif %}{% endfor %}"
        "{% endif %}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
    )
    return tok


def build_tiny_gemma3(tokenizer):
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration

    vocab_size = ((len(tokenizer) + 63) // 64) * 64
    text_config = dict(
        vocab_size=vocab_size,
        hidden_size=TEXT_HIDDEN,
        intermediate_size=64,
        num_hidden_layers=TEXT_LAYERS,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        query_pre_attn_scalar=16,
        sliding_window=64,
        max_position_embeddings=2048,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
    )
    vision_config = dict(
        model_type="siglip_vision_model",
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=28,
        patch_size=14,
    )
    config = Gemma3Config(
        text_config=text_config,
        vision_config=vision_config,
        mm_tokens_per_image=4,  # (28/14)^2 patches pooled to 2x2
        boi_token_index=tokenizer.convert_tokens_to_ids("<start_of_image>"),
        eoi_token_index=tokenizer.convert_tokens_to_ids("<end_of_image>"),
        image_token_index=tokenizer.convert_tokens_to_ids("<image_soft_token>"),
    )
    return Gemma3ForConditionalGeneration(config).eval()



# Like the distilled checkpoint's scheduler (scripts/convert_ltx2_to_diffusers.py picks use_dynamic_shifting=False
# for distilled files), so the distilled sigmas are used as given.
SCHEDULER_CONFIG = dict(num_train_timesteps=1000, shift=1.0, use_dynamic_shifting=False)


def build_tiny_ltx2(
    seed: int,
    transformer_config: dict = TRANSFORMER_CONFIG,
    connectors_config: dict = CONNECTORS_CONFIG,
    vocoder_class: str = "LTX2Vocoder",
    vocoder_config: dict = VOCODER_CONFIG,
    build_tokenizer=build_tiny_gemma_tokenizer,
    build_text_encoder=build_tiny_gemma3,
    duration_head_config: dict | None = None,
):
    """A tiny random-weight LTX2Pipeline (CPU, float32), the same every build with the same seed. The defaults are
    LTX-2.0's; a later version (model/tiny_ltx23.py, model/tiny_ltx25.py) passes what it changed. The duration head,
    when there is one, is built last, so the components before it draw the same random numbers as without it."""
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2Pipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2DurationHead, LTX2TextConnectors, vocoder

    torch.manual_seed(seed)
    tokenizer = build_tokenizer()
    return LTX2Pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(**SCHEDULER_CONFIG),
        vae=AutoencoderKLLTX2Video(**VIDEO_VAE_CONFIG),
        audio_vae=AutoencoderKLLTX2Audio(**AUDIO_VAE_CONFIG),
        text_encoder=build_text_encoder(tokenizer),
        tokenizer=tokenizer,
        connectors=LTX2TextConnectors(**connectors_config),
        transformer=LTX2VideoTransformer3DModel(**transformer_config),
        vocoder=getattr(vocoder, vocoder_class)(**vocoder_config),
        duration_head=None if duration_head_config is None else LTX2DurationHead(**duration_head_config).eval(),
    )

# The spatial x2 latent upsampler of the two-stage HD recipe, at the tiny VAE's latent width. GroupNorm takes 32 groups,
# so 32 middle channels is the smallest that builds.
UPSAMPLER_CONFIG = dict(
    in_channels=VIDEO_VAE_CONFIG["latent_channels"],
    mid_channels=32,
    num_blocks_per_stage=1,
    dims=3,
    spatial_upsample=True,
    temporal_upsample=False,
    rational_spatial_scale=2.0,
)


def build_tiny_ltx2_upsampler(seed: int):
    """A tiny random LTX2LatentUpsamplerModel, saved beside the tiny pipeline as the real repos keep theirs."""
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    torch.manual_seed(seed)
    return LTX2LatentUpsamplerModel(**UPSAMPLER_CONFIG).eval()

