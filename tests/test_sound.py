"""Sound on the tiny LTX-2 preview, engine side: every file carries an AAC track as long as its video, the same
seed makes the same samples, sound can be left out, a silent model says so when asked for sound, and storyboards
and extensions keep one continuous track across their cuts."""

import json
from datetime import datetime, timezone

import numpy as np
import pytest

from model import (
    CATALOG,
    InvalidRequest,
    ShotCache,
    SoundTrack,
    encode_mp4,
    extend_clip,
    join_sound,
    load_engine,
    plan_request,
    plan_storyboard,
    probe_audio,
    probe_video,
    read_sound,
    run_storyboard,
)

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return load_engine("tiny-ltx2", data_dir=tmp_path_factory.mktemp("sound-data"))


def quick(engine, seed=5, **changes):
    return engine.plan(prompt="rain on a tin roof", seed=seed, seconds=1, steps=2, **changes)


def tone(seconds, rate=24000, channels=2, frequency=440.0):
    t = np.arange(int(round(seconds * rate))) / rate
    return SoundTrack(np.stack([0.3 * np.sin(2 * np.pi * frequency * t)] * channels), rate)


def test_the_mp4_has_h264_and_aac_of_the_same_length(tmp_path):
    frames = np.random.default_rng(0).integers(0, 255, (49, 64, 96, 3), dtype=np.uint8)
    # A track a little shorter than the video (as the vocoder makes it) is padded to the video's length.
    path = encode_mp4(frames, 24, tmp_path / "clip.mp4", {"model": "x"}, sound=tone(2.0 - 0.03), preset="ultrafast")
    video, audio = probe_video(path), probe_audio(path)
    assert video["codec"] == "h264" and audio["codec"] == "aac" and audio["channels"] == 2
    assert abs(audio["seconds"] - 49 / 24) <= 1 / 24
    back = read_sound(path)
    assert back.sample_rate == 24000 and abs(back.seconds - 49 / 24) <= 1 / 24
    # AAC is lossy but close on a pure tone, away from the encoder's start-up.
    original = tone(2.0).samples[:, 4800:9600]
    assert np.abs(back.samples[:, 4800:9600] - original).max() < 0.02


def test_a_silent_mp4_has_no_audio_stream(tmp_path):
    frames = np.zeros((9, 64, 64, 3), dtype=np.uint8)
    path = encode_mp4(frames, 24, tmp_path / "silent.mp4", {"model": "x"}, preset="ultrafast")
    assert probe_audio(path) is None and read_sound(path) is None


def test_joined_sound_is_as_long_as_its_pieces_and_softened_only_at_the_cut():
    first, second = tone(1.0), tone(0.5, frequency=660.0)
    joined = join_sound([first, second])
    assert joined.samples.shape == (2, first.samples.shape[1] + second.samples.shape[1])
    cut = first.samples.shape[1]
    assert np.array_equal(joined.samples[:, : cut - 200], first.samples[:, : cut - 200])
    assert np.array_equal(joined.samples[:, cut + 200:], second.samples[:, 200:])
    assert joined.samples[:, cut].max() == 0.0  # the fade in starts from silence


def test_the_same_seed_gives_the_same_frames_and_samples(engine):
    one, two = engine.generate(quick(engine)), engine.generate(quick(engine))
    assert np.array_equal(one.frames, two.frames)
    assert np.array_equal(one.sound.samples, two.sound.samples)
    other = engine.generate(quick(engine, seed=6))
    assert not np.array_equal(one.sound.samples, other.sound.samples)


def test_sound_is_exactly_as_long_as_the_frames(engine):
    made = engine.generate(quick(engine))
    assert made.sound.sample_rate == 24000
    assert made.sound.samples.shape[1] == round(len(made.frames) / 24 * 24000)


def test_sound_off_leaves_the_frames_as_they_are(engine):
    with_sound = engine.generate(quick(engine))
    without = engine.generate(quick(engine, audio=False))
    assert without.sound is None
    assert np.array_equal(with_sound.frames, without.frames)


def test_image_to_video_has_sound(engine):
    from PIL import Image

    made = engine.generate(quick(engine, image=Image.new("RGB", (600, 400), (200, 120, 40))))
    assert made.sound is not None and made.sound.samples.shape[1] == round(len(made.frames) / 24 * 24000)


def test_the_manifest_records_the_sound(engine, tmp_path):
    request = quick(engine)
    made = engine.generate(request)
    clip = engine.encode(made.frames, request, tmp_path, sound=made.sound)
    assert clip.manifest["audio"] is True
    assert clip.manifest["sound"] == {"codec": "aac", "sample_rate": 24000, "channels": 2}
    assert probe_audio(clip.path)["sample_rate"] == 24000


@pytest.mark.parametrize("key", ["tiny-ltx", "tiny-wan"])
def test_a_silent_model_asked_for_sound_says_so(key):
    spec = CATALOG[key]
    with pytest.raises(InvalidRequest, match="makes video without sound. Turn sound off") as refused:
        plan_request(spec, "a cat", audio=True, audio_alternatives=[CATALOG["tiny-ltx2"].label])
    assert refused.value.field == "audio" and "Tiny LTX-2 preview" in refused.value.message
    assert plan_request(spec, "a cat").audio is False  # left out: the model's own default


def test_audio_must_be_true_or_false(engine):
    with pytest.raises(InvalidRequest, match="audio must be true or false"):
        quick(engine, audio="loud")


def test_a_storyboard_keeps_one_track_across_its_cuts(engine, tmp_path):
    plan = plan_storyboard(
        engine.spec, json.dumps([{"prompt": "a kite", "seconds": 1}, {"prompt": "a kite lands", "seconds": 1}]),
        style="none", seed=3, steps=2, resolution="square",
    )
    cache = ShotCache(tmp_path / "cache")
    result = run_storyboard(engine, plan, cache=cache)
    frames = sum(len(piece) for piece in result.pieces)
    assert result.sound.samples.shape[1] == round(frames / 24 * 24000)
    assert result.manifest["sound"]["sample_rate"] == 24000
    # The second shot's sound starts where its kept frames start: the first shot's sound is kept whole up to the
    # fade at the cut.
    cut = round(len(result.pieces[0]) / 24 * 24000)
    first_alone = engine.generate(plan.shots[0].request).sound
    assert np.array_equal(result.sound.samples[:, : cut - 200], first_alone.samples[:, : cut - 200])
    cache.flush()
    again = run_storyboard(engine, plan, cache=cache)
    assert again.generated_shots == () and np.array_equal(again.sound.samples, result.sound.samples)


def test_an_extension_carries_the_sound_on(engine):
    request = quick(engine)
    made = engine.generate(request)
    manifest = engine.manifest(request, datetime.now(timezone.utc))
    result = extend_clip(engine, made.frames, manifest, "the rain stops", seconds=1, sound=made.sound)
    frames = sum(len(piece) for piece in result.pieces)
    assert result.sound.samples.shape[1] == round(frames / 24 * 24000)
    kept = made.sound.samples.shape[1] - 200
    assert np.array_equal(result.sound.samples[:, :kept], made.sound.samples[:, :kept])
    assert result.manifest["shots"][-1]["audio"] is True
