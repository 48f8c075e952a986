"""The browser UI, driven by Playwright in Debian's Chromium (the `browser` fixture, tests/conftest.py)."""

import contextlib
import time

import pytest
from PIL import Image

from access import INVALID_TOKEN_MESSAGE
from conftest import running_server, wait_for

pytestmark = [pytest.mark.live, pytest.mark.browser]

GENERATION_TIMEOUT_MS = 90_000


@contextlib.contextmanager
def opened_page(browser, url: str, viewport: dict | None = None):
    """A fresh browser context (empty storage) with the app loaded and ready; Playwright's 1280x720 by default."""
    context = browser.new_context(**({"viewport": viewport} if viewport else {}))
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#generate")
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser, live_server):
    with opened_page(browser, live_server.url) as page:
        yield page


def fill_and_generate(page, token: str) -> None:
    page.fill("#prompt textarea", "a lighthouse on a cliff at night")
    page.fill("#access-token input", token)
    page.click("#generate")


def open_details(page) -> None:
    """Open the result's Details section, which holds the manifest and starts closed (the manifest's text is on
    the page only while it is open)."""
    if not page.locator("#details [data-testid='accordion-content']").first.is_visible():
        page.click("#details button.label-wrap")
    page.wait_for_selector("#manifest")


def fill_opened(page, selector: str, value: str, timeout_s: float = 30) -> None:
    """Fill a field in a section just opened, until it keeps the value: gradio mounts a closed accordion's
    controls when it opens and sets their values a moment later, which can undo typing that came first
    (measured here: about 1 fill in 10 lost, none once the value had stayed)."""
    deadline = time.monotonic() + timeout_s
    while True:
        page.fill(selector, value)
        page.wait_for_timeout(200)
        if page.input_value(selector) == value or time.monotonic() > deadline:
            assert page.input_value(selector) == value, selector
            return


def set_slider(page, selector: str, value: str) -> None:
    """Type into a slider's number box (kept, as `fill_opened` makes sure), leave it, and wait until the slider
    itself shows the value: the page has taken it, so a click on Generate next sends it."""
    fill_opened(page, f"{selector} input[type=number]", value)
    page.locator(f"{selector} input[type=number]").press("Tab")
    page.wait_for_function(
        "([selector, value]) => document.querySelector(selector + ' input[type=range]')?.value === value",
        arg=[selector, value],
    )


def browser_storage(page) -> str:
    return page.evaluate(
        "() => JSON.stringify({local: Object.entries(localStorage), session: Object.entries(sessionStorage)})"
    )


def test_generate_in_the_browser_gives_a_playable_video(page, live_server):
    token = live_server.issue_token("browser")
    assert page.is_visible("#preview-banner"), "the tiny preview model is announced"
    fill_and_generate(page, token)
    page.wait_for_function(
        """() => { const v = document.querySelector('#video video');
                   return v && v.readyState >= 1 && v.duration > 0; }""",
        timeout=GENERATION_TIMEOUT_MS,
    )
    duration = page.evaluate("() => document.querySelector('#video video').duration")
    assert 2.5 <= duration <= 3.5, "the default preview clip is about three seconds long"
    open_details(page)
    page.wait_for_selector("#manifest :text('tiny-ltx')")
    assert token not in browser_storage(page)


def test_a_wrong_token_shows_the_error_and_no_video(page):
    fill_and_generate(page, "reel_not_a_real_token")
    page.get_by_text(INVALID_TOKEN_MESSAGE).first.wait_for(timeout=30_000)
    assert page.query_selector("#video video") is None
    assert "reel_not_a_real_token" not in browser_storage(page)


@pytest.fixture(scope="module")
def models_page(browser, tmp_path_factory):
    models = {"REEL_MODELS": "tiny-ltx,tiny-wan-t2v"}
    with running_server(tmp_path_factory.mktemp("browser-models"), models) as server:
        with opened_page(browser, server.url) as page:
            yield page


def test_choosing_a_model_updates_the_controls(models_page):
    page = models_page
    assert page.is_visible("#resolution :text('Landscape 512×320')")
    page.click("#model input")
    page.get_by_role("option", name="Tiny Wan 2.1 text-to-video preview (random weights, CPU)").click()
    page.wait_for_selector("#resolution :text('Landscape 96×64')")
    assert not page.is_visible("#resolution :text('Landscape 512×320')")
    assert page.get_by_text("makes video from text only").first.is_visible()


STORYBOARD_SHOTS = (
    '[{"prompt": "a harbour at dawn, boats rocking", "seconds": 1},'
    ' {"prompt": "the boats sail out to sea", "seconds": 1.5}]'
)


def test_a_two_shot_storyboard_built_in_the_page_plays_and_a_shot_can_be_rerolled(page, live_server):
    token = live_server.issue_token("storyboard-browser")
    page.fill("#access-token input", token)
    page.get_by_role("tab", name="Storyboard").click()
    editor = page.locator("#shots .cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(STORYBOARD_SHOTS)
    page.click("#storyboard-generate")
    page.wait_for_function(
        """() => { const v = document.querySelector('#storyboard-video video');
                   return v && v.readyState >= 1 && v.duration > 0; }""",
        timeout=GENERATION_TIMEOUT_MS,
    )
    # 1 s (25 frames) then 1.5 s (32 more frames) at 24 fps.
    duration = page.evaluate("() => document.querySelector('#storyboard-video video').duration")
    assert duration == pytest.approx(57 / 24, abs=0.1)
    # The shots table: one row per shot, each cell marked cell-<row>-<column> (column 1: the seed).
    shot_number = page.locator("#storyboard-shots [data-testid='cell-1-0']")
    seed = "#storyboard-shots [data-testid='cell-1-1']"
    shot_number.wait_for()
    assert shot_number.inner_text().strip() == "2"
    assert page.locator("#storyboard-shots [data-testid='cell-2-0']").count() == 0
    seed_before = page.locator(seed).inner_text().strip()
    assert seed_before.isdigit()

    page.fill("#reroll-shot input", "2")
    page.click("#reroll")
    page.wait_for_function(
        """([selector, before]) => { const cell = document.querySelector(selector);
                                    return cell && cell.innerText.trim() !== before; }""",
        arg=[seed, seed_before],
        timeout=GENERATION_TIMEOUT_MS,
    )
    assert token not in browser_storage(page)


def test_the_result_can_be_extended_in_the_page(page, live_server):
    token = live_server.issue_token("extend-browser")
    fill_and_generate(page, token)
    duration_of = "() => { const v = document.querySelector('#video video'); return v ? v.duration : 0; }"
    page.wait_for_function(f"({duration_of})() > 0", timeout=GENERATION_TIMEOUT_MS)
    first = page.evaluate(duration_of)
    page.get_by_text("Extend this video").click()
    fill_opened(page, "#extend-result-prompt textarea", "the lighthouse beam sweeps across the waves")
    page.click("#extend-result")
    # 2 s more by default: 48 frames at 24 fps after the clip's own 73.
    page.wait_for_function(f"({duration_of})() > {first} + 1.5", timeout=GENERATION_TIMEOUT_MS)
    assert page.evaluate(duration_of) == pytest.approx((73 + 48) / 24, abs=0.1)
    open_details(page)
    page.wait_for_selector("#manifest :text('extended')")


def test_the_default_model_plays_with_sound_and_takes_a_lora_from_the_page(browser, default_server):
    """The CPU default (tiny LTX-2): the Sound box is ticked, the played video has an audio track the browser
    decodes, and a LoRA chosen in the page is the one the manifest names."""
    token = default_server.issue_token("browser-sound")
    with opened_page(browser, default_server.url) as page:
        assert page.is_checked("#audio input")
        page.click("#lora input")
        page.get_by_role("option", name="Camera: dolly in (random preview adapter)").click()
        fill_and_generate(page, token)
        page.wait_for_function(
            """() => { const v = document.querySelector('#video video');
                       return v && v.readyState >= 1 && v.duration > 0; }""",
            timeout=GENERATION_TIMEOUT_MS,
        )
        page.evaluate("() => { const v = document.querySelector('#video video'); v.muted = true; v.play(); }")
        page.wait_for_function(
            "() => document.querySelector('#video video').webkitAudioDecodedByteCount > 0", timeout=30_000
        )
        open_details(page)
        page.wait_for_selector("#manifest :text('dolly-in')")
        assert token not in browser_storage(page)


def test_the_history_tab_shows_the_clip_just_made_and_reproduces_it(page, live_server):
    token = live_server.issue_token("browser-history")
    open_details(page)
    fill_and_generate(page, token)
    page.wait_for_selector("#manifest :text('tiny-ltx')", timeout=GENERATION_TIMEOUT_MS)
    page.get_by_role("tab", name="History").click()
    page.click("#history-show")
    page.wait_for_selector("#history-gallery :text('a lighthouse on a cliff at night')", timeout=30_000)
    page.locator("#history-gallery button.thumbnail-item").first.click()
    page.wait_for_selector("#history-details :text('a lighthouse on a cliff at night')", timeout=30_000)
    page.wait_for_selector("#history-video video", timeout=30_000)
    shown = page.evaluate("() => document.querySelector('#history-video video').src")
    page.click("#history-reproduce")
    page.wait_for_function(  # the player now plays the reproduction, a new file
        """(before) => { const v = document.querySelector('#history-video video');
                         return v && v.src !== before && v.readyState >= 1 && v.duration > 0; }""",
        arg=shown, timeout=GENERATION_TIMEOUT_MS,
    )
    listed = live_server.client().predict(access_token=token, api_name="/history")["items"]
    assert len(listed) == 2 and listed[0]["seed"] == listed[1]["seed"]  # the reproduction joined the history
    assert token not in browser_storage(page)


def test_a_picture_uploaded_in_the_page_starts_the_clip_and_a_broken_one_gets_reels_message(page, live_server,
                                                                                            tmp_path):
    token = live_server.issue_token("browser-pictures")
    not_a_picture = tmp_path / "notes.png"
    not_a_picture.write_text("Shopping: eggs, flour, milk.\n" * 20)
    page.set_input_files("#image input[type=file]", str(not_a_picture))
    fill_and_generate(page, token)
    page.get_by_text("The image could not be read. Upload a PNG, JPEG or WebP picture.").first.wait_for(
        timeout=30_000
    )
    assert page.query_selector("#video video") is None
    page.click("#image button[aria-label='Clear']")
    tall = tmp_path / "tall.png"
    Image.new("RGB", (64, 96), (200, 40, 40)).save(tall)
    page.set_input_files("#image input[type=file]", str(tall))
    open_details(page)
    page.click("#generate")
    page.wait_for_selector("#manifest :text('image-to-video')", timeout=GENERATION_TIMEOUT_MS)
    # The History tab's "Use as start image" fills the same input with the clip's last frame, which generates too.
    page.get_by_role("tab", name="History").click()
    page.click("#history-show")
    page.locator("#history-gallery button.thumbnail-item").first.click()
    page.click("#history-start-image")
    page.wait_for_selector("#image img", timeout=30_000)
    page.click("#generate")
    client = live_server.client()  # the history then holds a second clip, made from the first one's last frame
    wait_for(lambda: len(client.predict(access_token=token, api_name="/history")["items"]) >= 2,
             timeout=GENERATION_TIMEOUT_MS / 1000, every=0.5)  # a call each time: not too often
    items = client.predict(access_token=token, api_name="/history")["items"]
    newest, first = items[0]["manifest"], items[1]["manifest"]
    assert newest["mode"] == first["mode"] == "image-to-video"
    assert (newest["input_image"]["width"], newest["input_image"]["height"]) == (first["width"], first["height"])
