"""How many bytes anyone may upload: per client and for everyone together, over a sliding window.

Gradio's upload route takes files from anyone, before any token is checked, so the bytes themselves are the
budget. Rules chosen, and why:

* Bytes are counted as they arrive, never from Content-Length: a request that lies about its length, or
  streams past the budget, is cut at the chunk that does not fit.
* A request's bytes count from their arrival until one window after the request ends, so an upload kept open
  for hours cannot spread its bytes over many windows.
* Every part of a multipart body costs ``PART_COST`` on top of its bytes: each part becomes a file and a folder
  on disk, so a flood of tiny files is bounded in files as well as in bytes.
* One budget per client (``access.lockout.client_id``) and one for all clients together: the second is what
  bounds the disk, and the memory held by bodies still arriving, however many addresses a flood comes from.
* Every other request body (a call's JSON, which may inline a picture as a ``data:`` address) counts in the same
  two budgets, plus ``PART_COST`` once (an MCP tool call writes its picture to a file), and has a cap of its
  own, ``UploadLimits.call_bytes``: room for one picture of the largest allowed size in base64, and the rest.

Standard library only; the ASGI wiring is `ui/uploads.py`.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping

from settings import default_of, read_settings

MB = 1024 * 1024
PART_COST = 8192  # a small file and its folder: two 4 KB disk blocks
REQUEST_OVERHEAD = 65536  # room for multipart headers around one largest file
MAX_CLIENTS = 10_000
_PRUNE_EVERY = 256
EVERYONE = "*"

FILE_BYTES_ENV = "REEL_UPLOAD_FILE_BYTES"
CLIENT_BYTES_ENV = "REEL_UPLOAD_BYTES_PER_WINDOW"
TOTAL_BYTES_ENV = "REEL_UPLOAD_TOTAL_BYTES_PER_WINDOW"
WINDOW_ENV = "REEL_UPLOAD_WINDOW_SECONDS"
STORE_BYTES_ENV = "REEL_UPLOAD_STORE_BYTES"


@dataclass(frozen=True)
class UploadLimits:
    # Defaults as declared in settings/declared.py:
    file_bytes: int = default_of(FILE_BYTES_ENV)  # one file (64 MB): a minute of real-model video, to extend
    client_bytes: int = default_of(CLIENT_BYTES_ENV)  # one client per window (200 MB): pictures and a video
    total_bytes: int = default_of(TOTAL_BYTES_ENV)  # all clients together per window (2 GB)
    window_seconds: float = default_of(WINDOW_ENV)  # 600 s
    store_bytes: int = default_of(STORE_BYTES_ENV)  # uploads older than the window kept on disk (2 GB)

    def __post_init__(self) -> None:
        if min(self.file_bytes, self.client_bytes, self.total_bytes) < 1 or self.store_bytes < 0:
            raise ValueError("upload limits must be positive")
        if not self.window_seconds > 0:  # also refuses NaN
            raise ValueError("the upload window must be positive")
        if self.client_bytes < self.file_bytes + REQUEST_OVERHEAD:
            raise ValueError(
                f"{CLIENT_BYTES_ENV} ({self.client_bytes}) must be at least {FILE_BYTES_ENV} + {REQUEST_OVERHEAD} "
                f"({self.file_bytes + REQUEST_OVERHEAD}): a file of the largest allowed size could never be uploaded"
            )
        if self.total_bytes < self.client_bytes:
            raise ValueError(
                f"{TOTAL_BYTES_ENV} ({self.total_bytes}) must be at least {CLIENT_BYTES_ENV} ({self.client_bytes})"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> UploadLimits:
        """The REEL_UPLOAD_* settings (docs/operating.md, Uploads). Raises ValueError naming the setting, so a typo
        stops the start instead of leaving the upload route without its limits."""
        names = (FILE_BYTES_ENV, CLIENT_BYTES_ENV, TOTAL_BYTES_ENV, WINDOW_ENV, STORE_BYTES_ENV)
        settings = read_settings(environ, names)
        return cls(
            file_bytes=settings[FILE_BYTES_ENV],
            client_bytes=settings[CLIENT_BYTES_ENV],
            total_bytes=settings[TOTAL_BYTES_ENV],
            window_seconds=settings[WINDOW_ENV],
            store_bytes=settings[STORE_BYTES_ENV],
        )

    @property
    def call_bytes(self) -> int:
        """Most bytes in one call's body: a file of the largest size in base64 (4 characters per 3 bytes) and
        ``REQUEST_OVERHEAD`` for the rest, never more than a client's whole budget."""
        return min(self.client_bytes, 4 * math.ceil(self.file_bytes / 3) + REQUEST_OVERHEAD)

    @property
    def disk_bound(self) -> int:
        """Most bytes uploads take on disk (docs/operating.md, Uploads), leaving out files queued jobs still name."""
        return self.store_bytes + 2 * self.total_bytes


@dataclass(frozen=True)
class Refusal:
    """What the upload route answers instead: an HTTP status, the message, and when to try again."""

    status: int
    message: str
    retry_after: float | None = None


@dataclass(frozen=True)
class BodyCap:
    """The most one request of a kind may carry, and the 413 it gets past that."""

    bytes: int
    refusal: Refusal


def format_bytes(count: int) -> str:
    """1 MB = 1,048,576 bytes here, as in Gradio's own size settings."""
    for unit, size in (("GB", 1024 * MB), ("MB", MB), ("KB", 1024)):
        if count >= size:
            value = count / size
            return f"{value:.0f} {unit}" if value.is_integer() or value >= 100 else f"{value:.1f} {unit}"
    return f"{count} bytes"


def format_wait(seconds: float) -> str:
    """Rounded up, at least 1, so "try again in 1 minute" never lies."""
    whole = max(1, math.ceil(seconds))
    if whole < 60:
        return f"{whole} second" + ("" if whole == 1 else "s")
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute" + ("" if minutes == 1 else "s")


class ByteWindow:
    """Bytes per key over a sliding window; thread-safe; ``clock`` is injectable (monotonic seconds).

    Bytes of a request still arriving are *pending*: they count until the request ends, then for one window
    from its end."""

    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_CLIENTS) -> None:
        self.limit = limit
        self.window_seconds = float(window_seconds)
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._ended: collections.OrderedDict[str, collections.deque[list]] = collections.OrderedDict()
        self._ended_bytes: dict[str, int] = {}
        self._pending: dict[str, int] = {}
        self._merge_seconds = min(1.0, self.window_seconds / 100)
        self._since_prune = 0

    def used(self, key: str) -> int:
        with self._lock:
            self._expire(key, self._clock())
            return self._ended_bytes.get(key, 0) + self._pending.get(key, 0)

    def take(self, key: str, count: int) -> bool:
        """Add ``count`` pending bytes if they fit; False (nothing added) if they do not."""
        with self._lock:
            self._expire(key, self._clock())
            if self._ended_bytes.get(key, 0) + self._pending.get(key, 0) + count > self.limit:
                return False
            self._pending[key] = self._pending.get(key, 0) + count
            return True

    def release(self, key: str, count: int) -> None:
        """Give back pending bytes that were taken but not used."""
        with self._lock:
            self._release(key, count)

    def end(self, key: str, count: int) -> None:
        """A request that took ``count`` bytes has ended: they count for one more window from now."""
        with self._lock:
            now = self._clock()
            self._release(key, count)
            if count <= 0:
                return
            entries = self._ended.setdefault(key, collections.deque())
            if entries and now - entries[-1][0] < self._merge_seconds:
                entries[-1][0] = now  # merged entries leave the window with the newest: never early
                entries[-1][1] += count
            else:
                entries.append([now, count])
            self._ended.move_to_end(key)
            self._ended_bytes[key] = self._ended_bytes.get(key, 0) + count
            self._since_prune += 1
            if self._since_prune >= _PRUNE_EVERY or len(self._ended) > self.max_keys:
                self._prune(now)

    def seconds_until_room(self, key: str, wanted: int) -> float:
        """Seconds until ``wanted`` more bytes fit, if nothing else arrives; a whole window when bytes still
        arriving are in the way (they count for a window once they end)."""
        with self._lock:
            now = self._clock()
            self._expire(key, now)
            excess = self._ended_bytes.get(key, 0) + self._pending.get(key, 0) + min(wanted, self.limit) - self.limit
            if excess <= 0:
                return 0.0
            freed = 0
            for ended_at, count in self._ended.get(key, ()):
                freed += count
                if freed >= excess:
                    return max(0.0, ended_at + self.window_seconds - now)
            return self.window_seconds

    def tracked_keys(self) -> int:
        with self._lock:
            return len(self._ended.keys() | self._pending.keys())

    def _release(self, key: str, count: int) -> None:
        left = self._pending.get(key, 0) - count
        if left > 0:
            self._pending[key] = left
        else:
            self._pending.pop(key, None)

    def _expire(self, key: str, now: float) -> None:
        entries = self._ended.get(key)
        if entries is None:
            return
        cutoff = now - self.window_seconds
        while entries and entries[0][0] <= cutoff:
            self._ended_bytes[key] -= entries.popleft()[1]
        if not entries:
            del self._ended[key]
            del self._ended_bytes[key]

    def _prune(self, now: float) -> None:
        self._since_prune = 0
        for key in list(self._ended):
            self._expire(key, now)
        # Past max_keys, forget the least recently ended first: that only ever gives a client more room.
        while len(self._ended) > self.max_keys:
            key, _ = self._ended.popitem(last=False)
            del self._ended_bytes[key]


class UploadAllowance:
    """The per-client and the everyone-together budgets, and the words for each refusal."""

    def __init__(self, limits: UploadLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.per_client = ByteWindow(limits.client_bytes, limits.window_seconds, clock)
        self.everyone = ByteWindow(limits.total_bytes, limits.window_seconds, clock)
        self.upload_cap = BodyCap(limits.client_bytes, Refusal(
            413, f"This upload is too large: one request may carry at most {format_bytes(limits.client_bytes)}."))
        self.call_cap = BodyCap(limits.call_bytes, Refusal(
            413, f"This request is too large: a call may carry at most {format_bytes(limits.call_bytes)}, enough "
                 f"for one picture of up to {format_bytes(limits.file_bytes)} sent inline. Upload larger files "
                 "instead."))

    def refusal_before(self, client: str, declared_bytes: int | None, cap: BodyCap | None = None) -> Refusal | None:
        """Refuse before reading the body when the client is out of budget, or says it will send more than fits
        (``cap``, an upload's by default).

        A declared length only ever refuses; admitted bytes are counted as they arrive."""
        cap = cap or self.upload_cap
        if declared_bytes is not None and declared_bytes > cap.bytes:
            return cap.refusal
        wanted = max(1, declared_bytes or 1)
        if self.per_client.used(client) + wanted > self.limits.client_bytes:
            return self.client_refusal(client, wanted)
        if self.everyone.used(EVERYONE) + wanted > self.limits.total_bytes:
            return self.everyone_refusal(wanted)
        return None

    def begin(self, client: str, cap: BodyCap | None = None) -> Transfer:
        return Transfer(self, client, cap or self.upload_cap)

    def client_refusal(self, client: str, request_bytes: int) -> Refusal:
        wait = self.per_client.seconds_until_room(client, self._room_wanted(request_bytes))
        return Refusal(429, f"Upload limit reached: each visitor may upload {format_bytes(self.limits.client_bytes)}"
                            f" every {format_wait(self.limits.window_seconds)}. Try again in {format_wait(wait)}.",
                       wait)

    def everyone_refusal(self, request_bytes: int) -> Refusal:
        wait = self.everyone.seconds_until_room(EVERYONE, self._room_wanted(request_bytes))
        return Refusal(429, f"This Space is taking no more uploads for now: all visitors together may upload "
                            f"{format_bytes(self.limits.total_bytes)} every "
                            f"{format_wait(self.limits.window_seconds)}. Try again in {format_wait(wait)}.", wait)

    def _room_wanted(self, request_bytes: int) -> int:
        """The wait is until this request fits again, and at least a file of the largest size with its overhead."""
        return max(request_bytes, self.limits.file_bytes + REQUEST_OVERHEAD)


class Transfer:
    """One request's bytes as they arrive; call ``end`` once, whatever happened."""

    def __init__(self, allowance: UploadAllowance, client: str, cap: BodyCap) -> None:
        self._allowance = allowance
        self.client = client
        self.cap = cap
        self.taken = 0

    def take(self, count: int) -> Refusal | None:
        """Count ``count`` more bytes; the refusal (nothing counted) when they do not fit. Out of budget is 429
        before past the cap is 413, so a client out of budget hears when to come back."""
        if count <= 0:
            return None
        allowance = self._allowance
        if not allowance.per_client.take(self.client, count):
            return allowance.client_refusal(self.client, self.taken + count)
        if not allowance.everyone.take(EVERYONE, count):
            allowance.per_client.release(self.client, count)
            return allowance.everyone_refusal(self.taken + count)
        if self.taken + count > self.cap.bytes:
            allowance.per_client.release(self.client, count)
            allowance.everyone.release(EVERYONE, count)
            return self.cap.refusal
        self.taken += count
        return None

    def end(self) -> None:
        self._allowance.per_client.end(self.client, self.taken)
        self._allowance.everyone.end(EVERYONE, self.taken)
        self.taken = 0


class PartCounter:
    """Counts multipart parts in a body fed chunk by chunk, by their delimiter ``--boundary``, even when a
    delimiter is split across chunks. The closing delimiter counts too: every request costs at least one part."""

    def __init__(self, boundary: bytes) -> None:
        self._delimiter = b"--" + boundary
        self._tail = b""

    def feed(self, chunk: bytes) -> int:
        data = self._tail + chunk
        found = data.count(self._delimiter)
        # The last len-1 bytes may begin a delimiter the next chunk completes; they cannot hold a whole one.
        self._tail = data[1 - len(self._delimiter):]
        return found
