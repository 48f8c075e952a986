"""Prompt enhancement from outside, on the CPU default (the tiny LTX-2, whose Gemma 3 rewrites prompts as the real
LTX-2.0 does): through gradio_client the manifest carries both prompts and /reproduce remakes the clip frame for frame;
a model without an enhancer refuses before the queue; in the page the enhanced prompt shows under the video and goes
with the next clip that has none."""

import json

import numpy as np
import pytest
from gradio_client.exceptions import ValidationError
from test_browser import GENERATION_TIMEOUT_MS, fill_and_generate, open_details, opened_page

from model import decode_frames

pytestmark = pytest.mark.live

VIDEO_SOURCE = "() => document.querySelector('#video video')?.src"
SMALL = {"prompt": "a paper boat in the rain", "seed": 21, "resolution": "square", "steps": 2, "seconds": 1}


def test_an_enhanced_clip_carries_both_prompts_and_is_made_again_frame_for_frame(default_server):
    client, token = default_server.client(), default_server.issue_token("enhancer")
    path, manifest = client.predict(**SMALL, enhance_prompt=True, access_token=token, api_name="/generate")
    assert manifest["prompt"] == SMALL["prompt"]
    assert manifest["enhanced_prompt"] and manifest["enhanced_prompt"] != SMALL["prompt"]
    before = default_server.generation_count()
    again, again_manifest = client.predict(manifest=json.dumps(manifest), access_token=token, api_name="/reproduce")
    assert default_server.generation_count() - before == 1
    assert again_manifest["enhanced_prompt"] == manifest["enhanced_prompt"]
    assert np.array_equal(decode_frames(path), decode_frames(again))


def test_a_model_without_an_enhancer_refuses_before_the_queue(live_server):
    client, token = live_server.client(), live_server.issue_token("no-enhancer")
    before = live_server.generation_count()
    with pytest.raises(ValidationError, match="has no prompt enhancer here; turn prompt enhancement off"):
        client.predict(**SMALL, enhance_prompt=True, access_token=token, api_name="/generate")
    assert live_server.generation_count() == before


@pytest.mark.browser
def test_the_page_shows_the_enhanced_prompt_under_the_video_and_hides_it_for_a_plain_clip(browser, default_server):
    token = default_server.issue_token("enhancer-page")
    with opened_page(browser, default_server.url) as page:
        page.wait_for_selector("#enhanced-prompt", state="hidden", timeout=30_000)  # once the plain clip has landed
        page.check("#enhance-prompt input")
        fill_and_generate(page, token)
        page.wait_for_selector("#enhanced-prompt textarea", timeout=GENERATION_TIMEOUT_MS)
        shown = page.input_value("#enhanced-prompt textarea")
        assert shown and shown != "a lighthouse on a cliff at night"
        open_details(page)
        assert shown[:12] in page.inner_text("#manifest")  # the manifest's enhanced_prompt, as the page shows it
        first_video = page.evaluate(VIDEO_SOURCE)
        page.uncheck("#enhance-prompt input")
        page.click("#generate")
        page.wait_for_function(f"() => ({VIDEO_SOURCE})() && ({VIDEO_SOURCE})() !== {json.dumps(first_video)}",
                               timeout=GENERATION_TIMEOUT_MS)
        page.wait_for_selector("#enhanced-prompt", state="hidden", timeout=30_000)  # once the plain clip has landed
