"""The memory plan: each catalog entry's weights are counted from its public config, the precision follows the GPU
(FP8 compute where there are FP8 tensor cores), ZeroGPU's sizes are chosen as spaces would choose them (xlarge
when the weights pass its threshold or the plan does not fit large, with visitors told they pay twice), and only
what fits no size is refused at start, before anything loads."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.full_size import linear_weight_counts, weight_rows
from bench.live_server import REPO_ROOT
from model import (
    CATALOG, KINDS, ModelUnavailable, Precision, check_memory, choose_precision, load_engines, plan_memory,
    resident_weight_bytes,
)
from model.catalog import DEFAULT_GPU_MODEL
from model.memory import GB, MemoryPlanError

REAL_KEYS = [key for key, spec in CATALOG.items() if not spec.is_preview]
LARGE = KINDS["zerogpu-rtx-pro-6000"]
XLARGE = KINDS["zerogpu-rtx-pro-6000-xlarge"]
DOCS = Path(__file__).resolve().parent.parent / "docs"
MODELS_DOC = (DOCS / "models.md").read_text()  # the REEL_MODELS example
DEPLOYING_DOC = (DOCS / "deploying.md").read_text()  # the memory table


@pytest.mark.parametrize("key", REAL_KEYS)
def test_catalog_weights_are_the_meta_device_counts(key):
    spec = CATALOG[key]
    rows = weight_rows(spec.repo_id)  # LTX-2's connectors, audio VAE and vocoder folded into their rows
    assert (spec.weights.transformer, spec.weights.text_encoder, spec.weights.vae) == (
        rows["transformer"], rows["text_encoder"], rows["vae"],
    )
    assert spec.weights.bytes_in("bfloat16") == 2 * spec.weights.parameters
    assert spec.weights.bytes_in("float32") == 2 * spec.weights.bytes_in("bfloat16")
    if spec.speed.fp8_compute or spec.speed.text_encoder_fp8:
        linear = linear_weight_counts(spec.repo_id)
        assert spec.weights.transformer_linear == linear["transformer"]
        assert spec.weights.text_encoder_linear == linear["text_encoder"]  # Gemma's own; the connectors stay bf16


def test_each_precision_counts_the_bytes_it_holds():
    spec = CATALOG["ltx-2-distilled"]
    weights = spec.weights
    bf16 = resident_weight_bytes(spec, Precision("bf16"))
    storage = resident_weight_bytes(spec, Precision("fp8_storage"))
    compute = resident_weight_bytes(spec, Precision("fp8_compute", text_encoder_fp8=True))
    assert bf16 == 2 * weights.parameters
    assert storage == bf16 - weights.transformer  # every transformer weight at one byte
    # Linear weights at one byte, the rest (norms, biases, Gemma's embedding table) at two.
    assert compute == bf16 - weights.transformer_linear - weights.text_encoder_linear
    assert 0 < weights.transformer - weights.transformer_linear < weights.transformer / 100
    assert resident_weight_bytes(spec, Precision("float32")) == 2 * bf16


@pytest.mark.parametrize(
    "kind, transformer, text_encoder_fp8",
    [("a100", "fp8_storage", False), ("l40s", "fp8_compute", True), ("h100", "fp8_compute", True),
     ("zerogpu-rtx-pro-6000", "fp8_compute", True), ("cpu", "float32", False)],
)
def test_the_precision_follows_the_gpus_compute_capability(kind, transformer, text_encoder_fp8):
    precision = choose_precision(CATALOG["ltx-2-distilled"], KINDS[kind])
    assert (precision.transformer, precision.text_encoder_fp8) == (transformer, text_encoder_fp8)
    # A model without FP8 options stays bf16 everywhere on a GPU.
    assert choose_precision(CATALOG["wan2.2-ti2v-5b"], KINDS[kind]).transformer in ("bf16", "float32")


def test_the_default_gpu_model_fits_zerogpu_large_at_1x_quota():
    """Today's default ZeroGPU size: the default model fits `large` with FP8 compute, below spaces' xlarge
    threshold, so calls are billed at 1x."""
    spec = CATALOG[DEFAULT_GPU_MODEL]
    plan = check_memory([spec], LARGE)
    assert plan.fits and plan.kind is LARGE and plan.xlarge_reason == ""
    assert plan.precisions[spec.key] == Precision("fp8_compute", True, "_native_cudnn")
    assert plan.weight_bytes < LARGE.xlarge_threshold_bytes
    assert plan.total_bytes == plan.weight_bytes + spec.weights.activation_bytes + plan.reserve_bytes
    # Without FP8 compute (bf16 weights) it would not: the text encoder's and transformer's FP8 are what fit it.
    assert resident_weight_bytes(spec, Precision("bf16")) > plan.usable_bytes


def test_weights_past_spaces_threshold_run_every_call_on_xlarge_and_say_visitors_pay_twice():
    specs = [CATALOG["ltx-2-distilled"], CATALOG["wan2.1-t2v-1.3b"]]
    plan = check_memory(specs, LARGE)
    assert plan.weight_bytes > LARGE.xlarge_threshold_bytes
    assert plan.kind is XLARGE and plan.fits
    assert "pass spaces' xlarge threshold (45.1 GB)" in plan.xlarge_reason
    assert "every call runs on xlarge because" in plan.describe() and "visitors pay twice" in plan.describe()


def test_a_plan_over_large_but_under_the_threshold_asks_for_xlarge_itself():
    spec = CATALOG["ltx-video-0.9.8-distilled"]
    on_large = plan_memory([spec], LARGE)
    assert not on_large.fits and on_large.weight_bytes <= LARGE.xlarge_threshold_bytes
    plan = check_memory([spec], LARGE)
    assert plan.kind is XLARGE and plan.xlarge_reason.startswith("they need 47.1 GB, more than 45.9 GB on large")


def test_only_what_fits_neither_size_is_refused_with_what_does():
    with pytest.raises(MemoryPlanError) as refused:
        check_memory([CATALOG[key] for key in REAL_KEYS], LARGE)
    message = str(refused.value)
    assert re.search(r"need \d{3}\.\d GB of GPU memory together, more than the 91\.8 GB Reel plans to use on "
                     r"ZeroGPU xlarge .*, the largest ZeroGPU size", message)
    assert ("each of ltx-2-distilled, ltx-2.3-distilled, ltx-2.5-distilled, wan2.2-ti2v-5b, ltx-video-0.9.8-distilled, "
            "wan2.1-t2v-1.3b fits alone") in message


def test_the_legacy_h200_slice_has_no_threshold_and_stays_planned():
    plan = check_memory([CATALOG[DEFAULT_GPU_MODEL]], KINDS["zerogpu-h200"])
    assert plan.kind is KINDS["zerogpu-h200"] and plan.fits and plan.xlarge_reason == ""


def _docs_models_example() -> tuple[list[str], str]:
    match = re.search(r"`REEL_MODELS=([a-z0-9.,-]+)`(.*?)\n\n", MODELS_DOC, re.S)
    assert match, "docs/models.md shows a REEL_MODELS example"
    return match.group(1).split(","), match.group(2)


def test_the_docs_multi_model_example_runs_on_the_size_it_names():
    keys, words = _docs_models_example()
    assert len(keys) >= 2 and all(key in CATALOG for key in keys)
    plan = check_memory([CATALOG[key] for key in keys], LARGE)
    assert plan.fits and f"`{plan.kind.size}`" in words and f"{plan.total_bytes / GB:.1f} GB" in words


def _docs_memory_table() -> dict[str, tuple[str, str, str]]:
    """REEL_MODELS -> (planned GB, large, xlarge) from the memory table in docs/deploying.md, the first table of
    its "GPU memory" section."""
    section = DEPLOYING_DOC.split("\n## GPU memory\n", 1)[1].split("\n## ", 1)[0]
    table = re.search(r"^\|.*?(?=\n\n|\Z)", section, re.S | re.M).group(0)
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        models = ",".join(REAL_KEYS) if cells[0].startswith("all ") else cells[0].strip("`")
        rows[models] = (cells[1], cells[2], cells[3])
    return rows


def test_the_docs_memory_table_is_the_plan():
    table = _docs_memory_table()
    assert DEFAULT_GPU_MODEL in table and len(table) >= 5
    for models, (planned, on_large, on_xlarge) in table.items():
        specs = [CATALOG[key] for key in models.split(",")]
        large, xlarge = plan_memory(specs, LARGE), plan_memory(specs, XLARGE)
        assert planned.startswith(f"{large.total_bytes / GB:.1f} GB"), models
        forced = large.weight_bytes > LARGE.xlarge_threshold_bytes
        assert on_large == ("fits" if large.fits and not forced else "no"), models
        assert on_xlarge == ("fits" if xlarge.fits else "no"), models


def test_shared_weights_count_once_per_model_and_activations_once():
    wan22, wan21 = CATALOG["wan2.2-ti2v-5b"], CATALOG["wan2.1-t2v-1.3b"]
    together = plan_memory([wan22, wan21], KINDS["h100"])
    assert together.weights == {
        "wan2.2-ti2v-5b": 2 * wan22.weights.parameters, "wan2.1-t2v-1.3b": 2 * wan21.weights.parameters,
    }
    assert together.activation_bytes == max(wan22.weights.activation_bytes, wan21.weights.activation_bytes)


def test_on_cpu_nothing_is_planned():
    plan = check_memory([CATALOG[key] for key in REAL_KEYS], KINDS["cpu"])
    assert plan.fits and plan.usable_bytes is None


def test_load_engines_refuses_before_loading_anything(tmp_path):
    with pytest.raises(ModelUnavailable, match="REEL_MODELS: ltx-2-distilled, ltx-2.3-distilled, ltx-2.5-distilled, wan2.2-ti2v-5b"):
        load_engines(REAL_KEYS, data_dir=tmp_path, kind=LARGE)
    assert not (tmp_path / "models").exists()


def _start(tmp_path, models: list[str], kind: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
        "REEL_DATA_DIR": str(tmp_path / "data"),
        "REEL_MODELS": ",".join(models),
        "REEL_GPU_KIND": kind,
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    return subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180
    )


@pytest.mark.process
def test_the_app_refuses_what_fits_no_zerogpu_size_at_start(tmp_path):
    """As an operator meets it: `python app.py` stops at once with one line, not a traceback at the first call."""
    result = _start(tmp_path, REAL_KEYS, "zerogpu-rtx-pro-6000")
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("Reel cannot start: REEL_MODELS: ltx-2-distilled, ltx-2.3-distilled, ltx-2.5-distilled")
    assert "GB of GPU memory together" in last_line and "Traceback" not in result.stderr


@pytest.mark.process
def test_the_default_model_passes_the_plan_on_blackwell_large_and_stops_only_at_the_download(tmp_path):
    """The operator's first try on today's hardware: the plan fits `large`, is printed, and the start ends only
    where the offline download fails, with the one-line message."""
    result = _start(tmp_path, [DEFAULT_GPU_MODEL], "zerogpu-rtx-pro-6000")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    plan_line = next(line for line in result.stderr.splitlines() if "Memory plan:" in line)
    assert "45.6 GB of 45.9 GB usable on ZeroGPU large (half an NVIDIA RTX PRO 6000 Blackwell, 48 GB)" in plan_line
    assert "xlarge" not in plan_line
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"Reel cannot start: Could not load {DEFAULT_GPU_MODEL} from rootonchair/")
    assert "not in the local Hugging Face cache" in last_line


@pytest.mark.process
def test_a_model_that_needs_xlarge_starts_and_says_visitors_pay_twice(tmp_path):
    result = _start(tmp_path, ["ltx-video-0.9.8-distilled"], "zerogpu-rtx-pro-6000")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    warning = next(line for line in result.stderr.splitlines() if "every call runs on the xlarge size" in line)
    assert "visitors pay twice the quota" in warning
    assert result.stderr.strip().splitlines()[-1].startswith("Reel cannot start: Could not load ltx-video-0.9.8")


def test_the_default_gpu_model_is_the_newest_ltx2_that_fits_large_at_1x():
    """LTX-2.5 and 2.3 are newer, but by the plan each needs xlarge (twice the quota); 2.0 fits large."""
    newest_first = ["ltx-2.5-distilled", "ltx-2.3-distilled", "ltx-2-distilled"]
    sizes = {key: check_memory([CATALOG[key]], LARGE).kind for key in newest_first}
    assert sizes["ltx-2.5-distilled"] is XLARGE and sizes["ltx-2.3-distilled"] is XLARGE
    assert DEFAULT_GPU_MODEL == next(key for key in newest_first if sizes[key] is LARGE)
