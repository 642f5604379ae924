"""Peak memory of a piece of work, read with tracemalloc.

tracemalloc traces every thread of the process, so a thread left running by another test of the
same worker can add to one reading: the least of a few runs is the work's own peak."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable


def least_peak(work: Callable[[], object], runs: int = 3, below: float | None = None) -> int:
    """The smallest peak (bytes) of up to `runs` runs of `work`; it stops at the first peak
    under `below`, since a bound met once is met."""
    peaks: list[int] = []
    for _ in range(runs):
        if peaks and below is not None and min(peaks) < below:
            break
        gc.collect()
        tracemalloc.start()
        try:
            work()
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    return min(peaks)
