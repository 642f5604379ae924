"""The process predicates as tables of cases: who may view and who may edit a process."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from engage.processes.permissions import can_edit_process, can_view_process

PEOPLE = ["anonymous", "citizen", "moderator", "organiser", "other_moderator",
          "other_organiser", "admin"]
STAFF = {"moderator", "organiser", "admin"}

VIEW_CASES = [
    (status, person, status != "draft" or person in STAFF)
    for status in ("draft", "published", "closed", "archived")
    for person in PEOPLE
]
EDIT_CASES = [
    (status, person, person in {"organiser", "admin"})
    for status in ("draft", "published", "closed", "archived")
    for person in PEOPLE
]


@pytest.fixture
def world(app, make_user, make_city, make_role):  # noqa: ANN001, ANN201
    city, other = make_city(), make_city()
    people = {
        "anonymous": AnonymousUserMixin(),
        "citizen": make_user(),
        "moderator": make_user(),
        "organiser": make_user(),
        "other_moderator": make_user(),
        "other_organiser": make_user(),
        "admin": make_user(admin=True),
    }
    make_role(people["moderator"], city, "moderator")
    make_role(people["organiser"], city, "organiser")
    make_role(people["other_moderator"], other, "moderator")
    make_role(people["other_organiser"], other, "organiser")
    return city, people


@pytest.mark.parametrize(("status", "person", "expected"), VIEW_CASES)
def test_can_view_process(world, make_process, status, person, expected):
    city, people = world
    process = make_process(city, status=status)
    assert can_view_process(people[person], process) is expected


@pytest.mark.parametrize(("status", "person", "expected"), EDIT_CASES)
def test_can_edit_process(world, make_process, status, person, expected):
    city, people = world
    process = make_process(city, status=status)
    assert can_edit_process(people[person], process) is expected


def test_a_role_in_one_city_gives_nothing_in_another(world, make_city, make_process):
    _, people = world
    elsewhere = make_process(make_city(), status="draft")
    assert not can_view_process(people["organiser"], elsewhere)
    assert not can_edit_process(people["organiser"], elsewhere)
    assert can_edit_process(people["admin"], elsewhere)
