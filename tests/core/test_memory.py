"""Freed memory goes back to the system every MALLOC_TRIM_EVERY requests, and never when it is
0."""

from __future__ import annotations

import pytest

from engage.core import memory
from tests.conftest import standalone_app


@pytest.mark.parametrize(("every", "calls"), [(3, 2), (1, 7), (0, 0)])
def test_trim_every_n_requests(tmp_path, monkeypatch, every, calls):
    asked = []
    monkeypatch.setattr(memory, "_malloc_trim", lambda: asked.append)
    with standalone_app(tmp_path, MALLOC_TRIM_EVERY=every) as app:
        client = app.test_client()
        for _ in range(7):
            client.get("/")
    assert asked == [0] * calls


def test_the_c_library_has_it_here():
    # The machines this runs on use glibc; elsewhere init_app does nothing.
    assert memory._malloc_trim() is not None
