"""The check the app runs before every generation.

Deliberately cheap and stdlib-only: a malformed token is refused by its shape
alone, without opening SQLite.  Malformed, unknown and revoked tokens all get
the same message so the response tells an attacker nothing about which it was.
"""

from __future__ import annotations

from .store import TokenRecord, TokenStore

MISSING_TOKEN_MESSAGE = (
    "An access token is required to generate. Ask the Space's operator for one."
)
INVALID_TOKEN_MESSAGE = "That access token is not valid, or it has been revoked."


class AccessDenied(Exception):
    """Refusal with a user-facing ``message`` that never contains the token."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_access(store: TokenStore, token: str | None) -> TokenRecord:
    """Return the token's record, or raise AccessDenied with a fixed message."""
    if token is None:
        raise AccessDenied(MISSING_TOKEN_MESSAGE)
    if not isinstance(token, str):
        raise AccessDenied(INVALID_TOKEN_MESSAGE)
    token = token.strip()
    if not token:
        raise AccessDenied(MISSING_TOKEN_MESSAGE)
    record = store.verify(token)
    if record is None:
        raise AccessDenied(INVALID_TOKEN_MESSAGE)
    return record
