"""Shared by the store, gate and HF modules: user-facing messages, refusals and grants.

Kept dependency-free so every other module can import it without cycles.
Every message here is shown to visitors, so none may contain a token, a hash
or anything else the visitor sent.
"""

from __future__ import annotations

import dataclasses
import math
import re

MISSING_TOKEN_MESSAGE = (
    "An access token is required to generate. Ask the Space's operator for one."
)
# One message for unknown, malformed, revoked and expired tokens: no oracle.
INVALID_TOKEN_MESSAGE = "That access token is not valid, or it has been revoked."
HF_DENIED_MESSAGE = (
    "Your Hugging Face sign-in could not be verified, or your account is not "
    "allowed to generate on this Space."
)
QUOTA_RESET_NOTE = "the quota resets at 00:00 UTC."


class AccessDenied(Exception):
    """Refusal with a user-facing ``message`` that never contains the token."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


DATABASE_UNAVAILABLE_MESSAGE = (
    "Reel cannot reach its database just now, so it cannot check your token or quota. Nothing was charged; "
    "try again in a minute."
)


class GateUnavailable(AccessDenied):
    """The gate's database cannot be reached: the request is refused before any GPU time, and it is not a failed
    attempt (no lockout count), since the visitor did nothing wrong."""

    def __init__(self) -> None:
        super().__init__(DATABASE_UNAVAILABLE_MESSAGE)


class QuotaExceeded(AccessDenied):
    """A valid grant has no quota left today; not a failed attempt.

    Subclasses AccessDenied so code that already shows ``denied.message``
    (app.py) shows quota refusals too.
    """


@dataclasses.dataclass(frozen=True)
class Grant:
    """Who was let in: a token label (source "token") or an HF username (source "hf").

    Limits are carried only for HF grants; a token's limits are re-read from
    the store on every reservation so an operator's change applies at once.
    """

    label: str
    source: str = "token"
    daily_limit: int | None = None
    daily_seconds: float | None = None

    @property
    def quota_key(self) -> str:
        """Key of this grant's reservations: the label, or ``hf:<username>``.

        ':' is not allowed in token labels, so the two can never collide.
        """
        if self.source == "hf":
            return "hf:" + self.label.lower()
        return self.label


def format_seconds(value: float) -> str:
    """``5`` for whole numbers, else one decimal: quota messages stay short."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def clips_quota_message(limit: int, who: str = "This token", used: int | None = None, asked: int = 1) -> str:
    noun = "clip" if limit == 1 else "clips"
    if used is not None and asked > 1 and used < limit:  # some left, not enough for every shot
        return (
            f"{who} has {limit - used} of its {limit} {noun} left for today, not enough for {asked} shots. "
            f"Use fewer shots, or wait: {QUOTA_RESET_NOTE}"
        )
    return f"{who} has used its {limit} {noun} for today; {QUOTA_RESET_NOTE}"


def seconds_quota_message(
    limit: float, used: float, asked: float, who: str = "This token"
) -> str:
    left = max(0.0, limit - used)
    if left < 0.05:  # nothing worth asking for is left
        return (
            f"{who} has used its {format_seconds(limit)} seconds of video for "
            f"today; {QUOTA_RESET_NOTE}"
        )
    return (
        f"{who} has {format_seconds(left)} of its {format_seconds(limit)} seconds "
        f"of video left for today, not enough for a {format_seconds(asked)}-second "
        f"clip. Ask for a shorter clip, or wait: {QUOTA_RESET_NOTE}"
    )


def lockout_message(seconds_left: float) -> str:
    """Minutes are rounded up and at least 1, so "try again in 1 minute" never lies."""
    minutes = max(1, math.ceil(seconds_left / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed attempts; try again in {minutes} {unit}."


LABEL_PATTERN = re.compile(r"[A-Za-z0-9._@-]{1,64}", re.ASCII)
LABEL_RULES = "1-64 characters of letters, digits, '.', '_', '-' or '@'"


class InvalidLabel(ValueError):
    """The label breaks the naming rules in LABEL_RULES."""


def validate_label(label: object) -> str:
    """Return ``label`` unchanged if it follows LABEL_RULES, else raise InvalidLabel."""
    if not isinstance(label, str) or not LABEL_PATTERN.fullmatch(label):
        raise InvalidLabel(f"invalid label {label!r}: use {LABEL_RULES}")
    return label
