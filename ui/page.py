"""The page's look and its small in-browser behaviours: Reel's theme and CSS, the JavaScript snippets that run
without a server round trip (clearing an old result, a random seed, scrolling to a finished video), and the
examples with the start picture they use. Remembering a token is ui/remember.py.

The snippets are gradio `js=` functions: they receive the event's input values and return its outputs' values.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
from PIL import Image, ImageDraw

# -- in-browser behaviours ----------------------------------------------------------------------------------

CLEAR_RESULT = "() => [null, null]"
RANDOM_SEED = "() => -1"
# After a video arrives: on a phone the result sits below the form, so bring its top to the top of the screen
# (the player grows as the video loads, downwards). A desktop page, where it is already in view, stays put.
SHOW_RESULT = """() => {
    const result = document.querySelector('#video');
    if (!result) return;
    const box = result.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) result.scrollIntoView({behavior: 'smooth', block: 'start'});
}"""


# What a clip's own actions (Reproduce, Extend, Reuse this seed) and a Stop follow, in the browser: a clip on the
# page (the result's video or manifest holds a value), a job running. Gradio applies an object with
# `__type__: 'update'` that a `js=` function returns as it applies `gr.update(...)`.
HAS_CLIP = "(value) => !!value && typeof value === 'object' && Object.keys(value).length > 0"


_QUIET = dict(api_visibility="private", queue=False, show_progress="hidden")


def _updates(count: int, interactive: str) -> str:
    update = f"{{__type__: 'update', interactive: {interactive}}}"
    return update if count == 1 else "[" + ", ".join([update] * count) + "]"


def enabled_with_a_clip(result, *actions: gr.Button) -> None:
    """`actions` need a clip: disabled (give them `interactive=False`) until `result`, the clip's manifest or
    video, holds one, and again once it is cleared."""
    js = f"(result) => {{ const on = ({HAS_CLIP})(result); return {_updates(len(actions), 'on')}; }}"
    result.change(None, inputs=result, outputs=list(actions), js=js, **_QUIET)


def stop_on_click(stop: gr.Button, start: gr.Button) -> None:
    """`stop` (made with `interactive=False`) is enabled in the browser as `start` is clicked. Wire it before
    `start`'s GPU event: Gradio's page runs a click's events one after another, in the order they were added, so
    one added after the GPU event would run only once the job has ended."""
    start.click(None, js=f"() => ({_updates(1, 'true')})", outputs=stop, **_QUIET)


def stop_off_after(stop: gr.Button, job) -> None:
    """`stop` is disabled again when `job` ends: done, failed or stopped. Not after its validator refuses it:
    Gradio's page then runs no further event of that click, `.then` included, so Stop stays on (a click on it
    only says "Stopped") until the next job ends."""
    job.then(None, js=f"() => ({_updates(1, 'false')})", outputs=stop, **_QUIET)


def seed_of(manifest) -> tuple:
    """The last video's seed into the seed box, with the Advanced section opened so the change is seen."""
    seed = manifest.get("seed") if isinstance(manifest, dict) else None
    if not isinstance(seed, int) or isinstance(seed, bool):
        gr.Warning("No video yet: make one, then reuse its seed.")
        return gr.update(), gr.update()
    return seed, gr.Accordion(open=True)


# -- examples -----------------------------------------------------------------------------------------------

# (label shown, prompt): short labels keep the list compact on a phone.
EXAMPLE_PROMPTS = (
    ("Paper boat in the rain", "A paper boat drifting down a rain-soaked street at dusk, neon reflections, cinematic"),
    ("Fox in the snow", "A red fox trotting through fresh snow in a pine forest, morning light, slow motion"),
    ("Clouds over a ridge", "Time-lapse of clouds rolling over a mountain ridge, golden hour"),
)
PICTURE_EXAMPLE = ("Lighthouse at sunset, from a picture", "The sun sinks into the sea as the lighthouse lamp turns on")


def example_picture(folder: Path) -> Path:
    """A start picture for the image-to-video example, drawn here (a sunset over the sea and a lighthouse), so
    the repository carries no binary and the example works offline."""
    path = folder / "reel-example-sunset.png"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    width, height, horizon = 512, 320, 200
    picture = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(picture)
    for y in range(horizon):  # sky: deep blue at the top to orange at the horizon
        t = y / horizon
        draw.line([(0, y), (width, y)], fill=(int(30 + 220 * t), int(40 + 110 * t), int(110 - 60 * t)))
    draw.ellipse([230, horizon - 40, 310, horizon + 40], fill=(255, 200, 90))
    draw.rectangle([0, horizon, width, height], fill=(20, 50, 90))  # the sea, hiding the sun's lower half
    draw.polygon([(395, horizon + 10), (425, horizon + 10), (418, 110), (402, 110)], fill=(235, 235, 230))
    draw.rectangle([398, 96, 422, 110], fill=(255, 230, 120))
    picture.save(path)
    return path


def accept_edit(value) -> None:
    """Does nothing: running it is what clears the field's inline refusal in the browser (gradio clears an
    event's inputs' errors when the event starts)."""


# -- look ---------------------------------------------------------------------------------------------------

# Reel's own red, as a full hue so gradio can derive hovers, borders and the dark mode from it.
REEL_RED = gr.themes.Color(
    name="reel", c50="#fff1f3", c100="#ffe0e6", c200="#ffc6d2", c300="#ff9bb0", c400="#ff6088", c500="#f72f60",
    c600="#dc1448", c700="#b90c3c", c800="#9a0e39", c900="#830f36", c950="#49031a",
)
SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def reel_theme() -> gr.themes.Base:
    """For `launch(theme=...)`. System fonts only: the stock theme's web fonts come from Google, which an
    offline or privacy-minded Space should not call."""
    return gr.themes.Base(
        primary_hue=REEL_RED, secondary_hue="slate", neutral_hue="slate", radius_size="md",
        font=SYSTEM_FONTS, font_mono=MONO_FONTS,
    ).set(
        button_primary_background_fill="*primary_600",
        button_primary_background_fill_hover="*primary_700",
        button_primary_text_color="white",
        body_text_color_subdued="*neutral_600",  # readable hints: the stock grey is below 4.5:1 on white
        color_accent="*primary_600",  # the selected tab's text: the stock *primary_500 is 3.8:1 on white
    )


PAGE_CSS = """
#preview-banner { border-left: 6px solid #d97706; background: #fffbeb; color: #451a03; padding: 6px 14px;
                  border-radius: var(--radius-md); }
.dark #preview-banner { background: #3b2505; color: #fef3c7; }
#preview-banner p { margin: 0; }
#preview-banner summary { cursor: pointer; }
#preview-banner details[open] summary { margin-bottom: 4px; }
#reel-header h1 { margin-bottom: 0; }
#reel-header p { margin-top: 2px; }
#generate { font-size: var(--text-lg); }

/* The token box and, beside it, "Remember" and Forget: one line at every width. */
#token-row { flex-wrap: nowrap; gap: var(--spacing-md); }
#token-row > #access-token { flex: 1 1 0; min-width: 0 !important; }
#remember-column { flex: 0 0 280px; min-width: 0 !important; gap: var(--spacing-sm); justify-content: center; }
@media (max-width: 640px) { #remember-column { flex-basis: 150px; } }

/* Wrapped tabs on a plain background: Gradio lines each row with a gradient, behind which axe cannot check the
   tabs' text contrast. */
#tabs .tab-container { background: none; }

/* Gradio's empty-value placeholder (an icon in an empty video, JSON or gallery box) is a <div> with an aria-label
   and no role, which axe reports (aria-prohibited-attr); the icon says nothing the box's label does not. */
.block .empty[aria-label] { visibility: hidden; }

/* Text colours of Gradio's JSON viewer and code editor on a light page: the stock ones (#ce9178, #d08770 ...) are
   under 3:1 on white. These are 5.4:1 or more; the dark page keeps Gradio's. */
body:not(.dark) .json-node { --text-color: #953800; --string-color: #0a3069; --number-color: #0550ae;
    --bracket-color: #2f6f6e; --square-bracket-color: #9b2335; --punctuation-color: #4b5563;
    --line-number-color: #5f6b7a; }
body:not(.dark) .cm-editor .cm-line span { color: var(--body-text-color); }
"""
