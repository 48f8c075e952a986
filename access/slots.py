"""How many jobs each holder may have waiting or running at once (REEL_MAX_JOBS_PER_HOLDER, default 2).

In memory on purpose: a slot lives exactly as long as its job, and no job survives a restart, so a restart frees
every slot. One lock makes the count exact: of two requests racing for a holder's last slot, one gets it.
Standard library only; the app ties each slot to its job's life (ui/job_control.py).
"""

from __future__ import annotations

import threading
from typing import Mapping

from settings import default_of, read_setting

MAX_JOBS_ENV = "REEL_MAX_JOBS_PER_HOLDER"
DEFAULT_MAX_JOBS = default_of(MAX_JOBS_ENV)  # 2


class TooManyJobs(Exception):
    """The holder already has `count` jobs waiting or running, the most `limit` allows."""

    def __init__(self, count: int, limit: int):
        super().__init__(count, limit)
        self.count = count
        self.limit = limit

    @property
    def message(self) -> str:
        jobs = "job" if self.count == 1 else "jobs"
        return (
            f"You already have {self.count} {jobs} queued or running (the limit is {self.limit} per person). "
            "Wait for one to finish or stop it, then try again."
        )


class JobSlots:
    """Slots per holder (a Grant's quota_key), each held under a job key the caller chooses."""

    def __init__(self, limit: int = DEFAULT_MAX_JOBS):
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"{MAX_JOBS_ENV} must be a whole number of 1 or more")
        self.limit = limit
        self._lock = threading.Lock()
        self._holder_of: dict[str, str] = {}  # job key -> holder
        self._held: dict[str, set[str]] = {}  # holder -> job keys

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "JobSlots":
        """The limit from REEL_MAX_JOBS_PER_HOLDER (os.environ when `environ` is None); SettingError (a ValueError)
        naming it if it is not a whole number of 1 or more."""
        return cls(read_setting(MAX_JOBS_ENV, environ))

    def try_acquire(self, holder: str, job_key: str) -> int:
        """Take a slot for `job_key`; returns how many the holder now has. TooManyJobs when all are taken.
        Taking again under a key already held changes nothing."""
        with self._lock:
            held = self._held.setdefault(holder, set())
            if job_key in held:
                return len(held)
            if job_key in self._holder_of:
                raise ValueError("that job key holds another holder's slot")
            if len(held) >= self.limit:
                raise TooManyJobs(len(held), self.limit)
            held.add(job_key)
            self._holder_of[job_key] = holder
            return len(held)

    def release(self, job_key: str) -> bool:
        """Give the slot back; False when it was not held (already released, or never taken)."""
        with self._lock:
            holder = self._holder_of.pop(job_key, None)
            if holder is None:
                return False
            held = self._held[holder]
            held.discard(job_key)
            if not held:
                del self._held[holder]
            return True

    def count(self, holder: str) -> int:
        with self._lock:
            return len(self._held.get(holder, ()))

    def keys(self) -> list[str]:
        """Every job key holding a slot now."""
        with self._lock:
            return list(self._holder_of)
