"""Making clips and storyboards again from their manifests, extending a clip, and refusing malformed manifests."""

import json

import numpy as np
import pytest
from PIL import Image

from model import InvalidRequest, extend_clip, load_engine, plan_storyboard, reproduce, run_storyboard
from model.requests import snap_num_frames

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    data = tmp_path_factory.mktemp("reproduce-data")
    return {key: load_engine(key, data_dir=data) for key in ("tiny-ltx", "tiny-wan")}


def picture(color, size=(200, 120)):
    return Image.fromarray(np.full((size[1], size[0], 3), color, np.uint8))


def clip(engine, **changes):
    options = {"prompt": "a lighthouse", "seed": 3, "seconds": 0.5, "steps": 1, "resolution": "landscape", **changes}
    request = engine.plan(**options)
    return engine.generate_frames(request), json.loads(json.dumps(engine.manifest(request, _now())))


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


@pytest.mark.parametrize("key", ["tiny-ltx", "tiny-wan"])
def test_a_clip_is_made_again_from_its_manifest(engines, key):
    engine = engines[key]
    frames, manifest = clip(engine)
    assert np.array_equal(reproduce(engine, manifest), frames)
    image = picture((40, 90, 160))
    from_image, image_manifest = clip(engine, image=image)
    with pytest.raises(InvalidRequest, match="made from an input image"):
        reproduce(engine, image_manifest)
    with pytest.raises(InvalidRequest, match="not the one the manifest names"):
        reproduce(engine, image_manifest, reference=picture((41, 90, 160)))
    assert np.array_equal(reproduce(engine, image_manifest, reference=image), from_image)


def test_a_storyboard_with_reference_and_keyframe_is_made_again_from_its_manifest(engines):
    engine = engines["tiny-ltx"]
    reference, end = picture((200, 180, 20)), picture((10, 10, 220))
    items = [{"prompt": "dawn"}, {"prompt": "noon", "seconds": 0.7, "end_image": end}, {"prompt": "dusk"}]
    planned = plan_storyboard(engine.spec, items, style="claymation", reference=reference, seed=-1, steps=1,
                              resolution="landscape")
    original = run_storyboard(engine, planned)
    manifest = json.loads(json.dumps(original.manifest))  # as read back from the MP4 tag
    with pytest.raises(InvalidRequest, match="Shot 2: this was made from an end image"):
        reproduce(engine, manifest, reference=reference)
    again = reproduce(engine, manifest, reference=reference, end_images={2: end})
    assert np.array_equal(again.frames, original.frames)
    assert again.mismatched_shots == ()
    assert [s["seed"] for s in again.manifest["shots"]] == [planned.seed + k for k in range(3)]


@pytest.mark.parametrize("key", ["tiny-ltx", "tiny-wan"])
def test_extend_adds_the_asked_seconds_and_the_longer_video_reproduces(engines, key):
    engine = engines[key]
    spec = engine.spec
    frames, manifest = clip(engine, seconds=1.0)
    longer = extend_clip(engine, frames, manifest, "the lighthouse at night", seconds=1.0)
    added = snap_num_frames(1.0 * spec.fps, spec.frame_step, spec.max_frames) - 1
    assert len(longer.frames) == len(frames) + added
    assert np.array_equal(longer.frames[: len(frames)], frames)
    assert longer.frames.shape[1:] == frames.shape[1:]
    shots = longer.manifest["shots"]
    assert [s["shot"] for s in shots] == [1, 2] and shots[1]["seed"] == manifest["seed"] + 1
    assert shots[1]["first_frame"] == len(frames) and shots[1]["last_frame"] == len(longer.frames) - 1
    assert longer.manifest["kind"] == "extended" and longer.manifest["num_frames"] == len(longer.frames)
    twice = extend_clip(engine, longer.frames, longer.manifest, "sunrise", seconds=0.5)
    assert [s["seed"] for s in twice.manifest["shots"]] == [3, 4, 5]
    assert np.array_equal(reproduce(engine, twice.manifest).frames, twice.frames)


def test_extend_refuses_frames_that_do_not_match_the_manifest(engines):
    engine = engines["tiny-wan"]
    frames, manifest = clip(engine)
    with pytest.raises(InvalidRequest, match="frame count"):
        extend_clip(engine, frames[:-1], manifest, "more", seconds=0.5)
    with pytest.raises(InvalidRequest, match="limit is 1"):
        extend_clip(engine, frames, manifest, "more", seconds=1.0, max_total_seconds=1)


def _storyboard_manifest(engine):
    planned = plan_storyboard(engine.spec, [{"prompt": "a"}, {"prompt": "b"}], seed=1, steps=1)
    return json.loads(json.dumps(run_storyboard(engine, planned).manifest))


def _broken(manifest, change):
    manifest = json.loads(json.dumps(manifest))
    change(manifest)
    return manifest


MALFORMED = [
    (lambda m: m["shots"][1].pop("seed"), "Shot 2: the manifest has no 'seed'"),
    (lambda m: m["shots"][0].update(steps="many"), "Shot 1: the manifest's 'steps' has the wrong type"),
    (lambda m: m["shots"][1].update(seed=-5), "Shot 2: the manifest's 'seed' must be between 0 and"),
    (lambda m: m["shots"][1].update(num_frames=10), "must be 4k + 1"),
    (lambda m: m["shots"][1].update(width=4096), "Shot 2: the manifest's 'width' must be between"),
    (lambda m: m["shots"][0].update(model="other"), "for model 'other'"),
    (lambda m: m["shots"][1].update(steps=500), "Shot 2: Steps must be between"),
    (lambda m: m.update(shots=[]), "between 1 and 12 shots"),
    (lambda m: m.update(shots="all of them"), "'shots' has the wrong type"),
    (lambda m: m.update(padding="x" * 300_000), "the limit is 256 KB"),
]


@pytest.mark.parametrize("change, message", MALFORMED, ids=[m for _, m in MALFORMED])
def test_malformed_manifests_are_refused_before_anything_runs(engines, monkeypatch, change, message):
    engine = engines["tiny-wan"]
    manifest = _storyboard_manifest(engine)
    ran = []
    monkeypatch.setattr(engine, "generate_frames", lambda *a, **k: ran.append(1))
    with pytest.raises(InvalidRequest) as refusal:
        reproduce(engine, _broken(manifest, change))
    assert message in refusal.value.message and ran == []
    with pytest.raises(InvalidRequest, match="not valid JSON"):
        reproduce(engine, "{oops")
