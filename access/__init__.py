"""Operator-issued access tokens for Reel: format, storage, quotas, gate and CLI.

The standard library plus SQLAlchemy (and Alembic, psycopg) for the database, so importing it never pulls in
torch, gradio or numpy (``access.hf`` imports huggingface_hub lazily, inside its default whoami).
"""

from .audit import AuditEntry, AuditLog, prompt_digest
from .common import (
    DATABASE_UNAVAILABLE_MESSAGE,
    HF_DENIED_MESSAGE,
    INVALID_TOKEN_MESSAGE,
    MISSING_TOKEN_MESSAGE,
    AccessDenied,
    GateUnavailable,
    Grant,
    QuotaExceeded,
)
from .db import DatabaseError, database_problem
from .export import EXPORT_PREFIX, MergeReport, check_export_from_env, merge_export_from_env
from .gate import Gate, StartupReport, check_access
from .hf import AllowList, oauth_profile_allowed, verify_hf_token
from .lockout import Lockout, client_id, trusted_proxy_hops_from_env
from .quota import Reservation, UsageRow
from .slots import JobSlots, TooManyJobs
from .store import (
    InvalidLabel,
    LabelInUse,
    TokenInfo,
    TokenRecord,
    TokenStore,
    default_data_dir,
    default_store,
)
from .timeutil import parse_duration
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
    "AllowList",
    "AuditEntry",
    "AuditLog",
    "DATABASE_UNAVAILABLE_MESSAGE",
    "DatabaseError",
    "EXPORT_PREFIX",
    "Gate",
    "GateUnavailable",
    "Grant",
    "HF_DENIED_MESSAGE",
    "INVALID_TOKEN_MESSAGE",
    "InvalidLabel",
    "JobSlots",
    "LabelInUse",
    "Lockout",
    "MISSING_TOKEN_MESSAGE",
    "MergeReport",
    "QuotaExceeded",
    "Reservation",
    "StartupReport",
    "TOKEN_LENGTH",
    "TOKEN_PREFIX",
    "TokenInfo",
    "TokenRecord",
    "TokenStore",
    "TooManyJobs",
    "UsageRow",
    "check_access",
    "check_export_from_env",
    "client_id",
    "database_problem",
    "default_data_dir",
    "default_store",
    "hash_token",
    "is_well_formed",
    "merge_export_from_env",
    "new_token",
    "oauth_profile_allowed",
    "parse_duration",
    "prompt_digest",
    "token_from_authorization",
    "trusted_proxy_hops_from_env",
    "verify_hf_token",
]
