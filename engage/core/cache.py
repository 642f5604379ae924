"""Small in-process caches stamped with a data version (see `core.versions`): each worker keeps
its own; a lookup under another version misses, so correctness never depends on them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class VersionedLRU:
    """A thread-safe LRU of `key → (version, value)` holding at most `size` entries."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, version: Any) -> Any:
        """The value stored for `key` under `version`, else None."""
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] != version:
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, key: Any, version: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = (version, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get_or_compute(self, key: Any, version: Any, compute: Callable[[], Any]) -> Any:
        """The stored value, or `compute()` stored under `version` (two workers or threads
        may both compute it once; the later one wins, both are right)."""
        found = self.get(key, version)
        if found is None:
            found = compute()
            self.put(key, version, found)
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
