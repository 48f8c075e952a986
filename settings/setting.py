"""What one setting is (plain data) and how its text is read, kind by kind.

Every rule and every error message lives here, so two settings of the same kind are read the same way and refused
with the same words. Standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The kinds of value a setting holds. Text kinds accept anything; the others have a rule and refuse the rest.
WHOLE = "whole number"  # plain ASCII digits (no sign, no point, no exponent), at least `least`
NUMBER = "number"  # a finite decimal number above zero
FLAG = "flag"  # 1, true or yes; 0, false or no (any case)
TEXT = "text"  # anything; spaces around it are dropped
EXACT_TEXT = "exact text"  # anything, kept exactly as given (spaces count): a key whose every byte matters
PATH = "path"  # a file or folder path; spaces around it are dropped
LIST = "comma list"  # comma-separated items, each stripped, empty items dropped
CHOICE = "choice"  # exactly one of `choices`
DATABASE_URL = "database URL"  # postgresql://... (or postgres://...): the only database server Reel speaks to
KINDS = (WHOLE, NUMBER, FLAG, TEXT, EXACT_TEXT, PATH, LIST, CHOICE, DATABASE_URL)
DATABASE_SCHEMES = ("postgresql://", "postgres://")

FLAG_ON = ("1", "true", "yes")
FLAG_OFF = ("0", "false", "no")
SHOWN_CHARACTERS = 40  # of a refused value, so a pasted file never fills the message


class SettingError(ValueError):
    """A setting's value breaks its rule. The message is one line naming the setting, what it must be and (unless
    the setting is a secret) the value given."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class Setting:
    """One REEL_* environment variable, declared once in settings/declared.py."""

    name: str
    kind: str  # one of KINDS
    default: Any  # the value when unset or empty; None when the reader decides (default_text says how)
    what: str  # a few words on what the value is or counts, used in error messages
    meaning: str  # one line of Markdown for docs/configuration.md
    read_by: str  # the module(s) that read it
    least: int = 0  # whole numbers: the smallest allowed
    choices: tuple[str, ...] = ()  # choice: the values allowed
    default_text: str = ""  # Markdown for the docs' default column, when the bare default would not say it
    secret: bool = False  # a key or a secret's neighbour: its value is never shown in a message

    @property
    def rule(self) -> str:
        """What a value must be, as the error message and the docs' kind column say it."""
        if self.kind == WHOLE:
            return f"a whole number, {self.least} or more ({self.what})"
        if self.kind == NUMBER:
            return f"a number above zero ({self.what})"
        if self.kind == FLAG:
            return "1, true or yes (or 0, false, no)"
        if self.kind == CHOICE:
            return f"one of {', '.join(self.choices)} ({self.what})"
        if self.kind == DATABASE_URL:
            return "a PostgreSQL URL, postgresql://user:password@host:port/database"
        return self.kind  # text kinds accept anything, so no message ever says this

    def refuse(self, text: str) -> SettingError:
        shown = "" if self.secret else f", not {text[:SHOWN_CHARACTERS]!r}"
        return SettingError(self.name, f"{self.name} must be {self.rule}{shown}")

    def parse(self, raw: str | None) -> Any:
        """The value the environment's text stands for (`raw` is None when the variable is unset); the default
        when unset or empty. Raises SettingError when the text breaks the kind's rule."""
        if self.kind == EXACT_TEXT:
            return raw if raw else self.default
        text = (raw or "").strip()
        if not text:
            return self.default
        if self.kind == WHOLE:
            if not (text.isascii() and text.isdigit()) or int(text) < self.least:
                raise self.refuse(text)
            return int(text)
        if self.kind == NUMBER:
            return self._number(text)
        if self.kind == FLAG:
            if text.lower() not in FLAG_ON + FLAG_OFF:
                raise self.refuse(text)
            return text.lower() in FLAG_ON
        if self.kind == CHOICE:
            if text not in self.choices:
                raise self.refuse(text)
            return text
        if self.kind == LIST:
            return split_list(text)
        if self.kind == PATH:
            return Path(text)
        if self.kind == DATABASE_URL and not text.startswith(DATABASE_SCHEMES):
            raise self.refuse(text)
        return text

    def _number(self, text: str) -> float:
        try:
            value = float(text) if text.isascii() else math.nan
        except ValueError:
            raise self.refuse(text) from None
        if not math.isfinite(value) or value <= 0:
            raise self.refuse(text)
        return value


def split_list(text: str) -> tuple[str, ...]:
    """A comma list's items: each stripped, empty ones dropped, order and repeats kept."""
    return tuple(item.strip() for item in text.split(",") if item.strip())
