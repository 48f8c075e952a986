"""The Generate page as a visitor meets it, in Chromium (desktop 1280x800, phone 390x844): results that never
outlive the run that replaced them, the seed buttons, actions that wait for a clip, progress with the time left,
a phone-sized first screen with every tab in sight, labels for every input, no serious accessibility fault
(axe-core), Reel's own look, examples that fill in the form and a token remembered only on request, encrypted.
Uses the session's `live_server` (the tiny LTX-Video preview): no server of its own."""

import re

import pytest
from test_browser import GENERATION_TIMEOUT_MS, browser_storage, fill_opened, open_details, opened_page, set_slider

from ui.studio.delivery import time_left
from ui.page import EXAMPLE_PROMPTS, PICTURE_EXAMPLE

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
VIDEO_READY = """() => { const v = document.querySelector('#video video');
                         return v && v.readyState >= 1 && v.duration > 0; }"""


@pytest.fixture
def desktop(browser, live_server):
    with opened_page(browser, live_server.url, DESKTOP) as page:
        yield page


CLIP_ACTIONS = ("#reproduce-result", "#extend-result", "#reuse-seed")
ALL_DISABLED = "(selectors) => selectors.every(s => document.querySelector(s)?.disabled === true)"
ALL_ENABLED = "(selectors) => selectors.every(s => document.querySelector(s)?.disabled === false)"
SETTLED = "(selectors) => selectors.every(s => document.querySelector(s).getAnimations().length === 0)"


def disabled(page, selectors) -> list[bool]:
    return [page.locator(selector).is_disabled() for selector in selectors]


def generate(page, token: str, prompt: str = "a lighthouse on a cliff at night") -> None:
    page.fill("#prompt textarea", prompt)
    page.fill("#access-token input", token)
    page.click("#generate")
    page.wait_for_function(VIDEO_READY, timeout=GENERATION_TIMEOUT_MS)


def manifest_seed(page) -> str:
    open_details(page)
    return re.search(r'"?seed"?\s*:\s*(\d+)', page.inner_text("#manifest")).group(1)


@pytest.mark.live
@pytest.mark.browser
def test_a_new_run_clears_the_old_result_at_once_even_when_refused_and_an_edit_clears_the_refusal(
    desktop, live_server
):
    page = desktop
    token = live_server.issue_token("page-clear")
    open_details(page)
    generate(page, token)
    page.get_by_text("Advanced").first.click()
    fill_opened(page, "#seed input", "-5")
    page.fill("#access-token input", "reel_not_a_real_token")
    page.click("#generate")
    # Gone before the server has answered: the clearing runs in the browser.
    page.wait_for_function("() => !document.querySelector('#video video')", timeout=2_000)
    page.wait_for_selector("#access-token :text('not valid')", timeout=30_000)
    page.wait_for_selector("#seed :text('-1 for a random one')")
    assert page.query_selector("#video video") is None, "a refused run leaves no old video"
    assert "tiny-ltx" not in page.inner_text("#manifest"), "nor the old manifest"
    page.fill("#access-token input", token)
    page.wait_for_selector("#access-token :text('not valid')", state="detached")
    page.fill("#seed input", "7")
    page.wait_for_selector("#seed :text('-1 for a random one')", state="detached", timeout=10_000)
    page.click("#generate")
    page.wait_for_function(VIDEO_READY, timeout=GENERATION_TIMEOUT_MS)
    page.wait_for_selector("#manifest :text('tiny-ltx')")
    assert manifest_seed(page) == "7"
    assert token not in browser_storage(page)


@pytest.mark.live
@pytest.mark.browser
def test_reuse_this_seed_takes_the_last_videos_seed_and_random_seed_sets_minus_one(desktop, live_server):
    page = desktop
    generate(page, live_server.issue_token("page-seed"))
    open_details(page)
    page.wait_for_selector("#manifest :text('tiny-ltx')")
    used = manifest_seed(page)
    page.click("#reuse-seed")
    seed_box = page.locator("#seed input")
    seed_box.wait_for()  # the Advanced section opens to show it
    page.wait_for_function("(used) => document.querySelector('#seed input').value === used", arg=used)
    page.click("#random-seed")
    page.wait_for_function("() => document.querySelector('#seed input').value === '-1'")


@pytest.mark.live
@pytest.mark.browser
def test_progress_shows_the_phase_the_step_and_the_time_left(desktop, live_server):
    page = desktop
    page.evaluate("""() => { window.progressSeen = new Set();
        new MutationObserver(() => document.querySelectorAll('#video .progress-level-inner')
                                           .forEach(el => window.progressSeen.add(el.innerText)))
            .observe(document.body, {subtree: true, childList: true, characterData: true}); }""")
    # The longest job the preview takes (50 steps of a 5 s clip): an estimate needs a second spent, and a fast
    # machine makes the default clip's 8 steps, or even 30, in less.
    page.get_by_text("Advanced").first.click()
    set_slider(page, "#seconds", "5")
    set_slider(page, "#steps", "50")
    generate(page, live_server.issue_token("page-progress"))
    seen = page.evaluate("() => [...window.progressSeen]")
    assert any(text.startswith("Encoding text") for text in seen)
    denoising = [text for text in seen if re.match(r"Denoising step \d+/50 · ", text)]
    assert denoising, seen
    assert any(re.search(r"· (about \d+ s|about \d+ min|a few seconds) left", text) for text in denoising), seen


def test_the_time_left_is_estimated_from_the_time_so_far():
    assert time_left(0.25, 10) == " · about 30 s left"
    assert time_left(0.5, 200) == " · about 3 min left"
    assert time_left(0.9, 9) == " · a few seconds left"
    assert time_left(0.01, 10) == "" and time_left(0.5, 0.2) == "" and time_left(1.0, 30) == ""


@pytest.mark.live
@pytest.mark.browser
def test_actions_that_need_a_clip_wait_for_one_and_stop_is_on_only_while_a_job_runs(desktop, live_server):
    page = desktop
    hint = page.get_attribute("#prompt textarea", "placeholder")
    assert hint.startswith("Describe") and hint not in [text for _, text in EXAMPLE_PROMPTS], "a hint, not a prompt"
    page.get_by_text("Extend this video").click()  # its controls are on the page once it is open
    page.wait_for_selector("#extend-result")
    assert all(disabled(page, CLIP_ACTIONS + ("#stop",))), "nothing to reproduce, extend or stop yet"
    token = live_server.issue_token("page-actions")
    page.fill("#prompt textarea", "a lighthouse on a cliff at night")
    page.fill("#access-token input", token)
    page.click("#generate")
    page.wait_for_function("() => !document.querySelector('#stop').disabled", timeout=2_000)
    page.wait_for_function(VIDEO_READY, timeout=GENERATION_TIMEOUT_MS)
    page.wait_for_function(ALL_DISABLED, arg=["#stop"], timeout=10_000)
    page.wait_for_function(ALL_ENABLED, arg=list(CLIP_ACTIONS), timeout=10_000)
    page.fill("#access-token input", "reel_not_a_real_token")  # refused: the old clip goes, and its actions
    page.click("#generate")
    page.wait_for_selector("#access-token :text('not valid')", timeout=30_000)
    page.wait_for_function(ALL_DISABLED, arg=list(CLIP_ACTIONS), timeout=10_000)
    # Stop stays on after a refusal (Gradio's page runs no event after a validator's refusal), until a job ends.
    page.fill("#access-token input", token)
    page.click("#generate")
    page.wait_for_timeout(500)  # the job is in the queue or running
    page.click("#stop")
    page.get_by_text("Stopped").first.wait_for(timeout=10_000)
    page.wait_for_function(ALL_DISABLED, arg=["#stop"], timeout=30_000)


TABS = ("Generate", "Storyboard", "Reproduce & extend", "History")


def assert_every_tab_in_sight(page) -> None:
    """Each tab is a tab button on the screen, none behind Gradio's "More tabs" menu."""
    assert page.locator("button[aria-label='More tabs']:visible").count() == 0
    for name in TABS:
        tab = page.get_by_role("tab", name=name)
        box = tab.bounding_box()
        assert tab.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"], name


@pytest.mark.live
@pytest.mark.browser
def test_on_a_phone_the_first_screen_holds_prompt_and_generate_every_tab_is_in_sight_and_the_result_scrolls_into_view(
    browser, live_server
):
    with opened_page(browser, live_server.url, PHONE) as page:
        for selector in ("#prompt textarea", "#generate", "#access-token input", "#remember-token input"):
            box = page.locator(selector).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], selector
        token = page.locator("#access-token").bounding_box()
        remember = page.locator("#remember-column").bounding_box()
        assert remember["x"] >= token["x"] + token["width"] and remember["y"] < token["y"] + token["height"], \
            "the remember option beside the token, not under it"
        notice = page.locator("#preview-banner")
        assert notice.bounding_box()["height"] < 70, "the preview notice folded to its headline"
        assert not page.get_by_text("whose weights are random").is_visible()
        notice.locator("summary").click()
        page.get_by_text("whose weights are random").wait_for()
        assert_every_tab_in_sight(page)
        generate(page, live_server.issue_token("page-phone"))
        page.wait_for_function(
            """() => { const r = document.querySelector('#video video').getBoundingClientRect();
                       return r.top >= 0 && r.bottom <= window.innerHeight; }""",
            timeout=10_000,
        )
        for name in TABS[1:]:
            page.get_by_role("tab", name=name).click()
            page.wait_for_selector(f"button[role='tab'][aria-selected='true']:text-is('{name}')")


# Serious faults axe finds inside a Gradio component that Reel cannot reach from its side, each as (rule, a piece
# of the failing element's HTML); the README's accessibility note names them. gr.File's drop zone is named "Click to
# upload or drop files" but shows "Drop File Here - or - Click to Upload", and gr.File takes no placeholder.
UPSTREAM_FAULTS = (("label-content-name-mismatch", 'aria-label="Click to upload or drop files"'),)
SERIOUS_FAULTS = """async () => (await axe.run(document)).violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .flatMap(v => v.nodes.map(n => [v.id, v.impact, n.html.slice(0, 200)]))"""


def serious_faults(page, axe_script: str, allowed=()) -> list:
    """axe-core's serious and critical violations on the page as it is now, one [rule, impact, html] a node."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_script)
    found = page.evaluate(SERIOUS_FAULTS)
    return [fault for fault in found if not any(fault[0] == rule and part in fault[2] for rule, part in allowed)]


@pytest.mark.live
@pytest.mark.browser
def test_axe_finds_no_serious_fault_at_desktop_and_phone_sizes_before_and_after_a_clip(
    browser, live_server, axe_script
):
    faults = {}
    with opened_page(browser, live_server.url, PHONE) as page:
        faults["phone, before a clip"] = serious_faults(page, axe_script)
        page.set_viewport_size(DESKTOP)
        assert_every_tab_in_sight(page)
        faults["desktop, before a clip"] = serious_faults(page, axe_script)
        generate(page, live_server.issue_token("page-axe"))
        # The clip's actions enabled, their colours' transitions over: axe checks the colours they end on.
        shown = ["#reproduce-result", "#reuse-seed"]  # Extend's is in a closed section
        page.wait_for_function(ALL_ENABLED, arg=shown, timeout=10_000)
        page.wait_for_function(SETTLED, arg=shown)
        faults["desktop, after a clip"] = serious_faults(page, axe_script)
        open_details(page)
        page.wait_for_selector("#manifest .json-node")
        faults["desktop, after a clip, Details open"] = serious_faults(page, axe_script)
        page.set_viewport_size(PHONE)
        faults["phone, after a clip, Details open"] = serious_faults(page, axe_script)
        for name in TABS[1:]:  # the other tabs, their sections open, with only the known upstream faults
            page.get_by_role("tab", name=name).click()
            for section in page.locator("button.label-wrap:visible").all():
                section.click()
            for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                page.set_viewport_size(viewport)
                faults[f"{size}, {name} tab"] = serious_faults(page, axe_script, UPSTREAM_FAULTS)
    assert faults == {where: [] for where in faults}


@pytest.mark.live
@pytest.mark.browser
def test_every_input_has_a_label_the_preview_callout_speaks_to_visitors_and_the_theme_is_reels(desktop):
    page = desktop
    banner = page.locator("#preview-banner")
    assert banner.is_visible() and "videos will be coloured noise" in banner.inner_text()
    assert banner.evaluate("el => getComputedStyle(el).borderLeftWidth") == "6px", "a callout, not a line of text"
    colour = page.locator("#generate").evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(220, 20, 72)", "Reel's red"
    unlabelled = """() => [...document.querySelectorAll('input, textarea, select, button')]
        .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                      && !el.getAttribute('aria-labelledby') && !el.title
                      && !(el.tagName === 'BUTTON' && el.innerText.trim()))
        .map(el => el.outerHTML.slice(0, 160))"""
    for tab in ("Generate", "Storyboard", "Reproduce & extend", "History"):
        page.get_by_role("tab", name=tab).click()
        for section in page.locator("button.label-wrap:visible").all():  # open the accordions
            section.click()
        assert page.evaluate(unlabelled) == [], tab


@pytest.mark.live
@pytest.mark.browser
def test_examples_fill_in_the_form_and_the_picture_example_makes_an_image_to_video_clip(desktop, live_server):
    page = desktop
    label, prompt = EXAMPLE_PROMPTS[1]
    page.locator("#examples").get_by_text(label).click()
    page.wait_for_function("(text) => document.querySelector('#prompt textarea').value === text", arg=prompt)
    assert page.query_selector("#image img") is None, "a text example leaves the picture empty"
    page.locator("#examples").get_by_text(PICTURE_EXAMPLE[0]).click()
    page.wait_for_selector("#image img", timeout=30_000)
    open_details(page)
    page.fill("#access-token input", live_server.issue_token("page-examples"))
    page.click("#generate")
    page.wait_for_selector("#manifest :text('image-to-video')", timeout=GENERATION_TIMEOUT_MS)
    assert PICTURE_EXAMPLE[1] in page.inner_text("#manifest")


@pytest.mark.live
@pytest.mark.browser
def test_a_token_is_remembered_encrypted_only_when_ticked_and_forget_removes_it(browser, live_server):
    token = live_server.issue_token("page-remember")
    token_box = "#access-token input"
    restored = "(token) => document.querySelector('#access-token input').value === token"
    # The stored value is "iv:ciphertext" (AES-CBC; the ciphertext in OpenSSL's salted form, base64): {"token": ""}
    # fits one block (44 characters with the salt), a stored token needs four more (128); so its length says
    # whether a token is in it without decrypting it.
    cipher_length = "() => ((localStorage.getItem('reel-access-token') || ':').split(':')[1] || '').length"

    def reload(page):
        page.reload()
        page.wait_for_selector("#generate")

    with opened_page(browser, live_server.url, DESKTOP) as page:
        page.fill(token_box, token)
        assert not page.is_checked("#remember-token input"), "off by default"
        assert page.evaluate(cipher_length) <= 44, "nothing kept while it is off"
        page.fill(token_box, token)
        page.check("#remember-token input")
        page.wait_for_function(f"({cipher_length})() > 100")
        assert token not in browser_storage(page), "stored encrypted, never as the token"
        reload(page)
        page.wait_for_function(restored, arg=token)
        assert page.is_checked("#remember-token input")
        page.uncheck("#remember-token input")
        page.wait_for_function(f"({cipher_length})() <= 44")  # unticking drops it at once
        page.check("#remember-token input")
        page.wait_for_function(f"({cipher_length})() > 100")
        page.click("#forget-token")
        assert page.input_value(token_box) == "" and not page.is_checked("#remember-token input")
        page.wait_for_function(f"({cipher_length})() <= 44")
        reload(page)
        assert page.input_value(token_box) == ""
        assert token not in browser_storage(page)


def test_the_secret_that_encrypts_remembered_tokens_survives_a_restart(tmp_path, monkeypatch):
    from ui.remember import browser_secret

    monkeypatch.delenv("REEL_BROWSER_SECRET", raising=False)
    first = browser_secret(tmp_path)
    assert len(first) >= 40 and browser_secret(tmp_path) == first
    assert (tmp_path / "browser-secret").stat().st_mode & 0o077 == 0, "readable by the server's user only"
    monkeypatch.setenv("REEL_BROWSER_SECRET", "set-by-the-operator")
    assert browser_secret(tmp_path) == "set-by-the-operator"
