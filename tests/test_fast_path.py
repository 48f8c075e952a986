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
    CATALOG, Precision, SpeedOptions, apply_fast_path, choose_precision, load_engine, on_zerogpu,
    plan_fast_path, probe_video, set_conv3d_memory_format,
)
from model.acceleration import FAST_PATH_STEPS, FastPathError
from model.quantization import apply_precision
from model.aot import AOT_COMPILE_GPU_SECONDS, CompiledGraphs, NotExportable, example_calls, export_transformer
from model.engine import VideoEngine
from model.hardware import GpuKind

pytestmark = pytest.mark.models

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
    # Without a known capability (no FP8 compute): FP8 storage; with one, see the per-capability test below.
    "ltx-2-distilled": (["bf16", "fp8_storage", "vae_tiling"], ["bf16", "fp8_storage", "aot_compile", "vae_tiling"]),
    "tiny-ltx2": ([], []),
    # 2.3 and 2.5 run eagerly: no ahead-of-time graphs until they are checked for their transformers.
    "ltx-2.3-distilled": (["bf16", "fp8_storage", "vae_tiling"], ["bf16", "fp8_storage", "vae_tiling"]),
    "ltx-2.5-distilled": (["bf16", "fp8_storage", "vae_tiling"], ["bf16", "fp8_storage", "vae_tiling"]),
    "tiny-ltx2.3": ([], []),
    "tiny-ltx2.5": ([], []),
}


def _kind_with_capability(capability):
    return GpuKind(key=f"sm{capability}", label="test GPU", memory_bytes=80 * 10**9, relative_speed=1.0,
                   weight_move_bytes_per_second=None, zerogpu=False, compute_capability=capability)


@pytest.mark.parametrize(
    "capability, transformer, text_encoder, backend",
    [
        ((8, 0), "fp8_storage", False, None),  # A100: no FP8 tensor cores, FP8 storage stays the fallback
        ((8, 9), "fp8_compute", True, None),  # L40S, Ada
        ((9, 0), "fp8_compute", True, "_flash_3_hub"),  # H100/H200: FlashAttention 3 is Hopper-only
        ((12, 0), "fp8_compute", True, "_native_cudnn"),  # RTX PRO 6000 Blackwell: cuDNN SDPA
    ],
)
def test_precision_and_attention_per_compute_capability(capability, transformer, text_encoder, backend):
    spec = CATALOG["ltx-2-distilled"]
    precision = choose_precision(spec, _kind_with_capability(capability))
    assert precision == Precision(transformer, text_encoder, backend)
    plan = plan_fast_path(spec, "cuda", zerogpu=True, precision=precision)
    expected = ["bf16", transformer] + (["text_encoder_fp8"] if text_encoder else [])
    expected += (["attention_backend"] if backend else []) + ["aot_compile", "vae_tiling"]
    assert plan == expected
    # A model without FP8 options keeps bf16 on every GPU, with the same attention choice.
    wan = choose_precision(CATALOG["wan2.1-t2v-1.3b"], _kind_with_capability(capability))
    assert wan == Precision("bf16", False, backend)


def test_the_footer_names_the_precision_in_place():
    assert Precision("fp8_compute", True, "_native_cudnn").describe() == (
        "FP8 compute, text encoder FP8, attention _native_cudnn"
    )
    assert Precision("fp8_storage").describe() == "FP8 storage, bf16 compute"


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


class _FakeWeights:
    """Like spaces' ZeroGPUWeights: a name -> tensor map the compiled graph reads its constants from."""

    def __init__(self, constants_map):
        self.constants_map = constants_map


class _FakeCompiled:
    """Like spaces' ZeroGPUCompiledModel: the exported graph, run on the constants its `weights` hold (copies, as a
    graph coming back from a GPU worker brings them)."""

    def __init__(self, exported):
        self.exported = exported
        self.graph = exported.module()
        self.weights = _FakeWeights({name: tensor.clone() for name, tensor in self.graph.state_dict().items()})
        self.runs = 0

    def __call__(self, **kwargs):
        self.runs += 1
        return torch.func.functional_call(self.graph, self.weights.constants_map, (), kwargs)


def _fake_spaces(compiled: list, durations: list | None = None):
    """A stand-in `spaces` module: GPU records the durations asked for, aoti_compile keeps what it compiled."""
    durations = [] if durations is None else durations

    def gpu(duration):
        durations.append(duration)
        return lambda function: function

    @contextlib.contextmanager
    def aoti_capture(module):
        captured = types.SimpleNamespace(args=(), kwargs={})

        def record(*args, **kwargs):
            captured.args, captured.kwargs = args, kwargs
            raise _Stop

        original, module.forward = module.forward, record
        try:
            yield captured
        except _Stop:
            pass
        finally:
            module.forward = original

    def aoti_compile(exported):
        compiled.append(_FakeCompiled(exported))
        return compiled[-1]

    return types.SimpleNamespace(GPU=gpu, aoti_capture=aoti_capture, aoti_compile=aoti_compile)


def test_aot_on_zerogpu_captures_exports_compiles_and_applies(model_dir, monkeypatch, tmp_path):
    """The ZeroGPU branch, with a stand-in `spaces` module whose "compiled" transformer is the exported graph:
    after the swap, text- and image-to-video clips of other sizes still run, through the exported graph."""
    compiled, durations = [], []
    fake = _fake_spaces(compiled, durations)
    monkeypatch.setitem(sys.modules, "spaces", fake)
    spec = dataclasses.replace(CATALOG["tiny-wan"], speed=SpeedOptions(cache="first_block", aot_compile=True))
    engine = load_engine("tiny-wan", data_dir=model_dir, device="cpu")
    report = apply_fast_path(engine.pipeline, spec, "cuda", zerogpu=True, example_call=example_calls(spec))
    assert "aot_compile" in report.applied and "cache" not in report.applied
    assert dict(report.skipped)["cache"].startswith("replaced by the AoT-compiled transformer")
    assert isinstance(engine.pipeline.transformer.forward, CompiledGraphs)
    assert durations == [AOT_COMPILE_GPU_SECONDS] and len(compiled) == 1  # Wan: one graph serves every size
    hidden = next(node for node in compiled[0].exported.graph.nodes if node.name == "hidden_states")
    # Batch and channels fixed; latent frames, height and width left free for every preset and image shape.
    assert [is_concrete_int(size) for size in hidden.meta["val"].shape] == [True, True, False, False, False]

    from PIL import Image

    text = engine.plan(prompt="a cat", seed=2, seconds=0.5, steps=2, resolution="portrait")
    image = engine.plan(prompt="a cat", seed=2, seconds=1.0, steps=2, image=Image.new("RGB", (64, 64), "red"))
    for request in (text, image):
        clip = engine.render(request, tmp_path)
        assert probe_video(clip.path)["num_frames"] == request.num_frames
    assert compiled[0].runs >= 8  # 2 steps x (cond + uncond) x 2 clips


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
        report = apply_fast_path(engine.pipeline, spec, "cuda", zerogpu=True, example_call=example_calls(spec))
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
    from model.acceleration import _check_narrow_storage
    from model.quantization import store_transformer_narrow

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


def test_ltx2_compiles_one_graph_per_preset_on_its_own_weights_and_runs_the_rest_eagerly(model_dir, monkeypatch):
    """LTX-2 passes its latent height and width as integers, which torch.export fixes: one graph per preset, the
    clip's length left free, every graph reading the transformer's own tensors (one copy of the weights), and the
    eager transformer for calls no graph covers (another size, a picture's conditioned call, an adapter on)."""
    from PIL import Image

    compiled = []
    monkeypatch.setitem(sys.modules, "spaces", _fake_spaces(compiled))
    engine = load_engine("tiny-ltx2", data_dir=model_dir, device="cpu")
    landscape = engine.plan(prompt="a cat", seed=4, seconds=1.0, steps=2, resolution="landscape")
    square = engine.plan(prompt="a cat", seed=4, seconds=0.5, steps=2, resolution="square")
    eager_frames = engine.generate_frames(landscape)

    spec = dataclasses.replace(
        engine.spec,
        presets={name: engine.spec.presets[name] for name in ("landscape", "portrait")},
        speed=SpeedOptions(aot_compile=True),
    )
    report = apply_fast_path(engine.pipeline, spec, "cuda", zerogpu=True, example_call=example_calls(spec))
    assert "aot_compile" in report.applied, report.skipped
    router = engine.pipeline.transformer.forward
    assert isinstance(router, CompiledGraphs) and len(compiled) == 2
    assert set(router.graphs) == {(320 // 32, 512 // 32), (512 // 32, 320 // 32)}  # latent (height, width)
    own = engine.pipeline.transformer.state_dict()
    for graph in compiled:  # the copies that came back were replaced by the transformer's own tensors
        assert graph.weights.constants_map and all(
            tensor.data_ptr() == own[name].data_ptr() for name, tensor in graph.weights.constants_map.items()
        )

    # A preset at another length than the one captured runs compiled, and makes the eager transformer's frames.
    assert np.array_equal(engine.generate_frames(landscape), eager_frames)
    assert router.compiled_calls == landscape.steps and router.eager_calls == 0
    engine.generate_frames(square)  # a size no graph was made for
    engine.generate_frames(dataclasses.replace(landscape, lora="dolly-in", lora_scale=1.0))  # an adapter on
    picture = engine.plan(prompt="a cat", seed=4, seconds=0.5, steps=2, image=Image.new("RGB", (512, 320), "red"))
    engine.generate_frames(picture)  # LTX2ConditionPipeline: per-token timesteps, keywords no graph has
    assert router.compiled_calls == landscape.steps and router.eager_calls == 3 * landscape.steps
    assert sum(graph.runs for graph in compiled) == landscape.steps


def test_graph_constants_that_are_not_the_transformers_own_fail_the_compile_visibly(model_dir, monkeypatch):
    compiled = []
    fake = _fake_spaces(compiled)
    original_compile = fake.aoti_compile

    def renaming_compile(exported):
        graph = original_compile(exported)
        graph.weights = _FakeWeights({f"flattened.{name}": t for name, t in graph.weights.constants_map.items()})
        return graph

    fake.aoti_compile = renaming_compile
    monkeypatch.setitem(sys.modules, "spaces", fake)
    engine = load_engine("tiny-wan", data_dir=model_dir, device="cpu")
    spec = dataclasses.replace(engine.spec, speed=SpeedOptions(aot_compile=True))
    report = apply_fast_path(engine.pipeline, spec, "cuda", zerogpu=True, example_call=example_calls(spec))
    assert "aot_compile" not in report.applied
    assert "sharing them would double the weights" in dict(report.failed)["aot_compile"]
    assert not isinstance(engine.pipeline.transformer.forward, CompiledGraphs)


def test_fp8_text_encoder_weights_apply_on_cpu_and_the_clip_still_runs(model_dir):
    """torchao's weight-only float8 runs on CPU: the tiny LTX-2's Gemma holds FP8 linear weights (its head and
    embedding table left alone), the check passes, and a clip comes out close to the full-precision one."""
    from model.acceleration import _check_text_encoder_fp8
    from model.quantization import float8_linears

    engine = load_engine("tiny-ltx2", data_dir=model_dir)
    request = engine.plan(prompt="a cat", seed=1, seconds=0.5, steps=2, resolution="square")
    full = engine.generate_frames(request)
    spec = dataclasses.replace(engine.spec, speed=SpeedOptions(text_encoder_fp8=True))
    applied, failures = apply_precision(engine.pipeline, spec, Precision("bf16", text_encoder_fp8=True))
    assert applied.text_encoder_fp8 and failures == {}
    quantized, linears = float8_linears(engine.pipeline.text_encoder)
    assert 0 < quantized < linears  # every linear layer but the tied head
    assert "Float8" not in type(engine.pipeline.text_encoder.get_input_embeddings().weight).__name__
    _check_text_encoder_fp8(engine.pipeline, spec, None, None)
    narrow = engine.generate_frames(request)
    assert narrow.shape == full.shape and np.abs(narrow.astype(int) - full).mean() < 8


def test_fp8_compute_that_cannot_run_falls_back_to_fp8_storage_and_says_so(model_dir):
    """On CPU torchao refuses float8 dynamic quantization (it needs compute capability 8.9): the same thing a GPU
    whose kernels are missing would do. The transformer is then stored in FP8, which holds the same bytes, the
    failure is reported for the footer, and clips still run."""
    engine = load_engine("tiny-ltx2", data_dir=model_dir)
    spec = dataclasses.replace(
        engine.spec, torch_dtype="float32",
        speed=SpeedOptions(fp8_compute=True, transformer_storage_dtype="float8_e4m3fn"),
    )
    applied, failures = apply_precision(engine.pipeline, spec, Precision("fp8_compute"))
    assert applied.transformer == "fp8_storage"
    assert "compute capability" in failures["fp8_compute"] and failures["fp8_compute"].endswith("FP8 storage instead")
    report = apply_fast_path(engine.pipeline, spec, "cuda", zerogpu=False, precision=applied,
                             precision_failures=failures)
    assert "fp8_storage" in report.applied and "fp8_compute" not in report.applied
    assert "fp8_compute failed: AssertionError" in report.summary()
    assert report.precision.describe().startswith("FP8 storage")
    clip = engine.generate_frames(engine.plan(prompt="a cat", seed=1, seconds=0.5, steps=1, resolution="square"))
    assert clip.shape[0] == engine.plan(prompt="a cat", seconds=0.5).num_frames


@pytest.mark.parametrize("backend", ["_native_cudnn", "_flash_3_hub"])
def test_an_attention_backend_that_fails_its_probe_goes_back_to_native_sdpa(backend, model_dir, monkeypatch):
    """cuDNN's SDPA has no CPU kernel and FA3 needs a download the offline machine cannot make: both fail the
    start-up probe here, as a backend without a build for a GPU would there; native SDPA takes over, reported."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    engine = load_engine("tiny-ltx2", data_dir=model_dir)
    precision = Precision("bf16", attention_backend=backend)
    spec = dataclasses.replace(engine.spec, torch_dtype="float32")
    report = apply_fast_path(engine.pipeline, spec, "cuda", zerogpu=False, precision=precision)
    assert "attention_backend" not in report.applied
    why = dict(report.failed)["attention_backend"]
    assert why.startswith(f"failed: RuntimeError: native SDPA instead of {backend} (")
    assert report.precision.attention_backend == "native"
    backends = {
        getattr(module.processor._attention_backend, "value", None)
        for module in engine.pipeline.transformer.modules()
        if hasattr(getattr(module, "processor", None), "_attention_backend")
    }
    assert backends == {"native"}
    frames = engine.generate_frames(engine.plan(prompt="a cat", seed=1, seconds=0.5, steps=1, resolution="square"))
    assert frames.size
