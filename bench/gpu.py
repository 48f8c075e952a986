"""`python -m bench --gpu`: every real catalog model at FULL size, random weights, on one CUDA GPU.

No download and no Hub: bench/full_size.py builds each pipeline from its published config with random weights,
so shapes, kernels, memory and time are those of the real model and the frames are noise. Per model it times one
default request (default preset, default seconds, default steps; text-to-video) through Reel's own engine
(model.engine.VideoEngine, the code the Space runs), twice:

- fast: the catalog entry's dtype (bf16) and model/acceleration.py's fast path as it runs on a plain GPU (the
  cache hook, VAE tiling at or above the entry's pixel threshold). The distillation LoRA needs the real weights
  from the Hub and ahead-of-time compilation needs ZeroGPU (spaces.aoti_*): both are reported as skipped.
- baseline: float32, no fast path. With no cache hook every denoising step is the same work, so by default the
  baseline runs REEL_BENCH_BASELINE_STEPS (4) steps and its denoising time is scaled to the default step count
  (reported as extrapolated; the measured figure is kept beside it). A full float32 run of the 5B model would take
  longer than a 10-minute GPU lease allows.

Each variant gets a short warm-up request first (same size, fewest frames, 2 steps), then one timed request with
torch.cuda.synchronize() on both sides. Reported per variant: seconds, GPU seconds per second of video, peak GPU
memory (torch.cuda.max_memory_allocated, weights included), a split into text encoding / denoising / VAE decoding /
the rest (measured with module hooks, synchronised), and how many transformer passes ran in full (the cache hook
skips the others; with random weights that count is NOT what trained weights would give, see the notes).

Code: bench/gpu_measure.py builds and times one model (bench/gpu_timing.py: the synchronised timing hooks and memory
readings; bench/gpu_fast_path.py: the fast path as run here), bench/gpu_report.py prints the table and judges the
goals; bench/gpu_storyboard.py and bench/gpu_hd.py are the fast model's storyboard and HD rows; this module picks the
models and runs them.

Environment knobs (all optional):
  REEL_BENCH_MODELS=key,key     catalog keys to run (default: every real entry, the default GPU model first)
  REEL_BENCH_BASELINE=float32   float32 | bfloat16 (bf16 without the fast path: isolates cache and tiling) | off
  REEL_BENCH_BASELINE_STEPS=4   steps the baseline runs before scaling; 0 runs every default step
  REEL_BENCH_STORYBOARD_SHOTS=12  shots of 5 s in the fast model's storyboard row (bench/gpu_storyboard.py: GPU
                                seconds per video second of a one-minute storyboard, on the fast variant's engine
                                after its timed request); 0 skips it
  REEL_BENCH_HD=on              the default model's HD row (bench/gpu_hd.py, on the fast variant's engine after the
                                storyboard): its standard clip, the same clip at quality "hd" (two stages: the
                                spatial latent upsampler built at full size with random weights, then the short
                                refine) and the HD size rendered in one stage; reports hd_over_one_stage (goal at
                                most 0.6) and whether the HD call stays within the memory plan's; "off" skips it
  REEL_BENCH_PRECISIONS=...     the default model's precision comparison (bench/gpu_precision.py): bf16, FP8
                                storage, FP8 compute, FP8 compute + AoT, as ratios to bf16; "off" skips it
"""

from __future__ import annotations

import torch

from model.hardware import detect_gpu_kind
from settings import SettingError, declared, read_setting, read_settings

from .gpu_fast_path import apply_benchmark_fast_path  # noqa: F401 (re-exported)
from .gpu_measure import (  # noqa: F401 (SEED, WARMUP_STEPS, default_request, measure_variant: re-exported)
    PROMPT,
    SEED,
    WARMUP_STEPS,
    default_request,
    measure_model,
    measure_variant,
)
from .gpu_precision import measure_precisions, precision_lines, precision_variants
from .gpu_report import FAST_MODEL, _evaluate_goals, _notes, print_report  # noqa: F401 (FAST_MODEL: re-exported)
from .gpu_timing import GIB, _gib  # noqa: F401 (GIB: re-exported)

BENCH_SETTINGS = ("REEL_BENCH_BASELINE", "REEL_BENCH_BASELINE_STEPS", "REEL_BENCH_STORYBOARD_SHOTS", "REEL_BENCH_HD")
NO_GPU_MESSAGE = (
    "--gpu needs a CUDA GPU; none is visible (torch.cuda.is_available() is False). "
    "Run `python -m bench` without --gpu for the CPU figures, or run it where an NVIDIA GPU and a CUDA build of "
    "torch are installed."
)


def _real_specs() -> list:
    """Every catalog entry that names a Hub repo (tiny previews excluded), the default GPU model first."""
    from model.catalog import CATALOG, DEFAULT_GPU_MODEL

    specs = [spec for spec in CATALOG.values() if spec.repo_id and not spec.is_preview]
    return sorted(specs, key=lambda spec: spec.key != DEFAULT_GPU_MODEL)


def _select_specs(models) -> list:
    specs = _real_specs()
    if models is None:
        models = read_setting("REEL_BENCH_MODELS")
    if not models:
        return specs
    by_key = {spec.key: spec for spec in specs}
    unknown = [name for name in models if name not in by_key]
    if unknown:
        raise SystemExit(f"REEL_BENCH_MODELS: unknown {', '.join(unknown)}; real catalog models: {', '.join(by_key)}")
    return [by_key[name] for name in models]


def run_gpu_benchmark(models=None, baseline: str | None = None, baseline_steps: int | None = None) -> dict:
    """Benchmark every real catalog model on the visible CUDA GPU; print a table and return JSON-ready figures.

    Raises SystemExit with a clear message when no CUDA GPU is visible (nothing is built or imported before that
    check beyond torch)."""
    if not torch.cuda.is_available():
        raise SystemExit(NO_GPU_MESSAGE)

    import diffusers

    try:
        settings = read_settings(None, BENCH_SETTINGS)
    except SettingError as bad:
        raise SystemExit(str(bad)) from None
    baseline = baseline or settings["REEL_BENCH_BASELINE"]
    baselines = declared("REEL_BENCH_BASELINE").choices
    if baseline not in baselines:  # passed in by the caller; one read from the environment is checked already
        raise SystemExit(f"baseline must be one of {', '.join(baselines)}, not {baseline!r}")
    if baseline_steps is None:
        baseline_steps = settings["REEL_BENCH_BASELINE_STEPS"]
    specs = _select_specs(models)
    storyboard_shots = settings["REEL_BENCH_STORYBOARD_SHOTS"]
    hd_row = settings["REEL_BENCH_HD"] == "on"
    precisions = precision_variants()

    device = torch.device("cuda", torch.cuda.current_device())
    properties = torch.cuda.get_device_properties(device)
    kind = detect_gpu_kind(zerogpu=False, cuda_available=True)
    report = {
        "device": f"{properties.name}, {_gib(properties.total_memory)} GiB",
        "gpu_kind": kind.key,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "diffusers": diffusers.__version__,
        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        "prompt": PROMPT,
        "baseline": baseline,
        "baseline_steps": baseline_steps or "all",
        "storyboard_shots": storyboard_shots,
        "hd": settings["REEL_BENCH_HD"],
        "models": {},
    }
    for spec in specs:
        print(f"[bench --gpu] {spec.key}: building {spec.repo_id} at full size with random weights ...", flush=True)
        storyboard = {"shots": storyboard_shots} if spec.key == FAST_MODEL and storyboard_shots > 0 else None
        hd = {} if spec.key == FAST_MODEL and hd_row else None  # measure_model passes the GPU kind on
        report["models"][spec.key] = measure_model(
            spec, device, baseline=baseline, baseline_steps=baseline_steps, kind=kind, storyboard=storyboard, hd=hd
        )
    default = next((spec for spec in specs if spec.key == FAST_MODEL), None)
    if default is not None and precisions:
        report["precision"] = measure_precisions(default, device, kind, precisions)
    report["goals"] = _evaluate_goals(report["models"], report.get("precision"))
    report["notes"] = _notes(report["models"])
    print_report(report)
    if report.get("precision"):
        print("\n".join(precision_lines(report["precision"])))
    return report
