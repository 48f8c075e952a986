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
    )


PAGE_CSS = """
#preview-banner { border-left: 6px solid #d97706; background: #fffbeb; color: #451a03; padding: 10px 14px;
                  border-radius: var(--radius-md); }
.dark #preview-banner { background: #3b2505; color: #fef3c7; }
#preview-banner p { margin: 0; }
#reel-header h1 { margin-bottom: 0; }
#reel-header p { margin-top: 2px; }
#generate { font-size: var(--text-lg); }
"""
