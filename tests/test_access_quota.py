"""Tokens v2: schema migration, expiry, limits, and reservations (including races)."""

import datetime
import math
import multiprocessing
import random
import socket
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from access import (
    INVALID_TOKEN_MESSAGE, AccessDenied, LabelInUse, QuotaExceeded, TokenStore, check_access,
    hash_token, new_token,
)
from access.gate import server_name_from_env

UTC = datetime.timezone.utc
RACE_TRIALS = 50
RACE_WORKERS = 8


class FakeClock:
    """Injectable UTC clock: call it for "now", move it with advance()."""

    def __init__(self, start: datetime.datetime) -> None:
        self.now = start

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.datetime(2026, 5, 9, 12, 0, 0, tzinfo=UTC))


@pytest.fixture
def store(database, clock: FakeClock) -> TokenStore:
    return TokenStore(database(), clock=clock)


def _rows(store: TokenStore, label: str) -> list[tuple]:
    with store._read() as conn:
        return [tuple(row) for row in conn.execute(
            text("SELECT id, state, seconds FROM reservations WHERE quota_key = :key ORDER BY id"), {"key": label}
        )]


# -- migration --------------------------------------------------------------

V1_SCHEMA = """
CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY,
    label       TEXT NOT NULL UNIQUE CHECK (length(label) BETWEEN 1 AND 64),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
)
"""


def test_v1_database_upgrades_in_place(tmp_path: Path):
    db_path = tmp_path / "access.sqlite3"
    live, revoked = new_token(), new_token()
    with sqlite3.connect(db_path) as conn:  # exactly what the first release wrote
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(V1_SCHEMA)
        conn.execute("PRAGMA user_version = 1")
        conn.executemany(
            "INSERT INTO tokens (label, token_hash, created_at, revoked_at) VALUES (?, ?, ?, ?)",
            [("old", hash_token(live, None), "2026-01-01T00:00:00+00:00", None),
             ("gone", hash_token(revoked, None), "2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00")],
        )
    store = TokenStore(db_path)
    assert store.verify(live).label == "old"
    assert store.verify(revoked) is None
    assert store.schema_version() == 4
    with sqlite3.connect(db_path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(tokens)")}
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"expires_at", "daily_limit", "daily_seconds"} <= columns
    assert {"reservations", "audit", "retired_hashes"} <= tables
    [old, gone] = store.describe_tokens()
    assert (old.label, old.status, old.daily_limit, old.daily_seconds, old.expires_at) == (
        "old", "active", None, None, None)
    assert gone.status == "revoked"
    for _ in range(10):  # a v1 token has no limits
        store.commit(store.reserve("old", 5.0).id, 5.0)
    assert TokenStore(db_path).schema_version() == 4  # opening again is a no-op


def test_a_newer_schema_is_refused(tmp_path: Path):
    db_path = tmp_path / "access.sqlite3"
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(RuntimeError, match="newer"):
        TokenStore(db_path).list_tokens()


# -- expiry -----------------------------------------------------------------

def test_expired_tokens_stop_verifying_with_the_same_message(store: TokenStore, clock: FakeClock):
    token = store.issue("temp", expires_in=datetime.timedelta(hours=1))
    [info] = store.describe_tokens()
    assert info.expires_at == "2026-05-09T13:00:00+00:00" and info.status == "active"
    clock.advance(minutes=59, seconds=59)
    assert check_access(store, token).label == "temp"
    clock.advance(seconds=1)
    assert store.verify(token) is None
    with pytest.raises(AccessDenied) as caught:
        check_access(store, token)
    assert caught.value.message == INVALID_TOKEN_MESSAGE
    assert store.describe_tokens()[0].status == "expired"
    with pytest.raises(AccessDenied) as caught:  # a queued job re-checking sees it too
        store.reserve("temp", 1.0)
    assert not isinstance(caught.value, QuotaExceeded)
    assert not store.has_active_token()
    fresh = store.issue("temp")  # an expired label can be re-issued; the old token stays dead
    assert store.verify(fresh).label == "temp" and store.verify(token) is None


def test_revocation_is_seen_by_reserve(store: TokenStore):
    store.issue("rita", daily_limit=3)
    store.reserve("rita", 1.0)
    store.revoke("rita")
    with pytest.raises(AccessDenied) as caught:
        store.reserve("rita", 1.0)
    assert caught.value.message == INVALID_TOKEN_MESSAGE
    with pytest.raises(AccessDenied):
        store.reserve("nobody", 1.0)


def test_issue_rejects_bad_limits(store: TokenStore):
    for kwargs in ({"daily_limit": 0}, {"daily_limit": 1.5}, {"daily_limit": True},
                   {"daily_seconds": 0}, {"daily_seconds": math.nan}, {"daily_seconds": -1},
                   {"expires_in": datetime.timedelta(0)}):
        with pytest.raises(ValueError):
            store.issue("x", **kwargs)
    assert store.list_tokens() == []
    store.issue("x", daily_limit=1)
    with pytest.raises(LabelInUse):
        store.issue("x")


# -- quotas -----------------------------------------------------------------

def test_clip_quota_and_its_message(store: TokenStore):
    token = store.issue("five", daily_limit=5)
    first = store.reserve("five", 2.0)
    assert (first.label, first.seconds) == ("five", 2.0)
    assert store.commit(first.id, 2.0) is True
    pending = [store.reserve("five", 2.0) for _ in range(4)]  # pending counts too
    with pytest.raises(QuotaExceeded) as caught:
        store.reserve("five", 2.0)
    message = caught.value.message
    assert message == "This token has used its 5 clips for today; the quota resets at 00:00 UTC."
    assert token not in message and isinstance(caught.value, AccessDenied)
    with pytest.raises(QuotaExceeded):
        store.check_quota("five", 1.0)
    assert store.refund(pending[0].id) is True
    assert store.refund(pending[0].id) is False  # idempotent
    store.check_quota("five", 1.0)  # advisory check inserts nothing
    again = store.reserve("five", 2.0)
    with pytest.raises(QuotaExceeded):
        store.reserve("five", 2.0)
    assert store.commit(again.id, 2.0) is True
    assert store.refund(again.id) is False  # refund after commit does nothing
    assert store.commit(pending[0].id, 2.0) is False  # commit after refund does nothing
    assert [state for _, state, _ in _rows(store, "five")].count("committed") == 2


def test_seconds_quota_and_its_messages(store: TokenStore):
    store.issue("tenner", daily_seconds=10)
    store.commit(store.reserve("tenner", 4.0).id, 4.0)
    with pytest.raises(QuotaExceeded) as caught:
        store.reserve("tenner", 6.5)
    assert caught.value.message == (
        "This token has 6 of its 10 seconds of video left for today, not enough for a "
        "6.5-second clip. Ask for a shorter clip, or wait: the quota resets at 00:00 UTC."
    )
    exact = store.reserve("tenner", 6.0)  # an exact fit is allowed
    store.commit(exact.id, 6.0)
    with pytest.raises(QuotaExceeded) as caught:
        store.reserve("tenner", 0.5)
    assert caught.value.message == (
        "This token has used its 10 seconds of video for today; the quota resets at 00:00 UTC."
    )


def test_float_seconds_that_sum_exactly_fit(store: TokenStore):
    store.issue("tenths", daily_seconds=0.3)
    for _ in range(3):
        store.reserve("tenths", 0.1)  # 0.1 + 0.1 + 0.1 > 0.3 in binary floats
    with pytest.raises(QuotaExceeded):
        store.reserve("tenths", 0.1)


def test_unlimited_tokens_and_bad_arguments(store: TokenStore):
    store.issue("free")
    for _ in range(25):
        store.reserve("free", 10.0)
    for bad in (-1, math.inf, math.nan, True, "5", None):
        with pytest.raises(ValueError):
            store.reserve("free", bad)
    for bad_id in ("1", 1.0, True, None):
        with pytest.raises(ValueError):
            store.commit(bad_id, 1.0)
        with pytest.raises(ValueError):
            store.refund(bad_id)


def test_quota_resets_at_utc_midnight_and_usage_is_per_day(store: TokenStore, clock: FakeClock):
    clock.now = datetime.datetime(2026, 5, 9, 23, 59, 59, tzinfo=UTC)
    store.issue("daily", daily_limit=1)
    store.commit(store.reserve("daily", 3.0).id, 2.5)
    with pytest.raises(QuotaExceeded):
        store.reserve("daily", 1.0)
    clock.advance(seconds=1)
    store.commit(store.reserve("daily", 1.0).id, 1.0)
    # A clock in another zone still counts UTC days: 01:00 at +02:00 is 23:00 UTC the day before.
    clock.now = datetime.datetime(2026, 5, 11, 1, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    with pytest.raises(QuotaExceeded):
        store.reserve("daily", 1.0)
    usage = [(u.day, u.label, u.clips, u.seconds) for u in store.usage()]
    assert usage == [("2026-05-10", "daily", 1, 1.0), ("2026-05-09", "daily", 1, 2.5)]
    assert [u.day for u in store.usage(days=1)] == ["2026-05-10"]


def test_revoking_and_reissuing_a_label_keeps_todays_count(store: TokenStore):
    store.issue("same", daily_limit=1)
    store.commit(store.reserve("same", 1.0).id, 1.0)
    store.revoke("same")
    store.issue("same", daily_limit=1)
    with pytest.raises(QuotaExceeded):
        store.reserve("same", 1.0)


def test_describe_tokens_shows_todays_use(store: TokenStore):
    store.issue("seen", daily_limit=4, daily_seconds=30)
    store.commit(store.reserve("seen", 2.0).id, 1.5)
    store.reserve("seen", 2.0)
    [info] = store.describe_tokens()
    assert (info.clips_today, info.seconds_today, info.pending_today) == (1, 1.5, 1)
    assert (info.daily_limit, info.daily_seconds) == (4, 30.0)


def test_reconcile_refunds_only_pending_reservations(database, clock: FakeClock):
    db_path = database()
    before_crash = TokenStore(db_path, clock=clock)
    before_crash.issue("crash", daily_limit=4)
    done = before_crash.reserve("crash", 1.0)
    before_crash.commit(done.id, 1.0)
    stuck = [before_crash.reserve("crash", 1.0) for _ in range(3)]
    with pytest.raises(QuotaExceeded):
        before_crash.reserve("crash", 1.0)
    after_restart = TokenStore(db_path, clock=clock)
    assert after_restart.reconcile_reservations() == 3
    assert after_restart.reconcile_reservations() == 0
    assert all(after_restart.commit(r.id, 1.0) is False for r in stuck)
    assert [(state, seconds) for _, state, seconds in _rows(after_restart, "crash")] == [("committed", 1.0)]
    in_flight = after_restart.reserve("crash", 1.0)
    clock.advance(minutes=5)
    fresh = after_restart.reserve("crash", 1.0)
    assert after_restart.reconcile_reservations(older_than=datetime.timedelta(minutes=1)) == 1
    assert after_restart.commit(in_flight.id, 1.0) is False
    assert after_restart.commit(fresh.id, 1.0) is True


# -- races ------------------------------------------------------------------

def test_threads_racing_for_the_last_clip_get_exactly_one(database):
    store = TokenStore(database())
    barrier = threading.Barrier(RACE_WORKERS)
    per_trial = []
    with ThreadPoolExecutor(max_workers=RACE_WORKERS) as pool:
        for trial in range(RACE_TRIALS):
            label = f"t{trial}"
            store.issue(label, daily_limit=1)

            def attempt(_: int, label: str = label):
                barrier.wait(timeout=30)
                try:
                    return store.reserve(label, 1.0).id
                except QuotaExceeded:
                    return None

            ids = [i for i in pool.map(attempt, range(RACE_WORKERS), timeout=60) if i is not None]
            per_trial.append(len(ids))
            assert [row[0] for row in _rows(store, label)] == ids  # nothing lost, nothing extra
    assert per_trial == [1] * RACE_TRIALS


def test_threads_reserving_committing_and_refunding_never_overspend(database):
    store = TokenStore(database())
    store.issue("shared", daily_limit=3)
    barrier = threading.Barrier(RACE_WORKERS)

    def worker(seed: int) -> tuple[int, int]:
        rng = random.Random(seed)
        committed = refunded = 0
        barrier.wait(timeout=30)
        for _ in range(40):
            try:
                reservation = store.reserve("shared", 1.0)
            except QuotaExceeded:
                continue
            if rng.random() < 0.1:
                committed += store.commit(reservation.id, 1.0)
            else:
                refunded += store.refund(reservation.id)
        return committed, refunded

    with ThreadPoolExecutor(max_workers=RACE_WORKERS) as pool:
        results = list(pool.map(worker, range(RACE_WORKERS), timeout=120))
    committed = sum(c for c, _ in results)
    rows = _rows(store, "shared")
    assert committed == len(rows) <= 3 and all(state == "committed" for _, state, _ in rows)
    assert sum(r for _, r in results) > 0


def _process_worker(location: str, labels: list[str], barrier, results) -> None:
    store = TokenStore(location)  # each process opens the database itself, as a second server would
    for label in labels:
        barrier.wait(timeout=60)
        try:
            results.put((label, store.reserve(label, 1.0).id))
        except QuotaExceeded:
            results.put((label, None))


def test_processes_racing_on_one_database_get_exactly_one(database):
    db_path = database()
    store = TokenStore(db_path)
    labels = [f"p{trial}" for trial in range(RACE_TRIALS)]
    for label in labels:
        store.issue(label, daily_limit=1)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    barrier, results = context.Barrier(RACE_WORKERS), context.Queue()
    workers = [
        context.Process(target=_process_worker, args=(str(db_path), labels, barrier, results))
        for _ in range(RACE_WORKERS)
    ]
    for worker in workers:
        worker.start()
    try:
        outcomes = [results.get(timeout=60) for _ in range(RACE_TRIALS * RACE_WORKERS)]
    finally:
        for worker in workers:
            worker.join(timeout=30)
    assert [worker.exitcode for worker in workers] == [0] * RACE_WORKERS
    for label in labels:
        ids = [i for lab, i in outcomes if lab == label and i is not None]
        assert len(ids) == 1, (label, ids)
        assert [row[0] for row in _rows(store, label)] == ids


def test_a_restarted_server_refunds_its_own_leftovers_but_not_another_servers_clip_in_flight(database, clock):
    store = TokenStore(database(), clock=clock)
    store.issue("shared", daily_limit=10)
    mine = store.reserve("shared", 1.0, server="space:studio/reel")  # this server's, before its crash
    theirs = store.reserve("shared", 1.0, server="space:studio/reel-gpu")  # rendering on the other server now
    assert store.reconcile_reservations(datetime.timedelta(hours=1), server="space:studio/reel") == 1
    assert store.commit(mine.id, 1.0) is False and store.commit(theirs.id, 1.0) is True
    abandoned = store.reserve("shared", 1.0, server="laptop:7860")  # a server that never came back
    clock.advance(hours=1, seconds=1)
    assert store.reconcile_reservations(datetime.timedelta(hours=1), server="space:studio/reel") == 1
    assert store.commit(abandoned.id, 1.0) is False


def test_a_servers_name_is_its_setting_else_its_space_else_its_host_and_port():
    assert server_name_from_env({"REEL_SERVER_NAME": "gpu-1", "SPACE_ID": "studio/reel"}) == "gpu-1"
    assert server_name_from_env({"SPACE_ID": "studio/reel"}) == "space:studio/reel"
    assert server_name_from_env({"GRADIO_SERVER_PORT": "7861"}) == f"{socket.gethostname()}:7861"
    assert server_name_from_env({}) == f"{socket.gethostname()}:7860"


def test_new_limits_and_expiry_apply_from_the_next_clip_and_only_to_an_active_token(store: TokenStore, clock):
    token = store.issue("pupil", daily_limit=1)
    store.commit(store.reserve("pupil", 1.0).id, 1.0)
    with pytest.raises(QuotaExceeded):
        store.reserve("pupil", 1.0)
    assert store.set_limits("pupil", daily_limit=3, daily_seconds=2.5, expires_in=datetime.timedelta(hours=1))
    [info] = store.describe_tokens()
    assert (info.daily_limit, info.daily_seconds, info.expires_at) == (3, 2.5, "2026-05-09T13:00:00+00:00")
    store.commit(store.reserve("pupil", 1.5).id, 1.5)  # today's first clip still counts: 2.5 s in all
    with pytest.raises(QuotaExceeded):
        store.reserve("pupil", 0.5)
    assert store.set_limits("pupil")  # no limits, never expires
    store.reserve("pupil", 5.0)
    clock.advance(hours=2)
    assert store.verify(token) is not None, "no longer expires"
    store.revoke("pupil")
    assert not store.set_limits("pupil", daily_limit=9) and not store.set_limits("nobody")
    with pytest.raises(ValueError):
        store.set_limits("pupil", daily_limit=0)
