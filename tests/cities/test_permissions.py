"""The cities' permission predicates, each as a table of cases: who may do what in a city."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from engage.cities.permissions import (
    can_manage_cities,
    can_moderate,
    is_city_organiser,
    is_city_staff,
)

PEOPLE = ("anonymous", "citizen", "moderator", "organiser", "other_organiser",
          "other_moderator", "admin")

#                     anonymous citizen moderator organiser other_org other_mod admin
EXPECTED = {
    is_city_organiser: (False, False, False, True, False, False, True),
    can_moderate: (False, False, True, True, False, False, True),
    is_city_staff: (False, False, True, True, False, False, True),
    can_manage_cities: (False, False, False, False, False, False, True),
}

CASES = [
    pytest.param(predicate, person, allowed, id=f"{predicate.__name__}-{person}")
    for predicate, row in EXPECTED.items()
    for person, allowed in zip(PEOPLE, row, strict=True)
]


@pytest.fixture
def people(make_user, make_city, make_role):  # noqa: ANN001, ANN201
    city = make_city("iasi")
    other = make_city("brasov")
    users = {
        "anonymous": AnonymousUserMixin(),
        "citizen": make_user(),
        "moderator": make_user(),
        "organiser": make_user(),
        "other_organiser": make_user(),
        "other_moderator": make_user(),
        "admin": make_user(admin=True),
    }
    make_role(users["moderator"], city, "moderator")
    make_role(users["organiser"], city, "organiser")
    make_role(users["other_organiser"], other, "organiser")
    make_role(users["other_moderator"], other, "moderator")
    return city, users


@pytest.mark.parametrize(("predicate", "person", "allowed"), CASES)
def test_predicate_table(people, predicate, person, allowed):
    city, users = people
    assert predicate(users[person], city) is allowed


@pytest.mark.parametrize("predicate", [is_city_organiser, can_moderate, is_city_staff])
def test_city_roles_need_a_city(people, predicate):
    _, users = people
    assert predicate(users["organiser"], None) is False
    assert predicate(users["admin"], None) is False


def test_none_user_is_refused(people):
    city, _ = people
    for predicate in EXPECTED:
        assert predicate(None, city) is False

