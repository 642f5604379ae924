"""core.cache.VersionedLRU: bounded, least recently used out first, another version misses."""

from __future__ import annotations

import pytest

from engage.core.cache import VersionedLRU

pytestmark = pytest.mark.database_independent  # the PostgreSQL pass leaves it out


def test_bounded_and_versioned():
    small = VersionedLRU(2)
    small.put("a", 1, "A")
    small.put("b", 1, "B")
    assert small.get("a", 1) == "A"
    small.put("c", 1, "C")  # "b" was the least recently used
    assert small.get("b", 1) is None and small.get("a", 1) == "A" and small.get("c", 1) == "C"
    assert small.get("a", 2) is None
    assert len(small) == 2
    small.clear()
    assert len(small) == 0


def test_get_or_compute_computes_once_per_version():
    cache = VersionedLRU(4)
    calls = []

    def compute() -> str:
        calls.append(1)
        return f"value {len(calls)}"

    assert cache.get_or_compute("k", 1, compute) == "value 1"
    assert cache.get_or_compute("k", 1, compute) == "value 1"
    assert cache.get_or_compute("k", 2, compute) == "value 2"
    assert len(calls) == 2
