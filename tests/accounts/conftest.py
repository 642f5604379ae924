"""Fixtures of the accounts tests: an application that commits for real, for the tests that
run requests at the same time in several threads."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def committing_app(tmp_path_factory):  # noqa: ANN001, ANN201
    """An application on a database of its own that commits for real (no per-test savepoint),
    for requests running at the same time in several threads; emptied after each use."""
    from engage.extensions import db
    from tests.conftest import make_test_app, temporary_database

    tmp = tmp_path_factory.mktemp("accounts-committing")
    with temporary_database(tmp) as url:
        app = make_test_app(tmp, url, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                            MAIL_DIRECTORY=str(tmp / "mail"))
        with app.app_context():
            db.create_all()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def committing(committing_app):  # noqa: ANN001, ANN201
    from sqlalchemy import delete

    from engage.extensions import db

    yield committing_app
    with committing_app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(delete(table))
        db.session.commit()
