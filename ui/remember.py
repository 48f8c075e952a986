"""'Remember my token on this device': opt-in, off by default, kept encrypted in the browser's localStorage.

`gr.BrowserState` encrypts what it stores (AES, with a key derived from `secret`) in the browser. The secret
comes from REEL_BROWSER_SECRET or is made once and kept in the data dir, so a restart does not make every
remembered token unreadable. What this protects against, and what not: the page hands the secret to the
browser to decrypt with, so the stored value is unreadable to whoever reads the storage or a disk copy of the
profile without the page, but not to a script running on the page itself (the same as the token box).

Everything runs in the browser (`js=` events): remembering or forgetting never sends the token anywhere.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import gradio as gr

from settings import read_setting

logger = logging.getLogger("reel.app")

STORAGE_KEY = "reel-access-token"
SECRET_FILE = "browser-secret"

# BrowserState stores nothing for a falsy value, so a forgotten token is stored as {"token": ""}, which
# replaces the old one, instead of as "" (which would leave the old one in place).
RESTORE = "(stored, token) => (stored && stored.token) ? [stored.token, true] : [token, false]"
ON_TICK = "(remember, token) => ({token: remember ? token : ''})"
ON_TYPE = "(token, remember, stored) => remember ? {token: token} : stored"
FORGET = "() => [{token: ''}, false, '']"


def browser_secret(data_dir: Path) -> str:
    """REEL_BROWSER_SECRET, else the one kept in the data dir (made on first use, readable by this user only)."""
    configured = read_setting("REEL_BROWSER_SECRET")
    if configured:
        return configured
    path = data_dir / SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    made = secrets.token_urlsafe(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(made)
    logger.info("Made the secret that encrypts remembered tokens: %s", path)
    return made


def remember_token(demo: gr.Blocks, access_token: gr.Textbox, secret: str) -> None:
    """The checkbox and the Forget button, in a narrow column meant to sit beside the token box (ui/demo.py puts
    both in one row, which the page's CSS keeps on one line on a phone), and their in-browser events."""
    stored = gr.BrowserState({"token": ""}, storage_key=STORAGE_KEY, secret=secret)
    with gr.Column(scale=0, min_width=150, elem_id="remember-column"):
        remember = gr.Checkbox(
            label="Remember my token on this device (encrypted)", value=False, container=False,
            elem_id="remember-token",
        )
        forget = gr.Button("Forget", size="sm", elem_id="forget-token")
    quiet = dict(api_visibility="private", queue=False, show_progress="hidden")
    demo.load(None, inputs=[stored, access_token], outputs=[access_token, remember], js=RESTORE, **quiet)
    remember.input(None, inputs=[remember, access_token], outputs=stored, js=ON_TICK, **quiet)
    access_token.input(None, inputs=[access_token, remember, stored], outputs=stored, js=ON_TYPE, **quiet)
    forget.click(None, outputs=[stored, remember, access_token], js=FORGET, **quiet)
