"""Fixtures the synthesis tests share: a city and its organiser (who writes in English). A test
module may define its own `city` or `organiser`, which then takes precedence."""

from __future__ import annotations

import pytest


@pytest.fixture
def city(make_city):  # noqa: ANN001, ANN201
    return make_city()


@pytest.fixture
def organiser(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(language="en")
    make_role(user, city, "organiser")
    return user
