"""The CPU benchmark: ratios measured within one run, so a shared, noisy machine cancels out."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from model import CATALOG, plan_request

from .delivery import measure_delivery
from .live_server import start_server
from .load import measure_load
from .sound import measure_sound_and_adapters
from .storyboard import drift_summary, measure_storyboard_and_bare, ratios_median, synthetic_cast_drift
from .timing import p95, timed

# The default preview request: what a person gets by typing a prompt and pressing Generate.
PROMPT = "a paper boat drifting down a rain-soaked street at dusk"
SEED = 1234


def bare_pipeline_call(model_dir: Path):
    """The plain diffusers call on the same tiny model and inputs as the default preview request, without
    Reel around it. Returns (call, settings)."""
    import torch
    from diffusers import DiffusionPipeline

    spec = CATALOG["tiny-ltx"]
    request = plan_request(spec, PROMPT, seed=SEED)
    pipeline = DiffusionPipeline.from_pretrained(model_dir)
    pipeline.set_progress_bar_config(disable=True)
    schedule = {}
    if spec.distilled_timesteps and len(spec.distilled_timesteps) == request.steps:
        schedule["timesteps"] = list(spec.distilled_timesteps)  # as the engine does for distilled models

    def call():
        return pipeline(
            prompt=request.prompt,
            width=request.width,
            height=request.height,
            num_frames=request.num_frames,
            frame_rate=request.fps,
            num_inference_steps=request.steps,
            guidance_scale=request.guidance,
            **schedule,
            generator=torch.Generator().manual_seed(request.seed),
            output_type="np",
            **spec.extra_call_kwargs,
        ).frames[0]

    settings = {"frames": request.num_frames, "size": f"{request.width}x{request.height}", "steps": request.steps}
    return call, settings


def measure_end_to_end_and_bare(server, token: str, runs: int):
    """Seconds of a /generate call through gradio_client and of the bare call, taken in turns (one of each per
    round, after a warm-up of each) so slow drifts of a shared machine land on both of a round alike. Also
    the server's own seconds for each call (gate, generation and encoding, from its log), so the rest is
    what HTTP, the queue and the download cost."""
    client = server.client()

    def end_to_end():
        client.predict(prompt=PROMPT, seed=SEED, access_token=token, api_name="/generate")

    bare, settings = bare_pipeline_call(server.data_dir / "models" / "tiny-ltx")
    end_to_end()
    frames = bare()  # warm-up; its frames feed the encoder comparison
    e2e_samples, bare_samples = [], []
    for _ in range(runs):
        e2e_samples.append(timed(end_to_end))
        bare_samples.append(timed(bare))
    handler_seconds = server.handler_seconds()[-runs:]
    return e2e_samples, bare_samples, handler_seconds, settings, frames


def measure_channels_last(data_dir: Path, runs: int) -> tuple[float, float]:
    """Frames of the default preview request from Reel's engine with the VAE's Conv3d weights channels-last (as
    loaded on CPU) and in the plain layout, in turns. Returns the two medians in seconds."""
    import torch

    from model import load_engine, set_conv3d_memory_format

    engine = load_engine("tiny-ltx", data_dir=data_dir, device="cpu")
    request = engine.plan(prompt=PROMPT, seed=SEED)
    layouts = {"channels_last": torch.channels_last_3d, "plain": torch.contiguous_format}
    samples = {name: [] for name in layouts}
    engine.generate_frames(request)  # warm-up
    for _ in range(runs):
        for name, layout in layouts.items():
            set_conv3d_memory_format(engine.pipeline.vae, layout)
            samples[name].append(timed(lambda: engine.generate_frames(request)))
    return statistics.median(samples["channels_last"]), statistics.median(samples["plain"])


def measure_encoders(frames: np.ndarray, preset: str, runs: int) -> tuple[float, float]:
    """Reel's PyAV encoder (with the model's preset) and diffusers' export_to_video on the same float frames."""
    from diffusers.utils import export_to_video

    from model import encode_mp4

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        reel = statistics.median(
            timed(lambda i=i: encode_mp4(frames, 24, folder / f"reel-{i}.mp4", {"bench": True}, preset=preset))
            for i in range(runs)
        )
        diffusers = statistics.median(
            timed(lambda i=i: export_to_video(list(frames), str(folder / f"export-{i}.mp4"), fps=24))
            for i in range(runs)
        )
    return reel, diffusers


def smooth_frames(num_frames: int = 49, height: int = 320, width: int = 512) -> np.ndarray:
    """Camera-pan-like float frames: what a real model's output looks like to an encoder, unlike noise."""
    base = np.random.default_rng(0).random((height // 8, width // 8, 3), dtype=np.float32)
    tile = np.kron(base, np.ones((8, 8, 1), np.float32))
    return np.stack([np.roll(tile, i * 4, axis=1) for i in range(num_frames)])


def measure_rejections_under_load(server, token: str, calls: int) -> tuple[list[float], bool]:
    """Wrong-token calls while a long generation keeps both cores busy: they must not wait behind it."""
    from gradio_client.exceptions import ValidationError

    client = server.client()
    long_job = client.submit(prompt=PROMPT, seconds=5.0, steps=50, access_token=token, api_name="/generate")
    deadline = time.monotonic() + 30
    while server.generation_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # wait until the generation is actually running
    rejecter = server.client()
    latencies = []
    for _ in range(calls):
        start = time.perf_counter()
        try:
            rejecter.predict(prompt=PROMPT, access_token="reel_wrong", api_name="/generate")
        except ValidationError:
            latencies.append(time.perf_counter() - start)
        else:
            raise RuntimeError("a wrong token was accepted")
    still_running = not long_job.done()
    long_job.result(timeout=300)
    return latencies, still_running


def measure_cold_start(runs: int) -> list[float]:
    """Process start to the first HTTP 200, tiny model already built (a restarted Space)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        first = start_server(root)  # builds the tiny model into root/data
        first.stop()
        samples = []
        for _ in range(runs):
            server = start_server(root)
            samples.append(server.started_in_seconds)
            server.stop()
    return [first.started_in_seconds, *samples]


def run_cpu_benchmark(runs: int = 5, reject_calls: int = 40) -> dict:
    cold_starts = measure_cold_start(runs=3)
    with tempfile.TemporaryDirectory() as folder:
        server = start_server(Path(folder))
        try:
            token = server.issue_token("bench")
            e2e_samples, bare_samples, handler_seconds, settings, preview_frames = measure_end_to_end_and_bare(
                server, token, runs
            )
            story_samples, story_bare_samples, story_handler, manifests, story_settings = measure_storyboard_and_bare(
                server, token, runs
            )
            rejections, overlapped = measure_rejections_under_load(server, token, reject_calls)
        finally:
            server.stop()
        channels_last, plain_layout = measure_channels_last(server.data_dir, runs=max(3, runs // 3))
        sound = measure_sound_and_adapters(server.data_dir, runs=max(5, runs // 2))
        delivery = measure_delivery(server.data_dir, runs=max(5, runs // 2))
        drift = drift_summary(manifests)
        cast_drift = synthetic_cast_drift(server.data_dir)
    load = measure_load(clips=max(5, runs // 2))  # a server of its own, on the CPU default model
    preview_preset = CATALOG["tiny-ltx"].encoder_preset
    reel_encode, diffusers_encode = measure_encoders(preview_frames, preview_preset, runs)
    smooth_reel, smooth_diffusers = measure_encoders(smooth_frames(), "veryfast", runs)
    return {
        "e2e_seconds": statistics.median(e2e_samples),
        "bare_seconds": statistics.median(bare_samples),
        # Median of each round's ratio: the two calls of a round ran back to back.
        "e2e_over_bare": statistics.median(e / b for e, b in zip(e2e_samples, bare_samples)),
        "e2e_rounds_s": [round(e, 3) for e in e2e_samples],
        "bare_rounds_s": [round(b, 3) for b in bare_samples],
        "handler_seconds": statistics.median(handler_seconds),
        "outside_handler_seconds": statistics.median(e - h for e, h in zip(e2e_samples, handler_seconds)),
        "storyboard_seconds": statistics.median(story_samples),
        "storyboard_bare_seconds": statistics.median(story_bare_samples),
        # /storyboard (4 shots) over the sum of its 4 bare pipeline calls, median of per-round ratios.
        "storyboard_over_bare": ratios_median(story_samples, story_bare_samples),
        "storyboard_rounds_s": [round(s, 3) for s in story_samples],
        "storyboard_bare_rounds_s": [round(b, 3) for b in story_bare_samples],
        "storyboard_handler_seconds": statistics.median(story_handler),
        "storyboard_settings": story_settings,
        # Colour drift at the cuts of the timed storyboards (0-255 units, median over all cuts).
        "drift_raw": drift["raw"],
        "drift_matched": drift["matched"],
        "drift_matched_over_raw": drift["matched_over_raw"],
        "drift_cuts": drift["cuts"],
        # SYNTHETIC: the same storyboard with a growing colour cast put on shots 2-4 (bench/storyboard.py).
        "synthetic_cast_drift_raw": cast_drift["raw"],
        "synthetic_cast_drift_matched": cast_drift["matched"],
        "synthetic_cast_drift_matched_over_raw": cast_drift["matched_over_raw"],
        "vae_channels_last_speedup": plain_layout / channels_last,
        "preview_settings": settings,
        "reel_encode_seconds": reel_encode,
        "export_to_video_seconds": diffusers_encode,
        "encode_speedup": diffusers_encode / reel_encode,
        "encode_speedup_smooth_veryfast": smooth_diffusers / smooth_reel,
        **sound,
        **delivery,
        "reject_p50_ms": statistics.median(rejections) * 1000,
        "reject_p95_ms": p95(rejections) * 1000,
        "reject_calls": len(rejections),
        "rejections_overlapped_generation": overlapped,
        **load,
        "cold_start_first_s": cold_starts[0],
        "cold_start_s": statistics.median(cold_starts[1:]),
    }
