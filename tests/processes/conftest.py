"""Fixtures for the process tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def new_client(app):  # noqa: ANN001, ANN201
    """`new_client()`: another client (another browser)."""

    def factory():  # noqa: ANN202
        return app.test_client()

    return factory
