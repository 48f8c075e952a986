"""The tiny LTX-2.3 preview: the tiny LTX-2 (model/tiny_ltx2.py) with what 2.3 changed, built by code.

What differs from 2.0, as diffusers' converter sets it for 2.3 (bench/full_size_ltx23.py): gated attention and
cross-attention modulation in the transformer, text connectors with per-modality projections and gated attention,
and the vocoder with bandwidth extension, which turns the 16 kHz vocoder's output into 48 kHz stereo. Its upsample
stages keep the real per-mel-frame factors (160 samples at 16 kHz, then 240 at 48 kHz from a 200-frame-per-second
mel), so the sound is exactly as long as the real model's. The video VAE is 2.0's tiny one: the same class, whose
2.3 layout changes widths and stage kinds but not the 32x / 8x compression the rest depends on.
"""

from __future__ import annotations

from .tiny_ltx2 import AUDIO_VAE_CONFIG, CONNECTORS_CONFIG, TRANSFORMER_CONFIG, build_tiny_ltx2

TRANSFORMER_CONFIG_23 = dict(
    TRANSFORMER_CONFIG,
    gated_attn=True,
    audio_gated_attn=True,
    cross_attn_mod=True,
    audio_cross_attn_mod=True,
    perturbed_attn=True,
    use_prompt_embeddings=False,
)

# Per-modality projections: each connector's output width is its stream's cross-attention width in the transformer.
CONNECTORS_CONFIG_23 = dict(
    CONNECTORS_CONFIG,
    per_modality_projections=True,
    proj_bias=True,
    video_gated_attn=True,
    audio_gated_attn=True,
    video_hidden_dim=TRANSFORMER_CONFIG["cross_attention_dim"],
    audio_hidden_dim=TRANSFORMER_CONFIG["audio_cross_attention_dim"],
    audio_connector_attention_head_dim=TRANSFORMER_CONFIG["audio_cross_attention_dim"] // 2,
)

# The real 2.3 vocoder's factors and kernels (converter, version 2.3) with small widths: six 2x-or-more upsamplers
# halve the width six times, so 64 ends at 1; the bandwidth extender's five end at 1 from 32.
VOCODER_CONFIG_23 = dict(
    in_channels=AUDIO_VAE_CONFIG["output_channels"] * AUDIO_VAE_CONFIG["mel_bins"],
    hidden_channels=64,
    out_channels=2,
    upsample_kernel_sizes=[11, 4, 4, 4, 4, 4],
    upsample_factors=[5, 2, 2, 2, 2, 2],  # 160 samples per mel frame: 16 kHz
    resnet_kernel_sizes=[3],
    resnet_dilations=[[1, 3, 5]],
    act_fn="snakebeta",
    antialias=True,
    antialias_ratio=2,
    antialias_kernel_size=12,
    final_act_fn=None,
    final_bias=False,
    bwe_in_channels=128,  # two channels of the 64-bin mel below
    bwe_hidden_channels=32,
    bwe_out_channels=2,
    bwe_upsample_kernel_sizes=[12, 11, 4, 4, 4],
    bwe_upsample_factors=[6, 5, 2, 2, 2],  # 240 samples per mel frame at hop 80 of 16 kHz: 48 kHz
    bwe_resnet_kernel_sizes=[3],
    bwe_resnet_dilations=[[1, 3, 5]],
    filter_length=512,
    hop_length=80,
    window_length=512,
    num_mel_channels=64,
    input_sampling_rate=AUDIO_VAE_CONFIG["sample_rate"],
    output_sampling_rate=48000,
)


def build_tiny_ltx23(seed: int):
    """A tiny random-weight LTX2Pipeline with LTX-2.3's architecture (CPU, float32), the same every build."""
    return build_tiny_ltx2(
        seed, transformer_config=TRANSFORMER_CONFIG_23, connectors_config=CONNECTORS_CONFIG_23,
        vocoder_class="LTX2VocoderWithBWE", vocoder_config=VOCODER_CONFIG_23,
    )
