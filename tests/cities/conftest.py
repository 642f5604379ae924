"""Fixtures of the cities tests: an admin's client ready to post forms."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin(make_user):  # noqa: ANN001, ANN201
    return make_user(admin=True, display_name="Ada Admin")


@pytest.fixture
def signed_in(client, login_as):  # noqa: ANN001, ANN201
    """`signed_in(user)` → the test client, signed in as `user`, its CSRF token known."""

    def sign_in(user):  # noqa: ANN001, ANN202
        login_as(client, user)
        client.csrf_token(refresh=True)
        return client

    return sign_in


@pytest.fixture
def admin_client(signed_in, admin):  # noqa: ANN001, ANN201
    return signed_in(admin)
