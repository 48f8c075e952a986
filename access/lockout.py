"""Lock out a client after too many failed attempts, and name clients safely.

A sliding window: a client with ``max_failures`` failures inside the last
``window_seconds`` is refused, even with a correct token, until the oldest of
those failures leaves the window.  Rules chosen, and why:

* Attempts refused *because* of the lockout are not recorded, so a locked
  client's wait never grows and "try again in N minutes" stays true.
* A success does not clear failures: otherwise someone holding one valid token
  could interleave it with guesses and never be locked.
* Memory is bounded: stale clients are pruned and at most ``max_clients`` are
  tracked, least recently seen evicted first.
"""

from __future__ import annotations

import collections
import ipaddress
import os
import threading
import time
from typing import Callable, Mapping

from settings import read_setting

from .common import AccessDenied, lockout_message

MAX_FAILURES = 20
WINDOW_SECONDS = 600.0
MAX_CLIENTS = 10_000
_PRUNE_EVERY = 256
UNKNOWN_CLIENT = "unknown"
BAD_FORWARDED_CLIENT = "invalid-forwarded-for"
TRUSTED_PROXY_HOPS_ENV = "REEL_TRUSTED_PROXY_HOPS"


class Lockout:
    """Thread-safe failure counter per client id; ``clock`` is injectable (monotonic seconds)."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window_seconds: float = WINDOW_SECONDS,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_failures < 1 or window_seconds <= 0 or max_clients < 1:
            raise ValueError("max_failures, window_seconds and max_clients must be positive")
        self.max_failures = max_failures
        self.window_seconds = float(window_seconds)
        self.max_clients = max_clients
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )
        self._since_prune = 0

    def seconds_locked(self, client: str) -> float:
        """Seconds until ``client`` may try again; 0.0 when it is not locked."""
        with self._lock:
            return self._left(client, self._clock())

    def check(self, client: str) -> None:
        """Raise AccessDenied("Too many failed attempts; ...") while ``client`` is locked."""
        with self._lock:
            left = self._left(client, self._clock())
            if left > 0:
                self._failures.move_to_end(client)
        if left > 0:
            raise AccessDenied(lockout_message(left))

    def record_failure(self, client: str) -> bool:
        """Count one failed attempt; True if this very failure locked the client."""
        with self._lock:
            now = self._clock()
            if self._left(client, now) > 0:
                return False  # refused by the lockout, not a new guess
            times = self._failures.get(client)
            if times is None:
                times = collections.deque(maxlen=self.max_failures)
                self._failures[client] = times
            times.append(now)
            self._failures.move_to_end(client)
            self._since_prune += 1
            if self._since_prune >= _PRUNE_EVERY or len(self._failures) > self.max_clients:
                self._prune(now)
            return self._left(client, now) > 0

    def restore(self, client: str, seconds_left: float) -> None:
        """Lock ``client`` for ``seconds_left`` more seconds, as a lock remembered across a restart is."""
        if seconds_left <= 0:
            return
        with self._lock:
            now = self._clock()
            first = now - self.window_seconds + min(seconds_left, self.window_seconds)
            self._failures[client] = collections.deque([first] * self.max_failures, maxlen=self.max_failures)
            self._failures.move_to_end(client)

    def tracked_clients(self) -> int:
        with self._lock:
            return len(self._failures)

    def _left(self, client: str, now: float) -> float:
        times = self._failures.get(client)
        if times is None or len(times) < self.max_failures:
            return 0.0
        return max(0.0, times[0] + self.window_seconds - now)

    def _prune(self, now: float) -> None:
        self._since_prune = 0
        cutoff = now - self.window_seconds
        for client in [c for c, t in self._failures.items() if t[-1] <= cutoff]:
            del self._failures[client]
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)


def _normalize_ip(text: object) -> str | None:
    """Canonical address, or None.  IPv6 is grouped by /64, which one host usually owns."""
    if not isinstance(text, str) or not text or len(text) > 100:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _forwarded_for(headers: Mapping[str, str] | None) -> str | None:
    """Every X-Forwarded-For line, joined in order.

    A proxy may add a line of its own instead of extending the client's, so reading only the first line would
    read the client's.  Starlette's Headers keep every line (``getlist``); a plain dict holds one per spelling.
    """
    if headers is None:
        return None
    getlist = getattr(headers, "getlist", None)
    if callable(getlist):
        values = getlist("x-forwarded-for")
    else:
        values = [value for key, value in headers.items() if str(key).lower() == "x-forwarded-for"]
    values = [value for value in values if isinstance(value, str)]
    return ", ".join(values) if values else None


def client_id(headers: Mapping[str, str] | None, peer_host: str | None, trusted_proxy_hops: int) -> str:
    """Who to count failures against: an IP address (IPv6 as its /64).

    Each proxy appends the address it was connected from to X-Forwarded-For, and a client can put anything in
    front, so only the right end can be believed: with ``trusted_proxy_hops`` N, the client is the N-th entry
    from the right, the address the outermost trusted proxy saw.  With 0 the header is ignored and the client is
    the peer address.  A header with fewer than N entries did not pass all N proxies (nothing a client sends
    can shorten what they append), so the peer address counts.  An entry that is not an address becomes a
    fixed name, shared only by such requests, so a token sent as a header can never become a client id and a
    forged entry can never become the proxy's own address, which every visitor shares.
    """
    if trusted_proxy_hops > 0:
        forwarded = _forwarded_for(headers)
        if forwarded is not None and forwarded.strip():
            # At most N + 1 pieces however long the header: the N-th from the right is entries[-N] when N fit.
            entries = forwarded.rsplit(",", trusted_proxy_hops)
            if len(entries) >= trusted_proxy_hops:
                return _normalize_ip(entries[-trusted_proxy_hops]) or BAD_FORWARDED_CLIENT
    return _normalize_ip(peer_host) or UNKNOWN_CLIENT


def trusted_proxy_hops_from_env(environ: Mapping[str, str] | None = None) -> int:
    """REEL_TRUSTED_PROXY_HOPS: how many proxies in front of Reel append to X-Forwarded-For.

    Unset: 1 on Hugging Face Spaces (``SPACE_ID`` set), where requests arrive through its proxy, else 0.  That
    Spaces' proxy appends exactly one entry is an assumption: Hugging Face's docs do not say
    (docs/operating.md, Lockout).
    Raises ValueError for anything but a whole number 0 or more, so a typo stops the start instead of
    trusting a header it should not.
    """
    environ = os.environ if environ is None else environ
    hops = read_setting(TRUSTED_PROXY_HOPS_ENV, environ)
    if hops is None:
        return 1 if environ.get("SPACE_ID") else 0
    return hops
