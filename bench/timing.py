"""Wall-clock timing and its summaries, shared by the CPU benchmark's modules."""

from __future__ import annotations

import time


def timed(fn) -> float:
    """Seconds `fn()` took."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def p95(samples: list[float]) -> float:
    """The 95th percentile (nearest rank) of `samples`."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
