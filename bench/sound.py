"""What sound and adapters cost on the CPU preview (tiny LTX-2), as ratios to the clip's own time in one run.

- `audio_mux_over_clip`: writing the AAC track into the MP4 (encode with the sound track minus encode without it,
  same frames, timed in turns) over the whole clip's time (generation plus encoding with sound).
- `lora_switch_ms`: one per-request adapter switch (`AdapterSet.select`, the call the engine makes inside its lock
  before every generation), cycling none -> dolly-in -> jib-up -> none; and `lora_switch_over_clip` as a ratio.
- `lora_load_ms`: loading one adapter at start (`load_lora_weights` from its folder), for comparison: what a
  server that reloaded adapters per request would pay every time.
"""

from __future__ import annotations

import statistics
import tempfile
import warnings
from pathlib import Path

from .timing import timed

PROMPT = "waves on a pebble beach at dusk"
SEED = 1234


def measure_sound_and_adapters(data_dir: Path, runs: int) -> dict:
    from model import encode_mp4, load_engine

    engine = load_engine("tiny-ltx2", data_dir=data_dir, device="cpu")
    request = engine.plan(prompt=PROMPT, seed=SEED)  # the default preview request: 3 s, 73 frames at 512x320
    made = engine.generate(request)  # warm-up
    preset = engine.spec.encoder_preset
    clip, silent, with_sound = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for index in range(runs):
            clip.append(timed(lambda: engine.encode(
                engine.generate(request).frames, request, folder, sound=made.sound)))
            silent.append(timed(lambda i=index: encode_mp4(
                made.frames, request.fps, folder / f"silent-{i}.mp4", {}, preset=preset)))
            with_sound.append(timed(lambda i=index: encode_mp4(
                made.frames, request.fps, folder / f"sound-{i}.mp4", {}, preset=preset, sound=made.sound)))
    mux = [max(0.0, sound - plain) for sound, plain in zip(with_sound, silent)]

    cycle = [(None, 0.0), ("dolly-in", 1.0), ("jib-up", 1.0)]
    switches = []
    for _ in range(max(runs, 20)):
        for name, scale in cycle:
            switches.append(timed(lambda n=name, s=scale: engine.adapters.select(n, s)))
    engine.adapters.select(None, 0.0)
    adapter = engine.adapters.adapters["dolly-in"]
    loads = []
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Already found a `peft_config`")
        for index in range(5):
            name = f"bench-load-{index}"
            loads.append(timed(lambda n=name: engine.pipeline.load_lora_weights(
                str(adapter.path.parent), weight_name=adapter.path.name, adapter_name=n)))
            engine.pipeline.delete_adapters(name)
    engine.adapters.select(None, 0.0)

    clip_seconds = statistics.median(clip)
    switch_seconds = statistics.median(switches)
    return {
        "sound_clip_seconds": clip_seconds,
        "audio_mux_seconds": statistics.median(mux),
        "audio_mux_over_clip": statistics.median(mux) / clip_seconds,
        "encode_silent_seconds": statistics.median(silent),
        "encode_with_sound_seconds": statistics.median(with_sound),
        "lora_switch_ms": switch_seconds * 1000,
        "lora_switch_over_clip": switch_seconds / clip_seconds,
        "lora_load_ms": statistics.median(loads) * 1000,
    }
