"""The catalog is consistent and REEL_MODELS loads the models an operator lists, in order. (GPU time: see
tests/test_gpu_time.py.)"""

import diffusers
import pytest

from model import (
    CATALOG,
    RESOLUTION_NAMES,
    InvalidRequest,
    ModelUnavailable,
    load_engines,
    parse_model_list,
)
from model.tiny import TINY_BUILDERS

REAL_KEYS = [key for key, spec in CATALOG.items() if not spec.is_preview]


@pytest.mark.parametrize("key", list(CATALOG))
def test_every_entry_is_consistent(key):
    spec = CATALOG[key]
    assert spec.key == key
    assert tuple(spec.presets) == RESOLUTION_NAMES and spec.default_preset in spec.presets
    for width, height in spec.presets.values():
        assert width % spec.size_multiple == 0 and height % spec.size_multiple == 0, (width, height)
    assert spec.min_steps <= spec.default_steps <= spec.max_steps
    assert 0 < spec.default_seconds <= spec.max_seconds
    assert spec.frame_step == {"wan": 4, "ltx": 8, "ltx2": 8}[spec.family]
    assert isinstance(getattr(diffusers, spec.pipeline_class), type)
    if spec.image_pipeline_class is not None:
        assert isinstance(getattr(diffusers, spec.image_pipeline_class), type)
    assert (spec.repo_id is None) == spec.is_preview
    assert spec.tiny_builder is None or spec.tiny_builder in TINY_BUILDERS
    cost = spec.gpu_cost
    assert cost.overhead_seconds > 0 and cost.seconds_per_step_per_megapixel_frame > 0
    assert cost.seconds_per_megapixel_frame > 0
    speed = spec.speed
    assert (speed.lora_repo is None) == (speed.lora_file is None)
    assert speed.cache in (None, "first_block")
    if spec.distilled_timesteps:
        assert spec.min_steps <= len(spec.distilled_timesteps) <= spec.max_steps


def test_the_catalog_holds_the_documented_models_and_their_tiny_twins():
    found = {key: (spec.repo_id, spec.pipeline_class, spec.image_pipeline_class) for key, spec in CATALOG.items()}
    assert found == {
        "ltx-2-distilled": ("rootonchair/LTX-2-19b-distilled", "LTX2Pipeline", "LTX2ConditionPipeline"),
        "ltx-2.3-distilled": ("diffusers/LTX-2.3-Distilled-Diffusers", "LTX2Pipeline", "LTX2ConditionPipeline"),
        "ltx-2.5-distilled": ("Lightricks/LTX-2.5-Diffusers", "LTX2Pipeline", "LTX2ConditionPipeline"),
        "wan2.2-ti2v-5b": ("Wan-AI/Wan2.2-TI2V-5B-Diffusers", "WanPipeline", "WanImageToVideoPipeline"),
        "ltx-video-0.9.8-distilled": (
            "Lightricks/LTX-Video-0.9.8-13B-distilled", "LTXConditionPipeline", "LTXConditionPipeline"
        ),
        "wan2.1-t2v-1.3b": ("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "WanPipeline", None),
        "tiny-ltx2": (None, "LTX2Pipeline", "LTX2ConditionPipeline"),
        "tiny-ltx2.3": (None, "LTX2Pipeline", "LTX2ConditionPipeline"),
        "tiny-ltx2.5": (None, "LTX2Pipeline", "LTX2ConditionPipeline"),
        "tiny-ltx": (None, "LTXConditionPipeline", "LTXConditionPipeline"),
        "tiny-wan": (None, "WanPipeline", "WanImageToVideoPipeline"),
        "tiny-wan-t2v": (None, "WanPipeline", None),
    }
    assert CATALOG["wan2.2-ti2v-5b"].pipeline_config == {"expand_timesteps": True}
    assert CATALOG["ltx-video-0.9.8-distilled"].default_guidance == 1.0


@pytest.mark.parametrize("key", REAL_KEYS)
def test_each_real_model_has_a_tiny_twin_on_the_same_code_path(key):
    """Whatever a real model does (its classes, its pipeline flags, image or not) runs on CPU in tests."""
    real = CATALOG[key]
    twins = [
        spec
        for spec in CATALOG.values()
        if spec.is_preview
        and (spec.pipeline_class, spec.image_pipeline_class, spec.pipeline_config)
        == (real.pipeline_class, real.image_pipeline_class, real.pipeline_config)
    ]
    assert twins, f"no tiny model runs {key}'s code path"
    assert all(twin.size_multiple == real.size_multiple for twin in twins)


@pytest.mark.parametrize(
    "models, model, cuda, expected",
    [
        (None, None, False, ["tiny-ltx2"]),
        ("", None, True, ["ltx-2-distilled"]),
        ("  ", "tiny-wan", False, ["tiny-wan"]),
        ("tiny-wan, tiny-ltx", "tiny-wan-t2v", False, ["tiny-wan", "tiny-ltx"]),
        (" tiny-wan ,,tiny-ltx,tiny-wan,", None, False, ["tiny-wan", "tiny-ltx"]),
        ("auto,wan2.1-t2v-1.3b", None, True, ["ltx-2-distilled", "wan2.1-t2v-1.3b"]),
        ("auto,tiny-wan", None, False, ["tiny-ltx2", "tiny-wan"]),
        ("/some/local/folder,tiny-ltx", None, False, ["/some/local/folder", "tiny-ltx"]),
    ],
)
def test_reel_models_parsing(models, model, cuda, expected):
    assert parse_model_list(models, model, cuda_available=cuda) == expected


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("catalog-data")


def test_load_engines_keeps_the_order_and_first_is_default(data_dir):
    engines = load_engines(["tiny-wan-t2v", "tiny-wan", "tiny-wan-t2v"], data_dir=data_dir)
    assert list(engines) == ["tiny-wan-t2v", "tiny-wan"]
    assert [engine.spec.key for engine in engines.values()] == ["tiny-wan-t2v", "tiny-wan"]
    assert engines["tiny-wan"].pipeline is not engines["tiny-wan-t2v"].pipeline
    assert engines["tiny-wan-t2v"].image_alternatives == [CATALOG["tiny-wan"].label]
    assert engines["tiny-wan"].image_alternatives == []


def test_load_engines_reads_reel_models(data_dir, monkeypatch):
    monkeypatch.setenv("REEL_MODELS", "tiny-wan, tiny-wan-t2v")
    monkeypatch.setenv("REEL_MODEL", "tiny-ltx")
    assert list(load_engines(data_dir=data_dir)) == ["tiny-wan", "tiny-wan-t2v"]
    monkeypatch.setenv("REEL_MODELS", "")
    monkeypatch.setenv("REEL_MODEL", "tiny-wan-t2v")
    assert list(load_engines(data_dir=data_dir)) == ["tiny-wan-t2v"]
    assert list(load_engines("tiny-wan-t2v,tiny-wan", data_dir=data_dir)) == ["tiny-wan-t2v", "tiny-wan"]


def test_load_engines_refuses_unknown_keys_before_loading_anything(tmp_path):
    with pytest.raises(ModelUnavailable) as unavailable:
        load_engines(["tiny-wan", "wan9-huge", "also-missing"], data_dir=tmp_path)
    message = str(unavailable.value)
    assert "'wan9-huge'" in message and "'also-missing'" in message and "'tiny-wan'" not in message
    assert all(key in message for key in CATALOG)
    assert not (tmp_path / "models").exists()


def test_text_only_refusal_names_only_models_on_offer(data_dir):
    from PIL import Image

    engines = load_engines(["tiny-wan-t2v", "tiny-wan"], data_dir=data_dir)
    with pytest.raises(InvalidRequest) as refused:
        engines["tiny-wan-t2v"].plan(prompt="a cat", image=Image.new("RGB", (64, 64)))
    assert refused.value.field == "image"
    assert refused.value.message == (
        "Tiny Wan 2.1 text-to-video preview (random weights, CPU) makes video from text only. "
        "Remove the image, or choose one of: Tiny Wan 2.2 TI2V preview (random weights, CPU)."
    )
    alone = load_engines(["tiny-wan-t2v"], data_dir=data_dir)["tiny-wan-t2v"]
    with pytest.raises(InvalidRequest) as refused_alone:
        alone.plan(prompt="a cat", image=Image.new("RGB", (64, 64)))
    assert refused_alone.value.message == (
        "Tiny Wan 2.1 text-to-video preview (random weights, CPU) makes video from text only. Remove the image."
    )
