"""The GPU fast path: the right steps per catalog entry on GPU and ZeroGPU, none of them on CPU, and the pieces
that can be exercised without a GPU (cache hook, VAE tiling switch, transformer export, AoT wiring) work."""

import builtins
import contextlib
import dataclasses
import sys
import types

import numpy as np
import pytest
import torch
from torch.fx.experimental.symbolic_shapes import is_concrete_int

from model import (
    CATALOG, SpeedOptions, apply_fast_path, load_engine, on_zerogpu, plan_fast_path, probe_video,
    set_conv3d_memory_format,
)
from model.acceleration import FAST_PATH_STEPS, FastPathError
from model.aot import AOT_COMPILE_GPU_SECONDS, NotExportable, example_call_kwargs, export_transformer
from model.engine import VideoEngine

ALL_ON = SpeedOptions(
    lora_repo="some-org/some-distill-lora",
    lora_file="distill.safetensors",
    cache="first_block",
    attention_backend="native",
    aot_compile=True,
    vae_tiling_min_pixels=1,
)

EXPECTED_GPU_PLANS = {
    # key: (plan on an ordinary GPU, plan on ZeroGPU)
    "wan2.2-ti2v-5b": (["bf16", "cache", "vae_tiling"], ["bf16", "aot_compile", "vae_tiling"]),
    "ltx-video-0.9.8-distilled": (["bf16", "vae_tiling"], ["bf16", "vae_tiling"]),
    "wan2.1-t2v-1.3b": (["bf16", "cache"], ["bf16", "aot_compile"]),
    "tiny-ltx": ([], []),
    "tiny-wan": ([], []),
    "tiny-wan-t2v": ([], []),
    "ltx-2-distilled": (["bf16", "fp8_storage", "vae_tiling"], ["bf16", "fp8_storage", "vae_tiling"]),
    "tiny-ltx2": ([], []),
}


def test_every_catalog_entry_has_an_expected_plan():
    assert set(EXPECTED_GPU_PLANS) == set(CATALOG)


@pytest.mark.parametrize("key", list(CATALOG))
def test_gpu_plan_per_catalog_entry(key):
    on_gpu, on_zero = EXPECTED_GPU_PLANS[key]
    assert plan_fast_path(CATALOG[key], "cuda", zerogpu=False) == on_gpu
    assert plan_fast_path(CATALOG[key], "cuda:0", zerogpu=True) == on_zero


@pytest.mark.parametrize("key", list(CATALOG))
def test_cpu_plan_is_empty_even_on_a_zerogpu_space(key):
    assert plan_fast_path(CATALOG[key], "cpu", zerogpu=False) == []
    assert plan_fast_path(dataclasses.replace(CATALOG[key], speed=ALL_ON), "cpu", zerogpu=True) == []


def test_every_option_lands_in_order_lora_and_backend_before_export():
    spec = dataclasses.replace(CATALOG["wan2.2-ti2v-5b"], speed=ALL_ON)
    before = ["bf16", "lora", "attention_backend"]
    assert plan_fast_path(spec, "cuda", zerogpu=True) == before + ["aot_compile", "vae_tiling"]
    assert plan_fast_path(spec, "cuda", zerogpu=False) == before + ["cache", "vae_tiling"]


@pytest.mark.parametrize("value, expected", [(None, False), ("", False), ("false", False), ("true", True), ("1", True)])
def test_zerogpu_is_detected_from_the_environment(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)
    else:
        monkeypatch.setenv("SPACES_ZERO_GPU", value)
    assert on_zerogpu() is expected


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fast-path-data")


def _hooked_modules(module: torch.nn.Module) -> list[str]:
    return [
        name
        for name, child in module.named_modules()
        if getattr(getattr(child, "_diffusers_hook", None), "hooks", None)
    ]


@pytest.mark.parametrize("key", ["tiny-ltx", "tiny-wan"])
def test_cpu_skips_every_step_even_when_the_entry_enables_all(key, model_dir, monkeypatch, tmp_path):
    imported = []
    real_import = builtins.__import__

    def recording_import(name, *args, **kwargs):
        imported.append(name)
        return real_import(name, *args, **kwargs)

    spec = dataclasses.replace(CATALOG[key], speed=ALL_ON, torch_dtype="bfloat16")
    monkeypatch.setitem(CATALOG, key, spec)
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    monkeypatch.setattr(builtins, "__import__", recording_import)
    engine = load_engine(key, data_dir=model_dir, device="cpu")
    monkeypatch.setattr(builtins, "__import__", real_import)

    report = engine.fast_path
    assert report.applied == []
    assert [step for step, _ in report.skipped] == list(FAST_PATH_STEPS)
    assert all(why == "not on a GPU (device cpu)" for _, why in report.skipped)
    assert not any(name == "spaces" or name.startswith("spaces.") for name in imported)
    transformer = engine.pipeline.transformer
    assert not transformer.is_cache_enabled and _hooked_modules(transformer) == []
    assert {parameter.dtype for parameter in engine.pipeline.transformer.parameters()} == {torch.float32}
    assert {parameter.dtype for parameter in engine.pipeline.vae.parameters()} == {torch.float32}
    assert not getattr(transformer, "_hf_peft_config_loaded", False)
    assert not any("lora" in name for name, _ in transformer.named_parameters())
    engine.render(engine.plan(prompt="a cat", seconds=0.5, steps=1), tmp_path)
    assert engine.vae_tiling_min_pixels is None and not engine.pipeline.vae.use_tiling


def test_gpu_branch_steps_use_real_diffusers_apis(model_dir):
    """Run the ordinary-GPU branch against a CPU-resident tiny pipeline: the cache hook and the VAE tiling
    switch really apply; a step that cannot apply (weights are float32, not bf16) is reported, not raised."""
    spec = dataclasses.replace(
        CATALOG["tiny-wan"],
        torch_dtype="bfloat16",
        speed=SpeedOptions(cache="first_block", aot_compile=True, vae_tiling_min_pixels=96 * 64),
    )
    fresh = load_engine("tiny-wan", data_dir=model_dir, device="cpu")
    report = apply_fast_path(fresh.pipeline, spec, "cuda", zerogpu=False)
    assert report.applied == ["cache", "vae_tiling"]
    reasons = dict(report.skipped)
    assert reasons["bf16"].startswith("failed: RuntimeError: transformer is torch.float32")
    assert reasons["aot_compile"] == "only on ZeroGPU (SPACES_ZERO_GPU is not set)"
    assert reasons["lora"] == reasons["attention_backend"] == "not enabled for tiny-wan"
    assert fresh.pipeline.transformer.is_cache_enabled and _hooked_modules(fresh.pipeline.transformer)

    engine = VideoEngine(spec, fresh.pipeline, "cpu", fresh.source, fast_path=report)
    small = engine.plan(prompt="a cat", seed=1, seconds=0.5, steps=2, resolution="square")
    large = engine.plan(prompt="a cat", seed=1, seconds=0.5, steps=2, resolution="landscape")
    first = engine.generate_frames(large)
    assert engine.pipeline.vae.use_tiling
    engine.generate_frames(small)
    assert not engine.pipeline.vae.use_tiling
    assert np.array_equal(first, engine.generate_frames(large))


def test_a_distillation_lora_that_cannot_load_stops_the_load_with_advice(model_dir):
    lora = SpeedOptions(lora_repo="no-org/no-lora", lora_file="x.safetensors")
    spec = dataclasses.replace(CATALOG["tiny-wan"], speed=lora)
    engine = load_engine("tiny-wan", data_dir=model_dir, device="cpu")
    with pytest.raises(FastPathError, match="hf download no-org/no-lora x.safetensors"):
        apply_fast_path(engine.pipeline, spec, "cuda", zerogpu=False)


class _Stop(Exception):
    pass


def _capture(pipeline, **call):
    """The transformer's first call, as spaces.aoti_capture records it."""
    seen = {}

    def record(*args, **kwargs):
        seen.update(args=args, kwargs=kwargs)
        raise _Stop

    original = pipeline.transformer.forward
    pipeline.transformer.forward = record
    try:
        pipeline(prompt="a cat", num_inference_steps=1, output_type="latent", **call)
    except _Stop:
        pass
    finally:
        pipeline.transformer.forward = original
    return seen["args"], seen["kwargs"]


@pytest.mark.parametrize("key", ["tiny-wan", "tiny-wan-t2v"])
def test_exported_transformer_serves_other_sizes(key, model_dir):
    """AoT compiles what torch.export produces: one export must run every preset and duration."""
    pipeline = load_engine(key, data_dir=model_dir, device="cpu").pipeline
    args, kwargs = _capture(pipeline, width=96, height=64, num_frames=17)
    exported = export_transformer(pipeline.transformer, args, kwargs)
    _, other = _capture(pipeline, width=64, height=96, num_frames=9)
    assert other["hidden_states"].shape != kwargs["hidden_states"].shape
    with torch.no_grad():
        compiled_like = exported.module()(**other)[0]
        eager = pipeline.transformer(**other)[0]
    assert compiled_like.shape == eager.shape
    assert torch.allclose(compiled_like, eager, atol=1e-5)


class _OneSizeTransformer(torch.nn.Module):
    """Reshapes to a hard-coded size, so export has to fix the video dimensions."""

    config = types.SimpleNamespace(in_channels=4)

    def forward(self, hidden_states):
        return hidden_states.reshape(1, 4, 2, 3, 5) * 2


def test_an_export_fixed_to_one_video_size_is_refused():
    with pytest.raises(NotExportable, match="only serve one video size"):
        export_transformer(_OneSizeTransformer(), (), {"hidden_states": torch.ones(1, 4, 2, 3, 5)})


def test_aot_on_zerogpu_captures_exports_compiles_and_applies(model_dir, monkeypatch, tmp_path):
    """The ZeroGPU branch, with a stand-in `spaces` module whose "compiled" transformer is the exported graph:
    after the swap, text- and image-to-video clips of other sizes still run, through the exported graph."""
    calls = {}

    @contextlib.contextmanager
    def aoti_capture(module):
        captured = types.SimpleNamespace(args=(), kwargs={})
        original = module.forward

        def record(*args, **kwargs):
            captured.args, captured.kwargs = args, kwargs
            raise _Stop

        module.forward = record
        try:
            yield captured
        except _Stop:
            pass
        finally:
            module.forward = original

    def gpu(duration):
        calls["duration"] = duration
        return lambda function: function

    def aoti_compile(exported):
        calls["exported"] = exported
        graph = exported.module()

        def compiled(*args, **kwargs):
            calls["graph_runs"] = calls.get("graph_runs", 0) + 1
            return graph(*args, **kwargs)

        return compiled

    fake = types.SimpleNamespace(
        GPU=gpu,
        aoti_capture=aoti_capture,
        aoti_compile=aoti_compile,
        aoti_apply=lambda compiled, module: (setattr(module, "forward", compiled), calls.update(applied=module)),
    )
    monkeypatch.setitem(sys.modules, "spaces", fake)
    spec = dataclasses.replace(CATALOG["tiny-wan"], speed=SpeedOptions(cache="first_block", aot_compile=True))
    engine = load_engine("tiny-wan", data_dir=model_dir, device="cpu")
    report = apply_fast_path(engine.pipeline, spec, "cuda", zerogpu=True, example_call=example_call_kwargs(spec))
    assert "aot_compile" in report.applied and "cache" not in report.applied
    assert dict(report.skipped)["cache"].startswith("replaced by the AoT-compiled transformer")
    assert calls["applied"] is engine.pipeline.transformer and calls["duration"] == AOT_COMPILE_GPU_SECONDS
    hidden = next(node for node in calls["exported"].graph.nodes if node.name == "hidden_states")
    # Batch and channels fixed; latent frames, height and width left free for every preset and image shape.
    assert [is_concrete_int(size) for size in hidden.meta["val"].shape] == [True, True, False, False, False]

    from PIL import Image

    text = engine.plan(prompt="a cat", seed=2, seconds=0.5, steps=2, resolution="portrait")
    image = engine.plan(prompt="a cat", seed=2, seconds=1.0, steps=2, image=Image.new("RGB", (64, 64), "red"))
    for request in (text, image):
        clip = engine.render(request, tmp_path)
        assert probe_video(clip.path)["num_frames"] == request.num_frames
    assert calls["graph_runs"] >= 8  # 2 steps x (cond + uncond) x 2 clips


@pytest.mark.parametrize("key", ["tiny-ltx", "tiny-wan"])
def test_cpu_preview_lays_vae_convolutions_out_channels_last_without_changing_frames(key, model_dir):
    engine = load_engine(key, data_dir=model_dir, device="cpu")
    convolutions = [m for m in engine.pipeline.vae.modules() if isinstance(m, torch.nn.Conv3d)]
    assert convolutions
    assert all(m.weight.is_contiguous(memory_format=torch.channels_last_3d) for m in convolutions)
    assert not all(m.weight.is_contiguous() for m in convolutions)  # 1x1x1 kernels are both layouts at once
    request = engine.plan(prompt="a red cat on the sea", seed=7, seconds=0.5, steps=2)
    fast = engine.generate_frames(request)
    assert set_conv3d_memory_format(engine.pipeline.vae, torch.contiguous_format) == len(convolutions)
    assert all(m.weight.is_contiguous() for m in convolutions)
    plain = engine.generate_frames(request)
    assert fast.shape == plain.shape
    assert np.abs(fast.astype(np.int16) - plain.astype(np.int16)).max() <= 1


def test_a_failed_compile_is_a_warning_and_the_cache_hook_goes_on_instead(model_dir, monkeypatch, caplog):
    """On ZeroGPU the compiled graph replaces the cache hook; when the compile fails the Space must not be left
    with no speed-up at all, and the operator must be told."""

    def gpu(duration):
        return lambda function: function

    def aoti_capture(module):
        raise RuntimeError("torch.export could not trace a data-dependent branch")

    fake = types.SimpleNamespace(GPU=gpu, aoti_capture=aoti_capture)
    monkeypatch.setitem(sys.modules, "spaces", fake)
    spec = dataclasses.replace(CATALOG["tiny-wan"], speed=SpeedOptions(cache="first_block", aot_compile=True))
    engine = load_engine("tiny-wan", data_dir=model_dir, device="cpu")
    with caplog.at_level("WARNING", logger="reel.model"):
        report = apply_fast_path(engine.pipeline, spec, "cuda", zerogpu=True, example_call=example_call_kwargs(spec))
    assert "cache" in report.applied and "aot_compile" not in report.applied
    assert engine.pipeline.transformer.is_cache_enabled and _hooked_modules(engine.pipeline.transformer)
    assert dict(report.failed)["aot_compile"].startswith("failed: RuntimeError: torch.export could not trace")
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any("aot_compile FAILED for tiny-wan" in line for line in warnings)
    assert any("cache hook instead" in line for line in warnings)
    assert report.summary().startswith("on: cache") and "aot_compile failed: RuntimeError" in report.summary()


def test_the_fast_path_summary_says_on_or_off_and_why():
    cpu = apply_fast_path(None, CATALOG["wan2.2-ti2v-5b"], "cpu", zerogpu=False)
    assert cpu.summary() == "off (not on a GPU (device cpu))"
    nothing = apply_fast_path(None, CATALOG["tiny-ltx"], "cuda", zerogpu=False)
    assert nothing.summary() == "off (nothing enabled for this model)"


def test_narrow_storage_keeps_the_transformer_in_fp8_and_adapters_still_switch(model_dir):
    """What the LTX-2 entry's memory plan counts on, run on the tiny LTX-2 (layerwise casting works on CPU too):
    the transformer's weights are float8, frames stay close to the full-precision ones, and adapters switch on
    top of it with the base model's frames restored exactly."""
    from model.acceleration import _check_narrow_storage, store_transformer_narrow

    engine = load_engine("tiny-ltx2", data_dir=model_dir)
    request = engine.plan(prompt="a cat", seed=1, seconds=0.5, steps=2, resolution="square")
    full = engine.generate_frames(request)
    spec = dataclasses.replace(engine.spec, speed=SpeedOptions(transformer_storage_dtype="float8_e4m3fn"))
    store_transformer_narrow(engine.pipeline, spec)
    _check_narrow_storage(engine.pipeline, spec, None, None)
    assert torch.float8_e4m3fn in {parameter.dtype for parameter in engine.pipeline.transformer.parameters()}
    narrow = engine.generate_frames(request)
    assert np.abs(narrow.astype(int) - full).mean() < 8  # 0-255: fp8 rounding, not a different video
    with_lora = engine.generate_frames(dataclasses.replace(request, lora="dolly-in", lora_scale=1.0))
    assert not np.array_equal(with_lora, narrow)
    assert np.array_equal(engine.generate_frames(request), narrow)


def test_a_transformer_not_stored_narrow_fails_the_check(model_dir):
    from model.acceleration import _check_narrow_storage

    engine = load_engine("tiny-ltx2", data_dir=model_dir)
    spec = dataclasses.replace(engine.spec, speed=SpeedOptions(transformer_storage_dtype="float8_e4m3fn"))
    with pytest.raises(FastPathError, match="memory plan counted on them being stored narrow"):
        _check_narrow_storage(engine.pipeline, spec, None, None)
