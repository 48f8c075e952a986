"""Access-token format: generation, offline shape checks, hashing, header parsing.

A token is ``reel_`` + 43 base62 chars of secret + 6 base62 chars of CRC32
checksum.  Only base62 follows the prefix, so a double-click selects the whole
token, and the checksum lets us reject typos and junk without touching the
database.  Nothing here imports anything beyond the standard library.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib

TOKEN_PREFIX = "reel_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ALPHABET_SET = frozenset(_ALPHABET)
_SECRET_BYTES = 32
# 62**43 > 2**256 > 62**42, so 43 chars always hold 32 random bytes.
BODY_LENGTH = 43
# 62**6 > 2**32, so 6 chars always hold a CRC32.
CHECKSUM_LENGTH = 6
TOKEN_LENGTH = len(TOKEN_PREFIX) + BODY_LENGTH + CHECKSUM_LENGTH  # 54


def _base62(value: int, width: int) -> str:
    """Encode a non-negative int as base62, left-padded with '0' to ``width``."""
    chars = []
    while value:
        value, digit = divmod(value, 62)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars)).rjust(width, _ALPHABET[0])


def _checksum(prefix_and_body: str) -> str:
    return _base62(zlib.crc32(prefix_and_body.encode("ascii")), CHECKSUM_LENGTH)


def new_token() -> str:
    """Return a fresh random token; callers must store only its hash."""
    secret = int.from_bytes(secrets.token_bytes(_SECRET_BYTES), "big")
    head = TOKEN_PREFIX + _base62(secret, BODY_LENGTH)
    return head + _checksum(head)


def is_well_formed(token: object) -> bool:
    """True if ``token`` has our prefix, length, alphabet and a matching checksum.

    Used to reject garbage before any database lookup, so it must be cheap
    (length is checked first, so a 1 MB string costs nothing) and must never
    raise, whatever it is given.
    """
    try:
        if not isinstance(token, str) or len(token) != TOKEN_LENGTH:
            return False
        if not token.startswith(TOKEN_PREFIX):
            return False
        rest = token[len(TOKEN_PREFIX):]
        if not all(ch in _ALPHABET_SET for ch in rest):
            return False
        head, check = token[:-CHECKSUM_LENGTH], token[-CHECKSUM_LENGTH:]
        return hmac.compare_digest(_checksum(head), check)
    except Exception:  # e.g. a str subclass with hostile methods
        return False


def hash_token(token: str, pepper: bytes | None) -> str:
    """Hex digest stored in place of the token.

    With a pepper (a server-side secret kept out of the database) this is
    HMAC-SHA256, so a leaked database alone cannot be used to test guesses.
    An empty pepper counts as no pepper, matching how REEL_TOKEN_PEPPER is read.
    """
    data = token.encode("utf-8")
    if pepper:
        return hmac.new(pepper, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def token_from_authorization(header_value: object) -> str | None:
    """Extract the token from an ``Authorization: Bearer <token>`` value, else None."""
    if not isinstance(header_value, str):
        return None
    parts = header_value.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]
