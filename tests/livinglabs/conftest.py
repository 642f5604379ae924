"""Fixtures for the living-lab tests: a city, an open living lab, a factory of sessions built
directly from the model (so every part's tests can use them without the organisers' services),
and a factory of registrations stored as rows, for tests that need a given state quickly."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from engage.core.db import utcnow
from engage.extensions import db
from engage.livinglabs.models import LabSession, Registration
from engage.livinglabs.services import _new_code
from tests.conftest import count  # noqa: F401  (the feature's tests import it from here)


@pytest.fixture
def city(make_city):  # noqa: ANN001, ANN201
    return make_city()


@pytest.fixture
def lab(make_process, city):  # noqa: ANN001, ANN201
    """An open, published living lab whose process closes in 60 days."""
    return make_process(city, kind="livinglab", themes=["mobility"],
                        title_ro="Laboratorul viu al mobilității",
                        title_en="The mobility living lab",
                        closes_at=utcnow() + timedelta(days=60))


@pytest.fixture
def make_session(lab):  # noqa: ANN001, ANN201
    """`make_session(process=lab, **fields)`: a scheduled on-site session a week from now, two
    hours long, for 10 people, registration open until it starts."""

    def factory(process=None, **fields) -> LabSession:  # noqa: ANN001, ANN003
        process = process or lab
        starts = fields.pop("starts_at", utcnow() + timedelta(days=7))
        session = LabSession(
            process_id=process.id,
            title_ro=fields.pop("title_ro", "Atelier de co-design: piste de biciclete"),
            title_en=fields.pop("title_en", "Co-design workshop: cycle lanes"),
            description_ro=fields.pop("description_ro", "Desenăm împreună rețeaua."),
            description_en=fields.pop("description_en", "We draw the network together."),
            format=fields.pop("format", "onsite"),
            address=fields.pop("address", "Str. Universității 1"),
            starts_at=starts,
            ends_at=fields.pop("ends_at", starts + timedelta(hours=2)),
            capacity=fields.pop("capacity", 10),
            **fields,
        )
        db.session.add(session)
        db.session.commit()
        return session

    return factory


@pytest.fixture
def make_registration():  # noqa: ANN201
    """`make_registration(session, user=None, email=None, status="confirmed", **fields)`: a row
    as the services would leave it, without mail."""
    counter = iter(range(1, 100_000))

    def factory(session, user=None, email=None, status="confirmed", **fields) -> Registration:  # noqa: ANN001, ANN003
        number = next(counter)
        if user is None and email is None and fields.get("channel") != "walk_in":
            email = f"guest{number}-{secrets.token_hex(3)}@example.org"
        now = utcnow()
        registration = Registration(
            session_id=session.id, process_id=session.process_id,
            user_id=user.id if user is not None else None, email=email,
            name=fields.pop("name", user.display_name if user is not None else f"Guest {number}"),
            stakeholder_type=fields.pop("stakeholder_type", "citizen"),
            language=fields.pop("language", "ro"), status=status,
            token=secrets.token_urlsafe(24), code=_new_code(session.id),
            answers=fields.pop("answers", {}),
            email_confirmed_at=fields.pop("email_confirmed_at", now),
            confirmed_at=now if status in ("confirmed", "attended", "no_show") else None,
            waitlisted_at=fields.pop("waitlisted_at", now if status == "waitlisted" else None),
            **fields,
        )
        db.session.add(registration)
        db.session.commit()
        return registration

    return factory
