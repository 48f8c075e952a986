"""The app's gate writes refusal rows behind the answer: a wrong token is refused even while the database is busy,
and every row still lands, with the time of its refusal."""

import datetime
import logging
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy.exc

from access import INVALID_TOKEN_MESSAGE, AccessDenied, AuditLog, Gate, Lockout, TokenStore
from access.refusals import RefusalWriter
from access.tokens import new_token

UTC = datetime.timezone.utc


class Wall:
    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 5, 9, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime.datetime:
        return self.now


def deferred_gate(tmp_path: Path, clock=None, audit_class=AuditLog, max_failures: int = 20) -> Gate:
    store = TokenStore(tmp_path / "access.sqlite3", clock=clock)
    audit = audit_class(store)
    return Gate(store, lockout=Lockout(max_failures=max_failures), audit=audit, refusals=RefusalWriter(audit))


def refuse(gate: Gate, client: str) -> str:
    with pytest.raises(AccessDenied) as refused:
        gate.admit(new_token(), client)
    return refused.value.message


def test_wrong_tokens_are_refused_while_the_database_is_locked_and_every_row_lands_after(tmp_path: Path):
    clock = Wall()
    gate = deferred_gate(tmp_path, clock=clock, max_failures=3)
    gate.store.issue("someone")  # the file exists, so another connection can lock it
    blocker = sqlite3.connect(gate.store.db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock, as a long transaction would
    try:
        messages = []
        for minute in range(3):
            clock.now += datetime.timedelta(minutes=1)
            messages.append(refuse(gate, "203.0.113.7"))
        assert messages == [INVALID_TOKEN_MESSAGE] * 3
        assert not gate.refusals.flush(timeout=0.2), "nothing could be written while the lock was held"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert gate.refusals.flush(timeout=30)
    rows = sorted(gate.audit.recent(), key=lambda row: row.id)
    assert [(row.outcome, row.client) for row in rows] == [("denied", "203.0.113.7")] * 3 + [("locked", "203.0.113.7")]
    assert [row.at[:16] for row in rows] == ["2026-05-09T12:01", "2026-05-09T12:02", "2026-05-09T12:03",
                                             "2026-05-09T12:03"], "each row keeps the time of its refusal"


def test_a_failed_write_is_logged_and_later_rows_are_still_written(tmp_path: Path, caplog):
    class FailsOnce(AuditLog):
        failed = False

        def record_refusals(self, refusals):
            if not FailsOnce.failed:
                FailsOnce.failed = True
                raise sqlalchemy.exc.OperationalError("INSERT INTO audit", {}, sqlite3.OperationalError("disk I/O error"))
            super().record_refusals(refusals)

    gate = deferred_gate(tmp_path, audit_class=FailsOnce)
    with caplog.at_level(logging.WARNING, logger="reel.access"):
        assert refuse(gate, "198.51.100.1") == INVALID_TOKEN_MESSAGE
        assert gate.refusals.flush(timeout=30)
    assert "Audit write failed (OperationalError); 1 refusal row(s) lost" in caplog.text
    assert refuse(gate, "198.51.100.2") == INVALID_TOKEN_MESSAGE
    assert gate.refusals.flush(timeout=30)
    assert [(row.outcome, row.client) for row in gate.audit.recent()] == [("denied", "198.51.100.2")]


def test_the_apps_gate_writes_refusals_behind_the_answer(tmp_path: Path):
    gate = Gate.from_env(tmp_path)
    assert isinstance(gate.refusals, RefusalWriter)
    for index in range(5):
        refuse(gate, f"198.51.100.{index + 1}")
    assert gate.refusals.flush(timeout=30)
    assert sorted(row.client for row in gate.audit.recent()) == [f"198.51.100.{i + 1}" for i in range(5)]


def test_a_lockout_written_behind_the_answer_survives_a_restart(database):
    """As the app's gate does it (Gate.from_env): the lock goes to the database from the writer's thread."""
    location = database()
    store = TokenStore(location)
    audit = AuditLog(store)
    gate = Gate(store, lockout=Lockout(max_failures=2), audit=audit,
                refusals=RefusalWriter(audit, remember_lock=store.remember_lock))
    refuse(gate, "192.0.2.44")
    assert refuse(gate, "192.0.2.44") == INVALID_TOKEN_MESSAGE  # this one locks
    assert gate.refusals.flush(timeout=30)
    restarted = Gate(TokenStore(location), lockout=Lockout(max_failures=2))
    restarted.startup({})
    assert refuse(restarted, "192.0.2.44").startswith("Too many failed attempts")
