"""Full-size config of the LTX-Video model in the catalog (LTX-Video 0.9.8 13B distilled), as plain data.

Part of FULL_SIZE_CONFIGS in bench/full_size.py, which says how it was transcribed and builds pipelines from it.
Keyed by the Hub repo id the catalog names; each component gives the class, the constructor arguments, and where
the numbers were read (repository + path).
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------------------------
# Text encoder
# ---------------------------------------------------------------------------------------------------------------

# T5 v1.1 XXL encoder, what LTX-Video encodes prompts with.
T5_V1_1_XXL_ENCODER = {
    "class": "T5EncoderModel",
    "config_class": "T5Config",
    "config": {
        "vocab_size": 32128,
        "d_model": 4096,
        "d_kv": 64,
        "d_ff": 10240,
        "num_layers": 24,
        "num_heads": 64,
        "relative_attention_num_buckets": 32,
        "relative_attention_max_distance": 128,
        "feed_forward_proj": "gated-gelu",
        "layer_norm_epsilon": 1e-6,
        "dropout_rate": 0.0,
    },
    "source": (
        "google-research/text-to-text-transfer-transformer t5/models/gin/models/t5.1.1.xxl.gin (d_model 4096, "
        "num_layers 24, d_ff 10240, num_heads 64, 'About 11B params' for encoder + decoder) and t5.1.1.base.gin "
        "(GEGLU feed-forward: activation ['gelu', 'linear']); d_kv 64 and vocab_size 32128 are the T5 defaults "
        "(transformers T5Config); diffusers scripts/convert_ltx_to_diffusers.py uses google/t5-v1_1-xxl and "
        "Lightricks/LTX-Video configs/ltxv-13b-0.9.8-distilled.yaml names PixArt-alpha/PixArt-XL-2-1024-MS, "
        "whose text encoder is that model"
    ),
}

# ---------------------------------------------------------------------------------------------------------------
# Per model, keyed by the catalog's repo id
# ---------------------------------------------------------------------------------------------------------------

LTX_CONFIGS: dict[str, dict] = {
    "Lightricks/LTX-Video-0.9.8-13B-distilled": {
        "pipeline_class": "LTXConditionPipeline",
        "pipeline_config": {},
        "pipeline_source": (
            "huggingface/diffusers docs/source/en/api/pipelines/ltx_video.md loads this repo with "
            "LTXConditionPipeline; scripts/convert_ltx_to_diffusers.py saves 0.9.7 (13B) as LTXConditionPipeline"
        ),
        "published_size": "13B (the model's name, ltxv-13b)",
        "components": {
            "transformer": {
                "class": "LTXVideoTransformer3DModel",
                "config": {
                    "in_channels": 128,
                    "out_channels": 128,
                    "patch_size": 1,
                    "patch_size_t": 1,
                    "num_attention_heads": 32,
                    "attention_head_dim": 128,
                    "cross_attention_dim": 4096,
                    "num_layers": 48,
                    "activation_fn": "gelu-approximate",
                    "qk_norm": "rms_norm_across_heads",
                    "norm_elementwise_affine": False,
                    "norm_eps": 1e-6,
                    "caption_channels": 4096,
                    "attention_bias": True,
                    "attention_out_bias": True,
                },
                "source": (
                    "huggingface/diffusers scripts/convert_ltx_to_diffusers.py, get_transformer_config('0.9.7') "
                    "(the 13B transformer; the script has no separate 0.9.8 entry). 0.9.8 13B keeps the 0.9.7 13B "
                    "architecture: Lightricks/LTX-Video README.md says the 0.9.8 13B models work with the official "
                    "IC-LoRAs, which are 13b-0.9.7 LoRAs. Cross-checked with AI-Hypercomputer/maxdiffusion "
                    "src/maxdiffusion/models/ltx_video/xora_v1.2-13B-balanced-128.json (48 layers, 32 heads x "
                    "128, cross_attention_dim 4096, caption_channels 4096)"
                ),
            },
            "vae": {
                "class": "AutoencoderKLLTXVideo",
                "config": {
                    "in_channels": 3,
                    "out_channels": 3,
                    "latent_channels": 128,
                    "block_out_channels": [128, 256, 512, 1024, 2048],
                    "down_block_types": [
                        "LTXVideo095DownBlock3D",
                        "LTXVideo095DownBlock3D",
                        "LTXVideo095DownBlock3D",
                        "LTXVideo095DownBlock3D",
                    ],
                    "decoder_block_out_channels": [256, 512, 1024],
                    "layers_per_block": [4, 6, 6, 2, 2],
                    "decoder_layers_per_block": [5, 5, 5, 5],
                    "spatio_temporal_scaling": [True, True, True, True],
                    "decoder_spatio_temporal_scaling": [True, True, True],
                    "decoder_inject_noise": [False, False, False, False],
                    "downsample_type": ["spatial", "temporal", "spatiotemporal", "spatiotemporal"],
                    "upsample_residual": [True, True, True],
                    "upsample_factor": [2, 2, 2],
                    "timestep_conditioning": True,
                    "patch_size": 4,
                    "patch_size_t": 1,
                    "resnet_norm_eps": 1e-6,
                    "scaling_factor": 1.0,
                    "encoder_causal": True,
                    "decoder_causal": False,
                    "spatial_compression_ratio": 32,
                    "temporal_compression_ratio": 8,
                },
                "source": (
                    "huggingface/diffusers scripts/convert_ltx_to_diffusers.py, get_vae_config('0.9.7') "
                    "(0.9.8 ships no new VAE in Lightricks/LTX-Video README.md's release notes)"
                ),
            },
            "text_encoder": T5_V1_1_XXL_ENCODER,
            "tokenizer": {
                "vocab_size": 32128,
                "model_max_length": 128,
                "source": (
                    "stand-in; huggingface/diffusers scripts/convert_ltx_to_diffusers.py TOKENIZER_MAX_LENGTH = "
                    "128; LTXConditionPipeline.__call__ pads prompts to max_sequence_length=256 "
                    "(pipelines/ltx/pipeline_ltx_condition.py)"
                ),
            },
            "scheduler": {
                "class": "FlowMatchEulerDiscreteScheduler",
                "config": {"use_dynamic_shifting": False},
                "source": (
                    "huggingface/diffusers scripts/convert_ltx_to_diffusers.py, __main__: "
                    "FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False) for 0.9.5 and 0.9.7; the "
                    "distilled model is driven with explicit timesteps (model/catalog.py) anyway"
                ),
            },
        },
    },
}
