"""The science permission predicates, each as a table of cases: who may define a campaign's
protocol, verify its observations, see their true locations, and observe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from engage.core.db import utcnow
from engage.extensions import db
from engage.science.models import Verifier
from engage.science.permissions import (
    can_manage_protocol,
    can_observe,
    can_see_true_location,
    can_verify,
)

PEOPLE = ("anonymous", "citizen", "moderator", "organiser", "verifier", "other_organiser",
          "other_moderator", "admin")

#          anonymous citizen moderator organiser verifier other_org other_mod admin
EXPECTED = {
    can_manage_protocol: (False, False, False, True, True, False, False, True),
    can_verify: (False, False, True, False, True, False, False, True),
    can_see_true_location: (False, False, True, False, True, False, False, True),
    can_observe: (False, True, True, True, True, True, True, True),
}

CASES = [
    pytest.param(predicate, person, allowed, id=f"{predicate.__name__}-{person}")
    for predicate, row in EXPECTED.items()
    for person, allowed in zip(PEOPLE, row, strict=True)
]


@pytest.fixture
def people(make_user, make_city, make_role, make_process):  # noqa: ANN001, ANN201
    city = make_city()
    other = make_city()
    process = make_process(city, kind="science")
    users = {
        "anonymous": AnonymousUserMixin(),
        "citizen": make_user(),
        "moderator": make_user(),
        "organiser": make_user(),
        "verifier": make_user(),
        "other_organiser": make_user(),
        "other_moderator": make_user(),
        "admin": make_user(admin=True),
    }
    make_role(users["moderator"], city, "moderator")
    make_role(users["organiser"], city, "organiser")
    make_role(users["verifier"], city, "organiser")
    make_role(users["other_organiser"], other, "organiser")
    make_role(users["other_moderator"], other, "moderator")
    db.session.add(Verifier(process_id=process.id, user_id=users["verifier"].id))
    # Named verifier of another city's campaign: counts for nothing here.
    foreign = make_process(other, kind="science")
    db.session.add(Verifier(process_id=foreign.id, user_id=users["other_organiser"].id))
    db.session.commit()
    return process, users


@pytest.mark.parametrize(("predicate", "person", "allowed"), CASES)
def test_predicate_table(people, predicate, person, allowed):
    process, users = people
    assert predicate(users[person], process) is allowed


@pytest.mark.parametrize("predicate", list(EXPECTED))
def test_nothing_for_a_process_of_another_kind(people, make_process, predicate):
    process, users = people
    ideas = make_process(process.city, kind="ideas")
    for person in PEOPLE:
        assert predicate(users[person], ideas) is False


@pytest.mark.parametrize("predicate", list(EXPECTED))
def test_nothing_without_a_process(people, predicate):
    _process, users = people
    assert predicate(users["admin"], None) is False


@pytest.mark.parametrize(("changes", "open_"), [
    ({}, True),
    ({"status": "closed"}, False),
    ({"status": "draft"}, False),
    ({"opens_at": utcnow() + timedelta(days=1)}, False),
    ({"closes_at": utcnow() - timedelta(minutes=1)}, False),
    ({"closes_at": None}, True),
])
def test_observing_needs_an_open_campaign(people, changes, open_):
    process, users = people
    for name, value in changes.items():
        setattr(process, name, value)
    db.session.commit()
    assert can_observe(users["citizen"], process) is open_
    assert can_observe(users["anonymous"], process) is False


def test_a_removed_verifier_no_longer_verifies(app, people):
    process, users = people
    from engage.science import protocol

    with app.test_request_context():
        assert can_verify(users["verifier"], process)
        protocol.remove_verifier(process, users["verifier"].id)
        assert not can_verify(users["verifier"], process)
        assert can_manage_protocol(users["verifier"], process)
