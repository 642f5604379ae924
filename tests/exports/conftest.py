"""Fixtures for the export tests: a city with an agree-mode ideas process, its moderator (its
organiser is tests/conftest.py's), and an idea factory."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.ideas import services
from engage.ideas.models import IdeasSettings


@pytest.fixture
def city(make_city):  # noqa: ANN001, ANN201
    return make_city()


@pytest.fixture
def process(make_process, city):  # noqa: ANN001, ANN201
    process = make_process(city, kind="ideas", themes=["nature", "mobility"])
    db.session.add(IdeasSettings(process_id=process.id, voting_mode="agree"))
    db.session.commit()
    return process


@pytest.fixture
def moderator(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(display_name="Moderator Mihai")
    make_role(user, city, "moderator")
    return user


@pytest.fixture
def make_idea(make_user):  # noqa: ANN001, ANN201
    def factory(process, author=None, **fields):  # noqa: ANN001, ANN003, ANN202
        author = author or make_user()
        idea = services.submit_idea(
            process, author,
            fields.pop("title", "Mai mulți copaci pe strada Mare"),
            fields.pop("body", "Plantăm tei de-a lungul străzii."),
            fields.pop("theme", process.themes[0]), fields.pop("language", "ro"), **fields)
        idea.contribution.status = "published"
        db.session.commit()
        return idea

    return factory
