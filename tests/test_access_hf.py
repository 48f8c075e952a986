"""Hugging Face sign-in: allow-list, token lookups and the mock sign-in rule."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from access import HF_DENIED_MESSAGE, AccessDenied, AllowList, Grant, oauth_profile_allowed, verify_hf_token
from access.hf import WhoamiCache, grant_for_profile, is_shared, looks_mocked, running_on_spaces

REPO_ROOT = Path(__file__).resolve().parents[1]
HF_TOKEN = "hf_" + "Z" * 34


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeWhoami:
    """Counts lookups; answers from a dict, or raises what it was given."""

    def __init__(self, answers: dict) -> None:
        self.answers, self.calls = answers, 0

    def __call__(self, token: str):
        self.calls += 1
        answer = self.answers[token]
        if isinstance(answer, BaseException):
            raise answer
        return answer


ALLOW = AllowList(users=frozenset({"ada"}), orgs=frozenset({"reel-team"}))


def test_allow_list_from_env_is_case_insensitive_and_empty_allows_nobody():
    allow = AllowList.from_env({"REEL_ALLOWED_USERS": " Ada, ,BOB ", "REEL_ALLOWED_ORGS": "Reel-Team",
                                "REEL_HF_DAILY_LIMIT": "3", "REEL_HF_DAILY_SECONDS": "12.5"})
    assert allow.users == {"ada", "bob"} and allow.orgs == {"reel-team"}
    assert (allow.daily_limit, allow.daily_seconds) == (3, 12.5)
    assert allow.allows("ADA") and allow.allows("bob", [])
    assert allow.allows("carol", ["other", "REEL-TEAM"])
    assert not allow.allows("carol", ["other"]) and not allow.allows("", []) and not allow.allows(None)
    assert not allow.allows("ada,bob") and not allow.allows("carol", [None, 3])
    nobody = AllowList.from_env({})
    assert nobody.empty and not nobody.allows("ada", ["reel-team"])
    assert (nobody.daily_limit, nobody.daily_seconds) == (None, None)
    for bad in ({"REEL_HF_DAILY_LIMIT": "0"}, {"REEL_HF_DAILY_LIMIT": "two"},
                {"REEL_HF_DAILY_SECONDS": "nan"}, {"REEL_HF_DAILY_SECONDS": "-1"}):
        with pytest.raises(ValueError):
            AllowList.from_env(bad)


def test_verify_hf_token_grants_allowed_users_and_caches_by_hash():
    whoami = FakeWhoami({HF_TOKEN: {"name": "Ada", "type": "user", "orgs": []}})
    ticks = Ticks()
    cache = WhoamiCache(ttl=300, clock=ticks)
    grant = verify_hf_token(HF_TOKEN, ALLOW, whoami, cache=cache)
    assert grant == Grant("Ada", "hf") and grant.quota_key == "hf:ada"
    ticks.now = 299
    assert verify_hf_token(f" {HF_TOKEN}\n", ALLOW, whoami, cache=cache) == grant
    assert whoami.calls == 1
    assert HF_TOKEN not in repr(cache._entries)  # keyed by SHA-256, value is the identity only
    ticks.now = 300
    verify_hf_token(HF_TOKEN, ALLOW, whoami, cache=cache)
    assert whoami.calls == 2
    # The allow-list is applied on every call, cached identity or not.
    with pytest.raises(AccessDenied):
        verify_hf_token(HF_TOKEN, AllowList(), whoami, cache=cache)


def test_org_membership_grants_access():
    whoami = FakeWhoami({HF_TOKEN: {"name": "carol", "orgs": [{"name": "Reel-Team"}, {"x": 1}, "junk"]}})
    assert verify_hf_token(HF_TOKEN, ALLOW, whoami, cache=WhoamiCache()).label == "carol"


def _offline_error() -> BaseException:
    from huggingface_hub.errors import OfflineModeIsEnabled

    return OfflineModeIsEnabled(f"offline; token {HF_TOKEN}")


@pytest.mark.parametrize("answer", [
    RuntimeError(f"401 for {HF_TOKEN}"), ConnectionError("no network"), "offline", None, {},
    {"name": ""}, {"name": None}, {"name": "bad name!"}, {"name": "reel-team", "type": "org"},
    {"name": "mallory", "type": "user"}, ["ada"],
])
def test_any_failed_or_unallowed_lookup_is_refused(answer, caplog):
    if answer == "offline":
        answer = _offline_error()
    caplog.set_level(logging.DEBUG)
    whoami = FakeWhoami({HF_TOKEN: answer})
    with pytest.raises(AccessDenied) as caught:
        verify_hf_token(HF_TOKEN, ALLOW, whoami, cache=WhoamiCache())
    assert caught.value.message == HF_DENIED_MESSAGE
    assert caught.value.__context__ is None  # no chained error carrying the token
    assert HF_TOKEN not in caught.value.message and HF_TOKEN not in caplog.text


def test_failures_are_cached_briefly_and_bad_input_is_refused_without_a_lookup():
    whoami = FakeWhoami({HF_TOKEN: RuntimeError("down")})
    ticks = Ticks()
    cache = WhoamiCache(failure_ttl=30, clock=ticks)
    for _ in range(5):
        with pytest.raises(AccessDenied):
            verify_hf_token(HF_TOKEN, ALLOW, whoami, cache=cache)
    assert whoami.calls == 1
    ticks.now = 30
    whoami.answers[HF_TOKEN] = {"name": "ada"}
    assert verify_hf_token(HF_TOKEN, ALLOW, whoami, cache=cache).label == "ada"
    for bad in (None, "", "   ", 42, "x" * 5000):
        with pytest.raises(AccessDenied):
            verify_hf_token(bad, ALLOW, whoami, cache=cache)
    assert whoami.calls == 2


def test_the_cache_is_bounded():
    cache = WhoamiCache(max_entries=10)
    whoami = FakeWhoami({f"hf_{i:040d}": {"name": "ada"} for i in range(50)})
    for token in whoami.answers:
        verify_hf_token(token, ALLOW, whoami, cache=cache)
    assert len(cache) == 10


def test_the_real_lookup_offline_is_a_refusal_and_import_is_lazy():
    code = (
        "import sys, access, access.hf\n"
        "assert 'huggingface_hub' not in sys.modules\n"
        "from access import AccessDenied, AllowList, verify_hf_token\n"
        "try:\n"
        f"    verify_hf_token({HF_TOKEN!r}, AllowList(users=frozenset({{'ada'}})))\n"
        "except AccessDenied as denied:\n"
        "    print('refused:', denied.message)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"refused: {HF_DENIED_MESSAGE}"
    assert HF_TOKEN not in out.stdout + out.stderr


# -- Gradio OAuth profiles --------------------------------------------------

REAL = {"sub": "6523f0a1b2c3d4e5f6a7b8c9", "preferred_username": "ada", "name": "Ada",
        "aud": "5f0e6c2a-1111-2222-3333-444455556666"}
MOCK = {"sub": "1" * 23, "preferred_username": "ada", "name": "Ada",
        "aud": "00000000-0000-0000-0000-000000000000", "nonce": "a" * 19}


class ProfileObject(dict):
    """Shaped like gradio.OAuthProfile: a dict with a ``username`` attribute."""

    def __init__(self, data: dict) -> None:
        super().__init__(data)
        self.username = data["preferred_username"]


@pytest.mark.parametrize(("profile", "on_spaces", "shared", "allowed"), [
    (REAL, True, True, True),
    (ProfileObject(REAL), True, True, True),
    (MOCK, True, True, False),  # mock markers are refused even on Spaces
    (ProfileObject(MOCK), True, False, False),
    (MOCK, False, False, True),  # local, not shared: the developer themself
    (MOCK, False, True, False),  # shared off Spaces: every visitor would be the host's account
    (REAL, False, True, False),
    ({**REAL, "preferred_username": "mallory"}, True, True, False),
    ({**REAL, "preferred_username": "eve", "orgs": [{"preferred_username": "Reel-Team"}]}, True, True, True),
    (None, True, False, False),
    ({}, True, False, False),
])
def test_oauth_profile_allowed(profile, on_spaces, shared, allowed):
    assert oauth_profile_allowed(profile, ALLOW, on_spaces, shared) is allowed
    if allowed:
        assert grant_for_profile(profile, ALLOW, on_spaces, shared).source == "hf"
    else:
        with pytest.raises(AccessDenied):
            grant_for_profile(profile, ALLOW, on_spaces, shared)


def test_empty_allow_list_refuses_every_profile():
    assert not oauth_profile_allowed(REAL, AllowList(), True, False)
    assert not oauth_profile_allowed(MOCK, AllowList(), False, False)


def test_helpers_for_the_rule():
    assert looks_mocked(MOCK) and not looks_mocked(REAL) and not looks_mocked(None)
    assert running_on_spaces({"SPACE_ID": "me/reel"}) and not running_on_spaces({})
    assert is_shared("0.0.0.0", False) and is_shared("127.0.0.1", True)
    assert not is_shared(None, False) and not is_shared("localhost", False) and not is_shared("::1", False)
