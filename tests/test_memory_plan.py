"""The memory plan: each catalog entry's weights are counted from its public config, combinations that do not fit
the GPU are refused at start before anything loads, and the README's multi-model example fits."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.full_size import meta_parameter_counts
from bench.live_server import REPO_ROOT
from model import CATALOG, KINDS, ModelUnavailable, check_memory, load_engines, plan_memory

REAL_KEYS = [key for key, spec in CATALOG.items() if not spec.is_preview]
README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("key", REAL_KEYS)
def test_catalog_weights_are_the_meta_device_counts(key):
    spec = CATALOG[key]
    counts = meta_parameter_counts(spec.repo_id)
    assert (spec.weights.transformer, spec.weights.text_encoder, spec.weights.vae) == (
        counts["transformer"], counts["text_encoder"], counts["vae"],
    )
    assert spec.weight_bytes == 2 * spec.weights.parameters  # bf16 on the GPU
    assert spec.weights.bytes_in("float32") == 2 * spec.weight_bytes


def test_all_three_real_models_do_not_fit_a_zerogpu_slice_and_the_message_says_what_does():
    specs = [CATALOG[key] for key in REAL_KEYS]
    with pytest.raises(Exception) as refused:
        check_memory(specs, KINDS["zerogpu-h200"])
    message = str(refused.value)
    assert re.search(r"need 8\d\.\d GB of GPU memory together, more than the 67\.2 GB", message)
    assert "each of wan2.2-ti2v-5b, ltx-video-0.9.8-distilled, wan2.1-t2v-1.3b fits alone" in message


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
    with pytest.raises(ModelUnavailable, match="REEL_MODELS: wan2.2-ti2v-5b, ltx-video-0.9.8-distilled, wan2.1"):
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
    assert last_line.startswith("Reel cannot start: REEL_MODELS: wan2.2-ti2v-5b, ltx-video-0.9.8-distilled")
    assert "GB of GPU memory together" in last_line and "Traceback" not in result.stderr
