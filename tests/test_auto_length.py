"""`seconds="auto"`: LTX-2.5's duration head chooses a clip's length from its prompt. Planned for the longest clip (the
GPU time and the quota reservation), refused where the model has no duration head and in storyboards, whose shots are
cut to known lengths. The frames themselves: the tiny LTX-2.5 in tests/test_ltx25_live.py."""

import pytest

from model import CATALOG, InvalidRequest, plan_request, plan_storyboard

LTX25 = CATALOG["ltx-2.5-distilled"]


def test_auto_is_planned_for_the_longest_clip_the_model_may_choose():
    request = plan_request(LTX25, "a door creaks open", seed=1, seconds=" Auto ")
    assert request.auto_length and request.num_frames == LTX25.max_frames
    fixed = plan_request(LTX25, "a door creaks open", seed=1, seconds=2)
    assert not fixed.auto_length and fixed.num_frames == 49


@pytest.mark.parametrize("key", ["ltx-2-distilled", "ltx-2.3-distilled", "tiny-ltx2", "wan2.1-t2v-1.3b"])
def test_a_model_without_a_duration_head_refuses_auto_and_asks_for_seconds(key):
    spec = CATALOG[key]
    with pytest.raises(InvalidRequest, match=f"cannot choose a clip's length; give the duration in seconds, up to "
                                             f"{spec.max_seconds:g}") as refused:
        plan_request(spec, "a door creaks open", seconds="auto")
    assert refused.value.field == "seconds"


def test_the_loaded_models_word_counts_over_the_catalogs():
    with pytest.raises(InvalidRequest, match="cannot choose a clip's length"):
        plan_request(LTX25, "a door", seconds="auto", length_available=False)


def test_a_storyboard_shot_needs_its_length():
    shots = [{"prompt": "a door opens", "seconds": 1}, {"prompt": "light floods in", "seconds": "auto"}]
    with pytest.raises(InvalidRequest, match='Shot 2: seconds "auto" is for single clips'):
        plan_storyboard(LTX25, shots)
