"""The Gate's reservation flow and the audit log it writes."""

import datetime
import hashlib
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy.exc
from conftest import typo_of

from access import (
    INVALID_TOKEN_MESSAGE, AccessDenied, AllowList, AuditLog, Gate, Grant, Lockout, QuotaExceeded,
    TokenStore, hash_token, prompt_digest,
)
from access.hf import WhoamiCache

UTC = datetime.timezone.utc
CLIENT = "203.0.113.7"


class Wall:
    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 5, 9, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime.datetime:
        return self.now


def _gate(tmp_path: Path, pepper: bytes | None = None, record_prompts: bool = False, clock=None) -> Gate:
    store = TokenStore(tmp_path / "access.sqlite3", pepper=pepper, clock=clock)
    return Gate(store, audit=AuditLog(store, record_prompts=record_prompts))


def _audit_rows(store: TokenStore) -> list[tuple]:
    with sqlite3.connect(store.db_path) as conn:
        return conn.execute("SELECT * FROM audit ORDER BY id").fetchall()


def _raw_bytes(store: TokenStore) -> bytes:
    paths = [store.db_path, Path(f"{store.db_path}-wal")]
    return b"".join(p.read_bytes() for p in paths if p.exists())


def test_a_successful_clip_writes_one_ok_row(tmp_path: Path):
    gate = _gate(tmp_path, pepper=b"pep")
    token = gate.store.issue("alice", daily_limit=3)
    grant = gate.admit(token, CLIENT)
    assert grant == Grant("alice") and gate.admit(token, CLIENT) == grant
    assert _audit_rows(gate.store) == []  # admitting alone writes nothing
    reservation = gate.begin(grant, 4.0, CLIENT, "a paper boat")
    assert (reservation.label, reservation.seconds, reservation.client) == ("alice", 4.0, CLIENT)
    assert gate.succeed(reservation, 3.5) is True
    assert gate.succeed(reservation, 3.5) is False  # settled once, audited once
    [entry] = gate.audit.recent()
    assert (entry.subject, entry.client, entry.outcome, entry.seconds) == ("alice", CLIENT, "ok", 3.5)
    assert entry.prompt_sha256 == prompt_digest("a paper boat", b"pep")
    assert entry.prompt is None  # prompts are stored only when the operator opts in
    assert gate.store.used_today("alice") == (1, 3.5, 0)


def test_prompt_digest_is_keyed_and_domain_separated():
    token_like = "reel_" + "A" * 49
    digests = {prompt_digest("x", None), prompt_digest("x", b"a"), prompt_digest("x", b"b")}
    assert len(digests) == 3 and all(len(d) == 64 for d in digests)
    for pepper in (None, b"pep"):
        assert prompt_digest(token_like, pepper) != hash_token(token_like, pepper)
        assert prompt_digest(token_like, pepper) != hashlib.sha256(token_like.encode()).hexdigest()


def test_failures_refund_and_are_audited_once(tmp_path: Path):
    gate = _gate(tmp_path)
    token = gate.store.issue("bob", daily_limit=1)
    grant = gate.admit(token, CLIENT)
    reservation = gate.begin(grant, 2.0, CLIENT, "p")
    assert gate.fail(reservation, "failed") is True
    assert gate.fail(reservation, "failed") is False
    again = gate.begin(grant, 2.0, CLIENT, "p")  # the refund gave the clip back
    gate.succeed(again, 2.0)
    assert gate.fail(again, "cancelled") is False  # fail after succeed does nothing
    with pytest.raises(ValueError):
        gate.fail(again, "ok")
    with pytest.raises(QuotaExceeded) as caught:
        gate.begin(grant, 2.0, CLIENT, "p")
    assert "1 clip for today" in caught.value.message
    gate.note("invalid_input", CLIENT, grant, prompt="p")
    with pytest.raises(ValueError):
        gate.note("whatever", CLIENT)
    outcomes = [(e.outcome, e.seconds) for e in reversed(gate.audit.recent())]
    assert outcomes == [("failed", None), ("ok", 2.0), ("quota", 2.0), ("invalid_input", None)]
    assert gate.lockout.seconds_locked(CLIENT) == 0


def test_a_token_revoked_while_queued_is_refused_at_begin(tmp_path: Path):
    gate = _gate(tmp_path)
    token = gate.store.issue("carol")
    grant = gate.admit(token, CLIENT)
    gate.store.revoke("carol")
    with pytest.raises(AccessDenied) as caught:
        gate.begin(grant, 1.0, CLIENT, "p")
    assert caught.value.message == INVALID_TOKEN_MESSAGE
    assert [e.outcome for e in gate.audit.recent()] == ["denied"]
    with pytest.raises(AccessDenied):
        gate.admit(token, CLIENT)  # the queued job's own re-check


@pytest.mark.parametrize("record_prompts", [False, True])
def test_a_token_never_lands_in_the_audit_table(tmp_path: Path, record_prompts: bool):
    gate = _gate(tmp_path, record_prompts=record_prompts)
    token = gate.store.issue("victim")
    other = gate.store.issue("attacker")
    hf_token = "hf_" + "Q" * 34
    grant = gate.admit(other, CLIENT)
    for prompt in (token, f"a cat holding a sign that says {token}", f"{hf_token} {token}"):
        gate.succeed(gate.begin(grant, 1.0, CLIENT, prompt), 1.0)
        gate.fail(gate.begin(grant, 1.0, token, prompt), "failed")  # token as the client id
    for bad_client in (token, f"{token}, 1.2.3.4", hf_token):
        with pytest.raises(AccessDenied):
            gate.admit(typo_of(token), bad_client)
        gate.note("invalid_input", bad_client, prompt=token)
    gate.audit.record("ok", client=CLIENT, subject=token, prompt_text=token)  # even called directly
    rows = _audit_rows(gate.store)
    assert len(rows) == 13
    text = repr(rows)
    assert token not in text and token[5:] not in text and hf_token not in text
    assert hash_token(token, None) not in text  # not even its hash
    if record_prompts:
        assert "a cat holding a sign that says [redacted token]" in text
    else:
        assert all(row[-1] is None for row in rows)
    raw = _raw_bytes(gate.store)
    assert token.encode() not in raw and token[5:].encode() not in raw and hf_token.encode() not in raw


def test_prompts_are_recorded_only_when_the_operator_opts_in(tmp_path: Path, monkeypatch):
    store = TokenStore(tmp_path / "access.sqlite3")
    monkeypatch.delenv("REEL_AUDIT_PROMPTS", raising=False)
    assert AuditLog(store).record_prompts is False
    monkeypatch.setenv("REEL_AUDIT_PROMPTS", "no")
    assert AuditLog(store).record_prompts is False
    monkeypatch.setenv("REEL_AUDIT_PROMPTS", "ture")  # a typo is refused, never read as "no" or as "yes"
    with pytest.raises(ValueError, match="REEL_AUDIT_PROMPTS must be 1, true or yes"):
        AuditLog(store)
    monkeypatch.setenv("REEL_AUDIT_PROMPTS", "yes")
    assert AuditLog(store).record_prompts is True
    monkeypatch.setenv("REEL_AUDIT_PROMPTS", "1")
    audit = AuditLog(store)
    audit.record("ok", client=CLIENT, subject="alice", seconds=1, prompt="x" * 10_000)
    [entry] = audit.recent()
    assert entry.prompt == "x" * 2000 and entry.prompt_sha256 == prompt_digest("x" * 10_000, None)


def test_old_audit_rows_are_pruned(tmp_path: Path):
    clock = Wall()
    store = TokenStore(tmp_path / "access.sqlite3", clock=clock)
    audit = AuditLog(store, retention_days=30)
    audit.record("denied", client=CLIENT)
    clock.now += datetime.timedelta(days=31)
    audit.record("denied", client=CLIENT)
    assert audit.prune() == 1 and len(audit.recent()) == 1
    assert audit.recent(0) == []


def test_a_failing_audit_write_does_not_change_the_refusal(tmp_path: Path):
    class BrokenAudit(AuditLog):
        def record(self, *args, **kwargs):
            raise sqlalchemy.exc.OperationalError("INSERT INTO audit", {}, sqlite3.OperationalError("disk I/O error"))

    store = TokenStore(tmp_path / "access.sqlite3")
    gate = Gate(store, audit=BrokenAudit(store))
    with pytest.raises(AccessDenied) as caught:
        gate.admit("reel_nope", CLIENT)
    assert caught.value.message == INVALID_TOKEN_MESSAGE


def test_hf_grants_reserve_under_the_allow_list_quota(tmp_path: Path):
    gate = Gate(TokenStore(tmp_path / "access.sqlite3"), lockout=Lockout(max_failures=2))
    allow = AllowList(users=frozenset({"ada"}), daily_limit=1)
    whoami = {"hf_good": {"name": "Ada", "type": "user"}, "hf_other": {"name": "eve", "type": "user"}}

    def fake_whoami(token):
        return whoami[token]

    cache = WhoamiCache()
    grant = gate.admit_hf("hf_good", CLIENT, allow, fake_whoami, cache)
    assert (grant.label, grant.source, grant.quota_key) == ("Ada", "hf", "hf:ada")
    gate.succeed(gate.begin(grant, 2.0, CLIENT, "p"), 2.0)
    with pytest.raises(QuotaExceeded) as caught:
        gate.begin(grant, 2.0, CLIENT, "p")
    assert caught.value.message.startswith("Your account has used its 1 clip for today")
    with pytest.raises(QuotaExceeded):
        gate.check_quota(grant, 1.0)
    gate.check_quota(Grant("Bea", "hf", daily_limit=1), 1.0)  # someone else's quota is untouched
    assert [(u.label, u.clips) for u in gate.store.usage()] == [("hf:ada", 1)]
    for _ in range(2):  # not allow-listed: a failure like any other
        with pytest.raises(AccessDenied):
            gate.admit_hf("hf_other", CLIENT, allow, fake_whoami, cache)
    with pytest.raises(AccessDenied) as caught:
        gate.admit_hf("hf_good", CLIENT, allow, fake_whoami, cache)
    assert caught.value.message.startswith("Too many failed attempts")
    assert "hf_good" not in repr(_audit_rows(gate.store))
