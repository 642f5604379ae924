"""Fixtures for the moderation tests: a city with a moderator, an open ideas process, and a
factory of contributions of any kind stored as spine rows (the desk reads nothing else)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Contribution, Report
from tests.conftest import count  # noqa: F401  (the moderation tests import it from here)


@pytest.fixture
def city(make_city):  # noqa: ANN001, ANN201
    return make_city()


@pytest.fixture
def process(make_process, city):  # noqa: ANN001, ANN201
    return make_process(city, kind="ideas", themes=["nature", "mobility"])


@pytest.fixture
def moderator(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(language="en")
    make_role(user, city, "moderator")
    return user


@pytest.fixture
def make_contribution(make_user):  # noqa: ANN001, ANN201
    """`make_contribution(process, kind="comment", status="published", text=..., author=None,
    age=timedelta(0))`: a spine row as a kind's services would leave it."""

    def factory(process, kind="comment", status="published", text="Un text", author=None,  # noqa: ANN001, ANN202
                age=timedelta(0), language="ro"):
        contribution = Contribution(
            kind=kind, process_id=process.id, city_id=process.city_id,
            author_id=(author or make_user()).id, language=language, text=text, status=status,
            created_at=utcnow() - age)
        db.session.add(contribution)
        db.session.commit()
        return contribution

    return factory


@pytest.fixture
def make_report(make_user):  # noqa: ANN001, ANN201
    def factory(contribution, reason="spam", reporter=None):  # noqa: ANN001, ANN202
        report = Report(contribution_id=contribution.id, process_id=contribution.process_id,
                        city_id=contribution.city_id, reporter_id=(reporter or make_user()).id,
                        reason=reason)
        db.session.add(report)
        db.session.commit()
        return report

    return factory
