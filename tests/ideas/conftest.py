"""Fixtures for the ideas tests: a city with an open ideas process, and an idea factory."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.ideas import services


@pytest.fixture
def city(make_city):  # noqa: ANN001, ANN201
    return make_city()


@pytest.fixture
def process(make_process, city):  # noqa: ANN001, ANN201
    return make_process(city, kind="ideas", themes=["nature", "mobility"])


@pytest.fixture
def make_idea(make_user):  # noqa: ANN001, ANN201
    """`make_idea(process, author=None, status="published", **fields)`: an idea through the
    service, then moved to the wanted moderation status."""

    def factory(process, author=None, status: str = "published", **fields):  # noqa: ANN001, ANN003, ANN202, E501
        author = author or make_user()
        idea = services.submit_idea(
            process,
            author,
            fields.pop("title", "Mai mulți copaci pe strada Mare"),
            fields.pop("body", "Plantăm **tei** de-a lungul străzii."),
            fields.pop("theme", process.themes[0]),
            fields.pop("language", "ro"),
            **fields,
        )
        idea.contribution.status = status
        db.session.commit()
        return idea

    return factory
