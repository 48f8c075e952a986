"""The tiny LTX-2.5 (model/tiny_ltx25.py): a Gemma 4 text encoder, 2.5's transformer flags and a duration head whose
automatic length lands on the VAE's frame grid inside the requested bounds, and which a given frame count bypasses."""

import numpy as np
import pytest
import torch

from model.catalog import CATALOG
from model.tiny import TINY_BUILDERS, TINY_COMPANIONS, ensure_tiny_pipeline

pytestmark = pytest.mark.models

FPS = 24
# As the engine calls it (the catalog's extra arguments: no guidance passes), small, at the tokenizer's length.
CALL = dict(CATALOG["tiny-ltx2.5"].extra_call_kwargs, width=64, height=64, num_inference_steps=1, guidance_scale=1.0,
            frame_rate=FPS, max_sequence_length=128, output_type="np")


@pytest.fixture(scope="module")
def pipeline():
    return TINY_BUILDERS["tiny-ltx2.5"]()


def _run(pipeline, **kwargs):
    return pipeline(prompt="rain on a tin roof", generator=torch.Generator().manual_seed(3), **CALL, **kwargs)


def test_the_tiny_build_has_2_5s_text_encoder_transformer_and_duration_head(pipeline):
    text_encoder, head, transformer = pipeline.text_encoder, pipeline.duration_head, pipeline.transformer
    assert type(text_encoder).__name__ == "Gemma4UnifiedForConditionalGeneration"
    assert type(head).__name__ == "LTX2DurationHead" and type(pipeline.vocoder).__name__ == "LTX2VocoderWithBWE"
    assert not transformer.config.ff_bias and transformer.config.use_keyframes_abs_pos_embedding
    assert transformer.config.gated_attn and transformer.config.cross_attn_mod  # 2.3's flags kept
    text = text_encoder.config.text_config
    assert text.layer_types[-1] == "full_attention" and text.attention_k_eq_v
    # Every multimodal placeholder id is a token of the tiny vocabulary, not the real one's ~256k ids.
    config = text_encoder.config
    placeholders = [config.boi_token_id, config.eoi_token_id, config.image_token_id, config.video_token_id,
                    config.boa_token_id, config.eoa_token_index, config.audio_token_id]
    assert len(set(placeholders)) == 7 and max(placeholders) < len(pipeline.tokenizer) <= text.vocab_size
    # The connectors' outputs are what the head reads: its input widths are theirs.
    with torch.no_grad():
        embeds, mask, _, _ = pipeline.encode_prompt("a cat", do_classifier_free_guidance=False,
                                                    max_sequence_length=128, device="cpu")
        video, audio, _ = pipeline.connectors(embeds, mask, padding_side="left")
        seconds = head(video, audio)
    assert video.shape[-1] == head.config.video_cross_attention_dim
    assert audio.shape[-1] == head.config.audio_cross_attention_dim
    assert seconds.shape == (1,) and seconds.item() > 0


@pytest.mark.parametrize("min_seconds, max_seconds", [(1.0, 5.0), (2.0, 3.0), (0.3, 0.8)])
def test_an_automatic_length_is_on_the_frame_grid_within_the_bounds(pipeline, min_seconds, max_seconds):
    out = _run(pipeline, num_frames=None, min_seconds=min_seconds, max_seconds=max_seconds)
    num_frames = out.frames.shape[1]
    assert (num_frames - 1) % pipeline.vae_temporal_compression_ratio == 0
    assert round(min_seconds * FPS) <= num_frames <= round(max_seconds * FPS)
    assert out.audio.shape[-1] > 0


def test_a_given_frame_count_never_asks_the_duration_head(pipeline, monkeypatch):
    head = pipeline.duration_head

    def refuse(*args, **kwargs):
        raise AssertionError("the duration head was called although num_frames was given")

    monkeypatch.setattr(head, "forward", refuse)
    with_head = _run(pipeline, num_frames=9)
    monkeypatch.setattr(pipeline, "duration_head", None)
    without_head = _run(pipeline, num_frames=9)
    assert with_head.frames.shape[1] == 9
    assert np.array_equal(with_head.frames, without_head.frames) and torch.equal(with_head.audio, without_head.audio)


def test_the_saved_build_loads_back_with_its_gemma_4_and_duration_head(tmp_path, pipeline):
    from diffusers import LTX2Pipeline

    assert set(TINY_COMPANIONS["tiny-ltx2.5"]) == {"latent_upsampler", "temporal_latent_upsampler"}
    folder = ensure_tiny_pipeline("tiny-ltx2.5", tmp_path / "tiny-ltx2.5")
    loaded = LTX2Pipeline.from_pretrained(folder)
    assert type(loaded.text_encoder).__name__ == "Gemma4UnifiedForConditionalGeneration"
    assert len(loaded.tokenizer) == len(pipeline.tokenizer)
    for name in ("text_encoder", "duration_head", "transformer"):
        saved, built = getattr(loaded, name).state_dict(), getattr(pipeline, name).state_dict()
        assert saved.keys() == built.keys() and all(torch.equal(saved[key], built[key]) for key in built), name
    assert (folder / "latent_upsampler").is_dir() and (folder / "temporal_latent_upsampler").is_dir()


def test_2_0_and_2_3_builds_have_no_duration_head():
    for key in ("tiny-ltx2", "tiny-ltx2.3"):
        built = TINY_BUILDERS[key]()
        assert built.duration_head is None and type(built.text_encoder).__name__ == "Gemma3ForConditionalGeneration"


def test_the_tiny_build_has_the_full_size_2_5s_classes_and_flags(pipeline):
    """Against bench/full_size_ltx25.py: the same class for every component, and the same value for every config
    entry that is a switch (booleans and strings) rather than a size, but RoPE's precision."""
    from bench.full_size import full_size_config

    full = full_size_config(CATALOG["ltx-2.5-distilled"].repo_id)["components"]
    for name, component in full.items():
        if name == "tokenizer":  # a stand-in there as here: GemmaTokenizer in both
            continue
        assert type(getattr(pipeline, name)).__name__ == component["class"], name
    # All tiny LTX-2 builds compute RoPE in float32 (model/tiny_ltx2.py), a precision choice rather than a layout.
    precision = {"rope_double_precision"}
    for name in ("transformer", "connectors", "vocoder"):
        config = getattr(pipeline, name).config
        switches = {key: value for key, value in full[name]["config"].items()
                    if isinstance(value, (bool, str)) and key in config and key not in precision}
        assert switches and {key: config[key] for key in switches} == switches, name
    text = pipeline.text_encoder.config.text_config
    for key, value in full["text_encoder"]["config"]["text_config"].items():
        if isinstance(value, (bool, str)) or key in ("final_logit_softcapping", "rope_parameters"):
            assert getattr(text, key) == value, key
