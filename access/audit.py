"""Audit log of generation attempts, in the ``audit`` table of the token store's file.

Each row: time, subject (token label or ``hf:<user>``), client, outcome,
seconds of video and a prompt hash.  Never a secret: subjects and clients are
checked against their expected shapes and anything else is replaced or
hashed, so a token sent as a client id or a label cannot land in the table.
The prompt itself is stored only when the operator sets
``REEL_AUDIT_PROMPTS=1``, and even then token-shaped strings are redacted.

The prompt hash is HMAC-SHA256 (hex) under a key derived from the pepper, or
a fixed key without one: domain-separated, so hashing a token sent as the
prompt never reproduces that token's stored hash.  ``prompt_digest``
recomputes it for an operator who wants to match a known prompt.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import re
import threading
from typing import Any

from sqlalchemy import text

from settings import read_setting

from .timeutil import to_iso
from .tokens import is_well_formed

OUTCOMES = frozenset(
    {"ok", "denied", "locked", "quota", "failed", "invalid_input", "cancelled"}
    # what an admin did (access/admin.py); the subject is the token label acted on, or the admin for a read
    | {"admin_issue", "admin_limits", "admin_revoke", "admin_tokens", "admin_usage", "admin_audit", "admin_export"}
)
AUDIT_PROMPTS_ENV = "REEL_AUDIT_PROMPTS"
MAX_STORED_PROMPT_CHARS = 2000
RETENTION_DAYS = 90
_PRUNE_EVERY = 500
_FIXED_KEY = b"reel-audit-prompt-v1"
_SUBJECT = re.compile(r"(?:hf:)?[A-Za-z0-9._@-]{1,96}", re.ASCII)
_CLIENT = re.compile(r"[0-9A-Fa-f:./]{1,64}|unknown|invalid-forwarded-for", re.ASCII)
_SECRETISH = re.compile(r"(?:reel|hf|api_org)_[0-9A-Za-z]{16,}", re.ASCII)
REDACTED = "[redacted token]"


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    subject: str | None
    client: str
    outcome: str
    seconds: float | None
    prompt_sha256: str | None
    prompt: str | None


def prompt_digest(prompt: str, pepper: bytes | None) -> str:
    """Hex HMAC-SHA256 of the prompt under the audit key (see module docstring)."""
    key = hmac.new(pepper, _FIXED_KEY, hashlib.sha256).digest() if pepper else _FIXED_KEY
    return hmac.new(key, prompt.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def redact_secrets(text: str) -> str:
    """Replace anything shaped like a Reel or Hugging Face token."""
    return _SECRETISH.sub(REDACTED, text)


def audit_prompts_from_env() -> bool:
    """REEL_AUDIT_PROMPTS, a flag: on with 1, true or yes; SettingError for anything but a flag's words."""
    return read_setting(AUDIT_PROMPTS_ENV)


class AuditLog:
    """Writes and reads audit rows through a TokenStore's connection plumbing."""

    def __init__(
        self,
        store: Any,
        record_prompts: bool | None = None,
        retention_days: int = RETENTION_DAYS,
    ) -> None:
        self._store = store
        self.record_prompts = (
            audit_prompts_from_env() if record_prompts is None else bool(record_prompts)
        )
        self.retention_days = retention_days
        self._lock = threading.Lock()
        self._writes = 0

    def describe_prompt(self, prompt: object) -> tuple[str | None, str | None]:
        """(hash, text to store or None) for a prompt; text only if prompts are audited."""
        if not isinstance(prompt, str):
            return None, None
        digest = prompt_digest(prompt, self._store._pepper)
        text = None
        if self.record_prompts:
            text = redact_secrets(prompt[: MAX_STORED_PROMPT_CHARS * 2])
            text = text[:MAX_STORED_PROMPT_CHARS]
        return digest, text

    def record(
        self,
        outcome: str,
        *,
        client: str,
        subject: str | None = None,
        seconds: float | None = None,
        prompt: object = None,
        prompt_sha256: str | None = None,
        prompt_text: str | None = None,
    ) -> None:
        """Append one row. Pass ``prompt`` raw, or an already described hash/text pair."""
        if prompt is not None:
            prompt_sha256, prompt_text = self.describe_prompt(prompt)
        elif prompt_text is not None:
            prompt_text = redact_secrets(prompt_text)[:MAX_STORED_PROMPT_CHARS]
        if prompt_sha256 is not None and not re.fullmatch(r"[0-9a-f]{64}", prompt_sha256):
            prompt_sha256 = None
        row = (to_iso(self._store._now()), outcome, subject, client, seconds, prompt_sha256, prompt_text)
        self._insert([row])

    def record_refusals(self, refusals: list[tuple[datetime.datetime, str, str]]) -> None:
        """Append (time, "denied" or "locked", client) rows in one transaction: one disk sync for a batch."""
        self._insert([(to_iso(at), outcome, None, client, None, None, None) for at, outcome, client in refusals])

    def _insert(self, rows: list[tuple]) -> None:
        """Rows of (at, outcome, subject, client, seconds, prompt_sha256, prompt text), checked and made safe here;
        prunes old rows every _PRUNE_EVERY writes."""
        values = []
        for at, outcome, subject, client, seconds, digest, prompt in rows:
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown audit outcome {outcome!r}")
            values.append({
                "at": at,
                "subject": self._safe_subject(subject),
                "client": self._safe_client(client),
                "outcome": outcome,
                "seconds": None if seconds is None else float(seconds),
                "prompt_sha256": digest,
                "prompt": prompt if self.record_prompts else None,
            })
        with self._store._write() as conn:
            conn.execute(
                text("INSERT INTO audit (at, subject, client, outcome, seconds, prompt_sha256, prompt)"
                     " VALUES (:at, :subject, :client, :outcome, :seconds, :prompt_sha256, :prompt)"),
                values,
            )
        with self._lock:
            before, self._writes = self._writes, self._writes + len(values)
            due = (self._writes - 1) // _PRUNE_EVERY != (before - 1) // _PRUNE_EVERY  # 1st, 501st, ... write
        if due:
            self.prune()

    def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The newest ``limit`` rows, newest first."""
        with self._store._read() as conn:
            rows = conn.execute(
                text("SELECT id, at, subject, client, outcome, seconds, prompt_sha256, prompt"
                     " FROM audit ORDER BY id DESC LIMIT :limit"),
                {"limit": max(0, int(limit))},
            ).fetchall()
        return [AuditEntry(*row) for row in rows]

    def prune(self) -> int:
        """Delete rows older than ``retention_days`` so the table cannot grow forever."""
        cutoff = self._store._now() - datetime.timedelta(days=self.retention_days)
        with self._store._write() as conn:
            return conn.execute(text("DELETE FROM audit WHERE at < :cutoff"), {"cutoff": to_iso(cutoff)}).rowcount

    def _safe_subject(self, subject: object) -> str | None:
        if subject is None:
            return None
        if not isinstance(subject, str) or not _SUBJECT.fullmatch(subject):
            return "[invalid]"
        if is_well_formed(subject) or _SECRETISH.search(subject):
            return REDACTED
        return subject

    def _safe_client(self, client: object) -> str:
        if isinstance(client, str) and _CLIENT.fullmatch(client):
            return client
        raw = client if isinstance(client, str) else repr(type(client))
        return "h:" + prompt_digest(raw, self._store._pepper)[:16]
