"""Storyboards on the tiny models: shot boundaries, continuity inputs, keyframes, colour matching, the shot cache,
failures and refusals. Pipelines are spied on, so "ran nothing" and "regenerated shots 2 and 3" are counted."""

import numpy as np
import pytest
from PIL import Image

from model import (
    InvalidRequest,
    ShotCache,
    ShotFailed,
    colour_drift,
    colour_stats,
    load_engine,
    match_colour,
    plan_storyboard,
    read_manifest,
    decode_frames,
    render_storyboard,
    run_storyboard,
)
from model.continuity import ColourCorrection
from model.requests import snap_num_frames

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    data = tmp_path_factory.mktemp("storyboard-data")
    return {key: load_engine(key, data_dir=data) for key in ("tiny-ltx", "tiny-wan", "tiny-wan-t2v")}


class PipelineSpy:
    """Stands in for a pipeline object: records each call's keyword arguments, then runs the real one."""

    def __init__(self, inner, calls):
        self.inner, self.calls = inner, calls

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return self.inner(**kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture
def spied(engines, monkeypatch):
    """spied(key) -> (engine, calls): every pipeline call of that engine lands in `calls`."""

    def spy(key):
        engine, calls = engines[key], []
        spies = {}
        for name in ("pipeline", "image_pipeline"):
            inner = getattr(engine, name)
            if inner is not None:
                spies.setdefault(id(inner), PipelineSpy(inner, calls))
                monkeypatch.setattr(engine, name, spies[id(inner)])
        return engine, calls

    return spy


def shots(*seconds, prompt="a red boat"):
    return [{"prompt": f"{prompt}, part {n}", "seconds": s} for n, s in enumerate(seconds, start=1)]


def plan(engine, items, **options):
    options = {"seed": 21, "steps": 1, "resolution": "landscape", **options}
    return plan_storyboard(engine.spec, items, **options)


def recording_run_shot(engine, raws):
    def run_shot(request, inputs, on_progress):
        frames = engine.generate_frames(request, on_progress, **inputs.engine_kwargs())
        raws.append(frames)
        return frames

    return run_shot


@pytest.mark.parametrize("key, overlap", [("tiny-ltx", 9), ("tiny-wan", 1)])
def test_three_shots_stitch_into_the_frames_and_boundaries_the_manifest_states(spied, key, overlap):
    engine, calls = spied(key)
    raws, progress = [], []
    planned = plan(engine, shots(0.5, 0.5, 1.0), style="cinematic")
    result = run_storyboard(engine, planned, run_shot=recording_run_shot(engine, raws),
                            on_progress=lambda fraction, text: progress.append((fraction, text)))
    manifest, frames = result.manifest, result.frames
    assert len(calls) == 3 and result.generated_shots == (1, 2, 3)
    assert frames.dtype == np.uint8
    assert frames.shape == (manifest["num_frames"], manifest["height"], manifest["width"], 3)
    assert manifest["num_frames"] == planned.num_frames
    entries = manifest["shots"]
    assert [entry["shot"] for entry in entries] == [1, 2, 3]
    assert [entry["seed"] for entry in entries] == [21, 22, 23]
    assert entries[0]["first_frame"] == 0 and entries[-1]["last_frame"] == len(frames) - 1
    for before, after in zip(entries, entries[1:]):
        assert after["first_frame"] == before["last_frame"] + 1
    assert [entry["dropped_leading_frames"] for entry in entries] == [0, overlap, overlap]
    # Shot 1 is in the video as generated; each later shot is its colour-corrected frames minus the overlap.
    assert np.array_equal(frames[: entries[0]["last_frame"] + 1], raws[0])
    for entry, raw in zip(entries[1:], raws[1:]):
        numbers = entry["colour_correction"]
        correction = ColourCorrection(tuple(numbers["gain"]), tuple(numbers["offset"]))
        assert np.array_equal(frames[entry["first_frame"] : entry["last_frame"] + 1], correction.apply(raw)[overlap:])
        assert entry["generated_frames"] == len(raw) and entry["mode"] == "continuation"
    # A later shot's asked seconds are its new frames (each clip is frame_step*k+1 frames, sharing the cut frame).
    spec = engine.spec
    new_frames = [entry["last_frame"] - entry["first_frame"] + 1 for entry in entries]
    assert new_frames[1] == snap_num_frames(0.5 * spec.fps, spec.frame_step, spec.max_frames) - 1
    assert new_frames[2] == snap_num_frames(1.0 * spec.fps, spec.frame_step, spec.max_frames) - 1 == spec.fps
    assert all(", cinematic film still" in entry["prompt"] for entry in entries)
    assert {(call["width"], call["height"]) for call in calls} == {(manifest["width"], manifest["height"])}
    top_fields = ("model", "style", "seed", "resolution", "steps", "fps", "width", "height", "created_at", "app_version")
    for field in top_fields:
        assert field in manifest
    texts = [text for _, text in progress]
    assert "Shot 1/3 · Denoising step 1/1" in texts and "Shot 3/3 · Denoising step 1/1" in texts
    fractions = [fraction for fraction, _ in progress]
    assert fractions == sorted(fractions) and fractions[-1] <= 1.0


def test_ltx_later_shot_is_conditioned_on_the_last_nine_frames_at_index_zero(spied):
    engine, calls = spied("tiny-ltx")
    result = run_storyboard(engine, plan(engine, shots(0.5, 0.7, 0.5)))
    assert "conditions" not in calls[0] and calls[0].get("image") is None
    for call, before in zip(calls[1:], result.manifest["shots"]):
        (condition,) = call["conditions"]
        assert condition.frame_index == 0 and condition.image is None
        given = np.stack([np.asarray(picture) for picture in condition.video])
        end = before["last_frame"] + 1
        assert np.array_equal(given, result.frames[end - 9 : end])


def test_wan_later_shot_starts_from_the_previous_last_frame(spied):
    engine, calls = spied("tiny-wan")
    result = run_storyboard(engine, plan(engine, shots(0.5, 0.5, 0.5)))
    assert calls[0].get("image") is None
    for call, before in zip(calls[1:], result.manifest["shots"]):
        assert np.array_equal(np.asarray(call["image"]), result.frames[before["last_frame"]])
        assert "last_image" not in call


def test_reference_starts_shot_one_and_an_ltx_end_image_is_a_condition_on_the_last_frame(spied):
    engine, calls = spied("tiny-ltx")
    reference = Image.fromarray(np.full((320, 512, 3), (30, 120, 200), np.uint8))
    end = Image.fromarray(np.full((100, 160, 3), (220, 40, 40), np.uint8))
    items = shots(0.5, 0.7)
    items[1]["end_image"] = end
    result = run_storyboard(engine, plan(engine, items, reference=reference))
    assert calls[0]["image"] is not None and np.array_equal(np.asarray(calls[0]["image"]), np.asarray(reference))
    start, last = calls[1]["conditions"]
    assert last.frame_index == calls[1]["num_frames"] - 1 and last.video is None
    assert last.image.size == (result.manifest["width"], result.manifest["height"])
    assert np.all(np.asarray(last.image) == (220, 40, 40))
    assert result.manifest["shots"][1]["end_image"]["sha256"]
    assert result.manifest["colour_target"]["source"] == "reference"


def test_colour_matching_removes_a_deliberate_cast_at_the_cut():
    rng = np.random.default_rng(0)
    base = np.clip(rng.normal(110, 35, (6, 32, 48, 3)), 0, 255).astype(np.uint8)
    cast = np.clip(base.astype(int) + (60, -10, -40), 0, 255).astype(np.uint8)
    before = colour_drift(base, cast)
    matched, correction = match_colour(cast, colour_stats(base))
    assert before > 15  # about (60 + 10 + 40) / 6 from the means alone
    assert colour_drift(base, matched) < before / 5
    assert correction.as_dict()["space"] == "YCbCr" and len(correction.gain) == 3


@pytest.mark.parametrize("key", ["tiny-ltx", "tiny-wan"])
def test_storyboard_reports_lower_drift_after_matching_a_cast_shot(engines, key):
    engine = engines[key]

    def run_shot(request, inputs, on_progress):
        frames = engine.generate_frames(request, on_progress, **inputs.engine_kwargs())
        if inputs.start_frames is None and inputs.start_image is None:
            return frames
        return np.clip(frames.astype(int) * 0.7 + (70, 0, -20), 0, 255).astype(np.uint8)

    result = run_storyboard(engine, plan(engine, shots(0.5, 0.5, 0.5)), run_shot=run_shot)
    for entry in result.manifest["shots"][1:]:
        drift = entry["colour_drift_at_cut"]
        assert drift["raw"] > 10 and drift["matched"] < drift["raw"] / 3


def test_rerolling_shot_two_regenerates_shots_two_and_three_only(spied, tmp_path):
    engine, calls = spied("tiny-wan")
    cache = ShotCache(tmp_path / "shots", max_bytes=50_000_000)
    items = shots(0.5, 0.5, 0.5)
    first = run_storyboard(engine, plan(engine, items), cache=cache)
    assert len(calls) == 3
    again = run_storyboard(engine, plan(engine, items), cache=cache)
    assert len(calls) == 3 and again.generated_shots == ()
    assert np.array_equal(again.frames, first.frames)
    items[1]["prompt"] = "a green boat instead"
    new_prompt = run_storyboard(engine, plan(engine, items), cache=cache)
    assert len(calls) == 5 and new_prompt.generated_shots == (2, 3)
    end_of_one = first.manifest["shots"][0]["last_frame"] + 1
    assert np.array_equal(new_prompt.frames[:end_of_one], first.frames[:end_of_one])
    assert not np.array_equal(new_prompt.frames[end_of_one:], first.frames[end_of_one:])
    items[1]["seed"] = 999
    new_seed = run_storyboard(engine, plan(engine, items), cache=cache)
    assert len(calls) == 7 and new_seed.generated_shots == (2, 3)
    assert new_seed.manifest["shots"][1]["seed"] == 999 and new_seed.manifest["shots"][2]["seed"] == 23


def test_same_storyboard_twice_gives_identical_frames(engines):
    engine = engines["tiny-ltx"]
    items = shots(0.5, 0.7)
    assert np.array_equal(run_storyboard(engine, plan(engine, items)).frames,
                          run_storyboard(engine, plan(engine, items)).frames)


def test_corrupt_cache_file_is_a_miss_and_the_cache_stays_within_its_budget(spied, tmp_path):
    engine, calls = spied("tiny-wan")
    folder = tmp_path / "shots"
    cache = ShotCache(folder, max_bytes=50_000_000)
    first = run_storyboard(engine, plan(engine, shots(0.5)), cache=cache)
    cache.flush()  # files are written in the background
    (stored,) = folder.glob("*.npy")
    stored.write_bytes(b"not a zip at all")
    again = run_storyboard(engine, plan(engine, shots(0.5)), cache=cache)
    cache.flush()
    assert len(calls) == 2 and again.generated_shots == (1,)
    assert np.array_equal(again.frames, first.frames)
    assert not list(folder.glob("*.tmp"))
    small = ShotCache(folder, max_bytes=stored.stat().st_size * 2 + 10)
    for seed in (1, 2, 3, 4):
        run_storyboard(engine, plan(engine, shots(0.5), seed=seed), cache=small)
    small.flush()
    assert small.total_bytes() <= small.max_bytes
    assert len(list(folder.glob("*.npy"))) < 5


def test_a_failing_shot_is_reported_by_number_and_stops_the_storyboard(engines):
    engine, attempted = engines["tiny-wan"], []

    def run_shot(request, inputs, on_progress):
        attempted.append(request.seed)
        if len(attempted) == 2:
            raise RuntimeError("GPU task aborted")
        return engine.generate_frames(request, on_progress, **inputs.engine_kwargs())

    with pytest.raises(ShotFailed, match="Shot 2 failed: GPU task aborted") as failure:
        run_storyboard(engine, plan(engine, shots(0.5, 0.5, 0.5)), run_shot=run_shot)
    assert failure.value.shot == 2 and attempted == [21, 22]


def test_before_shot_raising_stops_at_that_shot(spied):
    engine, calls = spied("tiny-wan")
    asked = []

    class QuotaSpent(Exception):
        pass

    def before_shot(number):
        asked.append(number)
        if number == 2:
            raise QuotaSpent("no GPU quota left for shot 2")

    with pytest.raises(QuotaSpent):
        run_storyboard(engine, plan(engine, shots(0.5, 0.5, 0.5)), before_shot=before_shot)
    assert asked == [1, 2] and len(calls) == 1


def test_render_storyboard_writes_an_mp4_carrying_the_manifest(engines, tmp_path):
    engine = engines["tiny-wan"]
    rendered = render_storyboard(engine, plan(engine, shots(0.5, 0.5)), tmp_path)
    assert read_manifest(rendered.path) == rendered.manifest
    assert decode_frames(rendered.path).shape == rendered.frames.shape


PICTURE = Image.new("RGB", (64, 64), (10, 200, 10))
BAD_INPUTS = [
    ("tiny-wan", {"shots": "{not json"}, "not valid JSON"),
    ("tiny-wan", {"shots": {"prompt": "a cat"}}, "must be a list"),
    ("tiny-wan", {"shots": []}, "no shots"),
    ("tiny-wan", {"shots": shots(*[0.5] * 13)}, "13 shots; the limit is 12"),
    ("tiny-wan", {"shots": [{"prompt": "a"}, {"seconds": 1}]}, "Shot 2: Enter a prompt"),
    ("tiny-wan", {"shots": shots(0.5, 0.5, 9)}, "Shot 3: The duration must be between"),
    ("tiny-wan", {"shots": shots(0.5, 0.5, "soon")}, "Shot 3: The duration must be a number"),
    ("tiny-wan", {"shots": [{"prompt": "a", "colour": "red"}]}, "Shot 1: unknown field 'colour'"),
    ("tiny-wan", {"shots": ["a cat"]}, "Shot 1: a shot must be an object"),
    ("tiny-wan", {"shots": shots(3, 3, 3), "max_total_seconds": 8}, "9 seconds long in total; the limit is 8"),
    ("tiny-wan", {"shots": shots(0.5), "style": "vaporwave"}, "Unknown style 'vaporwave'"),
    ("tiny-wan", {"shots": shots(0.5), "seed": "x"}, "The seed must be a whole number"),
    ("tiny-wan", {"shots": [{"prompt": "a"}, {"prompt": "b", "end_image": PICTURE}],
                  "end_image_alternatives": ["Tiny LTX-Video preview (random weights, CPU)"]},
     "Shot 2: Tiny Wan 2.2 TI2V preview (random weights, CPU) cannot end a shot on a chosen picture. "
     "Remove the end image, or choose one of: Tiny LTX-Video"),
    ("tiny-ltx", {"shots": [{"prompt": "a"}, {"prompt": "b", "end_image": "frame.png"}]},
     "Shot 2: end image: The image could not be read"),
    ("tiny-wan-t2v", {"shots": shots(0.5), "reference": PICTURE}, "Shot 1: Tiny Wan 2.1 text-to-video preview"),
    ("tiny-wan-t2v", {"shots": shots(0.5, 0.5), "image_alternatives": ["Tiny LTX"]},
     "Shot 2: Tiny Wan 2.1 text-to-video preview (random weights, CPU) makes video from text only, so it cannot "
     "continue shot 1. Use a single shot, or choose one of: Tiny LTX."),
    ("tiny-wan", {"shots": [{"prompt": "a", "seed": 4}]}, "Shot 1: its seed is the storyboard's seed"),
]


@pytest.mark.parametrize("key, options, message", BAD_INPUTS, ids=[m[:30] for _, _, m in BAD_INPUTS])
def test_bad_storyboards_are_refused_with_a_message_before_anything_runs(spied, key, options, message):
    engine, calls = spied(key)
    options = dict(options)
    items = options.pop("shots")
    with pytest.raises(InvalidRequest) as refusal:
        run_storyboard(engine, plan(engine, items, **options))
    assert message in refusal.value.message
    assert refusal.value.field
    assert calls == []


def test_a_colour_correction_matches_its_definition_and_a_negligible_one_changes_nothing():
    from model.continuity import _RGB_TO_YCBCR, _YCBCR_TO_RGB, ColourCorrection

    rng = np.random.default_rng(3)
    frames = rng.integers(0, 256, size=(3, 20, 24, 3), dtype=np.uint8)
    correction = ColourCorrection(gain=(1.2, 0.8, 1.1), offset=(-10.0, 4.0, 2.0))
    # The definition: to YCbCr, y' = gain * y + offset, back to RGB, rounded and clipped (float64 reference).
    ycbcr = frames.reshape(-1, 3).astype(np.float64) @ _RGB_TO_YCBCR.T
    reference = (ycbcr * np.array(correction.gain) + np.array(correction.offset)) @ _YCBCR_TO_RGB.T
    expected = np.clip(np.rint(reference), 0, 255).reshape(frames.shape)
    applied = correction.apply(frames)
    assert applied.dtype == np.uint8 and np.abs(applied.astype(int) - expected).max() <= 1
    assert (applied != frames).mean() > 0.5
    tiny = ColourCorrection(gain=(1.0 + 1e-4, 1.0, 1.0), offset=(0.05, -0.05, 0.0))
    assert np.array_equal(tiny.apply(frames), frames)
