"""Giving memory a worker has freed back to the system.

CPython returns freed objects to glibc's allocator, which keeps the pages for later instead of
handing them back: after a burst of large requests (a long page rendered, many rows read) a
worker's resident memory stays at its peak although little of it is in use. Every
`MALLOC_TRIM_EVERY` requests (0: never) this asks glibc to release its free pages
(`malloc_trim(0)`, which also gives back free pages in the middle of the heap): a few
microseconds, and a worker's resident size then follows what it really holds. On a C library
without `malloc_trim` (musl, macOS) nothing is done.
"""

from __future__ import annotations

import ctypes
import itertools
from collections.abc import Callable
from typing import Any


def _malloc_trim() -> Callable[[int], Any] | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return getattr(libc, "malloc_trim", None)


def init_app(app) -> None:  # noqa: ANN001
    every = int(app.config.get("MALLOC_TRIM_EVERY") or 0)
    trim = _malloc_trim() if every > 0 else None
    if trim is None:
        return
    app.extensions["malloc_trim"] = trim
    requests = itertools.count(1)

    @app.teardown_request
    def _give_back_freed_memory(_error: BaseException | None) -> None:
        if next(requests) % every == 0:
            app.extensions["malloc_trim"](0)
