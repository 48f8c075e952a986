"""Full-size config of LTX-2.5 distilled (22B) from Lightricks' own diffusers repo, as plain data.

Part of FULL_SIZE_CONFIGS in bench/full_size.py, which says how the configs were transcribed and builds pipelines
from them. Keyed by the Hub repo id, `Lightricks/LTX-2.5-Diffusers` (huggingface/diffusers
docs/source/en/api/pipelines/ltx2.md, section "LTX-2.5"). Each component gives the class, the constructor arguments,
and where the numbers were read (repository + path).

LTX-2.5 runs in the same LTX2Pipeline as 2.0 and 2.3 ("there is no separate pipeline class for it"). What changes:
the text encoder is a Gemma 4 12B fine-tune (`gemma4_unified`, Gemma4UnifiedForConditionalGeneration) instead of
Gemma 3 12B; the transformer is 2.3's with the video feed-forward bias dropped and a learned keyframe position
embedding; and the pipeline gains an optional `duration_head` (predicts the clip length when `num_frames` is None).
The repo's `transformer/` is the distilled DiT (what model_index.json points at); `transformer_full/` (the SFT DiT)
is not loaded by from_pretrained and is not described here.

`components` is what `LTX2Pipeline.from_pretrained` loads; each component outside the catalog's three rows says
under which row it is counted ("counted_as"). `extra_components` are published weights that are NOT built into that
pipeline: the latent upsamplers, the diffusion decoder (its own pipeline, LTX2VideoDiffusionDecodePipeline) and the
prompt enhancer (Gemma 4 E2B; LTX2Pipeline takes it as the optional `prompt_enhancer` component, see its "role").
They are built and counted on their own and count in no catalog row. A number no citable source gives is listed
in `unknown` with the reason.
"""

from __future__ import annotations

from .full_size_ltx2 import as_in
from .full_size_ltx23 import LTX23_CONFIGS

# ---------------------------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------------------------

# The converter's `version == "2.5"` branches (snapshot huggingface/diffusers@58eb52c0803ea9af3abec60841c2a093bdf1f951).
_CONVERT = "huggingface/diffusers scripts/convert_ltx2_to_diffusers.py"
# Where newer diffusers moved the same config functions, adding the 2.5 upsamplers
# (huggingface/diffusers@4aba9b9226304f8b9b579cf8a42c46f6eb41ea5c).
_CONFIGS = "huggingface/diffusers src/diffusers/loaders/conversion/configs/ltx2.py"
_DOCS = "huggingface/diffusers docs/source/en/api/pipelines/ltx2.md"
# Lightricks' README lists the LTX-2.5 weights (Lightricks/LTX-2@400fd31054597515f47125691032c04b1c3ee24e).
_README = "Lightricks/LTX-2 README.md ('Full Model List')"
# Lightricks' desktop app: file sizes of the published weights
# (Lightricks/LTX-Desktop@bf8bc8778ee6dd96aa71e5a3a3605041d63b87db).
_DESKTOP = "Lightricks/LTX-Desktop backend/runtime_config/model_download_specs.py"
# The Gemma 4 12B (gemma4_unified) config (huggingface/transformers@05babaa3b419417dd1906ca6dff7f7179602a24d).
_GEMMA4_UNIFIED = "huggingface/transformers src/transformers/models/gemma4_unified/convert_gemma4_unified_weights.py"
# The Gemma 4 E2B (gemma4) config (huggingface/transformers@ca5ff0b0d29a3b30277e4518644df411193f9490).
_GEMMA4 = "huggingface/transformers src/transformers/models/gemma4/convert_gemma4_weights.py"

# Gemma 4's RoPE, both converters' _ROPE_PARAMS (also the installed config classes' defaults).
_GEMMA4_ROPE = {
    "full_attention": {"rope_type": "proportional", "partial_rotary_factor": 0.25, "rope_theta": 1_000_000.0},
    "sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0},
}

# ---------------------------------------------------------------------------------------------------------------
# Text encoder and prompt enhancer
# ---------------------------------------------------------------------------------------------------------------

# Gemma 4 12B, `gemma4_unified`: no vision or audio tower; images and audio are embedded straight into the language
# model (patch embedder, 2-D position table, projections). Only the language model's hidden states reach LTX-2.5.
GEMMA4_12B = {
    "class": "Gemma4UnifiedForConditionalGeneration",
    "config_class": "Gemma4UnifiedConfig",
    "config": {
        "text_config": {
            "hidden_size": 3840,
            "intermediate_size": 15360,  # 4 * 3840
            "num_hidden_layers": 48,
            "layer_types": (["sliding_attention"] * 5 + ["full_attention"]) * 8,
            "num_attention_heads": 16,
            "num_key_value_heads": 8,
            "num_global_key_value_heads": 1,  # the full-attention layers: one K(=V) head of global_head_dim 512
            "attention_k_eq_v": True,
            "use_bidirectional_attention": "vision",
            "num_kv_shared_layers": 0,
            "use_double_wide_mlp": False,
            "final_logit_softcapping": 30.0,
            "rope_parameters": _GEMMA4_ROPE,
            # Not set by the converter, so the installed Gemma4UnifiedTextConfig defaults apply, written out here:
            "vocab_size": 262_144,
            "head_dim": 256,
            "sliding_window": 1024,
            "max_position_embeddings": 262_144,
            "hidden_activation": "gelu_pytorch_tanh",
            "rms_norm_eps": 1e-6,
        },
        "vision_config": {},  # Gemma4UnifiedVisionConfig() defaults: patch 16, pooling 3, 3840 wide, 1120 positions
        "audio_config": {},  # Gemma4UnifiedAudioConfig() defaults: 640 samples (40 ms at 16 kHz) per token
    },
    "source": (
        f"{_GEMMA4_UNIFIED}, _VARIANTS['gemma-4-12b'] (hidden 3840, intermediate 4 * 3840, 48 layers in 8 x "
        "[5 sliding + 1 full], 16 heads, 8 KV heads, 1 global KV head, attention_k_eq_v, bidirectional 'vision', "
        "final softcap 30, vision_config=_DEFAULT_VISION_CONFIG, audio_config=_DEFAULT_AUDIO_CONFIG; the only "
        "gemma4_unified model there besides its 4-layer assistant drafter). That LTX-2.5 uses it: "
        f"{_CONVERT} (--version 2.5 requires a `gemma4_unified` text encoder; connectors derive caption_channels = "
        "hidden_size and text_proj_in_factor = num_hidden_layers + 1 from its text config); LTX2Pipeline's "
        "text_encoder type is Gemma3ForConditionalGeneration | Gemma4UnifiedForConditionalGeneration; "
        f"{_README}: 'Text Encoder - Gemma 4 12B, fine-tuned for LTX, with the text projection bundled in' "
        "(gemma4-12b-with-proj-ltx-2.5-bf16.safetensors, 26.3 GB in "
        f"{_DESKTOP}: 2 bytes x (this count + the connectors' text projections) = 26.2 GB). Unverified from here: "
        "whether the fine-tune's saved config keeps the vision/audio embedders (52.4M parameters of this count)"
    ),
}

# Gemma 4 E2B, `gemma4`: 35 layers with per-layer input embeddings, a 16-layer vision tower and a 12-layer audio tower.
GEMMA4_E2B = {
    "class": "Gemma4ForConditionalGeneration",
    "config_class": "Gemma4Config",
    "config": {
        "text_config": {
            "hidden_size": 1536,
            "hidden_size_per_layer_input": 256,
            "intermediate_size": 6144,  # 4 * 1536
            "num_hidden_layers": 35,
            "layer_types": (["sliding_attention"] * 4 + ["full_attention"]) * 7,
            "num_attention_heads": 8,
            "num_key_value_heads": 1,
            "num_global_key_value_heads": None,
            "attention_k_eq_v": False,
            "use_bidirectional_attention": None,
            "num_kv_shared_layers": 20,
            "use_double_wide_mlp": True,
            "final_logit_softcapping": 30.0,
            "rope_parameters": _GEMMA4_ROPE,
            # Installed Gemma4TextConfig defaults (not set by the converter):
            "vocab_size": 262_144,
            "vocab_size_per_layer_input": 262_144,
        },
        "vision_config": {
            "hidden_size": 768,
            "intermediate_size": 3072,
            "num_hidden_layers": 16,
            "num_attention_heads": 12,
            "num_key_value_heads": 12,
            "head_dim": 64,
            "global_head_dim": 64,
            "default_output_length": 280,
            "pooling_kernel_size": 3,
            "use_clipped_linears": True,
        },
        "audio_config": {},  # Gemma4AudioConfig() defaults: 12 conformer layers, 1024 wide
        "vision_soft_tokens_per_image": 280,
    },
    "source": (
        f"{_GEMMA4}, _VARIANTS['gemma-4-e2b'] (text 1536 x 35 layers in 7 x [4 sliding + 1 full], per-layer inputs "
        "256, 8 heads, 1 KV head, 20 KV-shared layers, double-wide MLP; vision _ON_DEVICE_VISION_CONFIG; audio "
        f"_DEFAULT_AUDIO_CONFIG). Cross-check: google/gemma-4-E2B-it is 10,278,849,571 bytes in {_DESKTOP} "
        "(2 bytes x this count = 10.21 GB, plus tokenizer and processor files)"
    ),
}

# ---------------------------------------------------------------------------------------------------------------
# Per model, keyed by the Hub repo id
# ---------------------------------------------------------------------------------------------------------------

# The components 2.5's converter branches keep as 2.3's ("Same config as LTX-2.3"): written once, in 2.3's entry.
_LTX23 = LTX23_CONFIGS["diffusers/LTX-2.3-Distilled-Diffusers"]

LTX25_CONFIGS: dict[str, dict] = {
    "Lightricks/LTX-2.5-Diffusers": {
        "pipeline_class": "LTX2Pipeline",
        "pipeline_config": {},
        "pipeline_source": (
            f"{_DOCS}, 'LTX-2.5': 'reuses the same LTX2Pipeline/LTX2VideoTransformer3DModel/AutoencoderKLLTX2Video/"
            "etc. classes as LTX-2.3 -- there is no separate pipeline class'; LTX2Pipeline.from_pretrained("
            "'Lightricks/LTX-2.5-Diffusers'); 'Automatic duration for LTX-2.5': the checkpoints ship a duration_head "
            "the loaded pipeline uses when num_frames is omitted"
        ),
        "published_size": "22B (the transformer's file name, ltx-2.5-22b-distilled-transformer-bf16; " + _README + ")",
        # The "22B" of the name counts the text connectors too, as for LTX-2.3 (same sizes): transformer + connectors
        # is 22.16B where the transformer alone is 18.99B. LTX-2.5's files split them differently: the transformer
        # file holds the transformer and the connector blocks (21.00B; 42.0 GB in the desktop app's list), the
        # connectors' two text projections (1.16B) ship in the text encoder file ("with-proj").
        "published_size_covers": ["transformer", "connectors"],
        "components": {
            "transformer": {
                **_LTX23["components"]["transformer"],
                "config": {
                    **_LTX23["components"]["transformer"]["config"],
                    "ff_bias": False,  # new in 2.5: the video feed-forward has no bias
                    "use_keyframes_abs_pos_embedding": True,  # new in 2.5
                },
                "source": (
                    f"{_CONVERT}, get_ltx2_transformer_config('2.5') (model_id Lightricks/LTX-2.5: 2.3's config plus "
                    "ff_bias False and use_keyframes_abs_pos_embedding True, 'audio_ff_bias and "
                    "use_prompt_adaln_single keep their True defaults for this checkpoint'); same in "
                    f"{_CONFIGS}, get_ltx2_transformer_config('2.5')"
                ),
            },
            # caption_channels and text_proj_in_factor come from the text encoder, and Gemma 4 12B's (3840 wide, 48
            # layers) give 2.3's numbers, so the whole config is 2.3's.
            "connectors": as_in(
                _LTX23, "connectors",
                (
                    f"{_CONVERT}, get_ltx2_connectors_config('2.5', gemma_text_config): caption_channels = "
                    "gemma_text_config.hidden_size, text_proj_in_factor = gemma_text_config.num_hidden_layers + 1 "
                    "(filled in from GEMMA4_12B), the rest as 2.3 (video 32 x 128, audio 32 x 64, 8 layers each, "
                    "gated, per-modality projections with bias)"
                ),
            ),
            "text_encoder": GEMMA4_12B,
            "vae": as_in(
                _LTX23, "vae",
                (
                    f"{_CONVERT}, get_ltx2_video_vae_config('2.5') (the convolutional VAE in vae/; 'Same block "
                    "structure as 2.3 ... confirmed against the checkpoint's metadata'); timestep_conditioning from "
                    f"the --timestep_conditioning flag (off unless given). {_DOCS}, 'Convolutional and diffusion "
                    "decoding': vae/ is what the pipelines decode with"
                ),
            ),
            "audio_vae": as_in(
                _LTX23, "audio_vae",
                f"{_CONVERT}, get_ltx2_audio_vae_config('2.5') ('Same config as LTX-2.0 / 2.3')",
            ),
            "vocoder": as_in(
                _LTX23, "vocoder",
                (
                    f"{_CONVERT}, get_ltx2_vocoder_config('2.5') ('Same config as LTX-2.3'); convert_ltx2_vocoder "
                    "builds LTX2VocoderWithBWE for 2.3 and 2.5"
                ),
            ),
            "duration_head": {
                "class": "LTX2DurationHead",
                "module": "diffusers.pipelines.ltx2",
                # A head of the DiT checkpoint (its weights sit next to model.diffusion_model.* under
                # duration_head.*, and the converter saves it in the DiT's dtype), so counted with the transformer.
                "counted_as": "transformer",
                "config": {
                    "video_cross_attention_dim": 4096,  # the transformer's cross_attention_dim
                    "audio_cross_attention_dim": 2048,  # the transformer's audio_cross_attention_dim
                    "pooler_hidden_dim": 256,
                    "num_queries": 1,
                    "num_pooler_heads": 4,
                    "mlp_hidden_dim": 256,
                },
                "source": (
                    "Lightricks/LTX-2 packages/ltx-core/src/ltx_core/duration_head/model_configurator.py: video/audio "
                    "widths are the transformer's cross_attention_dim / audio_cross_attention_dim; the head's own "
                    "sizes 'have no finalized config schema yet' and default to the 'JAX-matching' pooler 256, 1 "
                    "query, 4 heads, MLP 256 (also the installed LTX2DurationHead's defaults). "
                    f"{_CONVERT}, convert_ltx2_duration_head reads the sizes back from the weight shapes and fixes "
                    "num_pooler_heads at 4; the shapes themselves could not be read from here. "
                    f"{_DESKTOP} gives ltx-2.5-duration-head-bf16.safetensors as ~8 MB (a rounded estimate; this "
                    "config is 3.8 MB in bf16)"
                ),
            },
            "tokenizer": {
                "class": "GemmaTokenizer",
                "vocab_size": 262144,
                "model_max_length": 1024,
                "source": (
                    f"stand-in; Gemma 4's tokenizer has 262,144 pieces ({_GEMMA4_UNIFIED}: usage "
                    "--tokenizer_path gemma4_cleaned_262144.model, saved as GemmaTokenizer; vocab_size 262_144), the "
                    "same special-token ids 0-2 (pad, eos, bos) as the stand-in; LTX2Pipeline pads prompts on the "
                    "left to max_sequence_length=1024 (diffusers pipelines/ltx2/pipeline_ltx2.py)"
                ),
            },
            "scheduler": as_in(
                _LTX23, "scheduler",
                (
                    f"{_DOCS}, 'LTX-2.5': 'The repo's scheduler/ is configured for the distilled checkpoint "
                    "(use_dynamic_shifting=False, shift_terminal=None)'; the shift bounds are the converter's "
                    f"distilled scheduler ({_CONVERT}, __main__)"
                ),
            ),
        },
        "extra_components": {
            "latent_upsampler": {
                "class": "LTX2LatentUpsamplerModel",
                "module": "diffusers.pipelines.ltx2",
                "role": (
                    "spatial x2 latent upsampler between stage 1 and stage 2 (LTX2LatentUpsamplePipeline), "
                    "subfolder latent_upsampler/ of the repo"
                ),
                "published_as": "Lightricks/LTX-2.5 latent_upscale_models/ltx-2.5-latent-spatial-upscaler-x2-bf16-1.0",
                # One converter branch for 2.3 and 2.5 (source below): 2.3's numbers.
                "config": _LTX23["extra_components"]["latent_upsampler"]["config"],
                "source": (
                    f"{_CONFIGS}, get_ltx2_spatial_latent_upsampler_config('2.5') (one branch for 2.3 and 2.5; the "
                    f"older {_CONVERT} raises for 2.5); {_DOCS}, 'LTX-2.5': the repo ships a latent_upsampler/ "
                    f"subfolder. Cross-check: {_DESKTOP} gives the file as ~995,000,000 bytes (bf16)"
                ),
            },
            "temporal_latent_upsampler": {
                "class": "LTX2LatentUpsamplerModel",
                "module": "diffusers.pipelines.ltx2",
                "role": (
                    "temporal x2 latent upsampler for the DFR pipeline's temporal refine rounds "
                    "(LTX2DFRTemporalRefinePipeline's temporal_latent_upsampler)"
                ),
                "published_as": "Lightricks/LTX-2.5 latent_upscale_models/ltx-2.5-latent-temporal-upscaler-x2-bf16-1.0",
                "config": {
                    "in_channels": 128,
                    "mid_channels": 512,
                    "num_blocks_per_stage": 4,
                    "dims": 3,
                    "spatial_upsample": False,
                    "temporal_upsample": True,
                },
                "source": (
                    f"{_CONFIGS}, get_ltx2_temporal_latent_upsampler_config('2.5') ('narrower than its spatial "
                    f"sibling and pixel-shuffles along time only'); published: {_README} ('Temporal Upscaler'). "
                    "The installed diffusers' LTX2DFRTemporalRefinePipeline example loads it from "
                    "'path/to/converted/temporal_latent_upsampler', so whether the diffusers repo ships it is not "
                    "established from here"
                ),
            },
            "diffusion_decoder": {
                "class": "LTX2VideoDiffusionDecoderModel",
                "role": (
                    "alternative video decoder (a one-step diffusion model over the same latents), subfolder "
                    "diffusion_decoder/, run by LTX2VideoDiffusionDecodePipeline after output_type='latent'; "
                    "decoder only (encoding stays with vae/)"
                ),
                "published_as": "Lightricks/LTX-2.5 vae/ltx-2.5-video-vae-bf16.safetensors (NADiffusionDecoder)",
                "config": {
                    "out_channels": 3,
                    "latent_channels": 128,
                    "patch_size": 4,
                    "decoder_head_dim": 64,
                    "decoder_stage_channels": [2048, 1024, 512, 512, 256],
                    "decoder_stage_depths": [4, 6, 4, 2, 8],
                    "decoder_stage_kernels": [[3, 7, 7], [3, 7, 7], [3, 5, 5], [3, 5, 5]],
                    "decoder_upsample_strides": [[1, 2, 2], [2, 1, 1], [2, 2, 2], [2, 2, 2]],
                    "decoder_upsample_channel_reductions": [2, 2, 1, 2],
                    "decoder_stage5_kernel": [11, 11, 11],
                    "decoder_t_emb_dim": 384,
                    "decoder_timestep_scale_multiplier": 1000.0,
                    "decoder_model_output_type": "x0",
                    "decoder_num_inference_steps": 1,
                    "spatial_compression_ratio": 32,
                    "temporal_compression_ratio": 8,
                },
                "source": (
                    f"{_CONVERT}, get_ltx2_diffusion_video_vae_config('2.5') (--diffusion_vae, saved to "
                    f"diffusion_decoder/); {_DOCS}, 'Convolutional and diffusion decoding'"
                ),
            },
            "prompt_enhancer": {
                **GEMMA4_E2B,
                "role": (
                    "LTX2Pipeline's optional prompt_enhancer component (with `processor`): used by enhance_prompt / "
                    "enable_prompt_enhancement=True instead of the text encoder, which 'was not trained for "
                    "enhancement'. The docs load it by hand when absent (if getattr(pipe, 'prompt_enhancer', None) "
                    "is None: ... from_pretrained('google/gemma-4-E2B-it')); whether the repo's model_index.json lists "
                    "it (then from_pretrained loads it and it is resident too) could not be checked from here"
                ),
                "published_as": "google/gemma-4-E2B-it",
                "source": (
                    f"{_DOCS}, 'Prompt Enhancement for LTX-2.5' (a separate, off-the-shelf google/gemma-4-E2B-it); "
                    f"{_CONVERT}, --prompt_enhancer_model_id ('must be set explicitly ... for --version 2.5 -- e.g. to "
                    "google/gemma-4-E2B-it or google/gemma-4-E4B-it'). " + GEMMA4_E2B["source"]
                ),
            },
        },
        "unknown": {
            "duration_head_shapes": (
                "the published head's actual widths (converted from weight shapes); the config above is the "
                "reference loader's default"
            ),
        },
    },
}
