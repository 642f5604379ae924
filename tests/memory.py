"""Peak memory of a piece of work, read with tracemalloc.

tracemalloc traces every thread of the process, so a thread left running by another test of the
same worker can add to one reading: the least of a few runs is the work's own peak."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable


def least_peak(work: Callable[[], object], runs: int = 3) -> int:
    """The smallest peak (bytes) of `runs` runs of `work`."""
    peaks = []
    for _ in range(runs):
        gc.collect()
        tracemalloc.start()
        try:
            work()
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    return min(peaks)
