"""Full-size config of the LTX-2 model in the catalog (LTX-2 19B distilled, version 2.0), as plain data.

Part of FULL_SIZE_CONFIGS in bench/full_size.py, which says how it was transcribed and builds pipelines from it.
Keyed by the Hub repo id the catalog names; each component gives the class, the constructor arguments, and where
the numbers were read (repository + path).

LTX-2 has more components than the catalog's WeightSizes has rows (transformer, text_encoder, vae). A component
outside those three says under which row the catalog counts it ("counted_as"): the text connectors under the text
encoder, the audio VAE and the vocoder under the VAE. Its classes that diffusers does not export at the top level
name the module they live in ("module").

The distilled checkpoint has the dev checkpoint's architecture: diffusers' scripts/convert_ltx2_to_diffusers.py
converts both with the same `version == "2.0"` configs and only picks another scheduler when the file name contains
"distilled". The spatial latent upsampler of HD's second stage (model/stages.py render_hd) is not part of the
pipeline: it is the config's "extra_components" entry, built on its own (bench/gpu_hd.py) and counted in no row.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------------------------

# Every LTX-2 component but the text encoder: the `version == "2.0"` branches of the config functions in this file.
_CONVERT = "huggingface/diffusers scripts/convert_ltx2_to_diffusers.py"

# ---------------------------------------------------------------------------------------------------------------
# Text encoder
# ---------------------------------------------------------------------------------------------------------------

# Gemma 3 12B with its SigLIP vision tower, as Gemma3ForConditionalGeneration loads it (LTX2Pipeline's text_encoder
# type). Only the language model's hidden states reach LTX-2, but the whole model is loaded and held in memory.
GEMMA3_12B = {
    "class": "Gemma3ForConditionalGeneration",
    "config_class": "Gemma3Config",
    "config": {
        "text_config": {
            "model_type": "gemma3_text",
            "vocab_size": 262208,  # 262,144 pieces + 64 rows added for the image soft token
            "hidden_size": 3840,  # 30 * 128
            "intermediate_size": 15360,  # 30 * 128 * 8 // 2
            "num_hidden_layers": 48,
            "num_attention_heads": 16,
            "num_key_value_heads": 8,
            "head_dim": 256,
            "query_pre_attn_scalar": 256,
            "sliding_window": 1024,
            "hidden_activation": "gelu_pytorch_tanh",
            "rms_norm_eps": 1e-6,
            "max_position_embeddings": 131072,
            "attn_logit_softcapping": None,
            "final_logit_softcapping": None,
            "rope_parameters": {
                "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1_000_000.0},
                "sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0},
            },
        },
        "vision_config": {
            "model_type": "siglip_vision_model",
            "hidden_size": 1152,
            "intermediate_size": 4304,
            "num_hidden_layers": 27,
            "num_attention_heads": 16,
            "num_channels": 3,
            "image_size": 896,
            "patch_size": 14,
            "hidden_act": "gelu_pytorch_tanh",
            "layer_norm_eps": 1e-6,
            "attention_dropout": 0.0,
            "vision_use_head": False,
        },
        "mm_tokens_per_image": 256,
        "boi_token_index": 255999,
        "eoi_token_index": 256000,
        "image_token_index": 262144,
    },
    "source": (
        f"{_CONVERT}, get_args: --text_encoder_model_id defaults to google/gemma-3-12b-it-qat-q4_0-unquantized, "
        "loaded with AutoModelForImageTextToText (Gemma3ForConditionalGeneration, vision tower included). The "
        "12B config: huggingface/transformers src/transformers/models/gemma3/convert_gemma3_weights.py, "
        "_VARIANTS['gemma3_12b'] (vocab_size 262_144, hidden_size 30 * 128, intermediate_size 30 * 128 * 8 // 2, "
        "16 heads, head_dim 256, 48 layers, 8 KV heads, sliding_window 1024, linear RoPE factor 8 for full "
        "attention, query_pre_attn_scalar 256) and _VISION_CONFIG (SigLIP 1152 x 27 layers, 16 heads, 896 px, "
        "patch 14, no head); with the vision encoder the script grows the embedding by 64 rows "
        "(config.vocab_size += 64: 262_208) and saves the tokenizer with <image_soft_token> at ID 262_144. "
        "Cross-checked: keras-team/keras-hub keras_hub/src/models/gemma3/gemma3_presets.py gemma3_instruct_12b, "
        "12,187,079,280 parameters = this count less 64 x 3840 (keras keeps a 262,144-row embedding)"
    ),
}

# ---------------------------------------------------------------------------------------------------------------
# Per model, keyed by the catalog's repo id
# ---------------------------------------------------------------------------------------------------------------

def as_in(model_config: dict, component: str, source: str) -> dict:
    """A component whose config a later version's converter branch repeats ("Same config as ..."): the earlier
    entry's component with the later version's own source, so each number is written once."""
    return {**model_config["components"][component], "source": source}


LTX2_CONFIGS: dict[str, dict] = {
    "rootonchair/LTX-2-19b-distilled": {
        "pipeline_class": "LTX2Pipeline",
        "pipeline_config": {},
        "pipeline_source": (
            "huggingface/diffusers docs/source/en/api/pipelines/ltx2.md, 'Distilled checkpoint generation': "
            "LTX2Pipeline.from_pretrained('rootonchair/LTX-2-19b-distilled'); "
            f"{_CONVERT}, __main__ (--full_pipeline) saves LTX2Pipeline(scheduler, vae, audio_vae, text_encoder, "
            "tokenizer, connectors, transformer, vocoder)"
        ),
        "published_size": "19B (the model's name, ltx-2-19b)",
        "components": {
            "transformer": {
                "class": "LTX2VideoTransformer3DModel",
                "config": {
                    "in_channels": 128,
                    "out_channels": 128,
                    "patch_size": 1,
                    "patch_size_t": 1,
                    "num_attention_heads": 32,
                    "attention_head_dim": 128,
                    "cross_attention_dim": 4096,
                    "vae_scale_factors": [8, 32, 32],
                    "pos_embed_max_pos": 20,
                    "base_height": 2048,
                    "base_width": 2048,
                    "gated_attn": False,
                    "cross_attn_mod": False,
                    "audio_in_channels": 128,
                    "audio_out_channels": 128,
                    "audio_patch_size": 1,
                    "audio_patch_size_t": 1,
                    "audio_num_attention_heads": 32,
                    "audio_attention_head_dim": 64,
                    "audio_cross_attention_dim": 2048,
                    "audio_scale_factor": 4,
                    "audio_pos_embed_max_pos": 20,
                    "audio_sampling_rate": 16000,
                    "audio_hop_length": 160,
                    "audio_gated_attn": False,
                    "audio_cross_attn_mod": False,
                    "num_layers": 48,
                    "activation_fn": "gelu-approximate",
                    "qk_norm": "rms_norm_across_heads",
                    "norm_elementwise_affine": False,
                    "norm_eps": 1e-6,
                    "caption_channels": 3840,
                    "attention_bias": True,
                    "attention_out_bias": True,
                    "rope_theta": 10000.0,
                    "rope_double_precision": True,
                    "causal_offset": 1,
                    "timestep_scale_multiplier": 1000,
                    "cross_attn_timestep_scale_multiplier": 1000,
                    "rope_type": "split",
                    "use_prompt_embeddings": True,
                    "perturbed_attn": False,
                },
                "source": (
                    f"{_CONVERT}, get_ltx2_transformer_config('2.0') (model_id Lightricks/LTX-2: 48 layers, video "
                    "32 heads x 128, audio 32 heads x 64, caption_channels 3840); the script converts the distilled "
                    "checkpoint with the same config"
                ),
            },
            "connectors": {
                "class": "LTX2TextConnectors",
                "module": "diffusers.pipelines.ltx2",
                "counted_as": "text_encoder",
                "config": {
                    "caption_channels": 3840,
                    "text_proj_in_factor": 49,  # Gemma's 48 layers' hidden states + the embeddings
                    "video_connector_num_attention_heads": 30,
                    "video_connector_attention_head_dim": 128,
                    "video_connector_num_layers": 2,
                    "video_connector_num_learnable_registers": 128,
                    "video_gated_attn": False,
                    "audio_connector_num_attention_heads": 30,
                    "audio_connector_attention_head_dim": 128,
                    "audio_connector_num_layers": 2,
                    "audio_connector_num_learnable_registers": 128,
                    "audio_gated_attn": False,
                    "connector_rope_base_seq_len": 4096,
                    "rope_theta": 10000.0,
                    "rope_double_precision": True,
                    "causal_temporal_positioning": False,
                    "rope_type": "split",
                    "per_modality_projections": False,
                    "proj_bias": False,
                },
                "source": (
                    f"{_CONVERT}, get_ltx2_connectors_config('2.0') (30 heads x 128, 2 layers per connector, "
                    "caption_channels 3840)"
                ),
            },
            "text_encoder": GEMMA3_12B,
            "vae": {
                "class": "AutoencoderKLLTX2Video",
                "config": {
                    "in_channels": 3,
                    "out_channels": 3,
                    "latent_channels": 128,
                    "block_out_channels": [256, 512, 1024, 2048],
                    "down_block_types": [
                        "LTX2VideoDownBlock3D",
                        "LTX2VideoDownBlock3D",
                        "LTX2VideoDownBlock3D",
                        "LTX2VideoDownBlock3D",
                    ],
                    "decoder_block_out_channels": [256, 512, 1024],
                    "layers_per_block": [4, 6, 6, 2, 2],
                    "decoder_layers_per_block": [5, 5, 5, 5],
                    "spatio_temporal_scaling": [True, True, True, True],
                    "decoder_spatio_temporal_scaling": [True, True, True],
                    "decoder_inject_noise": [False, False, False, False],
                    "downsample_type": ["spatial", "temporal", "spatiotemporal", "spatiotemporal"],
                    "upsample_type": ["spatiotemporal", "spatiotemporal", "spatiotemporal"],
                    "upsample_residual": [True, True, True],
                    "upsample_factor": [2, 2, 2],
                    "timestep_conditioning": False,
                    "patch_size": 4,
                    "patch_size_t": 1,
                    "resnet_norm_eps": 1e-6,
                    "encoder_causal": True,
                    "decoder_causal": False,
                    "encoder_spatial_padding_mode": "zeros",
                    "decoder_spatial_padding_mode": "reflect",
                    "spatial_compression_ratio": 32,
                    "temporal_compression_ratio": 8,
                },
                "source": (
                    f"{_CONVERT}, get_ltx2_video_vae_config('2.0'); timestep_conditioning comes from the "
                    "script's --timestep_conditioning flag (store_true: off unless given)"
                ),
            },
            "audio_vae": {
                "class": "AutoencoderKLLTX2Audio",
                "counted_as": "vae",
                "config": {
                    "base_channels": 128,
                    "output_channels": 2,
                    "ch_mult": [1, 2, 4],
                    "num_res_blocks": 2,
                    "attn_resolutions": None,
                    "in_channels": 2,
                    "resolution": 256,
                    "latent_channels": 8,
                    "norm_type": "pixel",
                    "causality_axis": "height",
                    "dropout": 0.0,
                    "mid_block_add_attention": False,
                    "sample_rate": 16000,
                    "mel_hop_length": 160,
                    "is_causal": True,
                    "mel_bins": 64,
                    "double_z": True,
                },
                "source": f"{_CONVERT}, get_ltx2_audio_vae_config('2.0')",
            },
            "vocoder": {
                "class": "LTX2Vocoder",
                "module": "diffusers.pipelines.ltx2",
                "counted_as": "vae",
                "config": {
                    "in_channels": 128,
                    "hidden_channels": 1024,
                    "out_channels": 2,
                    "upsample_kernel_sizes": [16, 15, 8, 4, 4],
                    "upsample_factors": [6, 5, 2, 2, 2],
                    "resnet_kernel_sizes": [3, 7, 11],
                    "resnet_dilations": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
                    "act_fn": "leaky_relu",
                    "leaky_relu_negative_slope": 0.1,
                    "antialias": False,
                    "final_act_fn": "tanh",
                    "final_bias": True,
                    "output_sampling_rate": 24000,
                },
                "source": f"{_CONVERT}, get_ltx2_vocoder_config('2.0')",
            },
            "tokenizer": {
                "class": "GemmaTokenizer",
                "vocab_size": 262145,
                "model_max_length": 1024,
                "source": (
                    "stand-in; huggingface/transformers src/transformers/models/gemma3/convert_gemma3_weights.py "
                    "saves Gemma 3's GemmaTokenizer (262,144 SentencePiece pieces, <image_soft_token> at ID "
                    "262_144, left padding, <bos> added); LTX2Pipeline.__call__ pads prompts to "
                    "max_sequence_length=1024 (diffusers pipelines/ltx2/pipeline_ltx2.py)"
                ),
            },
            "scheduler": {
                "class": "FlowMatchEulerDiscreteScheduler",
                "config": {
                    "use_dynamic_shifting": False,
                    "base_shift": 0.95,
                    "max_shift": 2.05,
                    "base_image_seq_len": 1024,
                    "max_image_seq_len": 4096,
                    "shift_terminal": None,
                },
                "source": (
                    f"{_CONVERT}, __main__: for a file name containing 'distilled', "
                    "FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False, ..., shift_terminal=None) 'so that "
                    "distilled sigmas are used as-is'; Reel passes the distilled sigmas itself (model/catalog.py)"
                ),
            },
        },
        "extra_components": {
            "latent_upsampler": {
                "class": "LTX2LatentUpsamplerModel",
                "module": "diffusers.pipelines.ltx2",
                "role": "spatial x2 latent upsampler: LTX2LatentUpsamplePipeline between HD's two stages",
                "published_as": (
                    "rootonchair/LTX-2-19b-distilled latent_upsampler/ (the catalog's HdSpec.upsampler_subfolder), "
                    "converted from Lightricks' ltx-2-spatial-upscaler-x2-1.0.safetensors"
                ),
                "config": {
                    "in_channels": 128,
                    "mid_channels": 1024,
                    "num_blocks_per_stage": 4,
                    "dims": 3,
                    "spatial_upsample": True,
                    "temporal_upsample": False,
                    "rational_spatial_scale": 2.0,
                    "use_rational_resampler": True,
                },
                "source": (
                    f"{_CONVERT}, get_ltx2_spatial_latent_upsampler_config('2.0') (use_rational_resampler True, also "
                    "LTX2LatentUpsamplerModel's default in diffusers 0.42.1); 497,867,904 parameters, the catalog's "
                    "HdSpec.upsampler_parameters"
                ),
            },
        },
    },
}
