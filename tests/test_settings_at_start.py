"""A bad setting ends the start in one line that names it, before any model loads: the numbers the runtime reads
itself (queue size, clip lifetime, shot cache, storyboard length, GPU calls at once) and the ZeroGPU time settings
used to be parsed with a bare int() after minutes of loading, or a typo read as "no"."""

import subprocess
import sys

import pytest

from bench.live_server import REPO_ROOT
from model import KINDS, GpuPolicy


@pytest.mark.process
@pytest.mark.parametrize(
    "setting, value, message",
    [
        ("REEL_QUEUE_SIZE", "abc",
         "REEL_QUEUE_SIZE must be a whole number, 1 or more (requests that may wait), not 'abc'"),
        ("REEL_CLIP_LIFETIME", "6h", "REEL_CLIP_LIFETIME must be a whole number, 1 or more"),
        ("REEL_STORYBOARD_MAX_SECONDS", "-5", "REEL_STORYBOARD_MAX_SECONDS must be a number above zero"),
        ("REEL_GPU_CONCURRENCY", "0", "REEL_GPU_CONCURRENCY must be a whole number, 1 or more (GPU calls at once)"),
        ("REEL_GPU_DURATION_CAP", "2m", "REEL_GPU_DURATION_CAP must be a whole number of seconds, 1 or more"),
        ("REEL_ZEROGPU_XLARGE", "ture", "REEL_ZEROGPU_XLARGE must be 1, true or yes (or 0, false, no), not 'ture'"),
    ],
)
def test_a_bad_setting_stops_the_start_in_one_line_before_any_model_loads(tmp_path, setting, value, message):
    env = {
        "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "REEL_DATA_DIR": str(tmp_path / "data"),
        "REEL_MODEL": "tiny-ltx", "GRADIO_ANALYTICS_ENABLED": "False", setting: value,
    }
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"Reel cannot start: {message}")
    output = result.stdout + result.stderr
    assert "Loaded tiny-ltx" not in output and "Memory plan" not in output  # nothing was planned or loaded
    assert not (tmp_path / "data" / "models").exists()


def test_the_zerogpu_time_settings_read_as_they_say():
    kind = KINDS["zerogpu-rtx-pro-6000"]
    assert GpuPolicy.from_env(kind, {}).cap_seconds == 120 and not GpuPolicy.from_env(kind, {}).allow_xlarge
    policy = GpuPolicy.from_env(kind, {"REEL_GPU_DURATION_CAP": "90", "REEL_ZEROGPU_XLARGE": "Yes"})
    assert policy.cap_seconds == 90 and policy.allow_xlarge
    assert not GpuPolicy.from_env(kind, {"REEL_ZEROGPU_XLARGE": "0"}).allow_xlarge
