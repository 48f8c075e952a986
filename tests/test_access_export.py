"""Export/merge of the token table for Spaces without a persistent disk."""

import base64
import datetime
import json
from pathlib import Path

import pytest

from access import EXPORT_PREFIX, Gate, TokenStore, check_export_from_env, hash_token, merge_export_from_env
from access.gate import SHARED_LEFTOVER_AGE


def _decode(line: str) -> dict:
    assert line.startswith(EXPORT_PREFIX)
    return json.loads(base64.urlsafe_b64decode(line[len(EXPORT_PREFIX):]))


def _encode(payload: dict) -> str:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return EXPORT_PREFIX + base64.urlsafe_b64encode(body).decode()


@pytest.fixture
def laptop(database) -> TokenStore:
    return TokenStore(database())


@pytest.fixture
def space(database) -> TokenStore:
    return TokenStore(database())


def test_export_is_one_line_of_hashes_never_secrets(laptop: TokenStore):
    alice = laptop.issue("alice", daily_limit=5, daily_seconds=60.5)
    bob = laptop.issue("bob")
    laptop.revoke("bob")
    line = laptop.export_line()
    assert "\n" not in line and line == line.strip()
    assert alice not in line and bob not in line
    payload = _decode(line)
    assert alice not in json.dumps(payload) and alice[5:] not in json.dumps(payload)
    by_label = {t["l"]: t for t in payload["tokens"]}
    assert by_label["alice"]["h"] == hash_token(alice, None)
    assert (by_label["alice"]["n"], by_label["alice"]["s"]) == (5, 60.5)
    assert "r" not in by_label["alice"] and by_label["bob"]["r"]


def test_a_fresh_space_learns_every_token_from_the_export(laptop: TokenStore, space: TokenStore):
    alice = laptop.issue("alice", daily_limit=2)
    carol = laptop.issue("carol")
    laptop.issue("bob")
    laptop.revoke("bob")
    line = laptop.export_line()
    assert space.merge_export(line) == 2  # the revoked one is not added as a live token
    assert space.verify(alice).label == "alice" and space.verify(carol).label == "carol"
    [info] = [i for i in space.describe_tokens() if i.label == "alice"]
    assert info.daily_limit == 2
    assert space.merge_export(line) == 0  # merging again changes nothing
    assert [t.label for t in space.list_tokens()] == ["alice", "carol"]


def test_revoked_in_either_place_stays_revoked(laptop: TokenStore, space: TokenStore):
    alice, bob = laptop.issue("alice"), laptop.issue("bob")
    space.merge_export(laptop.export_line())
    laptop.revoke("alice")  # revoked on the laptop: the next export revokes it on the Space
    report = space.merge_export_report(laptop.export_line())
    assert report.revoked == 1 and space.verify(alice) is None
    space.revoke("bob")  # revoked on the Space: an export that still has it live changes nothing
    space.merge_export(laptop.export_line())
    assert space.verify(bob) is None


def test_a_retired_hash_never_comes_back(database, laptop: TokenStore, space: TokenStore):
    old = laptop.issue("alice")
    stale_export = laptop.export_line()
    space.merge_export(stale_export)
    space.revoke("alice")
    new = space.issue("alice")  # re-issue replaces the row; the old hash is retired
    assert space.merge_export(stale_export) == 0
    assert space.verify(old) is None and space.verify(new).label == "alice"
    # The retirement travels in the Space's own export too.
    third = TokenStore(database())
    third.merge_export(space.export_line())
    assert third.merge_export(stale_export) == 0 and third.verify(old) is None


def test_an_export_never_displaces_an_active_local_label(laptop: TokenStore, space: TokenStore):
    exported = laptop.issue("alice")
    local = space.issue("alice")
    report = space.merge_export_report(laptop.export_line())
    assert (report.inserted, report.skipped) == (0, 1)
    assert space.verify(local).label == "alice" and space.verify(exported) is None
    space.revoke("alice")  # once the local one is revoked, the exported one may take the label
    assert space.merge_export(laptop.export_line()) == 1
    assert space.verify(exported).label == "alice" and space.verify(local) is None


def test_merging_keeps_the_stricter_limits_and_expiry(laptop: TokenStore, space: TokenStore):
    token = laptop.issue("alice", daily_limit=5)
    payload = _decode(laptop.export_line())
    space.merge_export(_encode(payload))
    payload["tokens"][0].update(n=10, s=30.0, e="2030-01-01T00:00:00+00:00")
    space.merge_export(_encode(payload))
    [info] = space.describe_tokens()
    assert (info.daily_limit, info.daily_seconds, info.expires_at) == (5, 30.0, "2030-01-01T00:00:00+00:00")
    payload["tokens"][0].update(n=1, e="2029-01-01T00:00:00+00:00")
    space.merge_export(_encode(payload))
    [info] = space.describe_tokens()
    assert (info.daily_limit, info.expires_at) == (1, "2029-01-01T00:00:00+00:00")
    assert space.verify(token) is not None


def _malformed_lines(token: str) -> list:
    entry = {"h": "a" * 64, "l": "ok", "c": "2026-01-01T00:00:00+00:00"}
    return [
        None, 42, "", "   ", token, EXPORT_PREFIX, EXPORT_PREFIX + token, "reel-tokens-v2:" + token,
        EXPORT_PREFIX + "!!!!", EXPORT_PREFIX + base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        EXPORT_PREFIX + base64.urlsafe_b64encode(token.encode()).decode(),
        _encode([]), _encode({"v": 2, "p": False, "tokens": []}), _encode({"v": 1, "p": False}),
        _encode({"v": 1, "tokens": []}),
        _encode({"v": 1, "p": False, "tokens": [{**entry, "h": token}]}),
        _encode({"v": 1, "p": False, "tokens": [{**entry, "l": "bad label"}]}),
        _encode({"v": 1, "p": False, "tokens": [{**entry, "c": "yesterday"}]}),
        _encode({"v": 1, "p": False, "tokens": [{**entry, "n": 0}]}),
        _encode({"v": 1, "p": False, "tokens": [{**entry, "s": "NaN"}]}),
        EXPORT_PREFIX + base64.urlsafe_b64encode(
            b'{"v":1,"p":false,"tokens":[{"h":"' + b"a" * 64 + b'","l":"ok","c":"2026-01-01","s":NaN}]}'
        ).decode(),
        _encode({"v": 1, "p": False, "tokens": [entry], "retired": [token]}),
        _encode({"v": 1, "p": False, "tokens": ["x"]}),
        EXPORT_PREFIX + "A" * 5_000_000,
    ]


def test_malformed_exports_raise_a_clear_error_without_echoing(laptop: TokenStore, space: TokenStore):
    secret_looking = laptop.issue("probe")
    for line in _malformed_lines(secret_looking):
        with pytest.raises(ValueError) as caught:
            space.merge_export(line)
        message = str(caught.value)
        assert "REEL_TOKENS is not a valid Reel token export" in message, message
        assert secret_looking not in message and len(message) < 200
        # No chained exception either: a traceback must not show a decoder's view of the line.
        error = caught.value
        assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert space.list_tokens() == []


def test_pepper_mismatch_is_refused(tmp_path: Path):
    peppered = TokenStore(tmp_path / "a.sqlite3", pepper=b"pep")
    plain = TokenStore(tmp_path / "b.sqlite3")
    token = peppered.issue("alice")
    with pytest.raises(ValueError, match="REEL_TOKEN_PEPPER"):
        plain.merge_export(peppered.export_line())
    with pytest.raises(ValueError, match="REEL_TOKEN_PEPPER"):
        peppered.merge_export(plain.export_line())
    same = TokenStore(tmp_path / "c.sqlite3", pepper=b"pep")
    assert same.merge_export(peppered.export_line()) == 1 and same.verify(token) is not None


def test_a_bad_reel_tokens_is_refused_before_the_store_is_opened(tmp_path: Path):
    """The app checks REEL_TOKENS before its models load; the merge itself comes after."""
    peppered = TokenStore(tmp_path / "a.sqlite3", pepper=b"pep")
    peppered.issue("alice")
    line = peppered.export_line()
    check_export_from_env({})  # unset: nothing to check
    check_export_from_env({"REEL_TOKENS": line, "REEL_TOKEN_PEPPER": "pep"})
    with pytest.raises(ValueError, match="exported with REEL_TOKEN_PEPPER"):
        check_export_from_env({"REEL_TOKENS": line})
    with pytest.raises(ValueError, match="REEL_TOKENS is not a valid Reel token export") as caught:
        check_export_from_env({"REEL_TOKENS": "reel-tokens-v1:garbage"})
    assert "garbage" not in str(caught.value)


def test_startup_merges_reel_tokens_and_refunds_leftovers(database, laptop: TokenStore):
    now = [datetime.datetime(2026, 5, 9, 12, tzinfo=datetime.timezone.utc)]
    space_location = database()
    space = TokenStore(space_location, clock=lambda: now[0])
    token = laptop.issue("alice", daily_limit=1)
    assert merge_export_from_env(space, {}).inserted == 0
    report = Gate(space).startup({"REEL_TOKENS": laptop.export_line() + "\n"})
    assert (report.refunded, report.merged.inserted) == (0, 1)
    space.reserve("alice", 1.0)  # a crash leaves this pending
    restarted = Gate(TokenStore(space_location, clock=lambda: now[0]))
    if space.is_server:  # another server's clip may be in flight: only a reservation older than any clip goes
        assert restarted.startup({}).refunded == 0
        now[0] += SHARED_LEFTOVER_AGE + datetime.timedelta(seconds=1)
    report = restarted.startup({"REEL_TOKENS": laptop.export_line()})
    assert (report.refunded, report.merged.inserted) == (1, 0)
    assert space.verify(token) is not None and space.reserve("alice", 1.0)
    with pytest.raises(ValueError):
        Gate(space).startup({"REEL_TOKENS": "garbage"})
