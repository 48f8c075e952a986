"""Full-size config of LTX-2.3 distilled (22B) as the diffusers team converted it, as plain data.

Part of FULL_SIZE_CONFIGS in bench/full_size.py, which says how the configs were transcribed and builds pipelines
from them. Keyed by the Hub repo id, `diffusers/LTX-2.3-Distilled-Diffusers` (named by huggingface/diffusers
src/diffusers/pipelines/ltx2/pipeline_ltx2_hdr_lora.py's example, `LTX2HDRPipeline.from_pretrained(...)`). Each
component gives the class, the constructor arguments, and where the numbers were read (repository + path).

LTX-2.3 keeps LTX-2.0's pipeline (LTX2Pipeline, the same six model components, Gemma 3 12B) and changes the
weights around it: a new video VAE (a fourth decoder stage, no residual upsamplers), gated attention and
cross-attention modulation in the transformer and in 8-layer text connectors with per-modality projections, and a
vocoder with bandwidth extension (LTX2VocoderWithBWE, 16 kHz mel in, 48 kHz stereo out). The distilled and dev
checkpoints share the architecture: the converter has one `version == "2.3"` config per component and only picks
the scheduler from the checkpoint's file name ("distilled" in it: no dynamic shifting).

`components` is what `LTX2Pipeline.from_pretrained` loads; each component outside the catalog's three rows says
under which row it is counted ("counted_as"). `extra_components` are published weights that are NOT part of that
pipeline (the latent upsamplers of the optional second stage): built and counted on their own, never passed to the
pipeline, so they count in no catalog row. A published component whose constructor arguments no citable source
gives is listed in `unknown_components` with the reason, and is not built.
"""

from __future__ import annotations

from .full_size_ltx2 import GEMMA3_12B, LTX2_CONFIGS, as_in

# ---------------------------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------------------------

# Every component but the text encoder and the upsamplers: the `version == "2.3"` branches of the config functions
# of the converter the repo was made with (snapshot huggingface/diffusers@58eb52c0803ea9af3abec60841c2a093bdf1f951).
_CONVERT = "huggingface/diffusers scripts/convert_ltx2_to_diffusers.py"
# Where newer diffusers moved those same config functions, with the 2.5 upsamplers added
# (huggingface/diffusers@4aba9b9226304f8b9b579cf8a42c46f6eb41ea5c); the 2.3 entries are identical to _CONVERT's.
_CONFIGS = "huggingface/diffusers src/diffusers/loaders/conversion/configs/ltx2.py"
# Lightricks' own list of the LTX-2.3 weights (Lightricks/LTX-2@400fd31054597515f47125691032c04b1c3ee24e).
_MODELS_23 = "Lightricks/LTX-2 MODELS-LTX-2.3.md"

# ---------------------------------------------------------------------------------------------------------------
# Per model, keyed by the Hub repo id
# ---------------------------------------------------------------------------------------------------------------

LTX23_CONFIGS: dict[str, dict] = {
    "diffusers/LTX-2.3-Distilled-Diffusers": {
        "pipeline_class": "LTX2Pipeline",
        "pipeline_config": {},
        "pipeline_source": (
            "huggingface/diffusers src/diffusers/pipelines/ltx2/pipeline_ltx2_hdr_lora.py example "
            "(from_pretrained('diffusers/LTX-2.3-Distilled-Diffusers')); docs/source/en/api/pipelines/ltx2.md: LTX-2.3 "
            "runs in LTX2Pipeline / LTX2ImageToVideoPipeline (examples with 'diffusers/LTX-2.3-Diffusers'); "
            f"{_CONVERT}, __main__ (--full_pipeline) saves LTX2Pipeline(scheduler, vae, audio_vae, text_encoder, "
            "tokenizer, connectors, transformer, vocoder, processor, prompt_enhancer=None for 2.3)"
        ),
        "published_size": "22B (the checkpoint's name, ltx-2.3-22b-distilled; Lightricks/LTX-2 MODELS-LTX-2.3.md)",
        # The "22B" of the name counts the text connectors too: the original checkpoint keeps them inside the DiT
        # (model.diffusion_model.*; the converter's split_transformer_and_connector_state_dict splits them out), and
        # transformer + connectors is 22.16B where the transformer alone is 18.99B.
        "published_size_covers": ["transformer", "connectors"],
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
                    "gated_attn": True,  # new in 2.3
                    "cross_attn_mod": True,  # new in 2.3
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
                    "audio_gated_attn": True,  # new in 2.3
                    "audio_cross_attn_mod": True,  # new in 2.3
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
                    "use_prompt_embeddings": False,  # 2.3: the caption projection moved into the connectors
                    "perturbed_attn": True,  # new in 2.3 (STG by perturbed attention)
                },
                "source": (
                    f"{_CONVERT}, get_ltx2_transformer_config('2.3') (model_id Lightricks/LTX-2.3: 48 layers, video 32 "
                    "heads x 128, audio 32 heads x 64, gated_attn / audio_gated_attn / cross_attn_mod / "
                    "audio_cross_attn_mod / perturbed_attn True, use_prompt_embeddings False); ff_bias, audio_ff_bias, "
                    "use_prompt_adaln_single and use_keyframes_abs_pos_embedding are not set there, so the installed "
                    "class's defaults apply (True, True, True, False). Same in "
                    f"{_CONFIGS}, get_ltx2_transformer_config('2.3')"
                ),
            },
            "connectors": {
                "class": "LTX2TextConnectors",
                "module": "diffusers.pipelines.ltx2",
                "counted_as": "text_encoder",
                "config": {
                    "caption_channels": 3840,
                    "text_proj_in_factor": 49,  # Gemma 3 12B's 48 layers' hidden states + the embeddings
                    "video_connector_num_attention_heads": 32,
                    "video_connector_attention_head_dim": 128,
                    "video_connector_num_layers": 8,
                    "video_connector_num_learnable_registers": 128,
                    "video_gated_attn": True,
                    "audio_connector_num_attention_heads": 32,
                    "audio_connector_attention_head_dim": 64,
                    "audio_connector_num_layers": 8,
                    "audio_connector_num_learnable_registers": 128,
                    "audio_gated_attn": True,
                    "connector_rope_base_seq_len": 4096,
                    "rope_theta": 10000.0,
                    "rope_double_precision": True,
                    "causal_temporal_positioning": False,
                    "rope_type": "split",
                    "per_modality_projections": True,
                    "video_hidden_dim": 4096,
                    "audio_hidden_dim": 2048,
                    "proj_bias": True,
                },
                "source": (
                    f"{_CONVERT}, get_ltx2_connectors_config('2.3') (video 32 heads x 128, audio 32 heads x 64, 8 "
                    "layers each, gated, per-modality projections 49 x 3840 -> 4096 / 2048 with bias)"
                ),
            },
            "text_encoder": GEMMA3_12B,
            "vae": {
                "class": "AutoencoderKLLTX2Video",
                "config": {
                    "in_channels": 3,
                    "out_channels": 3,
                    "latent_channels": 128,
                    "block_out_channels": [256, 512, 1024, 1024],
                    "down_block_types": [
                        "LTX2VideoDownBlock3D",
                        "LTX2VideoDownBlock3D",
                        "LTX2VideoDownBlock3D",
                        "LTX2VideoDownBlock3D",
                    ],
                    "decoder_block_out_channels": [256, 512, 512, 1024],
                    "layers_per_block": [4, 6, 4, 2, 2],
                    "decoder_layers_per_block": [4, 6, 4, 2, 2],
                    "spatio_temporal_scaling": [True, True, True, True],
                    "decoder_spatio_temporal_scaling": [True, True, True, True],
                    "decoder_inject_noise": [False, False, False, False, False],
                    "downsample_type": ["spatial", "temporal", "spatiotemporal", "spatiotemporal"],
                    "upsample_type": ["spatiotemporal", "spatiotemporal", "temporal", "spatial"],
                    "upsample_residual": [False, False, False, False],
                    "upsample_factor": [2, 2, 1, 2],
                    "timestep_conditioning": False,
                    "patch_size": 4,
                    "patch_size_t": 1,
                    "resnet_norm_eps": 1e-6,
                    "encoder_causal": True,
                    "decoder_causal": False,
                    "encoder_spatial_padding_mode": "zeros",
                    "decoder_spatial_padding_mode": "zeros",
                    "spatial_compression_ratio": 32,
                    "temporal_compression_ratio": 8,
                },
                "source": (
                    f"{_CONVERT}, get_ltx2_video_vae_config('2.3'); timestep_conditioning comes from the script's "
                    "--timestep_conditioning flag (store_true: off unless given)"
                ),
            },
            "audio_vae": as_in(
                LTX2_CONFIGS["rootonchair/LTX-2-19b-distilled"], "audio_vae",
                f"{_CONVERT}, get_ltx2_audio_vae_config('2.3') ('Same config as LTX-2.0')",
            ),
            "vocoder": {
                "class": "LTX2VocoderWithBWE",
                "module": "diffusers.pipelines.ltx2",
                "counted_as": "vae",
                "config": {
                    "in_channels": 128,
                    "hidden_channels": 1536,
                    "out_channels": 2,
                    "upsample_kernel_sizes": [11, 4, 4, 4, 4, 4],
                    "upsample_factors": [5, 2, 2, 2, 2, 2],
                    "resnet_kernel_sizes": [3, 7, 11],
                    "resnet_dilations": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
                    "act_fn": "snakebeta",
                    "leaky_relu_negative_slope": 0.1,
                    "antialias": True,
                    "antialias_ratio": 2,
                    "antialias_kernel_size": 12,
                    "final_act_fn": None,
                    "final_bias": False,
                    "bwe_in_channels": 128,
                    "bwe_hidden_channels": 512,
                    "bwe_out_channels": 2,
                    "bwe_upsample_kernel_sizes": [12, 11, 4, 4, 4],
                    "bwe_upsample_factors": [6, 5, 2, 2, 2],
                    "bwe_resnet_kernel_sizes": [3, 7, 11],
                    "bwe_resnet_dilations": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
                    "bwe_act_fn": "snakebeta",
                    "bwe_leaky_relu_negative_slope": 0.1,
                    "bwe_antialias": True,
                    "bwe_antialias_ratio": 2,
                    "bwe_antialias_kernel_size": 12,
                    "bwe_final_act_fn": None,
                    "bwe_final_bias": False,
                    "filter_length": 512,
                    "hop_length": 80,
                    "window_length": 512,
                    "num_mel_channels": 64,
                    "input_sampling_rate": 16000,
                    "output_sampling_rate": 48000,
                },
                "source": (
                    f"{_CONVERT}, get_ltx2_vocoder_config('2.3'); convert_ltx2_vocoder builds LTX2VocoderWithBWE for "
                    "versions 2.3 and 2.5 (LTX2Vocoder for 2.0)"
                ),
            },
            "tokenizer": {
                "class": "GemmaTokenizer",
                "vocab_size": 262145,
                "model_max_length": 1024,
                "source": (
                    "stand-in, as for LTX-2.0 (same Gemma 3 tokenizer: the converter's --tokenizer_id defaults to "
                    "google/gemma-3-12b-it-qat-q4_0-unquantized, 'used by LTX 2.0/2.3'); LTX2Pipeline.__call__ pads "
                    "prompts to max_sequence_length=1024 (diffusers pipelines/ltx2/pipeline_ltx2.py)"
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
                    f"{_CONVERT}, __main__: for a file name containing 'distilled' (the repo was converted from the "
                    "distilled checkpoint), FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False, ..., "
                    "shift_terminal=None) 'so that distilled sigmas are used as-is'"
                ),
            },
        },
        "extra_components": {
            "latent_upsampler": {
                "class": "LTX2LatentUpsamplerModel",
                "module": "diffusers.pipelines.ltx2",
                "role": "spatial x2 latent upsampler: LTX2LatentUpsamplePipeline between stage 1 and stage 2",
                "published_as": "Lightricks/LTX-2.3 ltx-2.3-spatial-upscaler-x2-1.1.safetensors (1.0 superseded)",
                "config": {
                    "in_channels": 128,
                    "mid_channels": 1024,
                    "num_blocks_per_stage": 4,
                    "dims": 3,
                    "spatial_upsample": True,
                    "temporal_upsample": False,
                    "rational_spatial_scale": 2.0,
                    "use_rational_resampler": False,  # 2.0's x2 upsampler used the rational resampler
                },
                "source": (
                    f"{_CONVERT}, get_ltx2_spatial_latent_upsampler_config('2.3'); same in {_CONFIGS}. Published: "
                    f"{_MODELS_23} ('Spatial Upscaler'). Cross-check: Lightricks/LTX-Desktop "
                    "backend/runtime_config/model_download_specs.py gives the x2-1.1 file as 995,743,560 bytes (bf16)"
                ),
            },
        },
        "unknown_components": {
            "spatial_upsampler_x1_5": (
                f"published ({_MODELS_23}: ltx-2.3-spatial-upscaler-x1.5-1.0.safetensors), but no diffusers config "
                "for it: get_ltx2_spatial_latent_upsampler_config has no x1.5 entry, and the original loader "
                "(Lightricks/LTX-2 packages/ltx-core/src/ltx_core/model/upsampler/model_configurator.py) reads the "
                "sizes from the checkpoint's metadata, which cannot be read from here"
            ),
            "temporal_upsampler_x2": (
                f"published ({_MODELS_23}: ltx-2.3-temporal-upscaler-x2-1.0.safetensors, 'will be required for "
                f"future pipeline implementations'), but {_CONFIGS} get_ltx2_temporal_latent_upsampler_config raises "
                "for any version but 2.5, and the original loader reads the sizes from the checkpoint's metadata"
            ),
        },
    },
}
