"""The checks the app runs around every generation.

``check_access`` is the bare token check: cheap and stdlib-only, a malformed
token is refused by its shape alone, without opening SQLite, and malformed,
unknown, revoked and expired tokens all get the same message so the response
tells an attacker nothing about which it was.

``Gate`` adds the lockout, quotas and the audit log.  The app calls
``admit`` (in its validator and again when the queued job starts), then
``begin`` / ``succeed`` / ``fail`` around the render.  Audit policy: a
successful ``admit`` writes no row (it runs at least twice per clip and would
only duplicate the row ``succeed`` writes); every refusal does ("denied"), as
do the moment a client gets locked ("locked"), quota refusals ("quota") and
every settled reservation ("ok", "failed", ...).  Attempts refused by an
existing lockout are not logged, so a locked client cannot grow the table.
The app's gate (``from_env``) writes refusal rows behind the answer
(access.refusals), so a wrong token is never answered after a disk sync.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import os
import socket
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from settings import read_setting

from .audit import AuditLog
from .common import (
    HF_DENIED_MESSAGE,
    INVALID_TOKEN_MESSAGE,
    MISSING_TOKEN_MESSAGE,
    AccessDenied,
    GateUnavailable,
    Grant,
    QuotaExceeded,
)
from .db import DatabaseError, database_problem
from .export import MergeReport, merge_export_from_env
from .lockout import Lockout
from .quota import Reservation
from .refusals import RefusalWriter
from .store import TokenRecord, TokenStore, default_store

__all__ = [
    "AccessDenied", "FAILURE_OUTCOMES", "Gate", "Grant", "HF_DENIED_MESSAGE",
    "INVALID_TOKEN_MESSAGE", "MISSING_TOKEN_MESSAGE", "QuotaExceeded", "StartupReport",
    "check_access",
]

# A clip's reservation is pending from the start of its render to its delivery: minutes at most (the GPU duration
# cap is 120 s on ZeroGPU by default; encoding and signing take seconds). An hour-old one is a crash's leftover.
SHARED_LEFTOVER_AGE = datetime.timedelta(hours=1)
SERVER_NAME_ENV = "REEL_SERVER_NAME"
DEFAULT_PORT = "7860"  # Gradio's, when GRADIO_SERVER_PORT is unset

logger = logging.getLogger("reel.access")


def server_name_from_env(environ: Mapping[str, str] | None = None) -> str:
    """This server's name on a shared database: REEL_SERVER_NAME; else the Space's id (the same across its
    restarts, and different for each Space); else this machine's name and the port it serves on."""
    environ = os.environ if environ is None else environ
    named = read_setting(SERVER_NAME_ENV, environ)
    if named:
        return named
    if environ.get("SPACE_ID"):
        return f"space:{environ['SPACE_ID']}"
    return f"{socket.gethostname()}:{environ.get('GRADIO_SERVER_PORT') or DEFAULT_PORT}"
FAILURE_OUTCOMES = frozenset({"failed", "invalid_input", "cancelled"})


def is_missing(token: object) -> bool:
    """No token given: None, or only spaces. Anything else that is not a live token is a wrong one."""
    return token is None or (isinstance(token, str) and not token.strip())


def check_access(store: TokenStore, token: str | None) -> TokenRecord:
    """Return the token's record, or raise AccessDenied with a fixed message."""
    if is_missing(token):
        raise AccessDenied(MISSING_TOKEN_MESSAGE)
    if not isinstance(token, str):
        raise AccessDenied(INVALID_TOKEN_MESSAGE)
    record = store.verify(token.strip())
    if record is None:
        raise AccessDenied(INVALID_TOKEN_MESSAGE)
    return record


@dataclasses.dataclass(frozen=True)
class StartupReport:
    refunded: int  # reservations a crash left pending
    merged: MergeReport  # what $REEL_TOKENS added or revoked


class Gate:
    """Single entry point for the app: token or HF grant, lockout, quota, audit."""

    def __init__(
        self,
        store: TokenStore,
        lockout: Lockout | None = None,
        audit: AuditLog | None = None,
        refusals: RefusalWriter | None = None,
        server_name: str | None = None,
    ) -> None:
        self.store = store
        self.server_name = server_name  # names this server's reservations (see startup)
        self.lockout = lockout if lockout is not None else Lockout()
        self.audit = audit if audit is not None else AuditLog(store)
        self.refusals = refusals  # None: refusal rows are written before ``admit`` raises

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> "Gate":
        """The app's gate: default store, 20 failures / 10 min, REEL_AUDIT_PROMPTS, refusal rows written
        behind the answer."""
        store = default_store(data_dir)
        audit = AuditLog(store)
        refusals = RefusalWriter(audit, remember_lock=store.remember_lock)
        return cls(store, audit=audit, refusals=refusals, server_name=server_name_from_env())

    def open(self) -> None:
        """Reach the database and bring its schema up to date now, so an unreachable server or a schema newer
        than the code stops the start before the models load (DatabaseError, RuntimeError)."""
        self.store.open()

    def startup(self, environ: Mapping[str, str] | None = None) -> StartupReport:
        """Run once before serving: merge $REEL_TOKENS, refund crash leftovers.

        On a database server other Reel servers may share, a pending reservation can be another server's clip in
        flight, so only this server's own (its last run's, by ``server_name``) and those older than any clip takes
        (SHARED_LEFTOVER_AGE) are refunded. A malformed REEL_TOKENS raises ValueError (without echoing it).
        """
        merged = merge_export_from_env(self.store, environ)
        now = self.store._now()
        for client, until in self.store.current_locks():  # locked before the restart: still locked
            self.lockout.restore(client, (until - now).total_seconds())
        if self.store.is_server:
            refunded = self.store.reconcile_reservations(SHARED_LEFTOVER_AGE, server=self.server_name)
        else:
            refunded = self.store.reconcile_reservations()
        return StartupReport(refunded, merged)

    # -- admission ------------------------------------------------------

    def admit(self, token: str | None, client: str) -> Grant:
        """Grant for a valid Reel token, else AccessDenied; counts failures per client."""
        self.lockout.check(client)
        try:
            with self._database_needed():
                record = check_access(self.store, token)
        except GateUnavailable:
            raise
        except AccessDenied:
            self._refused(client)
            raise
        return Grant(record.label)

    def refuse(self, token: object, client: str) -> None:
        """Answer ``token`` exactly as ``admit`` answers a wrong one (the lockout first, then a counted failure and
        the missing or invalid token message): for a door, like the admin actions, that must not show it exists."""
        self.lockout.check(client)
        self._refused(client)
        raise AccessDenied(MISSING_TOKEN_MESSAGE if is_missing(token) else INVALID_TOKEN_MESSAGE)

    def admit_hf(
        self,
        hf_token: str | None,
        client: str,
        allow_list: Any,
        whoami: Callable[..., Any] | None = None,
        cache: Any = None,
    ) -> Grant:
        """Like ``admit`` for a Hugging Face token checked against ``allow_list``."""
        from .hf import verify_hf_token

        self.lockout.check(client)
        try:
            return verify_hf_token(hf_token, allow_list, whoami, cache=cache)
        except AccessDenied:
            self._refused(client)
            raise

    def check_quota(self, grant: Grant, seconds: float, clips: int = 1) -> None:
        """Advisory QuotaExceeded before queueing (``clips`` clips of ``seconds`` in all); no reservation, no
        audit row."""
        with self._database_needed():
            if grant.source == "hf":
                self.store.check_quota_for(
                    grant.quota_key,
                    seconds,
                    daily_limit=grant.daily_limit,
                    daily_seconds=grant.daily_seconds,
                    clips=clips,
                )
            else:
                self.store.check_quota(grant.label, seconds, clips=clips)

    # -- around a render ------------------------------------------------

    def begin(self, grant: Grant, seconds: float, client: str, prompt: object) -> Reservation:
        """Reserve one clip; QuotaExceeded (audited as "quota") when it would not fit.

        A token revoked or expired since ``admit`` raises AccessDenied
        (audited "denied", but not a failed attempt for the lockout).
        """
        digest, text = self.audit.describe_prompt(prompt)
        try:
            with self._database_needed():
                if grant.source == "hf":
                    reservation = self.store.reserve_for(
                        grant.quota_key,
                        seconds,
                        daily_limit=grant.daily_limit,
                        daily_seconds=grant.daily_seconds,
                        server=self.server_name,
                    )
                else:
                    reservation = self.store.reserve(grant.label, seconds, server=self.server_name)
        except GateUnavailable:
            raise  # nothing reserved; the audit log is in the same database, so there is nowhere to write a row
        except AccessDenied as denied:
            outcome = "quota" if isinstance(denied, QuotaExceeded) else "denied"
            self._audit(outcome, client, grant.quota_key, seconds, digest, text)
            raise
        return dataclasses.replace(
            reservation, client=client, prompt_sha256=digest, prompt_text=text
        )

    def succeed(self, reservation: Reservation, seconds: float) -> bool:
        """Commit the clip's real length and audit "ok"; False (no row) if already settled."""
        committed = self.store.commit(reservation.id, seconds)
        if committed:
            self._audit("ok", reservation.client, reservation.label, seconds,
                        reservation.prompt_sha256, reservation.prompt_text)
        return committed

    def fail(self, reservation: Reservation, outcome: str = "failed") -> bool:
        """Refund and audit ``outcome`` ("failed", "invalid_input" or "cancelled").

        Idempotent: False, and no row, if it was already refunded or committed.
        """
        if outcome not in FAILURE_OUTCOMES:
            raise ValueError(f"outcome must be one of {sorted(FAILURE_OUTCOMES)}")
        refunded = self.store.refund(reservation.id)
        if refunded:
            self._audit(outcome, reservation.client, reservation.label, None,
                        reservation.prompt_sha256, reservation.prompt_text)
        return refunded

    def note(
        self,
        outcome: str,
        client: str,
        grant: Grant | None = None,
        seconds: float | None = None,
        prompt: object = None,
        subject: str | None = None,
    ) -> None:
        """Audit an outcome decided by the app, e.g. "invalid_input" before reserving; ``subject`` names who or what
        it concerns when there is no grant (an admin's action: the label acted on)."""
        digest, text = self.audit.describe_prompt(prompt)
        self._audit(outcome, client, grant.quota_key if grant else subject, seconds, digest, text)

    # -- plumbing -------------------------------------------------------

    def _remember_lock(self, client: str, until: datetime.datetime) -> None:
        """Write the new lock down so a restart keeps it; a failing write is logged, the lock holds in memory."""
        try:
            self.store.remember_lock(client, until)
        except (DatabaseError, OSError) as failure:
            logger.warning("Could not keep a lockout across restarts: %s", type(failure).__name__)

    @contextlib.contextmanager
    def _database_needed(self) -> Iterator[None]:
        """A database failure becomes GateUnavailable (Reel's message, nothing charged); the log says what kind of
        failure without the driver's text, which can name the connection string's host and user."""
        try:
            yield
        except DatabaseError as failure:
            logger.warning("Refused a request: %s", database_problem(failure))
            raise GateUnavailable() from None

    def _refused(self, client: str) -> None:
        """A failed attempt: counted, audited, and a lockout it causes written down (behind the answer, with the
        refusal rows, when there is a writer) so a restart keeps it."""
        locked_now = self.lockout.record_failure(client)
        now = self.store._now()
        until = now + datetime.timedelta(seconds=self.lockout.seconds_locked(client)) if locked_now else None
        for outcome in ("denied", "locked") if locked_now else ("denied",):
            if self.refusals is not None:
                self.refusals.record(now, outcome, client, locked_until=until if outcome == "locked" else None)
            else:
                self._audit(outcome, client)
        if until is not None and self.refusals is None:
            self._remember_lock(client, until)

    def _audit(
        self,
        outcome: str,
        client: str,
        subject: str | None = None,
        seconds: float | None = None,
        digest: str | None = None,
        text: str | None = None,
    ) -> None:
        """Write a row; a failing audit write is logged, never turned into a 500."""
        try:
            self.audit.record(outcome, client=client, subject=subject, seconds=seconds,
                              prompt_sha256=digest, prompt_text=text)
        except (DatabaseError, OSError) as exc:
            logger.warning("Audit write failed (%s); outcome was %s", type(exc).__name__, outcome)
