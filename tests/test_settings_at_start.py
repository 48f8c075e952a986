"""A bad setting ends the start in one line that names it, before anything slow is imported and before any model
loads. The numbers the runtime reads itself (queue size, clip lifetime, shot cache, storyboard length, GPU calls at
once) and the ZeroGPU time settings used to be parsed with a bare int() after minutes of loading, or a typo read as
"no"; now app.py reads every declared setting (settings/declared.py) first."""

import subprocess
import sys

import pytest

from bench.live_server import REPO_ROOT
from model import KINDS, GpuPolicy
from settings import DECLARED, SettingError, declared, read_settings
from settings.setting import CHOICE, DATABASE_URL, FLAG, NUMBER, WHOLE

BARE_ENV = {
    "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "REEL_MODEL": "tiny-ltx", "GRADIO_ANALYTICS_ENABLED": "False",
}


@pytest.mark.process
@pytest.mark.parametrize(
    "setting, value, message",
    [
        ("REEL_QUEUE_SIZE", "abc",
         "REEL_QUEUE_SIZE must be a whole number, 1 or more (requests that may wait), not 'abc'"),
        ("REEL_CLIP_LIFETIME", "6h", "REEL_CLIP_LIFETIME must be a whole number, 1 or more"),
        ("REEL_STORYBOARD_MAX_SECONDS", "-5", "REEL_STORYBOARD_MAX_SECONDS must be a number above zero"),
        ("REEL_GPU_CONCURRENCY", "0", "REEL_GPU_CONCURRENCY must be a whole number, 1 or more (GPU calls at once)"),
        ("REEL_GPU_DURATION_CAP", "2m",
         "REEL_GPU_DURATION_CAP must be a whole number, 1 or more (seconds one request may run on ZeroGPU), not '2m'"),
        ("REEL_ZEROGPU_XLARGE", "ture", "REEL_ZEROGPU_XLARGE must be 1, true or yes (or 0, false, no), not 'ture'"),
        ("REEL_AUDIT_PROMPTS", "on", "REEL_AUDIT_PROMPTS must be 1, true or yes (or 0, false, no), not 'on'"),
        ("REEL_HISTORY_MAX", "many", "REEL_HISTORY_MAX must be a whole number, 1 or more (videos kept per person)"),
        ("REEL_BENCH_BASELINE", "fp16", "REEL_BENCH_BASELINE must be one of float32, bfloat16, off"),
    ],
)
def test_a_bad_setting_stops_the_start_in_one_line_before_any_model_loads(tmp_path, setting, value, message):
    env = {**BARE_ENV, "REEL_DATA_DIR": str(tmp_path / "data"), setting: value}
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    said = result.stderr.strip()
    assert result.stdout == "" and len(said.splitlines()) == 1  # one line: nothing logged, no model planned or loaded
    assert said.startswith(f"Reel cannot start: {message}")
    assert not (tmp_path / "data" / "models").exists()


def test_a_token_export_that_does_not_decode_stops_the_start_before_any_model_loads(tmp_path):
    """REEL_TOKENS is judged by access/export.py, right after the imports; it used to be read only after loading."""
    env = {**BARE_ENV, "REEL_DATA_DIR": str(tmp_path / "data"), "REEL_TOKENS": "reel-tokens-v1:not-base64!"}
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr and "not-base64" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "Reel cannot start: REEL_TOKENS is not a valid Reel token export (cannot decode it)")
    output = result.stdout + result.stderr
    assert "Loaded tiny-ltx" not in output and "Memory plan" not in output
    assert not (tmp_path / "data" / "models").exists()


def test_the_settings_are_read_before_the_slow_imports(tmp_path):
    """app.py stops before Gradio, torch, diffusers or spaces is imported: the refusal costs a fraction of a second,
    not the imports' many seconds."""
    probe = (
        "import runpy, sys\n"
        "try:\n"
        "    runpy.run_path('app.py', run_name='__main__')\n"
        "except SystemExit as stop:\n"
        "    print(sorted(name for name in ('gradio', 'torch', 'diffusers', 'spaces') if name in sys.modules))\n"
        "    print(stop)\n"
    )
    env = {**BARE_ENV, "REEL_DATA_DIR": str(tmp_path / "data"), "REEL_QUEUE_SIZE": "abc"}
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.splitlines() == [
        "[]", "Reel cannot start: REEL_QUEUE_SIZE must be a whole number, 1 or more (requests that may wait), not 'abc'"
    ], result.stderr


def bad_values(setting) -> list[str]:
    """Values the setting's rule refuses; none for the text kinds, which take anything."""
    if setting.kind == WHOLE:
        return ["abc", "1.5", "+3", "1e3", "\u0663", "-1" if setting.least == 0 else str(setting.least - 1)]
    if setting.kind == NUMBER:
        return ["abc", "0", "-1", "nan", "inf", "\u0663"]
    if setting.kind == FLAG:
        return ["ture", "2", "on"]
    if setting.kind == CHOICE:
        return ["no-such-choice", setting.choices[0].upper()]
    if setting.kind == DATABASE_URL:
        return ["sqlite:///data/access.sqlite3", "mysql://reel:hunter2@db/reel", "db.example:5432"]
    return []


REFUSED = [(setting, value) for setting in DECLARED for value in bad_values(setting)]


@pytest.mark.parametrize("setting, value", REFUSED, ids=[f"{s.name}={v}" for s, v in REFUSED])
def test_every_declared_setting_refuses_a_bad_value_in_one_line_naming_itself(setting, value):
    with pytest.raises(SettingError) as refused:
        read_settings({setting.name: value})
    message = str(refused.value)
    assert refused.value.name == setting.name and message.startswith(f"{setting.name} must be ")
    assert "\n" not in message and (repr(value) in message) is not setting.secret


def test_every_kind_with_a_rule_has_a_declared_setting_tested_above():
    assert {setting.kind for setting, _ in REFUSED} == {WHOLE, NUMBER, FLAG, CHOICE, DATABASE_URL}


def test_the_zerogpu_time_settings_read_as_they_say():
    kind = KINDS["zerogpu-rtx-pro-6000"]
    assert GpuPolicy.from_env(kind, {}).cap_seconds == 120 and not GpuPolicy.from_env(kind, {}).allow_xlarge
    policy = GpuPolicy.from_env(kind, {"REEL_GPU_DURATION_CAP": "90", "REEL_ZEROGPU_XLARGE": "Yes"})
    assert policy.cap_seconds == 90 and policy.allow_xlarge
    assert not GpuPolicy.from_env(kind, {"REEL_ZEROGPU_XLARGE": "0"}).allow_xlarge


def test_the_gpu_kind_setting_names_every_kind_model_knows():
    """REEL_GPU_KIND is checked by model/hardware.py (its list lives there); its documented meaning lists them."""
    meaning = declared("REEL_GPU_KIND").meaning
    assert [key for key in KINDS if f"`{key}`" not in meaning] == []
