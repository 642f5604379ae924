"""Fixtures of the accounts tests: an application that commits for real, for the tests that
run requests at the same time in several threads."""

from __future__ import annotations

import pytest

from tests.conftest import empty_database, standalone_app


@pytest.fixture(scope="module")
def committing_app(tmp_path_factory):  # noqa: ANN001, ANN201
    """Its own database, committing for real; emptied after each use."""
    tmp = tmp_path_factory.mktemp("accounts-committing")
    with standalone_app(tmp, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                        MAIL_DIRECTORY=str(tmp / "mail")) as app:
        yield app


@pytest.fixture
def committing(committing_app):  # noqa: ANN001, ANN201
    yield committing_app
    empty_database(committing_app)
