"""Full-size configs of the Wan models in the catalog (Wan 2.2 TI2V-5B, Wan 2.1 T2V-1.3B), as plain data.

Part of FULL_SIZE_CONFIGS in bench/full_size.py, which says how they were transcribed and builds pipelines from
them. Keyed by the Hub repo id the catalog names; each component gives the class, the constructor arguments, and
where the numbers were read (repository + path).
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------------------------
# Text encoder (shared by every Wan model)
# ---------------------------------------------------------------------------------------------------------------

# umT5-XXL encoder, what every Wan model encodes prompts with.
UMT5_XXL_ENCODER = {
    "class": "UMT5EncoderModel",
    "config_class": "UMT5Config",
    "config": {
        "vocab_size": 256384,
        "d_model": 4096,
        "d_kv": 64,  # dim_attn 4096 / 64 heads
        "d_ff": 10240,
        "num_layers": 24,
        "num_heads": 64,
        "relative_attention_num_buckets": 32,
        "relative_attention_max_distance": 128,  # max_dist=128 in T5RelativeEmbedding
        "feed_forward_proj": "gated-gelu",  # T5FeedForward: fc1(x) * GELU_tanh(gate(x))
        "layer_norm_epsilon": 1e-6,
        "dropout_rate": 0.0,
    },
    "source": (
        "Wan-Video/Wan2.2 wan/modules/t5.py: umt5_xxl() (vocab_size 256384, dim 4096, dim_attn 4096, dim_ffn 10240, "
        "num_heads 64, encoder_layers 24, num_buckets 32, shared_pos False = a position bias per layer, as in "
        "UMT5), T5FeedForward (GELU-gated) and T5RelativeEmbedding (max_dist 128); diffusers "
        "scripts/convert_wan_to_diffusers.py loads it as UMT5EncoderModel from google/umt5-xxl"
    ),
}

# ---------------------------------------------------------------------------------------------------------------
# Per model, keyed by the catalog's repo id
# ---------------------------------------------------------------------------------------------------------------

_WAN_SCHEDULER_SOURCE = (
    "huggingface/diffusers scripts/convert_wan_to_diffusers.py, __main__: UniPCMultistepScheduler("
    "prediction_type='flow_prediction', use_flow_sigmas=True, num_train_timesteps=1000, flow_shift=...) with "
    "flow_shift 5.0 for TI2V and 3.0 for T2V"
)

WAN_CONFIGS: dict[str, dict] = {
    "Wan-AI/Wan2.2-TI2V-5B-Diffusers": {
        "pipeline_class": "WanPipeline",
        "pipeline_config": {"expand_timesteps": True},
        "pipeline_source": (
            "huggingface/diffusers scripts/convert_wan_to_diffusers.py, __main__: the TI2V branch builds "
            "WanPipeline(..., expand_timesteps=True)"
        ),
        "published_size": "5B (the model's name, TI2V-5B)",
        "components": {
            "transformer": {
                "class": "WanTransformer3DModel",
                "config": {
                    "patch_size": [1, 2, 2],
                    "num_attention_heads": 24,
                    "attention_head_dim": 128,
                    "in_channels": 48,
                    "out_channels": 48,
                    "text_dim": 4096,
                    "freq_dim": 256,
                    "ffn_dim": 14336,
                    "num_layers": 30,
                    "cross_attn_norm": True,
                    "qk_norm": "rms_norm_across_heads",
                    "eps": 1e-6,
                    "image_dim": None,
                    "added_kv_proj_dim": None,
                    "rope_max_seq_len": 1024,  # not in the script: WanTransformer3DModel's default
                },
                "source": (
                    "huggingface/diffusers scripts/convert_wan_to_diffusers.py, get_transformer_config("
                    "'Wan2.2-TI2V-5B')"
                ),
            },
            "vae": {
                "class": "AutoencoderKLWan",
                "config": {
                    "base_dim": 160,
                    "decoder_base_dim": 256,
                    "z_dim": 48,
                    "is_residual": True,
                    "in_channels": 12,
                    "out_channels": 12,
                    "patch_size": 2,
                    "scale_factor_temporal": 4,
                    "scale_factor_spatial": 16,
                    # dim_mult, num_res_blocks, attn_scales, temperal_downsample: not in the script, so the
                    # class defaults ([1, 2, 4, 4], 2, [], [False, True, True]) apply, as they do there.
                    "latents_mean": [
                        -0.2289, -0.0052, -0.1323, -0.2339, -0.2799, 0.0174, 0.1838, 0.1557,
                        -0.1382, 0.0542, 0.2813, 0.0891, 0.1570, -0.0098, 0.0375, -0.1825,
                        -0.2246, -0.1207, -0.0698, 0.5109, 0.2665, -0.2108, -0.2158, 0.2502,
                        -0.2055, -0.0322, 0.1109, 0.1567, -0.0729, 0.0899, -0.2799, -0.1230,
                        -0.0313, -0.1649, 0.0117, 0.0723, -0.2839, -0.2083, -0.0520, 0.3748,
                        0.0152, 0.1957, 0.1433, -0.2944, 0.3573, -0.0548, -0.1681, -0.0667,
                    ],
                    "latents_std": [
                        0.4765, 1.0364, 0.4514, 1.1677, 0.5313, 0.4990, 0.4818, 0.5013,
                        0.8158, 1.0344, 0.5894, 1.0901, 0.6885, 0.6165, 0.8454, 0.4978,
                        0.5759, 0.3523, 0.7135, 0.6804, 0.5833, 1.4146, 0.8986, 0.5659,
                        0.7069, 0.5338, 0.4889, 0.4917, 0.4069, 0.4999, 0.6866, 0.4093,
                        0.5709, 0.6065, 0.6415, 0.4944, 0.5726, 1.2042, 0.5458, 1.6887,
                        0.3971, 1.0600, 0.3943, 0.5537, 0.5444, 0.4089, 0.7468, 0.7744,
                    ],
                },
                "source": (
                    "huggingface/diffusers scripts/convert_wan_to_diffusers.py, vae22_diffusers_config (its "
                    "'clip_output': False is left out: AutoencoderKLWan in diffusers 0.42.1 takes no such argument)"
                ),
            },
            "text_encoder": UMT5_XXL_ENCODER,
            "tokenizer": {
                "vocab_size": 256384,
                "model_max_length": 512,
                "source": (
                    "stand-in; vocab size from the umT5-XXL encoder above; WanPipeline.__call__ pads prompts to "
                    "max_sequence_length=512 (diffusers pipelines/wan/pipeline_wan.py)"
                ),
            },
            "scheduler": {
                "class": "UniPCMultistepScheduler",
                "config": {
                    "prediction_type": "flow_prediction",
                    "use_flow_sigmas": True,
                    "num_train_timesteps": 1000,
                    "flow_shift": 5.0,
                },
                "source": _WAN_SCHEDULER_SOURCE,
            },
        },
    },
    "Wan-AI/Wan2.1-T2V-1.3B-Diffusers": {
        "pipeline_class": "WanPipeline",
        "pipeline_config": {"expand_timesteps": False},
        "pipeline_source": (
            "huggingface/diffusers scripts/convert_wan_to_diffusers.py, __main__: plain WanPipeline for T2V"
        ),
        "published_size": (
            "1.3B (the model's name); the architecture (dim 1536, ffn 8960, 12 heads, 30 layers) counts 1.42B, "
            "which is what its 2.84 GB bf16 backbone file holds"
        ),
        "components": {
            "transformer": {
                "class": "WanTransformer3DModel",
                "config": {
                    "patch_size": [1, 2, 2],
                    "num_attention_heads": 12,
                    "attention_head_dim": 128,
                    "in_channels": 16,
                    "out_channels": 16,
                    "text_dim": 4096,
                    "freq_dim": 256,
                    "ffn_dim": 8960,
                    "num_layers": 30,
                    "cross_attn_norm": True,
                    "qk_norm": "rms_norm_across_heads",
                    "eps": 1e-6,
                    "image_dim": None,
                    "added_kv_proj_dim": None,
                    "rope_max_seq_len": 1024,  # class default
                },
                "source": (
                    "huggingface/diffusers scripts/convert_wan_to_diffusers.py, get_transformer_config("
                    "'Wan-T2V-1.3B'); same numbers in the Wan 2.1 t2v_1_3B config (dim 1536, ffn_dim 8960, "
                    "num_heads 12, num_layers 30)"
                ),
            },
            "vae": {
                "class": "AutoencoderKLWan",
                "config": {
                    "base_dim": 96,
                    "z_dim": 16,
                    "dim_mult": [1, 2, 4, 4],
                    "num_res_blocks": 2,
                    "attn_scales": [],
                    "temperal_downsample": [False, True, True],
                    "dropout": 0.0,
                    "is_residual": False,
                    "in_channels": 3,
                    "out_channels": 3,
                    "patch_size": None,
                    "scale_factor_temporal": 4,
                    "scale_factor_spatial": 8,
                    "latents_mean": [
                        -0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
                        0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921,
                    ],
                    "latents_std": [
                        2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
                        3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160,
                    ],
                },
                "source": (
                    "huggingface/diffusers scripts/convert_wan_to_diffusers.py, convert_vae(): AutoencoderKLWan() "
                    "with its defaults, transcribed from diffusers 0.42.1 "
                    "src/diffusers/models/autoencoders/autoencoder_kl_wan.py (the Wan 2.1 VAE, 127M parameters "
                    "per the Wan report)"
                ),
            },
            "text_encoder": UMT5_XXL_ENCODER,
            "tokenizer": {
                "vocab_size": 256384,
                "model_max_length": 512,
                "source": "stand-in, as for Wan 2.2 above",
            },
            "scheduler": {
                "class": "UniPCMultistepScheduler",
                "config": {
                    "prediction_type": "flow_prediction",
                    "use_flow_sigmas": True,
                    "num_train_timesteps": 1000,
                    "flow_shift": 3.0,
                },
                "source": _WAN_SCHEDULER_SOURCE,
            },
        },
    },
}
