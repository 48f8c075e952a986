"""What `python -m bench --gpu` (bench/gpu.py) prints and judges: a progress line per variant, the goals, the
table, the fast path per model and the notes."""

from __future__ import annotations

# The catalog's speed-first entry (its label says "fast", and it is the default GPU model); the goal below is about it.
FAST_MODEL = "ltx-2-distilled"


def _goals() -> list[dict]:
    from model.catalog import DEFAULT_GPU_MODEL

    return [
        {
            "model": DEFAULT_GPU_MODEL,
            "what": "default model: its default clip in under 60 s of GPU",
            "metric": "seconds",
            "below": 60.0,
        },
        {
            "model": FAST_MODEL,
            "what": "fast model: under 1 s of GPU per second of 480p video",
            "metric": "gpu_s_per_video_s",
            "below": 1.0,
        },
    ]


def _progress(key: str, variant: dict) -> None:
    """One line as each variant finishes, so a run cut off by a time limit still says something."""
    if variant["error"]:
        line = variant["error"]
    else:
        line = (f"{variant['seconds']:.1f} s, {variant['gpu_s_per_video_s']:.2f} s per second of video, "
                f"peak {_fmt(variant['peak_gib'], '.1f')} GiB")
    print(f"[bench --gpu] {key} {variant['variant']} ({variant['dtype']}): {line}", flush=True)
    if variant.get("storyboard"):
        from .gpu_storyboard import storyboard_line

        print(f"[bench --gpu] {storyboard_line(key, variant['storyboard'])}", flush=True)
    if variant.get("hd"):
        from .gpu_hd import hd_line

        print(f"[bench --gpu] {hd_line(key, variant['hd'])}", flush=True)


def _precision_goals(precision: dict | None) -> list[dict]:
    """Issue 17's goals for the default model: FP8 compute at most 0.75x its bf16 time in the same run, and its
    peak memory within ZeroGPU `large`. Not run: not measured, never "met"."""
    rows = (precision or {}).get("variants", {})
    fp8 = rows.get("fp8_compute", {})
    settings = "not run" if not rows else "{width}x{height}, {num_frames} frames, {steps} steps".format(
        **precision["settings"]
    )
    ratio, fits = fp8.get("time_vs_bf16"), fp8.get("peak_fits_zerogpu_large")
    return [
        {"model": (precision or {}).get("model"), "what": "FP8 compute: at most 0.75x the bf16 time, same run",
         "metric": "time_vs_bf16", "below": 0.75, "goal": "<= 0.75", "value": ratio,
         "met": None if ratio is None else ratio <= 0.75, "settings": settings},
        {"model": (precision or {}).get("model"), "what": "FP8 compute: peak memory fits ZeroGPU large",
         "metric": "peak_fits_zerogpu_large", "below": None, "goal": "True", "value": fits, "met": fits,
         "settings": settings},
    ]


def _evaluate_goals(models: dict, precision: dict | None = None) -> list[dict]:
    from .gpu_hd import hd_goals

    evaluated = _precision_goals(precision) if precision is not None else []
    for goal in _goals():
        entry = dict(goal)
        fast = models.get(goal["model"], {}).get("fast")
        value = fast.get(goal["metric"]) if fast else None
        entry["value"] = value
        entry["met"] = None if value is None else value < goal["below"]
        if goal["model"] in models:
            settings = models[goal["model"]]["settings"]
            entry["settings"] = f"{settings['width']}x{settings['height']}, {settings['num_frames']} frames, " \
                f"{settings['steps']} steps"
        else:
            entry["settings"] = "not run"
        evaluated.append(entry)
    return evaluated + hd_goals(models, FAST_MODEL)


def _fmt(value, spec=".2f") -> str:
    return "-" if value is None else format(value, spec)


def print_report(report: dict) -> None:
    print()
    print(f"GPU benchmark: {report['device']}, torch {report['torch']}, CUDA {report['cuda']}, "
          f"diffusers {report['diffusers']}; full-size configs, random weights")
    header = (f"{'model':<27}{'variant':<16}{'size':>10}{'frames':>7}{'steps':>6}{'seconds':>9}{'s/vid-s':>9}"
              f"{'peak GiB':>9}{'text':>7}{'denoise':>9}{'decode':>8}{'full/passes':>12}")
    print(header)
    print("-" * len(header))
    for key, model in report["models"].items():
        settings = model["settings"]
        size = f"{settings['width']}x{settings['height']}"
        for name in ("fast", "baseline"):
            variant = model.get(name)
            if variant is None:
                continue
            label = f"{name} {variant['dtype'].replace('bfloat16', 'bf16').replace('float32', 'fp32')}"
            if variant["error"]:
                print(f"{key:<27}{label:<16}{size:>10}  {variant['error']}")
                continue
            phases = variant["phases"]
            passes = f"{_fmt(variant['full_passes'], 'd')}/{variant['transformer_passes']}"
            mark = "*" if "extrapolated_from_steps" in variant else ""
            print(f"{key:<27}{label:<16}{size:>10}{settings['num_frames']:>7}{settings['steps']:>6}"
                  f"{variant['seconds']:>8.1f}{mark:1}{variant['gpu_s_per_video_s']:>9.2f}"
                  f"{_fmt(variant['peak_gib'], '.1f'):>9}{phases['text_encoder_s']:>7.1f}{phases['denoise_s']:>9.1f}"
                  f"{phases['vae_decode_s']:>8.1f}{passes:>12}")
            key = ""
        if model.get("speedup"):
            print(f"{'':<27}{'speedup':<16}{model['speedup']:>10.2f}x")
    if any("extrapolated_from_steps" in m.get("baseline", {}) for m in report["models"].values()):
        print(f"* denoising scaled from {report['baseline_steps']} timed steps to the default step count "
              "(no cache hook: every step is the same work)")
    print()
    print("Goals (fast path):")
    for goal in report["goals"]:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[goal["met"]]
        limit = goal.get("goal") or f"< {goal['below']:g}"
        value = goal["value"] if isinstance(goal["value"], bool) else _fmt(goal["value"])
        print(f"  {goal['what']}: {goal['model']} ({goal['settings']}): {goal['metric']} = "
              f"{value} (goal {limit})  {verdict}")
    storyboards = {key: model["fast"]["storyboard"] for key, model in report["models"].items()
                   if model["fast"].get("storyboard")}
    if storyboards:
        from .gpu_storyboard import storyboard_line

        print()
        print("Storyboard (fast path, Reel's storyboard runner, GPU s = the shots' generate_frames calls):")
        for key, storyboard in storyboards.items():
            print(f"  {storyboard_line(key, storyboard)}")
    hds = {key: model["fast"]["hd"] for key, model in report["models"].items() if model["fast"].get("hd")}
    if hds:
        from .gpu_hd import hd_line

        print()
        print("HD (fast path): two stages (upsampler + refine) against the same size in one stage, same engine:")
        for key, hd in hds.items():
            print(f"  {hd_line(key, hd)}")
    print()
    print("GPU time: measured (fast path) against Reel's estimate for the same request:")
    for key, model in report["models"].items():
        print(f"  {estimate_line(key, model)}")
    print()
    print("Fast path per model:")
    for key, model in report["models"].items():
        fast_path = model["fast"].get("fast_path", {})
        via = f" (via {fast_path['via']})" if fast_path.get("via") else ""
        print(f"  {key}: applied {', '.join(fast_path.get('applied', [])) or 'nothing'}{via}")
        for step, why in fast_path.get("skipped", []):
            print(f"      skipped {step}: {why}")
    print()
    for note in report["notes"]:
        print(f"Note: {note}")
    print()


def estimate_line(key: str, model: dict) -> str:
    """Measured against estimated seconds, and the ratio that calibrates the kind's relative speed (above 1: the
    estimate asks for too little, and ZeroGPU would stop such calls)."""
    estimate, fast = model.get("estimate"), model["fast"]
    if estimate is None:
        return f"{key}: no estimate (GPU kind unknown)"
    measured = None if fast.get("error") else fast.get("seconds")
    ratio = "-" if not measured else f"{measured / estimate['estimated_s']:.2f}"
    return (f"{key} on {estimate['kind']}: measured {_fmt(measured, '.1f')} s, estimated "
            f"{estimate['estimated_s']:.1f} s, measured/estimated {ratio}; ZeroGPU large estimate "
            f"{estimate['zerogpu_large_estimated_s']:.1f} s")


def _notes(models: dict) -> list[str]:
    notes = [
        "Random weights: timings, memory and kernels are those of the full-size model; the frames are noise.",
    ]
    for key, model in models.items():
        fast = model["fast"]
        if fast.get("error") or fast.get("full_passes") is None:
            continue
        if fast["full_passes"] < fast["transformer_passes"]:
            notes.append(
                f"{key}: the cache hook skipped {fast['transformer_passes'] - fast['full_passes']} of "
                f"{fast['transformer_passes']} transformer passes. How often it skips depends on the weights: "
                f"with trained weights expect a different count. With every pass in full the fast path would take "
                f"about {_fmt(fast.get('all_passes_full_estimate_s'), '.1f')} s (an upper bound)."
            )
        if fast.get("non_finite_passes"):
            notes.append(
                f"{key}: {fast['non_finite_passes']} transformer outputs were not finite with random weights; "
                "the cache hook's skip decisions for this model are then meaningless."
            )
    return notes
