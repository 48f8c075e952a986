"""The page's look and its small in-browser behaviours: Reel's theme and CSS, the JavaScript snippets that run
without a server round trip (clearing an old result, a random seed, scrolling to a finished video), the start
picture the examples use, and the secret that encrypts a remembered token.

The snippets are gradio `js=` functions: they receive the event's input values and return its outputs' values.
"""

from __future__ import annotations

import gradio as gr

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
