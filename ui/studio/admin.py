"""`/admin_issue`, `/admin_limits`, `/admin_tokens`, `/admin_revoke`, `/admin_usage`, `/admin_audit`, and the
Admin tab's actions: the operator runs the gate without a shell.

Every action first asks who is calling (access/admin.py): an admin signed in with Hugging Face on the Space, or
the admin token (from a script, or pasted into the page's token box). Anyone else gets exactly the answer a wrong
access token gets, counted towards their lockout like one. Every action is written to the audit log, reads
included; an issued token appears once, in the answer to the admin who issued it, and nowhere else.
"""

from __future__ import annotations

import datetime
import logging

import gradio as gr

from access import AccessDenied, InvalidLabel, LabelInUse, parse_duration
from access.hf import signed_in_username

from ..runtime import Runtime

logger = logging.getLogger("reel.app")

MAX_AUDIT_ROWS = 500
MAX_USAGE_DAYS = 366


class AdminActions:
    """The admin endpoints and what the Admin tab's buttons call."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    # -- who is asking -----------------------------------------------------------------------------------------

    def is_admin(self, admin_token, profile) -> bool:
        """No side effects (the page asks this to show or hide the Admin tab): the admin token, or a real admin
        sign-in."""
        admins = self.runtime.admins
        username = signed_in_username(profile, self.runtime.on_spaces)
        return admins.holds_token(admin_token) or (username is not None and admins.is_admin_account(username))

    def admin(self, admin_token, profile, request) -> str:
        """Who the admin is, for the audit log ("admin" for the token, "hf:<user>" for a sign-in); anyone else is
        refused as a wrong token is."""
        client = self.runtime.client_of(request)
        try:
            self.runtime.gate.lockout.check(client)
            if self.runtime.admins.holds_token(admin_token):
                return "admin"
            username = signed_in_username(profile, self.runtime.on_spaces)
            if username is not None and self.runtime.admins.is_admin_account(username):
                return f"hf:{username}"
            self.runtime.gate.refuse(admin_token, client)
        except AccessDenied as denied:
            raise gr.Error(denied.message, print_exception=False) from None
        raise AssertionError("Gate.refuse always raises")

    def audited(self, outcome: str, request, subject: str | None) -> None:
        self.runtime.gate.note(outcome, self.runtime.client_of(request), seconds=None, subject=subject)

    # -- the API -----------------------------------------------------------------------------------------------

    def admin_issue(
        self, label: str = "", daily_limit: float = 0, daily_seconds: float = 0, expires_in: str = "",
        admin_token: str = "", request: gr.Request = None, profile: gr.OAuthProfile | None = None,
    ) -> dict:
        """Admins only: issue an access token for `label`. The token is in this answer and nowhere else (Reel keeps
        only its hash), so give it to its holder now. Returns {"label", "token", "daily_limit", "daily_seconds",
        "expires_at"}.

        Args:
            label: who the token is for: 1 to 64 letters, digits or . _ @ -, not held by another active token.
            daily_limit: clips per UTC day, 0 for no limit.
            daily_seconds: seconds of video per UTC day, 0 for no limit.
            expires_in: how long it works, such as 30d, 12h or 90m; empty for never.
            admin_token: the Space's REEL_ADMIN_TOKEN (not needed when signed in as an admin on the Space).
        """
        self.admin(admin_token, profile, request)
        clips = _whole_or_none(daily_limit, "daily_limit")
        seconds = _positive_or_none(daily_seconds, "daily_seconds")
        lifetime = _duration_or_none(expires_in)
        try:
            token = self.runtime.gate.store.issue(label, daily_limit=clips, daily_seconds=seconds, expires_in=lifetime)
        except (InvalidLabel, LabelInUse, ValueError) as refused:
            raise gr.Error(f"{_sentence(refused)}", print_exception=False) from None
        self.audited("admin_issue", request, label)
        [info] = [info for info in self.runtime.gate.store.describe_tokens() if info.label == label]
        return {"label": label, "token": token, "daily_limit": info.daily_limit, "daily_seconds": info.daily_seconds,
                "expires_at": info.expires_at}

    def admin_limits(
        self, label: str = "", daily_limit: float = 0, daily_seconds: float = 0, expires_in: str = "",
        admin_token: str = "", request: gr.Request = None, profile: gr.OAuthProfile | None = None,
    ) -> dict:
        """Admins only: replace the limits and expiry of the active token labelled `label`; they apply from its
        holder's next clip, today's use still counts. Returns {"label", "daily_limit", "daily_seconds",
        "expires_at"}.

        Args:
            label: the token's label, as /admin_tokens lists it.
            daily_limit: clips per UTC day, 0 for no limit.
            daily_seconds: seconds of video per UTC day, 0 for no limit.
            expires_in: how long from now it works, such as 30d, 12h or 90m; empty for never.
            admin_token: the Space's REEL_ADMIN_TOKEN (not needed when signed in as an admin on the Space).
        """
        self.admin(admin_token, profile, request)
        clips = _whole_or_none(daily_limit, "daily_limit")
        seconds = _positive_or_none(daily_seconds, "daily_seconds")
        lifetime = _duration_or_none(expires_in)
        store = self.runtime.gate.store
        if not isinstance(label, str) or not store.set_limits(label, daily_limit=clips, daily_seconds=seconds,
                                                              expires_in=lifetime):
            raise gr.Error("No active token has that label; nothing was changed.", print_exception=False)
        self.audited("admin_limits", request, label)
        [info] = [info for info in store.describe_tokens() if info.label == label]
        return {"label": label, "daily_limit": info.daily_limit, "daily_seconds": info.daily_seconds,
                "expires_at": info.expires_at}

    def admin_tokens(self, admin_token: str = "", request: gr.Request = None,
                     profile: gr.OAuthProfile | None = None) -> dict:
        """Admins only: every token's label, status, limits, expiry and use today; never a token or its hash.
        Returns {"tokens": [{"label", "status", "created_at", "expires_at", "daily_limit", "daily_seconds",
        "clips_today", "seconds_today", "pending_today"}]}.

        Args:
            admin_token: the Space's REEL_ADMIN_TOKEN (not needed when signed in as an admin on the Space).
        """
        who = self.admin(admin_token, profile, request)
        self.audited("admin_tokens", request, who)
        return {"tokens": [
            {"label": info.label, "status": info.status, "created_at": info.created_at, "expires_at": info.expires_at,
             "daily_limit": info.daily_limit, "daily_seconds": info.daily_seconds, "clips_today": info.clips_today,
             "seconds_today": info.seconds_today, "pending_today": info.pending_today}
            for info in self.runtime.gate.store.describe_tokens()
        ]}

    def admin_revoke(self, label: str = "", admin_token: str = "", request: gr.Request = None,
                     profile: gr.OAuthProfile | None = None) -> dict:
        """Admins only: revoke the active token labelled `label`; it stops working at once, a job of its that waits
        in the queue included. Returns {"revoked": the label}.

        Args:
            label: the token's label, as /admin_tokens lists it.
            admin_token: the Space's REEL_ADMIN_TOKEN (not needed when signed in as an admin on the Space).
        """
        self.admin(admin_token, profile, request)
        if not isinstance(label, str) or not self.runtime.gate.store.revoke(label):
            raise gr.Error("No active token has that label; nothing was revoked.", print_exception=False)
        self.audited("admin_revoke", request, label)
        logger.info("Token %r revoked by an admin", label)
        return {"revoked": label}

    def admin_usage(self, days: float = 1, admin_token: str = "", request: gr.Request = None,
                    profile: gr.OAuthProfile | None = None) -> dict:
        """Admins only: clips and seconds of video per token (or Hugging Face account) per UTC day, newest day
        first. Returns {"usage": [{"day", "label", "clips", "seconds"}]}.

        Args:
            days: how many UTC days back, today included: 1 for today only, up to 366.
            admin_token: the Space's REEL_ADMIN_TOKEN (not needed when signed in as an admin on the Space).
        """
        who = self.admin(admin_token, profile, request)
        wanted = _whole_or_none(days, "days")
        if wanted is None or wanted > MAX_USAGE_DAYS:
            raise gr.Error(f"days must be a whole number from 1 to {MAX_USAGE_DAYS}.", print_exception=False)
        self.audited("admin_usage", request, who)
        return {"usage": [
            {"day": row.day, "label": row.label, "clips": row.clips, "seconds": row.seconds}
            for row in self.runtime.gate.store.usage(wanted)
        ]}

    def admin_audit(self, limit: float = 50, admin_token: str = "", request: gr.Request = None,
                    profile: gr.OAuthProfile | None = None) -> dict:
        """Admins only: the newest rows of the audit log, newest first: time, who (a label or hf:<user>), the
        client's address, the outcome and seconds of video; never a token. Returns {"entries": [{"at", "subject",
        "client", "outcome", "seconds"}]}.

        Args:
            limit: how many rows, 1 to 500.
            admin_token: the Space's REEL_ADMIN_TOKEN (not needed when signed in as an admin on the Space).
        """
        who = self.admin(admin_token, profile, request)
        wanted = _whole_or_none(limit, "limit")
        if wanted is None or wanted > MAX_AUDIT_ROWS:
            raise gr.Error(f"limit must be a whole number from 1 to {MAX_AUDIT_ROWS}.", print_exception=False)
        entries = self.runtime.gate.audit.recent(wanted)
        self.audited("admin_audit", request, who)
        return {"entries": [
            {"at": entry.at, "subject": entry.subject, "client": entry.client, "outcome": entry.outcome,
             "seconds": entry.seconds}
            for entry in entries
        ]}

    # -- the page ----------------------------------------------------------------------------------------------

    def reveal(self, access_token, profile: gr.OAuthProfile | None):
        """The Admin tab shown to admins only (the token box holding the admin token, or an admin's sign-in)."""
        return gr.Tab(visible=self.is_admin(access_token, profile))

    def issue_in_page(self, label, daily_limit, daily_seconds, expires_in, access_token, request: gr.Request,
                      profile: gr.OAuthProfile | None):
        issued = self.admin_issue(label, daily_limit or 0, daily_seconds or 0, expires_in, access_token, request,
                                  profile)
        gr.Info(f"Token issued for {issued['label']}: copy it now, it is shown only this once.")
        return issued["token"], self.token_rows(access_token, request, profile)

    def limits_in_page(self, label, daily_limit, daily_seconds, expires_in, access_token, request: gr.Request,
                       profile: gr.OAuthProfile | None):
        changed = self.admin_limits(label, daily_limit or 0, daily_seconds or 0, expires_in, access_token, request,
                                    profile)
        gr.Info(f"New limits and expiry for {changed['label']}.")
        return self.token_rows(access_token, request, profile)

    def revoke_in_page(self, label, access_token, request: gr.Request, profile: gr.OAuthProfile | None):
        self.admin_revoke(label, access_token, request, profile)
        gr.Info(f"Revoked the token of {label}.")
        return self.token_rows(access_token, request, profile)

    def export_in_page(self, access_token, request: gr.Request, profile: gr.OAuthProfile | None) -> str:
        """The token table as one line (hashes, labels, limits; never a token), for the REEL_TOKENS secret of a
        Space without a database, or to move tokens to another server."""
        who = self.admin(access_token, profile, request)
        self.audited("admin_export", request, who)
        return self.runtime.gate.store.export_line()

    def token_rows(self, access_token, request: gr.Request, profile: gr.OAuthProfile | None) -> list[list]:
        listed = self.admin_tokens(access_token, request, profile)["tokens"]
        return [[row["label"], row["status"], row["expires_at"] or "never", _limits(row),
                 f"{row['clips_today']} clips, {row['seconds_today']:.1f} s"] for row in listed]

    def audit_rows(self, access_token, request: gr.Request, profile: gr.OAuthProfile | None) -> list[list]:
        entries = self.admin_audit(50, access_token, request, profile)["entries"]
        return [[entry["at"], entry["subject"] or "", entry["client"], entry["outcome"]] for entry in entries]


def _limits(row: dict) -> str:
    parts = []
    if row["daily_limit"] is not None:
        parts.append(f"{row['daily_limit']} clips/day")
    if row["daily_seconds"] is not None:
        parts.append(f"{row['daily_seconds']:g} s/day")
    return ", ".join(parts) or "none"


def _whole_or_none(value, name: str) -> int | None:
    """A whole number of 1 or more; 0 (or empty) for none. gr.Error otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 0:
        raise gr.Error(f"{name} must be a whole number, 0 for none.", print_exception=False)
    return int(value) or None


def _positive_or_none(value, name: str) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
        raise gr.Error(f"{name} must be a number of seconds, 0 for none.", print_exception=False)
    return float(value) or None


def _duration_or_none(value) -> datetime.timedelta | None:
    if value in (None, "") or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_duration(str(value).strip())
    except ValueError:
        raise gr.Error("expires_in must be a length of time such as 30d, 12h or 90m, or empty for never.",
                       print_exception=False) from None


def _sentence(error: Exception) -> str:
    text = str(error)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
