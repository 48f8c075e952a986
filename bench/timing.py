"""Wall-clock timing shared by the CPU benchmark's modules."""

from __future__ import annotations

import time


def timed(fn) -> float:
    """Seconds `fn()` took."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
