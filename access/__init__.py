"""Operator-issued access tokens for Reel: format, storage, gate and CLI.

Standard library only, so importing it never pulls in torch, gradio or numpy.
"""

from .gate import (
    INVALID_TOKEN_MESSAGE,
    MISSING_TOKEN_MESSAGE,
    AccessDenied,
    check_access,
)
from .store import (
    InvalidLabel,
    LabelInUse,
    TokenRecord,
    TokenStore,
    default_data_dir,
    default_store,
)
from .tokens import (
    TOKEN_LENGTH,
    TOKEN_PREFIX,
    hash_token,
    is_well_formed,
    new_token,
    token_from_authorization,
)

__all__ = [
    "AccessDenied",
    "INVALID_TOKEN_MESSAGE",
    "InvalidLabel",
    "LabelInUse",
    "MISSING_TOKEN_MESSAGE",
    "TOKEN_LENGTH",
    "TOKEN_PREFIX",
    "TokenRecord",
    "TokenStore",
    "check_access",
    "default_data_dir",
    "default_store",
    "hash_token",
    "is_well_formed",
    "new_token",
    "token_from_authorization",
]
