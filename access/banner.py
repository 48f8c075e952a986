"""What `make run` shows about the first token: a box that stands out from the server's start-up output, and on
later starts one line saying how to get another (the token itself is kept only as a hash, so it cannot be shown
again)."""

from __future__ import annotations

import sys
from pathlib import Path


def cli_command(data_dir: Path | None = None) -> str:
    """This CLI as the person can type it again from where they are: `.venv/bin/python -m access` after
    `make run`, the interpreter's full path when it is not under the current directory."""
    python = Path(sys.executable)
    try:
        shown = str(python.relative_to(Path.cwd()))  # not resolved: a venv's python is a symlink to the system's
    except ValueError:
        shown = str(python)
    command = f"{shown} -m access"
    return command if data_dir is None else f"{command} --data-dir {data_dir}"


def token_box(token: str, label: str, limits: str, command: str) -> str:
    """The token in an ASCII box (any terminal shows it), with what it is for and how to get, list and revoke
    tokens."""
    lines = [
        f"Your Reel access token ({label!r}; {limits}):",
        "",
        f"    {token}",
        "",
        "Paste it into the \"Access token\" box at the top of Reel's page (the",
        "address is printed below as \"Running on local URL\"). API and MCP",
        "callers send it as access_token or as \"Authorization: Bearer <token>\".",
        "It is shown only this once: Reel keeps only a hash, so copy it now.",
        "",
        "Lost it? Issue another:",
        f"    {command} issue --label NAME",
        "See all tokens:",
        f"    {command} list",
        "Revoke one:",
        f"    {command} revoke LABEL",
    ]
    width = max(len(line) for line in lines)
    rule = "+" + "=" * (width + 4) + "+"
    body = [f"|  {line.ljust(width)}  |" for line in ["", *lines, ""]]
    return "\n".join(["", rule, *body, rule, ""])


def token_exists_reminder(command: str) -> str:
    """One line for every later start: never the token, which is kept only as a hash."""
    return (
        "An active access token already exists, so none was issued; tokens are kept only as hashes and cannot be "
        f"shown again. Get another: {command} issue --label NAME"
    )
