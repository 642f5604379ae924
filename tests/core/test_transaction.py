"""One transaction per request: a successful request commits once after its handler, a request
that fails — by an exception or an error response — leaves nothing behind."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.cities.models import City
from engage.extensions import db


def city_slugs(app) -> set[str]:  # noqa: ANN001
    with app.app_context():
        return set(db.session.scalars(select(City.slug)))


def test_successful_request_commits(fresh):
    response = fresh.test_client().post("/_test/write", data={"slug": "kept"})
    assert response.status_code == 200
    assert city_slugs(fresh) == {"kept"}


def test_exception_after_a_write_leaves_nothing(fresh):
    response = fresh.test_client().post("/_test/write-then-raise", data={"slug": "lost"})
    assert response.status_code == 500
    assert "<html" in response.get_data(as_text=True)
    assert city_slugs(fresh) == set()


def test_propagated_exception_leaves_nothing(fresh, monkeypatch):
    # As under a debugger or in TESTING mode: the exception escapes, no after_request runs.
    monkeypatch.setitem(fresh.config, "PROPAGATE_EXCEPTIONS", True)
    with pytest.raises(RuntimeError, match="failure after the write"):
        fresh.test_client().post("/_test/write-then-raise", data={"slug": "lost"})
    assert city_slugs(fresh) == set()


def test_error_response_after_a_write_leaves_nothing(fresh):
    response = fresh.test_client().post("/_test/write-then-forbid", data={"slug": "lost"})
    assert response.status_code == 403
    assert city_slugs(fresh) == set()


def test_failed_request_does_not_spill_into_the_next(fresh):
    client = fresh.test_client()
    client.post("/_test/write-then-raise", data={"slug": "lost"})
    assert client.post("/_test/write", data={"slug": "kept"}).status_code == 200
    assert city_slugs(fresh) == {"kept"}


def test_database_error_is_a_500_and_leaves_nothing(fresh):
    client = fresh.test_client()
    assert client.post("/_test/write", data={"slug": "dup"}).status_code == 200
    # The unique slug makes the flush fail inside the handler.
    response = client.post("/_test/write", data={"slug": "dup"})
    assert response.status_code == 500
    assert city_slugs(fresh) == {"dup"}
