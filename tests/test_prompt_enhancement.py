"""Prompt enhancement (`enhance_prompt=True`) on the engine with the tiny LTX-2, whose Gemma 3 text encoder rewrites
the prompt as the real LTX-2.0 and 2.3 do: the manifest keeps the person's words and the enhanced ones, the same seed
writes the same words, and a clip is made again frame for frame from its manifest without rewriting. Through the API
and the page: tests/test_prompt_enhancement_live.py."""

import dataclasses
from datetime import datetime, timezone

import numpy as np
import pytest

from model import CATALOG, KINDS, InvalidRequest, load_engine, plan_request
from model.gpu_time import estimate_gpu_seconds
from model.prompt_enhancement import MAX_ENHANCED_PROMPT_CHARS, build_processor, readable
from model.reproduce import request_from_entry

SMALL = {"seconds": 1, "steps": 2, "resolution": "landscape"}
NOW = datetime(2026, 12, 7, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return load_engine("tiny-ltx2", data_dir=tmp_path_factory.mktemp("enhance"))


@pytest.fixture(scope="module")
def enhanced(engine, tmp_path_factory):
    request = engine.plan(prompt="a kite over the dunes", seed=11, enhance_prompt=True, **SMALL)
    return request, engine.render(request, tmp_path_factory.mktemp("clips"))


def test_the_manifest_keeps_the_persons_prompt_and_the_enhanced_one_the_frames_were_made_from(enhanced):
    request, clip = enhanced
    assert clip.manifest["prompt"] == "a kite over the dunes"
    assert isinstance(clip.manifest["enhanced_prompt"], str) and clip.manifest["enhanced_prompt"].strip()
    assert clip.manifest["enhanced_prompt"] != clip.manifest["prompt"]
    assert request.enhanced_prompt is None  # the request as planned is not changed by the call


def test_an_enhanced_clip_is_made_again_frame_for_frame_without_rewriting(engine, enhanced, monkeypatch):
    request, clip = enhanced
    again = request_from_entry(engine.spec, clip.manifest)
    assert again.enhanced_prompt == clip.manifest["enhanced_prompt"]

    def no_rewrite(*args, **kwargs):
        raise AssertionError("a reproduction must not rewrite the prompt again")

    first = engine.generate(request).frames  # rewrites: the same seed writes the same words
    monkeypatch.setattr(engine.pipeline, "enhance_prompt", no_rewrite)
    remade = engine.generate(again)
    assert remade.enhanced_prompt == clip.manifest["enhanced_prompt"]
    assert np.array_equal(first, remade.frames)
    plain = engine.generate(dataclasses.replace(request, enhance_prompt=False)).frames
    assert not np.array_equal(first, plain)  # the enhanced words, not the person's, made the frames


def test_a_model_without_an_enhancer_refuses_the_request_and_says_what_to_do():
    with pytest.raises(InvalidRequest, match="has no prompt enhancer here; turn prompt enhancement off") as refused:
        plan_request(CATALOG["tiny-ltx"], "a kite", enhance_prompt=True)
    assert refused.value.field == "enhance_prompt"
    with pytest.raises(InvalidRequest, match="enhance_prompt must be true or false") as refused:
        plan_request(CATALOG["tiny-ltx2"], "a kite", enhance_prompt="please")
    assert refused.value.field == "enhance_prompt"
    assert plan_request(CATALOG["tiny-ltx2"], "a kite", enhance_prompt="true").enhance_prompt is True
    assert plan_request(CATALOG["tiny-ltx"], "a kite", enhance_prompt=False).enhance_prompt is False


def test_each_entry_that_enhances_is_ltx2_with_a_gemma_3_text_encoder():
    enhancing = sorted(key for key, spec in CATALOG.items() if spec.prompt_enhancement)
    assert enhancing == ["ltx-2-distilled", "ltx-2.3-distilled", "tiny-ltx2", "tiny-ltx2.3"]


def test_a_tokenizer_without_gemma_3s_image_tokens_or_chat_template_leaves_enhancement_off(engine):
    assert engine.enhances_prompts
    pipeline = type("Loaded", (), {"processor": None, "text_encoder": engine.pipeline.text_encoder})()
    pipeline.tokenizer = type("NoTemplate", (), {"chat_template": None, "boi_token": "<start_of_image>"})()
    assert build_processor(pipeline) is None


def test_the_gpu_estimate_counts_the_rewrite_once_and_not_for_a_reproduction():
    spec = CATALOG["ltx-2-distilled"]
    plain = plan_request(spec, "a kite", seed=1)
    enhancing = dataclasses.replace(plain, enhance_prompt=True)
    remade = dataclasses.replace(enhancing, enhanced_prompt="a red kite climbs over wind-carved dunes")
    seconds = [estimate_gpu_seconds(spec, request, KINDS["h200"]) for request in (plain, enhancing, remade)]
    assert seconds[1] == pytest.approx(seconds[0] + spec.prompt_enhancement.gpu_seconds)
    assert seconds[2] == pytest.approx(seconds[0])


def test_the_enhancers_words_are_kept_readable_and_bounded():
    assert readable("A kite\x00 climbs\n\tover\x1b the  dunes.") == "A kite climbs over the dunes."
    assert len(readable("word " * 2000)) == MAX_ENHANCED_PROMPT_CHARS
    assert readable("\x00\x01") == ""


@pytest.mark.parametrize("value, message", [
    (42, "'enhanced_prompt' has the wrong type"),
    ("  ", "'enhanced_prompt' has the wrong type"),
    ("x" * (MAX_ENHANCED_PROMPT_CHARS + 1), f"longer than {MAX_ENHANCED_PROMPT_CHARS} characters"),
])
def test_a_manifests_enhanced_prompt_is_checked_before_anything_runs(enhanced, value, message):
    _, clip = enhanced
    with pytest.raises(InvalidRequest, match=message) as refused:
        request_from_entry(CATALOG["tiny-ltx2"], {**clip.manifest, "enhanced_prompt": value})
    assert refused.value.field == "manifest"


def test_an_image_to_video_request_is_enhanced_with_its_picture_and_made_again_the_same(engine):
    from PIL import Image

    picture = Image.new("RGB", (640, 400), (200, 120, 40))
    request = engine.plan(prompt="the lantern sways", seed=3, image=picture, enhance_prompt=True, **SMALL)
    made = engine.generate(request)
    assert made.enhanced_prompt and made.enhanced_prompt != request.prompt
    again = request_from_entry(engine.spec, engine.manifest(made.made_for(request), NOW), image=picture)
    assert np.array_equal(made.frames, engine.generate(again).frames)

