"""Who may run the gate from the page or a script, without a shell: the operator's admins.

An admin is the Space's owner or an account in REEL_ADMINS, signed in with Hugging Face on the Space, or a caller
holding REEL_ADMIN_TOKEN (a script, or an operator on a phone who pastes it into the page's token box). Anyone
else is answered exactly as a wrong access token is (``Gate.refuse``), so the admin actions do not even show that
they exist. The admin token is kept only as its hash here, and compared in constant time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
from typing import Mapping

from settings import read_settings

ADMINS_ENV = "REEL_ADMINS"
ADMIN_TOKEN_ENV = "REEL_ADMIN_TOKEN"
MIN_ADMIN_TOKEN_CHARACTERS = 32  # a guessable admin token would open every action below to anyone


@dataclasses.dataclass(frozen=True)
class Admins:
    usernames: frozenset[str]  # lower case: Hugging Face usernames are matched in any case
    token_sha256: bytes | None = dataclasses.field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Admins":
        """REEL_ADMINS, the Space's owner (SPACE_AUTHOR_NAME, set on Spaces) and REEL_ADMIN_TOKEN. ValueError, without
        the token, when the token is too short to be safe."""
        environ = os.environ if environ is None else environ
        settings = read_settings(environ, (ADMINS_ENV, ADMIN_TOKEN_ENV))
        names = {name.lower() for name in settings[ADMINS_ENV]}
        if environ.get("SPACE_AUTHOR_NAME"):
            names.add(environ["SPACE_AUTHOR_NAME"].lower())
        token = settings[ADMIN_TOKEN_ENV]
        if token and len(token) < MIN_ADMIN_TOKEN_CHARACTERS:
            raise ValueError(
                f"{ADMIN_TOKEN_ENV} must be at least {MIN_ADMIN_TOKEN_CHARACTERS} characters (for example "
                "`python -c \"import secrets; print(secrets.token_urlsafe(32))\"`)"
            )
        return cls(frozenset(names), hashlib.sha256(token.encode()).digest() if token else None)

    def holds_token(self, presented: object) -> bool:
        """True when ``presented`` is REEL_ADMIN_TOKEN (spaces around it ignored, as in the token box)."""
        if self.token_sha256 is None or not isinstance(presented, str) or not presented.strip():
            return False
        return hmac.compare_digest(hashlib.sha256(presented.strip().encode()).digest(), self.token_sha256)

    def is_admin_account(self, username: object) -> bool:
        """True for a Hugging Face username among the admins; the caller vouches that the sign-in is real."""
        return isinstance(username, str) and username.lower() in self.usernames
