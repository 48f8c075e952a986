"""The full-size configs `python -m bench --gpu` builds (bench/full_size.py) and the GPU benchmark's code path.

Everything here runs on CPU in a few seconds: full-size models are only ever built on the `meta` device (no
memory), and the benchmark's measuring code runs on shrunken copies of the same configs (same classes, same
flags, small widths), so a broken hook or call shows up here rather than on a rented GPU.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time

import pytest
import torch

from bench.full_size import (
    FULL_SIZE_CONFIGS,
    WEIGHT_ROWS,
    build_full_size_pipeline,
    build_stand_in_tokenizer,
    build_tokenizer,
    count_parameters,
    extra_parameter_counts,
    full_size_config,
    instantiate,
    meta_parameter_counts,
    model_component_names,
    weight_rows,
)
from model.catalog import CATALOG
from model.hardware import KINDS

pytestmark = pytest.mark.models

WAN22 = "Wan-AI/Wan2.2-TI2V-5B-Diffusers"
WAN21 = "Wan-AI/Wan2.1-T2V-1.3B-Diffusers"
LTX = "Lightricks/LTX-Video-0.9.8-13B-distilled"
LTX2 = "rootonchair/LTX-2-19b-distilled"
LTX23 = "diffusers/LTX-2.3-Distilled-Diffusers"
LTX25 = "Lightricks/LTX-2.5-Diffusers"

# Published transformer sizes, and where each number comes from. A config's "published_size_covers" names the
# components the published number counts (the transformer alone unless it says otherwise).
PUBLISHED_TRANSFORMER_PARAMS = {
    WAN22: 5.0e9,  # the model's name, Wan2.2-TI2V-5B
    # The name says 1.3B, but its architecture (Wan 2.1 README / report: dim 1536, ffn 8960, 12 heads, 30 layers)
    # holds 1.42B: the bf16 backbone file is 2.84 GB (2 bytes a parameter). 1.3B is the rounded-down name.
    WAN21: 1.42e9,
    LTX: 13.0e9,  # the model's name, ltxv-13b
    LTX2: 19.0e9,  # the model's name, ltx-2-19b
    # The names ltx-2.3-22b / ltx-2.5-22b: transformer + text connectors, which the original checkpoints keep
    # inside the DiT (the transformer alone is 18.99B).
    LTX23: 22.0e9,
    LTX25: 22.0e9,
}
TOLERANCE = 0.03  # "within a few percent"

REAL_SPECS = [spec for spec in CATALOG.values() if spec.repo_id and not spec.is_preview]


def _published_components(config: dict) -> list[str]:
    return config.get("published_size_covers", ["transformer"])


@pytest.fixture(scope="module")
def meta_models():
    """Every full-size transformer and VAE (and what a published size counts besides), on the meta device (no
    memory is used)."""
    built = {}
    with torch.device("meta"):
        for repo_id, config in FULL_SIZE_CONFIGS.items():
            names = dict.fromkeys(["transformer", "vae", *_published_components(config)])
            built[repo_id] = {name: instantiate(config["components"][name]) for name in names}
    return built


def _within(measured: float, published: float) -> bool:
    return abs(measured - published) <= TOLERANCE * published


# ---------------------------------------------------------------------------------------------------------------
# Catalog coverage
# ---------------------------------------------------------------------------------------------------------------


def test_every_real_catalog_entry_has_a_full_size_config():
    assert REAL_SPECS, "the catalog lists no real (non-tiny) model"
    missing = [spec.repo_id for spec in REAL_SPECS if spec.repo_id not in FULL_SIZE_CONFIGS]
    assert not missing, f"bench/full_size.py has no full-size config for {missing}"
    for spec in REAL_SPECS:
        config = FULL_SIZE_CONFIGS[spec.repo_id]
        assert config["pipeline_class"] == spec.pipeline_class, spec.key
        for flag, value in spec.pipeline_config.items():
            assert bool(config["pipeline_config"].get(flag)) == bool(value), (spec.key, flag)


def test_every_full_size_config_names_its_sources_and_has_a_published_size():
    for repo_id, config in FULL_SIZE_CONFIGS.items():
        assert repo_id in PUBLISHED_TRANSFORMER_PARAMS, f"add {repo_id}'s published size to this test"
        assert config["pipeline_source"]
        components = config["components"]
        assert {"transformer", "vae", "text_encoder", "tokenizer", "scheduler"} <= set(components), repo_id
        for name, component in components.items():
            assert component["source"].strip(), (repo_id, name)
            # A component outside the catalog's WeightSizes rows says which row counts it; a row never moves.
            assert component.get("counted_as", name) in WEIGHT_ROWS or name in ("tokenizer", "scheduler"), name
            assert name not in WEIGHT_ROWS or "counted_as" not in component, name
        assert set(_published_components(config)) <= set(components), repo_id
        # Published weights outside the pipeline: sourced, saying what they are for, never counted in a row.
        for name, component in config.get("extra_components", {}).items():
            assert name not in components, (repo_id, name)
            assert component["source"].strip() and component["role"].strip(), (repo_id, name)
            assert "counted_as" not in component, (repo_id, name)


# ---------------------------------------------------------------------------------------------------------------
# Sizes, on the meta device
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("repo_id", sorted(PUBLISHED_TRANSFORMER_PARAMS))
def test_transformer_parameter_count_matches_the_published_size(meta_models, repo_id):
    transformer = meta_models[repo_id]["transformer"]
    assert next(transformer.parameters()).is_meta
    names = _published_components(FULL_SIZE_CONFIGS[repo_id])
    measured = sum(count_parameters(meta_models[repo_id][name]) for name in names)
    published = PUBLISHED_TRANSFORMER_PARAMS[repo_id]
    assert _within(measured, published), f"{repo_id}: {measured / 1e9:.3f}B, published {published / 1e9:.2f}B"


def test_wan21_vae_matches_the_published_127m(meta_models):
    # The Wan report: "Wan-VAE ... 127M parameters". Wan 2.2 TI2V's VAE and LTX's have no published count; their
    # shapes are checked against the transformer and the catalog below instead.
    measured = count_parameters(meta_models[WAN21]["vae"])
    assert _within(measured, 127e6), f"{measured / 1e6:.1f}M"


def _vae_geometry(vae) -> tuple[int, int, int]:
    """(latent channels, spatial compression, temporal compression) of a Wan or LTX VAE."""
    config = vae.config
    if hasattr(config, "z_dim"):  # AutoencoderKLWan
        return config.z_dim, config.scale_factor_spatial, config.scale_factor_temporal
    return config.latent_channels, vae.spatial_compression_ratio, vae.temporal_compression_ratio


def _spatial_patch(transformer) -> int:
    patch = transformer.config.patch_size
    return patch[-1] if isinstance(patch, (list, tuple)) else patch


@pytest.mark.parametrize("spec", REAL_SPECS, ids=lambda spec: spec.key)
def test_vae_fits_the_transformer_and_the_catalog_frame_and_size_rules(meta_models, spec):
    parts = meta_models[spec.repo_id]
    latent_channels, spatial, temporal = _vae_geometry(parts["vae"])
    assert latent_channels == parts["transformer"].config.in_channels
    assert spatial * _spatial_patch(parts["transformer"]) == spec.size_multiple
    assert temporal == spec.frame_step


@pytest.mark.parametrize("repo_id", [WAN21, LTX])  # WAN22 shares WAN21's umT5-XXL
def test_text_encoder_sizes_and_tokenizer_stand_in(repo_id):
    text = FULL_SIZE_CONFIGS[repo_id]["components"]["text_encoder"]
    with torch.device("meta"):
        encoder = instantiate(text)
        if text["class"] == "T5EncoderModel":
            # t5.1.1.xxl.gin: "About 11B params" for encoder + decoder (T5 v1.1 XXL).
            from transformers import T5Config, T5ForConditionalGeneration

            whole = count_parameters(T5ForConditionalGeneration(T5Config(**text["config"])))
            assert _within(whole, 11.0e9), f"T5 v1.1 XXL {whole / 1e9:.2f}B"
            published_encoder = 4.76e9
        else:
            # The umT5-XXL encoder ships as an 11.4 GB bf16 file: 5.7B parameters.
            published_encoder = 5.7e9
    measured = count_parameters(encoder)
    assert _within(measured, published_encoder), f"{text['class']} {measured / 1e9:.3f}B"

    tokenizer_config = FULL_SIZE_CONFIGS[repo_id]["components"]["tokenizer"]
    tokenizer = build_tokenizer(tokenizer_config["vocab_size"], tokenizer_config["model_max_length"])
    assert len(tokenizer) == text["config"]["vocab_size"]
    ids = tokenizer("a cat on the sea at night", return_tensors="pt").input_ids
    assert ids.max() < 100 and (ids != tokenizer.unk_token_id).all()


def test_meta_parameter_counts_cover_every_component():
    counts = meta_parameter_counts(WAN22)
    assert set(counts) == {"transformer", "text_encoder", "vae"}
    assert all(count > 1e8 for count in counts.values())
    assert weight_rows(WAN22, counts) == counts


# ---------------------------------------------------------------------------------------------------------------
# LTX-2: six model components folded into the catalog's three rows
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ltx2_counts():
    """Every LTX-2 model component counted on the meta device (Gemma 3 12B included), once for this module."""
    start = time.perf_counter()
    counts = meta_parameter_counts(LTX2)
    print(f"\nLTX-2 meta-device counts: {time.perf_counter() - start:.1f} s")  # shown with pytest -s
    return counts


def test_ltx2_has_the_pipelines_six_model_components(ltx2_counts):
    assert model_component_names(FULL_SIZE_CONFIGS[LTX2]) == [
        "transformer", "text_encoder", "vae", "connectors", "audio_vae", "vocoder",
    ]
    assert set(ltx2_counts) == {"transformer", "text_encoder", "vae", "connectors", "audio_vae", "vocoder"}


def test_ltx2_catalog_weights_are_the_meta_device_counts(ltx2_counts):
    """The catalog's rows, component by component: the text encoder row is Gemma 3 12B (vision tower included)
    plus the text connectors; the VAE row is the video VAE, the audio VAE and the vocoder."""
    spec = CATALOG["ltx-2-distilled"]
    assert spec.repo_id == LTX2
    counts = ltx2_counts
    assert spec.weights.transformer == counts["transformer"]
    assert spec.weights.text_encoder == counts["text_encoder"] + counts["connectors"]
    assert spec.weights.vae == counts["vae"] + counts["audio_vae"] + counts["vocoder"]
    assert weight_rows(LTX2, counts) == {
        "transformer": spec.weights.transformer, "text_encoder": spec.weights.text_encoder, "vae": spec.weights.vae,
    }


def test_ltx2_text_encoder_is_gemma3_12b_and_the_tokenizer_stand_in(ltx2_counts):
    # keras-team/keras-hub keras_hub/src/models/gemma3/gemma3_presets.py: gemma3_instruct_12b (vision + text) has
    # 12,187,079,280 parameters with a 262,144-row embedding; transformers' checkpoint adds 64 rows of 3840.
    text = FULL_SIZE_CONFIGS[LTX2]["components"]["text_encoder"]
    hidden = text["config"]["text_config"]["hidden_size"]
    assert ltx2_counts["text_encoder"] == 12_187_079_280 + 64 * hidden
    # Gemma's hidden states of every layer and the embeddings feed the connectors, stacked.
    connectors = FULL_SIZE_CONFIGS[LTX2]["components"]["connectors"]["config"]
    assert connectors["text_proj_in_factor"] == text["config"]["text_config"]["num_hidden_layers"] + 1
    assert connectors["caption_channels"] == hidden

    tokenizer_config = FULL_SIZE_CONFIGS[LTX2]["components"]["tokenizer"]
    tokenizer = build_stand_in_tokenizer(tokenizer_config)
    assert type(tokenizer).__name__ == "GemmaTokenizer"
    assert len(tokenizer) == tokenizer_config["vocab_size"] <= text["config"]["text_config"]["vocab_size"]
    encoded = tokenizer("a cat on the sea at night", padding="max_length", max_length=32, return_tensors="pt")
    ids = encoded.input_ids[0]
    assert ids.shape == (32,) and ids[-1] != tokenizer.pad_token_id  # padded on the left, as Gemma 3's
    assert ids.max() < 400 and (ids != tokenizer.unk_token_id).all()
    assert tokenizer.bos_token_id in ids.tolist()


# ---------------------------------------------------------------------------------------------------------------
# LTX-2.3 and LTX-2.5: the same pipeline, new components, published weights outside it
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ltx2x_counts():
    """Every LTX-2.3 and LTX-2.5 pipeline component, and each published component outside the pipeline, counted on
    the meta device (Gemma 3 12B and Gemma 4 12B included), once for this module."""
    return {repo_id: (meta_parameter_counts(repo_id), extra_parameter_counts(repo_id)) for repo_id in (LTX23, LTX25)}


def _projections(repo_id: str) -> int:
    """Parameters of the connectors' two text projections (per-modality, with bias), from the config."""
    connectors = FULL_SIZE_CONFIGS[repo_id]["components"]["connectors"]["config"]
    stacked = connectors["caption_channels"] * connectors["text_proj_in_factor"]
    return (stacked + 1) * (connectors["video_hidden_dim"] + connectors["audio_hidden_dim"])


def test_ltx23_and_ltx25_have_gated_attention_and_the_bandwidth_extension_vocoder(meta_models):
    from diffusers.pipelines.ltx2 import LTX2Vocoder, LTX2VocoderWithBWE

    for repo_id in (LTX23, LTX25):
        block = meta_models[repo_id]["transformer"].transformer_blocks[0]
        config = FULL_SIZE_CONFIGS[repo_id]["components"]["transformer"]["config"]
        # A gate per head on video and audio self-attention, and the perturbed-attention path STG uses.
        assert block.attn1.to_gate_logits.out_features == config["num_attention_heads"]
        assert block.audio_attn1.to_gate_logits.out_features == config["audio_num_attention_heads"]
        assert config["cross_attn_mod"] and config["audio_cross_attn_mod"] and config["perturbed_attn"]
        with torch.device("meta"):
            vocoder = instantiate(FULL_SIZE_CONFIGS[repo_id]["components"]["vocoder"])
        assert type(vocoder) is LTX2VocoderWithBWE  # 16 kHz vocoder, then bandwidth extension to 48 kHz stereo
        assert (vocoder.config.input_sampling_rate, vocoder.config.output_sampling_rate) == (16000, 48000)
        assert vocoder.config.out_channels == vocoder.config.bwe_out_channels == 2
    assert meta_models[LTX2]["transformer"].transformer_blocks[0].attn1.to_gate_logits is None  # 2.0: ungated
    with torch.device("meta"):
        assert type(instantiate(FULL_SIZE_CONFIGS[LTX2]["components"]["vocoder"])) is LTX2Vocoder


def test_ltx25_is_ltx23_with_a_bias_free_video_feed_forward_a_keyframe_embedding_and_gemma4(ltx2x_counts):
    (counts23, extras23), (counts25, extras25) = ltx2x_counts[LTX23], ltx2x_counts[LTX25]
    config = FULL_SIZE_CONFIGS[LTX25]["components"]["transformer"]["config"]
    width = config["num_attention_heads"] * config["attention_head_dim"]
    # The video feed-forward (width -> 4 x width -> width) loses both biases in each layer; one keyframe embedding.
    dropped_biases = config["num_layers"] * (4 * width + width)
    assert counts23["transformer"] - counts25["transformer"] == dropped_biases - width
    for name in ("connectors", "vae", "audio_vae", "vocoder"):
        assert counts23[name] == counts25[name], name
    assert extras23["latent_upsampler"] == extras25["latent_upsampler"]
    # The text encoders differ: Gemma 3 12B (as LTX-2.0's) and the Gemma 4 12B fine-tune.
    text_encoders = [FULL_SIZE_CONFIGS[repo_id]["components"]["text_encoder"] for repo_id in (LTX2, LTX23)]
    assert text_encoders[0] is text_encoders[1]
    assert FULL_SIZE_CONFIGS[LTX25]["components"]["text_encoder"]["class"] == "Gemma4UnifiedForConditionalGeneration"
    assert set(counts25) - set(counts23) == {"duration_head"}
    assert weight_rows(LTX25, counts25)["transformer"] == counts25["transformer"] + counts25["duration_head"]


@pytest.mark.parametrize("repo_id", [LTX23, LTX25])
def test_ltx2x_text_encoder_connectors_transformer_and_duration_head_agree(repo_id):
    parts = FULL_SIZE_CONFIGS[repo_id]["components"]
    text = parts["text_encoder"]["config"]["text_config"]
    connectors, transformer = parts["connectors"]["config"], parts["transformer"]["config"]
    assert connectors["caption_channels"] == transformer["caption_channels"] == text["hidden_size"]
    assert connectors["text_proj_in_factor"] == text["num_hidden_layers"] + 1  # every layer's states + embeddings
    assert connectors["video_hidden_dim"] == transformer["cross_attention_dim"]
    assert connectors["video_hidden_dim"] == (
        connectors["video_connector_num_attention_heads"] * connectors["video_connector_attention_head_dim"]
    )
    assert connectors["audio_hidden_dim"] == transformer["audio_cross_attention_dim"]
    assert connectors["audio_hidden_dim"] == (
        connectors["audio_connector_num_attention_heads"] * connectors["audio_connector_attention_head_dim"]
    )
    if "duration_head" in parts:
        head = parts["duration_head"]["config"]
        assert (head["video_cross_attention_dim"], head["audio_cross_attention_dim"]) == (
            connectors["video_hidden_dim"], connectors["audio_hidden_dim"],
        )


def test_ltx2x_counts_match_the_published_file_sizes(ltx2x_counts):
    """bf16 files are 2 bytes a parameter plus a header. Sizes from Lightricks/LTX-Desktop
    backend/runtime_config/model_download_specs.py: exact byte counts for LTX-2.3's files, rounded figures for
    LTX-2.5's (hence the looser tolerance)."""
    (counts23, extras23), (counts25, extras25) = ltx2x_counts[LTX23], ltx2x_counts[LTX25]
    # LTX-2.3's single file bundles the transformer (connectors inside), the VAEs and the vocoder.
    bundled = sum(counts23[name] for name in ("transformer", "connectors", "vae", "audio_vae", "vocoder"))
    assert 2 * bundled == pytest.approx(46_149_345_334, rel=0.001)  # ltx-2.3-22b-distilled-1.1.safetensors
    assert 2 * extras23["latent_upsampler"] == pytest.approx(995_743_560, rel=0.0001)  # spatial-upscaler-x2-1.1
    # LTX-2.5's files: the text projections ship with the text encoder ("gemma4-12b-with-proj"), not the DiT.
    projections = _projections(LTX25)
    assert 2 * (counts25["transformer"] + counts25["connectors"] - projections) == pytest.approx(42.0e9, rel=0.01)
    assert 2 * (counts25["text_encoder"] + projections) == pytest.approx(26.3e9, rel=0.01)
    assert 2 * extras25["latent_upsampler"] == pytest.approx(995_000_000, rel=0.001)
    assert 2 * extras25["prompt_enhancer"] == pytest.approx(10_278_849_571, rel=0.01)  # google/gemma-4-E2B-it folder


def test_published_components_outside_the_pipeline_build_on_the_meta_device(ltx2x_counts):
    extras23, extras25 = ltx2x_counts[LTX23][1], ltx2x_counts[LTX25][1]
    assert set(extras23) == {"latent_upsampler"}
    assert set(extras25) == {"latent_upsampler", "temporal_latent_upsampler", "diffusion_decoder", "prompt_enhancer"}
    assert all(count > 1e8 for count in (*extras23.values(), *extras25.values()))
    assert extras25["temporal_latent_upsampler"] < extras25["latent_upsampler"]  # half as wide
    # Published, but no citable source gives their sizes: listed, not built.
    assert set(FULL_SIZE_CONFIGS[LTX23]["unknown_components"]) == {"spatial_upsampler_x1_5", "temporal_upsampler_x2"}
    # LTX-2.0's HD upsampler: the count the memory plan uses (model/catalog.py HdSpec.upsampler_parameters).
    assert extra_parameter_counts(LTX2) == {"latent_upsampler": CATALOG["ltx-2-distilled"].hd.upsampler_parameters}


@pytest.mark.parametrize("repo_id", [LTX23, LTX25])
def test_shrunk_ltx2x_pipeline_makes_video_and_48khz_stereo_sound_on_cpu(repo_id):
    """The real LTX2Pipeline on the shrunk config: Gemma's stacked hidden states through the per-modality connectors,
    gated attention, the VAE's fourth decoder stage and the bandwidth-extension vocoder; for LTX-2.5 the clip length
    comes from the duration head (num_frames left out), snapped to the VAE's 8k + 1 frame grid."""
    pipeline = build_full_size_pipeline(repo_id, "cpu", torch.float32, configs=_shrunk(repo_id))
    has_head = getattr(pipeline, "duration_head", None) is not None
    assert has_head is (repo_id == LTX25)
    length = {"num_frames": None, "min_seconds": 0.3, "max_seconds": 0.4} if has_head else {"num_frames": 9}
    video, audio = pipeline(
        prompt="a cat on the sea at night", height=64, width=64, frame_rate=24.0, sigmas=[1.0, 0.725],
        guidance_scale=1.0, audio_guidance_scale=1.0, stg_scale=0.0, audio_stg_scale=0.0, modality_scale=1.0,
        audio_modality_scale=1.0, max_sequence_length=128, output_type="np", return_dict=False,
        generator=torch.Generator().manual_seed(0), **length,
    )
    assert video.shape == (1, 9, 64, 64, 3)  # 0.3-0.4 s at 24 fps: 9 frames, the only 8k + 1 count in range
    assert audio.shape[:2] == (1, 2) and pipeline.vocoder.config.output_sampling_rate == 48000
    assert audio.shape[2] == pytest.approx(48000 * 9 / 24, rel=0.2)


# ---------------------------------------------------------------------------------------------------------------
# The GPU benchmark on this CPU-only machine
# ---------------------------------------------------------------------------------------------------------------


def test_gpu_benchmark_without_cuda_exits_with_a_clear_message(monkeypatch):
    from bench import gpu

    # Pinned, so the test means the same thing on a machine that has a GPU.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(gpu, "measure_model", lambda *a, **k: pytest.fail("built a model without a GPU"))
    with pytest.raises(SystemExit) as exit_info:
        gpu.run_gpu_benchmark()
    assert "--gpu needs a CUDA GPU; none is visible" in str(exit_info.value.code)


def _shrink_ltx2(parts: dict) -> None:
    """LTX-2's components small (2.0, 2.3 and 2.5 alike), keeping what must agree across them: the text encoder's
    width is the connectors' caption_channels and the transformer's caption_channels; its layer count + 1 is the
    connectors' text_proj_in_factor; with per-modality projections (2.3, 2.5) the connectors' video / audio widths are
    the transformer's cross-attention widths and the duration head's input widths; the audio VAE's latent channels x
    mel_bins / 4 is the transformer's audio channels and equals the audio VAE's base_channels; the vocoder takes the
    audio VAE's output channels x mel bins; the video VAE keeps its number of stages and their width ratios."""
    text_encoder = parts["text_encoder"]
    text = text_encoder["config"]
    if text_encoder["class"] == "Gemma4UnifiedForConditionalGeneration":
        text["text_config"].update(
            vocab_size=384, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            layer_types=["sliding_attention", "full_attention"], num_attention_heads=2, num_key_value_heads=1,
            head_dim=16, sliding_window=64, max_position_embeddings=2048,
        )
        text["vision_config"].update(mm_embed_dim=32, output_proj_dims=32, mm_posemb_size=16)
        text.update(boi_token_id=375, eoi_token_id=376, image_token_id=377, video_token_id=378, boa_token_id=379,
                    eoa_token_index=380, audio_token_id=381)
        parts["tokenizer"]["vocab_size"] = 375
    else:
        text["text_config"].update(
            vocab_size=384, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
            num_key_value_heads=1, head_dim=16, query_pre_attn_scalar=16, sliding_window=64,
        )
        text["vision_config"].update(
            hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, image_size=28
        )
        text.update(mm_tokens_per_image=4, boi_token_index=381, eoi_token_index=382, image_token_index=383)
        parts["tokenizer"]["vocab_size"] = 381
    connectors = parts["connectors"]["config"]
    connectors.update(
        caption_channels=32, text_proj_in_factor=3, video_connector_num_attention_heads=2,
        video_connector_attention_head_dim=16, video_connector_num_layers=1, audio_connector_num_attention_heads=2,
        audio_connector_attention_head_dim=16, audio_connector_num_layers=1,
    )
    if connectors.get("per_modality_projections"):  # connector widths are the transformer's cross-attention widths
        connectors.update(
            video_connector_attention_head_dim=8, audio_connector_attention_head_dim=8, video_hidden_dim=16,
            audio_hidden_dim=16,
        )
    parts["audio_vae"]["config"].update(base_channels=16, latent_channels=4, mel_bins=16, num_res_blocks=1)
    vocoder = parts["vocoder"]["config"]
    vocoder.update(in_channels=2 * 16, hidden_channels=32, resnet_kernel_sizes=[3], resnet_dilations=[[1, 3, 5]])
    if parts["vocoder"]["class"] == "LTX2VocoderWithBWE":  # six upsamplers halve the width six times
        vocoder.update(
            hidden_channels=64, bwe_hidden_channels=32, bwe_resnet_kernel_sizes=[3], bwe_resnet_dilations=[[1, 3, 5]]
        )
    parts["transformer"]["config"].update(
        num_attention_heads=2, attention_head_dim=8, cross_attention_dim=16, audio_num_attention_heads=2,
        audio_attention_head_dim=8, audio_cross_attention_dim=16, audio_in_channels=16, audio_out_channels=16,
        num_layers=2, caption_channels=32,
    )
    if "duration_head" in parts:
        parts["duration_head"]["config"].update(
            video_cross_attention_dim=16, audio_cross_attention_dim=16, pooler_hidden_dim=8, mlp_hidden_dim=8
        )
    vae = parts["vae"]["config"]
    vae.update(
        block_out_channels=[width // 32 for width in vae["block_out_channels"]],
        decoder_block_out_channels=[width // 32 for width in vae["decoder_block_out_channels"]],
        layers_per_block=[1] * len(vae["layers_per_block"]),
        decoder_layers_per_block=[1] * len(vae["decoder_layers_per_block"]),
    )


def _shrunk(repo_id: str) -> dict:
    """The full-size config with small widths and depths: same classes, same flags, same latent channels and
    compression, so the same code paths run in milliseconds on CPU."""
    config = full_size_config(repo_id)
    parts = config["components"]
    if parts["transformer"]["class"] == "LTX2VideoTransformer3DModel":
        _shrink_ltx2(parts)
        upsampler = config.get("extra_components", {}).get("latent_upsampler")
        if upsampler is not None:  # HD's: the latent channels stay; GroupNorm wants a multiple of 32 channels
            upsampler["config"].update(mid_channels=32, num_blocks_per_stage=1)
        return {repo_id: config}
    parts["text_encoder"] = copy.deepcopy(parts["text_encoder"])
    parts["text_encoder"]["config"].update(
        vocab_size=128, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4, relative_attention_num_buckets=8
    )
    parts["tokenizer"]["vocab_size"] = 128
    transformer, vae = parts["transformer"]["config"], parts["vae"]["config"]
    if parts["transformer"]["class"] == "WanTransformer3DModel":
        transformer.update(
            num_attention_heads=2, attention_head_dim=12, ffn_dim=32, num_layers=2, text_dim=32, rope_max_seq_len=32
        )
        vae.update(base_dim=4, dim_mult=[1, 1, 1, 1], num_res_blocks=1)
        if "decoder_base_dim" in vae:
            vae["decoder_base_dim"] = 8
    else:
        transformer.update(
            num_attention_heads=2, attention_head_dim=8, cross_attention_dim=16, num_layers=2, caption_channels=32
        )
        vae.update(
            block_out_channels=[8, 16, 32, 64, 128],
            decoder_block_out_channels=[8, 16, 32],
            layers_per_block=[1, 1, 1, 1, 1],
            decoder_layers_per_block=[1, 1, 1, 1],
        )
    return {repo_id: config}


def _small_request(spec, steps: int = 2) -> dict:
    side = 2 * spec.size_multiple
    return {"width": side, "height": side, "num_frames": spec.frame_step + 1, "steps": steps}


@pytest.mark.parametrize("spec", REAL_SPECS, ids=lambda spec: spec.key)
def test_benchmark_measures_each_model_end_to_end_on_shrunk_configs(spec):
    from bench.gpu import measure_model

    result = measure_model(
        spec, "cpu", baseline="float32", baseline_steps=1, configs=_shrunk(spec.repo_id),
        request_overrides=_small_request(spec, steps=2),
    )
    json.dumps(result)  # goes into `python -m bench`'s JSON line
    passes_per_step = 2 if spec.default_guidance > 1.0 else 1  # classifier-free guidance: two passes a step
    for name, steps_run in (("fast", 2), ("baseline", 1)):
        variant = result[name]
        assert variant["error"] is None, (name, variant["error"])
        assert variant["seconds"] > 0 and variant["gpu_s_per_video_s"] > 0
        assert variant["steps_run"] == steps_run
        assert variant["transformer_passes"] == steps_run * passes_per_step
        assert variant["full_passes"] == variant["transformer_passes"]  # no cache hook off GPU
        assert variant["non_finite_passes"] == 0
        assert variant["phases"]["text_encoder_s"] > 0 and variant["phases"]["vae_decode_s"] > 0
        assert variant["frames_shape"] == [spec.frame_step + 1, 2 * spec.size_multiple, 2 * spec.size_multiple, 3]
    assert result["baseline"]["extrapolated_from_steps"] == 1
    assert result["baseline"]["dtype"] == "float32" and result["fast"]["dtype"] == spec.torch_dtype
    assert result["settings"]["steps"] == 2 and result["speedup"] > 0


def test_probe_counts_the_passes_a_cache_hook_skips():
    from bench.gpu import default_request
    from bench.gpu_fast_path import _fallback_fast_path
    from bench.gpu_timing import _Probe
    from model.engine import VideoEngine

    spec = CATALOG["wan2.1-t2v-1.3b"]
    request = default_request(spec, **_small_request(spec, steps=4))
    full = {}
    for threshold in (0.0, 1e9):  # never skip / skip whenever there is something cached
        cached_spec = dataclasses.replace(
            spec, speed=dataclasses.replace(spec.speed, cache="first_block", cache_threshold=threshold)
        )
        pipeline = build_full_size_pipeline(spec.repo_id, "cpu", torch.float32, configs=_shrunk(spec.repo_id))
        report = _fallback_fast_path(pipeline, cached_spec)
        assert "cache" in report.applied
        engine = VideoEngine(spec=cached_spec, pipeline=pipeline, device="cpu", source="test", fast_path=report)
        probe = _Probe(pipeline, "cpu").attach()
        engine.generate_frames(request)
        probe.detach()
        assert len(probe.pass_s) == 8  # 4 steps, two passes each
        full[threshold] = probe.full_passes
    assert full[0.0] == 8
    assert full[1e9] == 2  # the first pass of each guidance branch, then every one skipped


def test_full_size_builder_casts_like_from_pretrained():
    spec = CATALOG["wan2.2-ti2v-5b"]
    pipeline = build_full_size_pipeline(spec.repo_id, "cpu", torch.bfloat16, configs=_shrunk(spec.repo_id))
    assert type(pipeline).__name__ == "WanPipeline" and pipeline.config.expand_timesteps
    transformer = pipeline.transformer
    dtypes = {name: parameter.dtype for name, parameter in transformer.named_parameters()}
    assert transformer.dtype == torch.bfloat16
    assert dtypes["scale_shift_table"] == torch.float32  # WanTransformer3DModel._keep_in_fp32_modules
    assert dtypes["blocks.0.attn1.to_q.weight"] == torch.bfloat16
    assert transformer.rope.freqs_cos.dtype != torch.bfloat16  # rotary tables keep the dtype they were made in
    assert pipeline.text_encoder.dtype == torch.bfloat16 and pipeline.vae.dtype == torch.bfloat16
    assert len(pipeline.tokenizer) == pipeline.text_encoder.config.vocab_size


def test_report_evaluates_the_goals_and_prints(capsys, monkeypatch):
    from bench import gpu
    from model.catalog import DEFAULT_GPU_MODEL

    spec = CATALOG[gpu.FAST_MODEL]
    result = gpu.measure_model(
        spec, "cpu", baseline="off", configs=_shrunk(spec.repo_id), request_overrides=_small_request(spec),
        kind=KINDS["h100"],
    )
    assert "baseline" not in result and "speedup" not in result
    assert result["estimate"]["kind"] == "h100"
    assert result["estimate"]["zerogpu_large_estimated_s"] >= result["estimate"]["estimated_s"] > 0
    models = {spec.key: result}
    goals = {goal["metric"]: goal for goal in gpu._evaluate_goals(models)}
    assert DEFAULT_GPU_MODEL == spec.key  # the fast model is the default one: both goals are about it
    assert goals["gpu_s_per_video_s"]["value"] == result["fast"]["gpu_s_per_video_s"]
    assert goals["gpu_s_per_video_s"]["met"] is (result["fast"]["gpu_s_per_video_s"] < 1.0)
    assert goals["seconds"]["met"] is (result["fast"]["seconds"] < 60.0)
    assert gpu._evaluate_goals({})[0]["met"] is None  # not run: not measured, never "met"
    report = {"device": "cpu", "torch": torch.__version__, "cuda": None, "diffusers": "-", "baseline_steps": 1,
              "models": models, "goals": list(goals.values()), "notes": gpu._notes(models)}
    gpu.print_report(report)
    printed = capsys.readouterr().out
    assert spec.key in printed and "Goals" in printed
    measured, estimated = result["fast"]["seconds"], result["estimate"]["estimated_s"]
    assert (f"{spec.key} on h100: measured {measured:.1f} s, estimated {estimated:.1f} s, "
            f"measured/estimated {measured / estimated:.2f}") in printed

    gpu.print_report({**report, "models": {}, "goals": gpu._evaluate_goals({}), "notes": []})
    assert "not measured" in capsys.readouterr().out  # a goal whose model did not run is never "met"

    monkeypatch.delenv("REEL_BENCH_MODELS", raising=False)
    assert [s.key for s in gpu._select_specs(None)][0] == DEFAULT_GPU_MODEL  # default model first
    monkeypatch.setenv("REEL_BENCH_MODELS", "no-such-model")
    with pytest.raises(SystemExit, match="no-such-model"):
        gpu._select_specs(None)


def test_the_precision_comparison_runs_each_variant_and_reports_ratios_to_bf16(capsys):
    """bench --gpu's bf16 / FP8 storage / FP8 compute comparison, on the shrunk LTX-2 on CPU: every variant builds
    and times a clip, FP8 compute (which needs compute capability 8.9) falls back to FP8 storage and says so, and the
    ratios are to the bf16 row of the same run."""
    from bench import gpu
    from bench.gpu_precision import measure_precisions, precision_lines, precision_variants

    spec = CATALOG[gpu.FAST_MODEL]
    comparison = measure_precisions(
        spec, "cpu", KINDS["zerogpu-rtx-pro-6000"], ("bf16", "fp8_storage", "fp8_compute"),
        configs=_shrunk(spec.repo_id), request_overrides=_small_request(spec),
    )
    json.dumps(comparison)
    rows = comparison["variants"]
    assert all(row["error"] is None and row["seconds"] > 0 for row in rows.values()), rows
    assert rows["bf16"]["time_vs_bf16"] == 1.0
    assert rows["fp8_storage"]["precision"] == "FP8 storage, bf16 compute, attention _native_cudnn"
    assert rows["fp8_compute"]["precision"].startswith("FP8 storage")  # fell back on CPU, and says so
    assert "compute capability" in rows["fp8_compute"]["precision_failures"]["fp8_compute"]
    for row in rows.values():
        assert row["time_vs_bf16"] == round(row["seconds"] / rows["bf16"]["seconds"], 3)
        # No CUDA memory counters on CPU: no peak, so nothing said about fitting (never a made-up "fits").
        assert row["peak_gib"] is None and row["peak_vs_bf16"] is None and row["peak_fits_zerogpu_large"] is None
    goals = {goal["metric"]: goal for goal in gpu._evaluate_goals({}, comparison)}
    assert goals["time_vs_bf16"]["met"] is (rows["fp8_compute"]["time_vs_bf16"] <= 0.75)
    assert goals["peak_fits_zerogpu_large"]["met"] is None
    printed = "\n".join(precision_lines(comparison))
    assert "fp8_compute" in printed and "fits large: None" in printed
    assert precision_variants({"REEL_BENCH_PRECISIONS": "off"}) == ()
    with pytest.raises(SystemExit, match="REEL_BENCH_PRECISIONS: unknown fp4"):
        precision_variants({"REEL_BENCH_PRECISIONS": "bf16,fp4"})
