"""LoRA adapters on the tiny LTX-2 preview: tiny adapters built by code and loaded with diffusers' own LoRA
loading from a folder change the frames; scale 0 is the base model; switching between adapters and back restores
each one's frames exactly, without reloading; the manifest names the adapter's file by hash, so a reproduction
uses the same one; bad names and scales are refused with a message."""

import dataclasses
import logging
from datetime import datetime, timezone

import numpy as np
import pytest

from model import CATALOG, InvalidRequest, LoraSpec, load_engine, reproduce
from model.adapters import file_sha256

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return load_engine("tiny-ltx2", data_dir=tmp_path_factory.mktemp("lora-data"))


def frames(engine, lora=None, scale=None, seed=9):
    request = engine.plan(prompt="a lighthouse at dusk", seed=seed, seconds=0.5, steps=2, resolution="square",
                          lora=lora, lora_scale=scale)
    return engine.generate(request)


def test_the_preview_serves_its_two_tiny_adapters_from_files_built_by_code(engine):
    assert list(engine.served_loras) == ["dolly-in", "jib-up"]
    for adapter in engine.adapters.adapters.values():
        assert adapter.path.is_file() and adapter.path.suffix == ".safetensors"
        assert adapter.sha256 == file_sha256(adapter.path)


def test_an_adapter_changes_the_frames_and_the_sound(engine):
    base, dolly = frames(engine), frames(engine, "dolly-in")
    assert not np.array_equal(base.frames, dolly.frames)
    assert not np.array_equal(base.sound.samples, dolly.sound.samples)


def test_scale_zero_is_the_base_model(engine):
    base = frames(engine)
    zero = frames(engine, "dolly-in", 0.0)
    assert np.array_equal(base.frames, zero.frames) and np.array_equal(base.sound.samples, zero.sound.samples)


def test_switching_adapters_and_back_restores_each_ones_frames_exactly(engine):
    base, dolly, jib = frames(engine), frames(engine, "dolly-in"), frames(engine, "jib-up")
    assert not np.array_equal(dolly.frames, jib.frames)
    assert np.array_equal(frames(engine, "dolly-in").frames, dolly.frames)  # a -> b -> a
    assert np.array_equal(frames(engine).frames, base.frames)  # ... -> none
    half = frames(engine, "jib-up", 0.5)
    assert not np.array_equal(half.frames, jib.frames) and not np.array_equal(half.frames, base.frames)


def test_the_scale_defaults_to_the_adapters_own(engine):
    request = engine.plan(prompt="a cat", lora="jib-up")
    assert request.lora == "jib-up" and request.lora_scale == CATALOG["tiny-ltx2"].lora("jib-up").default_scale


@pytest.mark.parametrize("name", ["zoom-out", "DOLLY-IN ", 3])
def test_an_unknown_adapter_is_refused_with_what_is_offered(engine, name):
    with pytest.raises(InvalidRequest) as refused:
        engine.plan(prompt="a cat", lora=name)
    assert refused.value.field == "lora"
    assert refused.value.message.endswith("choose one of: dolly-in, jib-up.")


@pytest.mark.parametrize("scale", [-0.1, 2.5, float("nan"), "strong", True])
def test_a_scale_out_of_range_is_refused(engine, scale):
    with pytest.raises(InvalidRequest) as refused:
        engine.plan(prompt="a cat", lora="dolly-in", lora_scale=scale)
    assert refused.value.field == "lora_scale"
    assert "LoRA scale must be" in refused.value.message


def test_a_model_without_adapters_refuses_any(tmp_path):
    silent = load_engine("tiny-wan-t2v", data_dir=tmp_path)
    with pytest.raises(InvalidRequest, match="choose one of: none"):
        silent.plan(prompt="a cat", lora="dolly-in")
    assert silent.plan(prompt="a cat", lora="none").lora is None


def test_the_manifest_names_the_file_and_a_reproduction_uses_it(engine):
    request = engine.plan(prompt="a lighthouse", seed=4, seconds=0.5, steps=2, resolution="square",
                          lora="jib-up", lora_scale=0.75)
    made = engine.generate(request).frames
    manifest = engine.manifest(request, datetime.now(timezone.utc))
    adapter = engine.adapters.adapters["jib-up"]
    assert manifest["lora"] == {"name": "jib-up", "scale": 0.75, "repo_id": None,
                                "weight_name": adapter.path.name, "sha256": adapter.sha256}
    frames(engine, "dolly-in")  # another adapter in between
    assert np.array_equal(reproduce(engine, manifest), made)


def test_a_reproduction_with_another_file_under_the_same_name_is_refused(engine):
    request = engine.plan(prompt="a lighthouse", seed=4, seconds=0.5, steps=2, lora="jib-up")
    manifest = engine.manifest(request, datetime.now(timezone.utc))
    manifest["lora"]["sha256"] = "0" * 64
    with pytest.raises(InvalidRequest, match="served here is a different file"):
        reproduce(engine, manifest)


def test_trigger_words_go_in_front_of_a_prompt_that_lacks_them(engine, monkeypatch):
    styled = dataclasses.replace(engine.served_loras["jib-up"], trigger_words="JBUP")
    monkeypatch.setitem(engine.adapters.adapters, "jib-up",
                        dataclasses.replace(engine.adapters.adapters["jib-up"], spec=styled))
    assert engine.prompt_for(engine.plan(prompt="a crane shot", lora="jib-up")) == "JBUP, a crane shot"
    assert engine.prompt_for(engine.plan(prompt="jbup over a city", lora="jib-up")) == "jbup over a city"
    assert engine.prompt_for(engine.plan(prompt="a crane shot")) == "a crane shot"


def test_an_adapter_that_cannot_be_had_is_left_out_and_the_model_still_serves(tmp_path, monkeypatch, caplog):
    missing = LoraSpec(name="orbit", label="Camera: orbit", repo_id="nobody/not-cached", weight_name="x.safetensors")
    spec = dataclasses.replace(CATALOG["tiny-ltx2"], loras=(*CATALOG["tiny-ltx2"].loras, missing))
    monkeypatch.setitem(CATALOG, "tiny-ltx2", spec)
    with caplog.at_level(logging.WARNING, logger="reel.model"):
        served = load_engine("tiny-ltx2", data_dir=tmp_path)
    assert list(served.served_loras) == ["dolly-in", "jib-up"]
    assert any("LoRA orbit for tiny-ltx2 is not served" in message for message in caplog.messages)
    with pytest.raises(InvalidRequest, match="Unknown LoRA 'orbit'"):
        served.plan(prompt="a cat", lora="orbit")
