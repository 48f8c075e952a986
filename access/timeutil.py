"""UTC timestamps, quota days and the CLI's duration syntax (90m, 12h, 30d).

All stored times are ISO-8601 UTC with seconds, so they sort and read the same
in SQLite and in ``python -m access list``.
"""

from __future__ import annotations

import datetime
import re
from typing import Callable

Clock = Callable[[], datetime.datetime]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(?:\d{1,9}[smhdw])+", re.ASCII)
_PART = re.compile(r"(\d{1,9})([smhdw])", re.ASCII)
MAX_DURATION = datetime.timedelta(days=3660)  # ten years: far enough, no overflow


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def to_iso(moment: datetime.datetime) -> str:
    """Aware datetime to the stored form, e.g. ``2026-05-09T07:35:25+00:00``."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="seconds")


def from_iso(text: str) -> datetime.datetime:
    """Stored form back to an aware datetime; naive input is read as UTC."""
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def utc_day(moment: datetime.datetime) -> str:
    """The quota day a moment falls in: ``YYYY-MM-DD`` in UTC."""
    return moment.astimezone(datetime.timezone.utc).date().isoformat()


def parse_duration(text: str) -> datetime.timedelta:
    """``90m``, ``12h``, ``30d``, ``1w``, or concatenations such as ``1d12h``.

    Raises ValueError for anything else, for zero, and beyond ten years.
    """
    if not isinstance(text, str) or not _DURATION.fullmatch(text.strip()):
        raise ValueError(
            "use a whole number followed by s, m, h, d or w, e.g. 90m, 12h or 30d"
        )
    total = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(text.strip()))
    if total <= 0:
        raise ValueError("the duration must be longer than zero")
    if total > MAX_DURATION.total_seconds():
        raise ValueError("the duration must be at most 10 years")
    return datetime.timedelta(seconds=total)


def is_expired(expires_at: str | None, now: datetime.datetime) -> bool:
    """True once ``now`` reaches a stored expiry; None never expires."""
    return expires_at is not None and now >= from_iso(expires_at)
