"""The memory plan: each catalog entry's weights are counted from its public config, combinations that do not fit
the GPU are refused at start before anything loads, and the README's multi-model example fits."""

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.full_size import weight_rows
from bench.live_server import REPO_ROOT
from model import CATALOG, KINDS, ModelUnavailable, check_memory, load_engines, plan_memory
from model.memory import MemoryPlanError

REAL_KEYS = [key for key, spec in CATALOG.items() if not spec.is_preview]
README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("key", REAL_KEYS)
def test_catalog_weights_are_the_meta_device_counts(key):
    spec = CATALOG[key]
    rows = weight_rows(spec.repo_id)  # LTX-2's connectors, audio VAE and vocoder folded into their rows
    assert (spec.weights.transformer, spec.weights.text_encoder, spec.weights.vae) == (
        rows["transformer"], rows["text_encoder"], rows["vae"],
    )
    assert spec.weights.bytes_in("bfloat16") == 2 * spec.weights.parameters
    if spec.speed.transformer_storage_dtype is None:
        assert spec.weight_bytes == 2 * spec.weights.parameters  # bf16 on the GPU
    else:  # the transformer stored in FP8 (1 byte a parameter), the rest bf16
        assert spec.speed.transformer_storage_dtype == "float8_e4m3fn"
        assert spec.weight_bytes == 2 * spec.weights.parameters - spec.weights.transformer
    assert spec.weights.bytes_in("float32") == 2 * spec.weights.bytes_in("bfloat16")


def test_all_real_models_do_not_fit_a_zerogpu_slice_and_the_message_says_what_does():
    specs = [CATALOG[key] for key in REAL_KEYS]
    with pytest.raises(Exception) as refused:
        check_memory(specs, KINDS["zerogpu-h200"])
    message = str(refused.value)
    assert re.search(r"need 13\d\.\d GB of GPU memory together, more than the 67\.2 GB", message)
    assert (
        "each of ltx-2-distilled, wan2.2-ti2v-5b, ltx-video-0.9.8-distilled, wan2.1-t2v-1.3b fits alone" in message
    )


def test_ltx2_fits_a_zerogpu_slice_alone_only_because_its_transformer_is_stored_in_fp8():
    """LTX-2 19B in bf16 is 67.7 GB of weights: over the 67.2 GB Reel plans to use on the standard ZeroGPU slice
    before any activation. Its transformer stored in FP8 (1 byte a parameter) brings the plan to about 59 GB."""
    spec = CATALOG["ltx-2-distilled"]
    assert spec.speed.transformer_storage_dtype == "float8_e4m3fn"
    plan = check_memory([spec], KINDS["zerogpu-h200"])
    assert plan.fits and plan.weights == {"ltx-2-distilled": spec.weight_bytes}
    assert spec.weight_bytes == spec.weights.transformer + 2 * (spec.weights.text_encoder + spec.weights.vae)
    assert plan.total_bytes == spec.weight_bytes + spec.weights.activation_bytes + plan.reserve_bytes
    assert plan.total_bytes < plan.usable_bytes

    # The same weights in bf16: the weights alone are over, and the plan says none of it fits.
    assert spec.weights.bytes_in("bfloat16") > plan.usable_bytes
    bf16 = dataclasses.replace(spec, speed=dataclasses.replace(spec.speed, transformer_storage_dtype=None))
    assert bf16.weight_bytes == spec.weights.bytes_in("bfloat16")
    with pytest.raises(MemoryPlanError, match="None of them fits alone"):
        check_memory([bf16], KINDS["zerogpu-h200"])


def _readme_models_example() -> list[str]:
    match = re.search(r"`REEL_MODELS=([a-z0-9.,-]+)`", README)
    assert match, "the README shows a REEL_MODELS example"
    return match.group(1).split(",")


def test_the_readme_multi_model_example_fits_a_zerogpu_slice():
    keys = _readme_models_example()
    assert len(keys) >= 2 and all(key in CATALOG for key in keys)
    plan = check_memory([CATALOG[key] for key in keys], KINDS["zerogpu-h200"])
    assert plan.fits and plan.total_bytes < plan.usable_bytes


def test_shared_weights_count_once_per_model_and_activations_once():
    wan22, wan21 = CATALOG["wan2.2-ti2v-5b"], CATALOG["wan2.1-t2v-1.3b"]
    together = plan_memory([wan22, wan21], KINDS["h100"])
    assert together.weights == {"wan2.2-ti2v-5b": wan22.weight_bytes, "wan2.1-t2v-1.3b": wan21.weight_bytes}
    assert together.activation_bytes == max(wan22.weights.activation_bytes, wan21.weights.activation_bytes)


def test_on_cpu_nothing_is_planned():
    plan = check_memory([CATALOG[key] for key in REAL_KEYS], KINDS["cpu"])
    assert plan.fits and plan.usable_bytes is None


def test_load_engines_refuses_before_loading_anything(tmp_path):
    with pytest.raises(ModelUnavailable, match="REEL_MODELS: ltx-2-distilled, wan2.2-ti2v-5b, ltx-video-0.9.8"):
        load_engines(REAL_KEYS, data_dir=tmp_path, kind=KINDS["zerogpu-h200"])
    assert not (tmp_path / "models").exists()


def test_the_app_refuses_an_over_memory_combination_at_start(tmp_path):
    """As an operator meets it: `python app.py` stops at once with one line, not a traceback at the first call."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
        "REEL_DATA_DIR": str(tmp_path / "data"),
        "REEL_MODELS": ",".join(REAL_KEYS),
        "REEL_GPU_KIND": "zerogpu-h200",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("Reel cannot start: REEL_MODELS: ltx-2-distilled, wan2.2-ti2v-5b, ltx-video-0.9.8")
    assert "GB of GPU memory together" in last_line and "Traceback" not in result.stderr
