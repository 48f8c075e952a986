"""Lockout after repeated failures, and the client id it counts against."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from starlette.datastructures import Headers

from access import (
    INVALID_TOKEN_MESSAGE, MISSING_TOKEN_MESSAGE, AccessDenied, Gate, Grant, Lockout, QuotaExceeded,
    TokenStore, client_id, new_token, trusted_proxy_hops_from_env,
)
from access.common import lockout_message

UTC = datetime.timezone.utc


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Monotonic:
    return Monotonic()


@pytest.fixture
def gate(tmp_path: Path, ticks: Monotonic) -> Gate:
    return Gate(TokenStore(tmp_path / "access.sqlite3"), lockout=Lockout(clock=ticks))


def _refusal(gate: Gate, token, client: str = "203.0.113.7") -> str:
    with pytest.raises(AccessDenied) as caught:
        gate.admit(token, client)
    return caught.value.message


def test_twenty_failures_lock_the_client_even_with_a_correct_token(gate: Gate, ticks: Monotonic):
    good = gate.store.issue("alice")
    for _ in range(19):
        assert _refusal(gate, new_token()) == INVALID_TOKEN_MESSAGE
        ticks.now += 1
    assert gate.admit(good, "203.0.113.7").label == "alice"  # 19 is still fine
    assert _refusal(gate, new_token()) == INVALID_TOKEN_MESSAGE  # the 20th failure
    assert _refusal(gate, good) == "Too many failed attempts; try again in 10 minutes."
    assert gate.admit(good, "198.51.100.1").label == "alice"  # other clients are unaffected
    # The first failure was at t=1000, so the window has room again at t=1600.
    ticks.now = 1599.0
    assert _refusal(gate, good) == "Too many failed attempts; try again in 1 minute."
    ticks.now = 1600.0
    assert gate.admit(good, "203.0.113.7").label == "alice"
    assert _refusal(gate, "nope") == INVALID_TOKEN_MESSAGE  # 20 failures in the window again
    assert _refusal(gate, good).startswith("Too many failed attempts")


def test_every_kind_of_bad_token_counts_as_a_failure(gate: Gate, ticks: Monotonic):
    store = gate.store
    revoked = store.issue("revoked")
    store.revoke("revoked")
    expiring = TokenStore(store.db_path, clock=lambda: datetime.datetime(2000, 1, 1, tzinfo=UTC)).issue(
        "expired", expires_in=datetime.timedelta(minutes=1))
    bad = [new_token(), revoked, expiring, "reel_short", "x" * 5000, 42, None, "", "   "]
    expected = [INVALID_TOKEN_MESSAGE] * 6 + [MISSING_TOKEN_MESSAGE] * 3
    for _ in range(2):
        assert [_refusal(gate, token) for token in bad] == expected
    assert gate.lockout.seconds_locked("203.0.113.7") == 0  # 18 failures
    _refusal(gate, None)
    assert gate.lockout.seconds_locked("203.0.113.7") == 0
    _refusal(gate, "")
    assert gate.lockout.seconds_locked("203.0.113.7") == 600


def test_quota_refusals_are_not_failed_attempts(gate: Gate):
    token = gate.store.issue("thrifty", daily_limit=1)
    grant = gate.admit(token, "203.0.113.7")
    gate.succeed(gate.begin(grant, 1.0, "203.0.113.7", "a cat"), 1.0)
    for _ in range(30):
        grant = gate.admit(token, "203.0.113.7")
        with pytest.raises(QuotaExceeded):
            gate.begin(grant, 1.0, "203.0.113.7", "a cat")
        with pytest.raises(QuotaExceeded):
            gate.check_quota(grant, 1.0)
    assert gate.lockout.seconds_locked("203.0.113.7") == 0
    assert gate.admit(token, "203.0.113.7") == Grant("thrifty")


def test_attempts_while_locked_do_not_extend_the_lock(ticks: Monotonic):
    lockout = Lockout(max_failures=3, window_seconds=60, clock=ticks)
    assert [lockout.record_failure("c") for _ in range(3)] == [False, False, True]
    for _ in range(50):
        ticks.now += 1
        assert lockout.record_failure("c") is False
        with pytest.raises(AccessDenied):
            lockout.check("c")
    ticks.now = 1060.0
    lockout.check("c")  # unlocked exactly one window after the first failure


def test_failures_outside_the_window_do_not_count(ticks: Monotonic):
    lockout = Lockout(clock=ticks)
    for _ in range(19):
        lockout.record_failure("c")
    ticks.now += 601
    for _ in range(19):
        lockout.record_failure("c")
    lockout.check("c")  # 19 in the window; the first 19 have left it
    assert lockout.record_failure("c") is True  # the 20th inside the window


@pytest.mark.parametrize(("seconds", "minutes"), [(600, "10 minutes"), (599.5, "10 minutes"),
                                                  (61, "2 minutes"), (60, "1 minute"), (0.2, "1 minute")])
def test_lockout_message_rounds_minutes_up(seconds, minutes):
    assert lockout_message(seconds) == f"Too many failed attempts; try again in {minutes}."


def test_threads_failing_at_once_lock_exactly_once(ticks: Monotonic):
    lockout = Lockout(clock=ticks)
    barrier = threading.Barrier(8)

    def hammer(_: int) -> int:
        barrier.wait(timeout=30)
        return sum(lockout.record_failure("shared") for _ in range(50))

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sum(pool.map(hammer, range(8), timeout=60)) == 1
    with pytest.raises(AccessDenied):
        lockout.check("shared")


def test_memory_is_bounded(ticks: Monotonic):
    lockout = Lockout(max_clients=100, clock=ticks)
    for i in range(1000):
        lockout.record_failure(f"10.0.{i // 256}.{i % 256}")
    assert lockout.tracked_clients() == 100
    ticks.now += 601
    lockout.record_failure("192.0.2.1")
    assert lockout.tracked_clients() < 100
    for i in range(300):  # periodic pruning drops stale clients even below the cap
        lockout.record_failure(f"10.1.0.{i % 50}")
    ticks.now += 601
    for i in range(300):
        lockout.record_failure(f"10.2.0.{i % 20}")
    assert lockout.tracked_clients() == 20  # the 51 stale ones are gone


def test_failed_and_locked_attempts_are_audited_but_locked_repeats_are_not(gate: Gate):
    for _ in range(20):
        _refusal(gate, new_token())
    for _ in range(10):
        _refusal(gate, new_token())
    outcomes = [entry.outcome for entry in gate.audit.recent(100)]
    assert outcomes.count("denied") == 20 and outcomes.count("locked") == 1 and len(outcomes) == 21


# -- client ids -------------------------------------------------------------

@pytest.mark.parametrize(("headers", "peer", "hops", "expected"), [
    ({"X-Forwarded-For": "203.0.113.9, 10.0.0.1"}, "10.0.0.2", 1, "10.0.0.1"),  # the rightmost: one proxy
    ({"X-Forwarded-For": "203.0.113.9, 10.0.0.1"}, "10.0.0.2", 2, "203.0.113.9"),  # two proxies
    ({"X-Forwarded-For": "x, 203.0.113.9, 10.0.0.1"}, "10.0.0.2", 2, "203.0.113.9"),  # what lies left is ignored
    ({"x-forwarded-for": " 203.0.113.9 "}, "10.0.0.2", 1, "203.0.113.9"),
    ({"X-Forwarded-For": "203.0.113.9"}, "192.0.2.5", 0, "192.0.2.5"),  # 0: the header is never read
    ({}, "10.0.0.2", 1, "10.0.0.2"),  # no header: the request did not pass the proxy
    ({"X-Forwarded-For": "   "}, "10.0.0.2", 1, "10.0.0.2"),
    ({"X-Forwarded-For": "203.0.113.9"}, "10.0.0.2", 2, "10.0.0.2"),  # shorter than two proxies make it
    ({"X-Forwarded-For": "203.0.113.9, 10.0.0.1"}, "10.0.0.2", 3, "10.0.0.2"),
    ({"X-Forwarded-For": "203.0.113.9:4711"}, None, 1, "203.0.113.9"),
    ({"X-Forwarded-For": "[2001:db8:1:2:3:4:5:6]:443"}, None, 1, "2001:db8:1:2::/64"),
    ({}, "2001:db8:1:2:aaaa::1", 0, "2001:db8:1:2::/64"),
    ({}, "::ffff:192.0.2.7", 0, "192.0.2.7"),
    ({"X-Forwarded-For": "not-an-ip"}, "10.0.0.2", 1, "invalid-forwarded-for"),
    ({"X-Forwarded-For": "203.0.113.9, not-an-ip"}, "10.0.0.2", 1, "invalid-forwarded-for"),
    ({"X-Forwarded-For": "203.0.113.9,, 10.0.0.1"}, "10.0.0.2", 2, "invalid-forwarded-for"),  # an empty entry
    ({"X-Forwarded-For": "not-an-ip, 203.0.113.9"}, "10.0.0.2", 1, "203.0.113.9"),
    ({}, None, 0, "unknown"),
    ({}, "testclient", 0, "unknown"),
    (None, "10.0.0.2", 1, "10.0.0.2"),
])
def test_client_id(headers, peer, hops, expected):
    assert client_id(headers, peer, hops) == expected


def test_a_token_sent_as_forwarded_for_never_becomes_a_client_id():
    token = new_token()
    for headers, peer in (({"X-Forwarded-For": token}, None), ({"X-Forwarded-For": f"{token}, 1.2.3.4"}, None),
                          ({"X-Forwarded-For": f"1.2.3.4, {token}"}, None), ({}, token)):
        for hops in (0, 1, 2):
            assert token not in client_id(headers, peer, hops)


REAL = "198.51.100.7"  # the address the proxy was connected from, which it appends
PROXY = "10.0.0.2"  # the peer every request arrives from
FORGED = ["203.0.113.1", "203.0.113.1, 192.0.2.9", "not-an-ip", "", " , ", "2001:db8::1", "1.2.3.4:80",
          "10.0.0.2", "unknown", "x" * 5000, ",".join(["192.0.2.1"] * 1000)]


@pytest.mark.parametrize("forged", FORGED)
def test_a_forged_header_cannot_change_who_the_client_is_with_one_proxy(forged):
    """The client sends its own X-Forwarded-For; the proxy appends the address it saw."""
    assert client_id({"X-Forwarded-For": f"{forged}, {REAL}"}, PROXY, 1) == REAL
    lines = Headers(raw=[(b"x-forwarded-for", forged.encode()), (b"x-forwarded-for", REAL.encode())])
    assert client_id(lines, PROXY, 1) == REAL  # the proxy added a line of its own instead


@pytest.mark.parametrize("forged", FORGED)
def test_a_forged_header_cannot_change_who_the_client_is_with_two_proxies(forged):
    """The outer proxy appends the client, the inner one appends the outer one."""
    assert client_id({"X-Forwarded-For": f"{forged}, {REAL}, 10.1.0.1"}, PROXY, 2) == REAL


def test_a_forged_header_neither_escapes_the_lockout_nor_pins_it_on_someone_else(gate: Gate):
    victim, attacker = "203.0.113.7", "198.51.100.66"
    good = gate.store.issue("victim")

    def seen(forged: str | None, real: str) -> str:  # the header as the proxy passes it on
        header = real if forged is None else f"{forged}, {real}"
        return client_id({"X-Forwarded-For": header}, PROXY, 1)

    for _ in range(20):  # guesses that name the victim as the first hop
        assert _refusal(gate, new_token(), seen(victim, attacker)) == INVALID_TOKEN_MESSAGE
    assert gate.admit(good, seen(None, victim)) == Grant("victim")
    for forged in (None, victim, "192.0.2.1", "192.0.2.1, 192.0.2.2", "garbage"):
        assert _refusal(gate, good, seen(forged, attacker)).startswith("Too many failed attempts")
    assert gate.lockout.seconds_locked(attacker) == 600 and gate.lockout.seconds_locked(victim) == 0


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, 0), ({"SPACE_ID": "me/reel"}, 1), ({"SPACE_ID": ""}, 0),
    ({"REEL_TRUSTED_PROXY_HOPS": "0", "SPACE_ID": "me/reel"}, 0), ({"REEL_TRUSTED_PROXY_HOPS": " 2 "}, 2),
    ({"REEL_TRUSTED_PROXY_HOPS": "", "SPACE_ID": "me/reel"}, 1), ({"REEL_TRUSTED_PROXY_HOPS": "1"}, 1),
])
def test_trusted_proxy_hops_from_env(environ, expected):
    assert trusted_proxy_hops_from_env(environ) == expected


@pytest.mark.parametrize("text", ["-1", "one", "1.5", "1e2", "+1", "0x1", "\u0663", "1 2", "true"])
def test_a_bad_trusted_proxy_hops_is_refused_with_the_setting_named(text):
    with pytest.raises(ValueError, match="REEL_TRUSTED_PROXY_HOPS must be a whole number, 0 or more"):
        trusted_proxy_hops_from_env({"REEL_TRUSTED_PROXY_HOPS": text})


def test_a_locked_out_client_stays_locked_out_after_a_restart_and_only_until_its_lock_ends(database):
    location = database()
    now = [datetime.datetime(2026, 5, 9, 12, tzinfo=UTC)]
    before = Gate(TokenStore(location, clock=lambda: now[0]), lockout=Lockout(max_failures=2))
    good = before.store.issue("patient")
    for _ in range(2):
        _refusal(before, "reel_" + "1" * 49, client="198.51.100.9")
    assert before.lockout.seconds_locked("198.51.100.9") > 0

    restarted = Gate(TokenStore(location, clock=lambda: now[0]), lockout=Lockout(max_failures=2))
    restarted.startup({})
    assert _refusal(restarted, good, client="198.51.100.9").startswith("Too many failed attempts")
    assert restarted.admit(good, "198.51.100.10").label == "patient", "only that client"

    now[0] += datetime.timedelta(minutes=11)  # past the ten-minute window
    later = Gate(TokenStore(location, clock=lambda: now[0]), lockout=Lockout(max_failures=2))
    later.startup({})
    assert later.admit(good, "198.51.100.9").label == "patient"
