"""docs/configuration.md's table of settings, made from the declarations, so the page cannot drift from the code.

The page holds the table between BEGIN and END; `python -m settings --update-docs` rewrites what lies between them
and a test fails when it differs from `markdown_table()`.
"""

from __future__ import annotations

from pathlib import Path

from .declared import DECLARED
from .setting import CHOICE, FLAG_OFF, FLAG_ON, NUMBER, WHOLE, Setting

CONFIGURATION_DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
UPDATE_COMMAND = "python -m settings --update-docs"
BEGIN = f"<!-- BEGIN settings table: made from settings/declared.py by `{UPDATE_COMMAND}`; edit there, not here -->"
END = "<!-- END settings table -->"


def kind_text(setting: Setting) -> str:
    if setting.kind == WHOLE:
        text = f"whole number, {setting.least} or more"
    elif setting.kind == NUMBER:
        text = "number above zero"
    elif setting.kind == CHOICE:
        text = "one of " + ", ".join(f"`{choice}`" for choice in setting.choices)
    else:
        text = setting.kind
    return text + (", secret" if setting.secret else "")


def default_text(setting: Setting) -> str:
    if setting.default_text:
        return setting.default_text
    value = setting.default
    if value is None or value == ():
        return "unset"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`"


def markdown_table() -> str:
    """The table, then a line on how each kind is read."""
    rows = [
        "| setting | kind | default | meaning | read by |",
        "| --- | --- | --- | --- | --- |",
    ]
    for setting in DECLARED:
        readers = ", ".join(f"`{reader.strip()}`" for reader in setting.read_by.split(","))
        rows.append(
            f"| `{setting.name}` | {kind_text(setting)} | {default_text(setting)} | {setting.meaning} | {readers} |"
        )
    on, off = (", ".join(f"`{word}`" for word in words) for words in (FLAG_ON, FLAG_OFF))
    kinds = (
        "A *whole number* is plain digits (no sign, point or unit); a *number* may have a point; a *flag* is on "
        f"with {on} and off with {off} (any case) or unset; a *comma list* drops spaces and empty items; *exact text* "
        "keeps spaces; a *secret*'s value is never shown in a message."
    )
    return "\n".join(rows) + "\n\n" + kinds


def with_table(doc: str) -> str:
    """`doc` with the text between BEGIN and END replaced by the current table."""
    head, begin, rest = doc.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"{CONFIGURATION_DOC.name} has lost its markers; put back the lines {BEGIN!r} and {END!r}")
    return f"{head}{BEGIN}\n{markdown_table()}\n{END}{tail}"
