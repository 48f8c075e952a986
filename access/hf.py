"""Hugging Face sign-in as an alternative to Reel tokens: allow-list and token checks.

Pure logic; ``huggingface_hub`` is imported lazily, only by the default
``whoami``.  An HF token is never logged or stored: the cache is keyed by its
SHA-256 and holds only the username and organisations it resolved to.

Mock sign-in rule (``oauth_profile_allowed``): off Spaces, Gradio's sign-in
button is a mock that signs *every* visitor in as the account logged in on the
host machine.  So off Spaces a profile is accepted only when the app is not
shared (loopback only, no share link), i.e. the visitor is the developer; on
Spaces, where the sign-in is real, a profile with the mock's fixed markers is
refused anyway.  In every case the username must be on the allow-list.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import os
import re
import threading
import time
from typing import Any, Callable, Iterable, Mapping

from settings import read_settings

from .common import HF_DENIED_MESSAGE, AccessDenied, Grant

ALLOWED_USERS_ENV = "REEL_ALLOWED_USERS"
ALLOWED_ORGS_ENV = "REEL_ALLOWED_ORGS"
HF_DAILY_LIMIT_ENV = "REEL_HF_DAILY_LIMIT"
HF_DAILY_SECONDS_ENV = "REEL_HF_DAILY_SECONDS"
CACHE_SECONDS = 300.0
FAILURE_CACHE_SECONDS = 30.0
CACHE_ENTRIES = 1024
MAX_HF_TOKEN_CHARS = 1024
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}", re.ASCII)
# The fixed `sub` and `aud` of every profile Gradio's local mock sign-in makes; tests/test_gradio_internals.py
# holds them to the installed Gradio.
_MOCK_SUB = "1" * 23
_MOCK_AUD = "00000000-0000-0000-0000-000000000000"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _names(names: Iterable[str]) -> frozenset[str]:
    return frozenset(name.lower() for name in names)


@dataclasses.dataclass(frozen=True)
class AllowList:
    """HF users and organisations allowed to generate (lower-case); empty allows nobody.

    ``daily_limit``/``daily_seconds`` are the quota each signed-in user gets.
    """

    users: frozenset[str] = frozenset()
    orgs: frozenset[str] = frozenset()
    daily_limit: int | None = None
    daily_seconds: float | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "AllowList":
        """REEL_ALLOWED_USERS / REEL_ALLOWED_ORGS (comma-separated), REEL_HF_DAILY_*."""
        settings = read_settings(
            environ, (ALLOWED_USERS_ENV, ALLOWED_ORGS_ENV, HF_DAILY_LIMIT_ENV, HF_DAILY_SECONDS_ENV)
        )
        return cls(
            users=_names(settings[ALLOWED_USERS_ENV]),
            orgs=_names(settings[ALLOWED_ORGS_ENV]),
            daily_limit=settings[HF_DAILY_LIMIT_ENV],
            daily_seconds=settings[HF_DAILY_SECONDS_ENV],
        )

    @property
    def empty(self) -> bool:
        return not self.users and not self.orgs

    def allows(self, username: object, orgs: Iterable[object] = ()) -> bool:
        """True if the user, or one of their organisations, is listed (case-insensitive)."""
        if not isinstance(username, str) or not _NAME.fullmatch(username):
            return False
        if username.lower() in self.users:
            return True
        return any(isinstance(o, str) and o.lower() in self.orgs for o in orgs or ())

    def grant(self, username: str) -> Grant:
        return Grant(username, "hf", self.daily_limit, self.daily_seconds)


class WhoamiCache:
    """Bounded, thread-safe LRU of lookups keyed by the token's SHA-256.

    Successes live ``ttl`` seconds (a revoked HF token keeps working at most
    that long); failures a shorter ``failure_ttl``, so a bad token is not
    looked up again on every request but an outage heals quickly.
    """

    def __init__(
        self,
        ttl: float = CACHE_SECONDS,
        failure_ttl: float = FAILURE_CACHE_SECONDS,
        max_entries: int = CACHE_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl, self.failure_ttl, self.max_entries = ttl, failure_ttl, max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: collections.OrderedDict[str, tuple[float, Any]] = (
            collections.OrderedDict()
        )

    def get(self, key: str) -> tuple[bool, Any]:
        with self._lock:
            hit = self._entries.get(key)
            if hit is None or hit[0] <= self._clock():
                self._entries.pop(key, None)
                return False, None
            self._entries.move_to_end(key)
            return True, hit[1]

    def put(self, key: str, identity: Any) -> None:
        ttl = self.ttl if identity is not None else self.failure_ttl
        with self._lock:
            self._entries[key] = (self._clock() + ttl, identity)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


_DEFAULT_CACHE = WhoamiCache()


def _hub_whoami(token: str) -> Any:
    from huggingface_hub import whoami  # lazy: keeps `import access` light

    return whoami(token=token)


def _identity(info: object) -> tuple[str, tuple[str, ...]] | None:
    """(username, org names) from a whoami answer, or None if it is not a user's."""
    if not isinstance(info, Mapping):
        return None
    name = info.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        return None
    if info.get("type", "user") != "user":
        return None
    orgs = info.get("orgs") or []
    names = tuple(
        o["name"] for o in orgs if isinstance(o, Mapping) and isinstance(o.get("name"), str)
    ) if isinstance(orgs, list) else ()
    return name, names


def verify_hf_token(
    token: object,
    allow_list: AllowList,
    whoami: Callable[..., Any] | None = None,
    *,
    cache: WhoamiCache | None = None,
) -> Grant:
    """Grant for the HF user behind ``token`` if allow-listed; else AccessDenied.

    Any failed lookup (exception, offline mode, missing name, not a user)
    is a refusal.  ``whoami`` defaults to ``huggingface_hub.whoami``.
    """
    if not isinstance(token, str) or not token.strip() or len(token) > MAX_HF_TOKEN_CHARS:
        raise AccessDenied(HF_DENIED_MESSAGE)
    token = token.strip()
    cache = _DEFAULT_CACHE if cache is None else cache
    key = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
    found, identity = cache.get(key)
    if not found:
        lookup = whoami or _hub_whoami
        try:
            identity = _identity(lookup(token=token))
        except Exception:  # offline, network, 401, anything: refuse, never log
            identity = None
        cache.put(key, identity)
    if identity is None or not allow_list.allows(identity[0], identity[1]):
        raise AccessDenied(HF_DENIED_MESSAGE)
    return allow_list.grant(identity[0])


def running_on_spaces(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return bool(env.get("SPACE_ID"))


def is_shared(server_name: str | None, share: bool) -> bool:
    """True with a share link or when listening beyond loopback (e.g. 0.0.0.0)."""
    return bool(share) or (server_name or "127.0.0.1").strip().lower() not in _LOOPBACK


def _field(profile: Any, attr: str, key: str) -> Any:
    value = getattr(profile, attr, None)
    if value is None and isinstance(profile, Mapping):
        value = profile.get(key)
    return value


def looks_mocked(profile: Any) -> bool:
    """True for a profile carrying the fixed markers of Gradio's local mock sign-in."""
    if not isinstance(profile, Mapping):
        return False
    return profile.get("sub") == _MOCK_SUB or profile.get("aud") == _MOCK_AUD


def oauth_profile_allowed(
    profile: Any, allow_list: AllowList, running_on_spaces: bool, shared: bool
) -> bool:
    """Whether a Gradio OAuth profile may generate (rule in the module docstring)."""
    if profile is None:
        return False
    if not running_on_spaces and shared:
        return False  # every off-Spaces profile is the mock
    if running_on_spaces and looks_mocked(profile):
        return False
    username = _field(profile, "username", "preferred_username")
    raw_orgs = profile.get("orgs") if isinstance(profile, Mapping) else None
    orgs = [
        (o.get("preferred_username") or o.get("name")) if isinstance(o, Mapping) else o
        for o in (raw_orgs if isinstance(raw_orgs, list) else [])
    ]
    return allow_list.allows(username, orgs)


def signed_in_username(profile: Any, running_on_spaces: bool) -> str | None:
    """The username of a real Hugging Face sign-in (on Spaces, not Gradio's mock), else None."""
    if profile is None or not running_on_spaces or looks_mocked(profile):
        return None
    username = _field(profile, "username", "preferred_username")
    return username if isinstance(username, str) and username else None


def grant_for_profile(
    profile: Any, allow_list: AllowList, running_on_spaces: bool, shared: bool
) -> Grant:
    """Like ``oauth_profile_allowed`` but returns a Grant or raises AccessDenied."""
    if not oauth_profile_allowed(profile, allow_list, running_on_spaces, shared):
        raise AccessDenied(HF_DENIED_MESSAGE)
    return allow_list.grant(_field(profile, "username", "preferred_username"))
