"""The tiny LTX-2.5 preview: the tiny LTX-2.3 (model/tiny_ltx23.py) with what 2.5 changed, built by code.

What differs from 2.3, as diffusers' converter sets it for 2.5 (bench/full_size_ltx25.py):

- The text encoder is Gemma 4 (`Gemma4UnifiedForConditionalGeneration`) instead of Gemma 3. Its tiny config keeps the
  12B's structure: sliding layers followed by a full-attention last layer (the config forces the last layer to full
  attention), one shared K(=V) head on the full-attention layer with a head twice as wide as the sliding layers'
  (512 vs 256 in the 12B), and the language model's hidden states are what the connectors read, as with Gemma 3. It
  has no vision tower: images and audio are embedded straight into the language model, so the tiny one keeps the
  real 48-pixel model patches (16 x 16 pooled 3 x 3) and 640-sample audio tokens, at the tiny width.
- The tokenizer is the tiny Gemma one plus four placeholder tokens, so every multimodal token id the Gemma 4 config
  holds (image, video and audio, with their begin/end markers) is a real id of the tiny vocabulary rather than an id
  past its end (the defaults are ~256k). The spellings are the tiny Gemma 3 ones' style, not Gemma 4's own: the
  pipeline only ever feeds plain prompts through it, so only the ids matter.
- The transformer is 2.3's with the video feed-forward's bias dropped and a learned keyframe position embedding
  (zero-initialised, used only by a keyframe pipeline Reel does not run).
- The pipeline has a duration head (`LTX2DurationHead`) that predicts a clip length from the connectors' outputs when
  `num_frames` is left out. Its input widths are the connectors' video / audio output widths, which with per-modality
  projections are the transformer's cross-attention widths.

The connectors, both VAEs and the 48 kHz vocoder with bandwidth extension are 2.3's tiny ones. With
connector widths derived from the text encoder's (width 32, 2 layers) exactly as for Gemma 3, nothing downstream of the
text encoder changes size.

Determinism: when `num_frames` is passed (every request but `seconds="auto"`) the duration head is never called, so a
request runs exactly as on a pipeline without one. When `num_frames` is None the head's random weights decide the
length: with BUILD_SEED 0 it predicts about 1.12 s for any prompt (padded to the tokenizer's 128 tokens: 1.1205 s for
an empty one, 1.1224 s for an eleven-word one; 1.120-1.121 s at the pipeline's default 1024: random weights make its
output a near-constant that the text barely moves). `predict_num_frames` clamps that into [min_seconds, max_seconds]
and snaps it to the 8k+1 frame grid: at 24 fps with bounds [1, 5] s, round(1.12 * 24) = 27 frames floors to 25; with
[2, 3] s it is clamped to 48 frames and snaps up to 49; with [0.3, 0.8] s clamped to 19, it floors to 17. Tests should
rely on the bounds and the grid, not on these values.
"""

from __future__ import annotations

import torch

from .tiny_ltx2 import (
    TEXT_HIDDEN,
    TEXT_LAYERS,
    TOKENIZER_MAX_LENGTH,
    UPSAMPLER_CONFIG,
    build_tiny_gemma_tokenizer,
    build_tiny_ltx2,
)
from .tiny_ltx23 import CONNECTORS_CONFIG_23, TRANSFORMER_CONFIG_23, VOCODER_CONFIG_23

TRANSFORMER_CONFIG_25 = dict(
    TRANSFORMER_CONFIG_23,
    ff_bias=False,
    use_keyframes_abs_pos_embedding=True,
)

# Gemma 4's multimodal placeholders that Gemma 3's tiny vocabulary has no token for (Gemma 3 has image ones only).
_GEMMA4_EXTRA_TOKENS = ("<start_of_audio>", "<end_of_audio>", "<audio_soft_token>", "<video_soft_token>")

# Gemma 4 12B's head widths are 256 on sliding layers and 512 on its full-attention layers; the tiny one keeps the 2x.
_HEAD_DIM = 16
GEMMA4_TEXT_CONFIG = dict(
    hidden_size=TEXT_HIDDEN,
    intermediate_size=4 * TEXT_HIDDEN,  # 4x the width, as the 12B's 15360 = 4 * 3840
    num_hidden_layers=TEXT_LAYERS,
    # The 12B's pattern is 5 sliding then 1 full, repeated; with two layers: one of each, the full one last.
    layer_types=["sliding_attention"] * (TEXT_LAYERS - 1) + ["full_attention"],
    num_attention_heads=TEXT_HIDDEN // _HEAD_DIM,
    num_key_value_heads=1,
    head_dim=_HEAD_DIM,
    global_head_dim=2 * _HEAD_DIM,
    num_global_key_value_heads=1,
    attention_k_eq_v=True,
    use_bidirectional_attention="vision",
    num_kv_shared_layers=0,
    use_double_wide_mlp=False,
    final_logit_softcapping=30.0,
    # Shorter than the padded prompt, so the sliding layer's window really cuts, as the 12B's 1024 does over long
    # prompts.
    sliding_window=TOKENIZER_MAX_LENGTH // 2,
    max_position_embeddings=2048,
)

# The duration head reads the connectors' outputs: with per-modality projections their widths are the transformer's
# cross-attention widths. Its own sizes are the real head's shape scaled down (pooler and MLP 256 there): the pooler
# width must divide by the 4 heads the converter fixes.
DURATION_HEAD_CONFIG = dict(
    video_cross_attention_dim=CONNECTORS_CONFIG_23["video_hidden_dim"],
    audio_cross_attention_dim=CONNECTORS_CONFIG_23["audio_hidden_dim"],
    pooler_hidden_dim=16,
    num_queries=1,
    num_pooler_heads=4,
    mlp_hidden_dim=16,
)


def build_tiny_gemma4_tokenizer():
    """The tiny Gemma tokenizer with Gemma 4's audio and video placeholders added."""
    return build_tiny_gemma_tokenizer(extra_special_tokens=_GEMMA4_EXTRA_TOKENS)


def build_tiny_gemma4(tokenizer):
    """A tiny Gemma4UnifiedForConditionalGeneration whose special token ids are the tokenizer's."""
    from transformers import Gemma4UnifiedConfig, Gemma4UnifiedForConditionalGeneration

    ids = tokenizer.convert_tokens_to_ids
    config = Gemma4UnifiedConfig(
        text_config=dict(
            GEMMA4_TEXT_CONFIG,
            vocab_size=((len(tokenizer) + 63) // 64) * 64,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            bos_token_id=tokenizer.bos_token_id,
        ),
        # Patch and pooling sizes left at the real ones (48-pixel model patches); the embedder's width is the text
        # width, and a 16-entry position table is enough for 768-pixel images.
        vision_config=dict(mm_embed_dim=TEXT_HIDDEN, output_proj_dims=TEXT_HIDDEN, mm_posemb_size=16),
        audio_config=dict(),  # 640 samples (40 ms at 16 kHz) per token, as the real one
        boi_token_id=ids("<start_of_image>"),
        eoi_token_id=ids("<end_of_image>"),
        image_token_id=ids("<image_soft_token>"),
        video_token_id=ids("<video_soft_token>"),
        boa_token_id=ids("<start_of_audio>"),
        eoa_token_index=ids("<end_of_audio>"),
        audio_token_id=ids("<audio_soft_token>"),
    )
    return Gemma4UnifiedForConditionalGeneration(config).eval()


def build_tiny_ltx25(seed: int):
    """A tiny random-weight LTX2Pipeline with LTX-2.5's architecture (CPU, float32), the same every build."""
    return build_tiny_ltx2(
        seed, transformer_config=TRANSFORMER_CONFIG_25, connectors_config=CONNECTORS_CONFIG_23,
        vocoder_class="LTX2VocoderWithBWE", vocoder_config=VOCODER_CONFIG_23,
        build_tokenizer=build_tiny_gemma4_tokenizer, build_text_encoder=build_tiny_gemma4,
        duration_head_config=DURATION_HEAD_CONFIG,
    )


# Smooth motion's temporal x2 upsampler (bench/full_size_ltx25.py, "temporal_latent_upsampler": time only, no spatial
# step) at the tiny VAE's latent width; 32 middle channels as the tiny spatial one's (GroupNorm's 32 groups).
TEMPORAL_UPSAMPLER_CONFIG = dict(
    in_channels=UPSAMPLER_CONFIG["in_channels"],
    mid_channels=UPSAMPLER_CONFIG["mid_channels"],
    num_blocks_per_stage=1,
    dims=3,
    spatial_upsample=False,
    temporal_upsample=True,
)


def build_tiny_ltx25_temporal_upsampler(seed: int):
    """A tiny random temporal LTX2LatentUpsamplerModel, saved beside the tiny pipeline in its own subfolder."""
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    torch.manual_seed(seed)
    return LTX2LatentUpsamplerModel(**TEMPORAL_UPSAMPLER_CONFIG).eval()
