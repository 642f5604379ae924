"""City-scoped queries: an object of another city is a 404, never a leak."""

from __future__ import annotations

import pytest
from flask import g
from werkzeug.exceptions import NotFound

from engage.core.tenancy import city_condition, city_query, current_city, get_in_city_or_404
from engage.extensions import db
from engage.processes.models import Process


@pytest.fixture
def two_cities(make_city, make_process):  # noqa: ANN001, ANN201
    here, there = make_city(), make_city()
    return {
        "here": here,
        "there": there,
        "mine": [make_process(here), make_process(here)],
        "theirs": make_process(there),
    }


def test_city_query_keeps_to_the_city(two_cities):
    rows = db.session.scalars(city_query(Process, two_cities["here"])).all()
    assert sorted(p.id for p in rows) == sorted(p.id for p in two_cities["mine"])


def test_city_query_defaults_to_the_url_city(app, two_cities):
    with app.test_request_context():
        g.city = two_cities["there"]
        rows = db.session.scalars(city_query(Process)).all()
    assert [p.id for p in rows] == [two_cities["theirs"].id]


def test_get_in_city_finds_its_own_objects(two_cities):
    mine = two_cities["mine"][0]
    found = get_in_city_or_404(Process, Process.id == mine.id, city=two_cities["here"])
    assert found is mine


def test_another_citys_object_is_a_404(two_cities):
    theirs = two_cities["theirs"]
    with pytest.raises(NotFound):
        get_in_city_or_404(Process, Process.id == theirs.id, city=two_cities["here"])
    with pytest.raises(NotFound):
        get_in_city_or_404(Process, Process.slug == theirs.slug, city=two_cities["here"])


def test_unknown_object_is_a_404(two_cities):
    with pytest.raises(NotFound):
        get_in_city_or_404(Process, Process.id == -1, city=two_cities["here"])


def test_no_city_in_the_url_is_a_404(app):
    with app.test_request_context(), pytest.raises(NotFound):
        current_city()


def test_models_can_scope_through_their_process():
    class Through:
        @staticmethod
        def city_scope(city):  # noqa: ANN001, ANN205
            return ("scoped by", city)

    assert city_condition(Through, "city") == ("scoped by", "city")


def test_unknown_city_slug_in_a_url_is_a_404(client):
    assert client.get("/no-such-city-slug/").status_code == 404
