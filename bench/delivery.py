"""What delivering a clip costs after it is encoded, as ratios to the clip's own time in one run (CPU preview,
tiny LTX-2 default clip, 3 s with sound):

- `c2pa_sign_over_clip`: signing the MP4 with C2PA (provenance/, a throwaway CA's ES256 leaf, as a Space with a
  certificate does for every output);
- `history_record_over_clip`: keeping it in the holder's history (history/: the atomic copy and the SQLite row).
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from .storyboard import ratios_median
from .timing import timed

PROMPT = "a lighthouse beam sweeping a stormy sea"
SEED = 4321


def measure_delivery(data_dir: Path, runs: int) -> dict:
    from history import HistoryStore
    from model import load_engine
    from provenance import C2paSigner

    from .throwaway_ca import ThrowawayCA

    engine = load_engine("tiny-ltx2", data_dir=data_dir, device="cpu")
    request = engine.plan(prompt=PROMPT, seed=SEED)
    signer = C2paSigner.from_env(ThrowawayCA.create().issue().environ())
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        store = HistoryStore(folder / "data", max_items_per_holder=runs + 1)
        clip_seconds, sign_seconds, record_seconds = [], [], []
        engine.generate(request)  # warm-up
        for index in range(runs):
            made = {}

            def render():
                generated = engine.generate(request)
                made["clip"] = engine.encode(generated.frames, request, folder / f"clip-{index}", sound=generated.sound)

            clip_seconds.append(timed(render))
            clip = made["clip"]
            sign_seconds.append(timed(lambda: signer.sign_mp4(
                clip.path, clip.path, clip.manifest, engine.spec.label, "bench")))
            record_seconds.append(timed(lambda: store.add("bench", clip.path, clip.manifest, "clip")))
    clip_median = statistics.median(clip_seconds)
    return {
        "delivery_clip_seconds": clip_median,
        "c2pa_sign_seconds": statistics.median(sign_seconds),
        "c2pa_sign_over_clip": ratios_median(sign_seconds, clip_seconds),
        "history_record_seconds": statistics.median(record_seconds),
        "history_record_over_clip": ratios_median(record_seconds, clip_seconds),
    }
