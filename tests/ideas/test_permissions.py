"""The ideas predicates as tables of cases: who may submit, support, comment, moderate, see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from engage.core.db import utcnow
from engage.extensions import db
from engage.ideas.permissions import (
    can_comment,
    can_moderate_idea,
    can_submit,
    can_support,
    can_view_idea,
)
from tests.conftest import rows_by_name

PEOPLE = ["anonymous", "citizen", "author", "moderator", "organiser", "other_moderator",
          "other_organiser", "admin", "suspended"]
STAFF = {"moderator", "organiser", "admin"}
SIGNED_IN = {"citizen", "author", "moderator", "organiser", "other_moderator",
             "other_organiser", "admin"}
PROCESS_STATES = {
    "open": {},
    "draft": {"status": "draft"},
    "closed": {"status": "closed"},
    "upcoming": {"opens_at": utcnow() + timedelta(days=3)},
    "past_closing": {"opens_at": utcnow() - timedelta(days=9),
                     "closes_at": utcnow() - timedelta(days=1)},
    "archived": {"status": "archived"},
}
MODERATION_STATES = ["published", "pending", "hidden", "rejected", "deleted"]


@pytest.fixture(scope="module")
def world_ids(shared_world):  # noqa: ANN001, ANN201
    """The people and two cities, built once for the module: ({person: user id}, city id)."""
    with shared_world() as make:
        city, other = make.city(), make.city()
        people = {name: make.user() for name in PEOPLE if name not in ("anonymous", "admin")}
        people["admin"] = make.user(admin=True)
        people["suspended"].is_active_account = False
        make.role(people["moderator"], city, "moderator")
        make.role(people["organiser"], city, "organiser")
        make.role(people["other_moderator"], other, "moderator")
        make.role(people["other_organiser"], other, "organiser")
        db.session.commit()
        return {name: user.id for name, user in people.items()}, city.id


@pytest.fixture
def world(world_ids, make_process):  # noqa: ANN001, ANN201
    from engage.accounts.models import User
    from engage.cities.models import City

    ids, city_id = world_ids
    people = rows_by_name(User, ids)
    people["anonymous"] = AnonymousUserMixin()
    people = {name: people[name] for name in PEOPLE}  # in the table's order
    city = db.session.get(City, city_id)

    def idea_in(state: str = "open", moderation: str = "published", kind: str = "ideas"):  # noqa: ANN202
        from engage.ideas import services

        process = make_process(city, kind="ideas")
        idea = services.submit_idea(process, people["author"], "Idee", "", "nature", "ro")
        idea.contribution.status = moderation
        for name, value in PROCESS_STATES[state].items():
            setattr(process, name, value)
        process.kind = kind
        db.session.commit()
        return idea

    return people, city, make_process, idea_in


def answers(predicate, people, obj) -> dict[str, bool]:  # noqa: ANN001
    """{person: predicate(person, obj)} for everyone, compared whole so a failure shows all."""
    return {name: predicate(person, obj) for name, person in people.items()}


@pytest.mark.parametrize("state", PROCESS_STATES)
def test_can_submit(world, state):
    people, city, make_process, _ = world
    process = make_process(city, **PROCESS_STATES[state])
    expected = {person: state == "open" and person in SIGNED_IN for person in PEOPLE}
    assert answers(can_submit, people, process) == expected


def test_cannot_submit_to_another_kind(world):
    people, city, make_process, _ = world
    assert can_submit(people["citizen"], make_process(city, kind="consultation")) is False


@pytest.mark.parametrize("moderation", MODERATION_STATES)
@pytest.mark.parametrize("state", PROCESS_STATES)
def test_can_support_and_comment(world, state, moderation):
    people, _, _, idea_in = world
    idea = idea_in(state, moderation)
    expected = {
        person: state == "open" and moderation == "published" and person in SIGNED_IN
        for person in PEOPLE
    }
    assert answers(can_support, people, idea) == expected
    assert answers(can_comment, people, idea) == expected


def test_cannot_support_or_comment_a_merged_idea(world):
    people, _, _, idea_in = world
    source, target = idea_in(), idea_in()
    source.merged_into_id = target.id
    assert can_support(people["citizen"], source) is False
    assert can_comment(people["citizen"], source) is False


@pytest.mark.parametrize("state", PROCESS_STATES)
def test_can_moderate_idea(world, state):
    people, _, _, idea_in = world
    expected = {person: person in STAFF for person in PEOPLE}
    assert answers(can_moderate_idea, people, idea_in(state)) == expected


def _visible(state: str, moderation: str, person: str) -> bool:
    if person in STAFF:
        return True
    if state == "draft":
        return False
    if moderation == "published":
        return True
    return moderation in ("pending", "hidden", "rejected") and person == "author"


@pytest.mark.parametrize("moderation", MODERATION_STATES)
@pytest.mark.parametrize("state", ["open", "draft", "closed", "archived"])
def test_can_view_idea(world, state, moderation):
    people, _, _, idea_in = world
    expected = {person: _visible(state, moderation, person) for person in PEOPLE}
    assert answers(can_view_idea, people, idea_in(state, moderation)) == expected
