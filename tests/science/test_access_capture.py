"""Who may open the citizens' science pages: every route × the seven kinds of people of
tests/test_access_matrix.py (anonymous, a citizen, the city's moderator and organiser, another
city's moderator and organiser, an admin)."""

from __future__ import annotations

import uuid

import pytest

from engage.extensions import db
from engage.processes.models import Process
from engage.science.models import ScienceSettings
from tests.science.conftest import AREA, add_field, add_observation
from tests.test_access_matrix import (  # noqa: F401  `world_ids` is a fixture
    DRAFT_VISIBLE_TO_STAFF,
    PEOPLE,
    SIGNED_IN,
    _cases,
    _urls,
    check_get_everyone,
    check_post,
    people_of,
    world_ids,
)

EVERYONE = {person: 200 for person in PEOPLE}
NOBODY = {person: 404 for person in PEOPLE}
# An observation not accepted yet: its observer (the citizen), the city's moderators and admins.
OBSERVER_AND_VERIFIERS = NOBODY | {"citizen": 200, "moderator": 200, "admin": 200}
OBSERVE = "/{city}/p/{campaign}/observe"

GET_MATRIX = [
    (OBSERVE, SIGNED_IN),
    ("/{city}/p/{campaign}/observations/mine", SIGNED_IN),
    ("/{city}/p/{draft_campaign}/observe", DRAFT_VISIBLE_TO_STAFF),
    ("/{city}/p/{draft_campaign}/observations/mine", DRAFT_VISIBLE_TO_STAFF),
    ("/{city}/p/{process}/observe", NOBODY),  # an ideas process
    ("/{city}/observations/{pending}", OBSERVER_AND_VERIFIERS),
    ("/{city}/observations/{accepted}", EVERYONE),
    # An accepted observation of a draft campaign: for those who see the draft.
    ("/{city}/observations/{draft_observation}", DRAFT_VISIBLE_TO_STAFF),
    ("/{other_city}/observations/{accepted}", NOBODY),
    ("/science-sw.js", EVERYONE),
    ("/science/csrf-token", EVERYONE),
]

POST_MATRIX = [
    # An empty observation is refused with its errors (422), past the access check.
    (OBSERVE, {}, SIGNED_IN | {p: 422 for p in PEOPLE if p != "anonymous"}),
    ("/{city}/p/{closed_campaign}/observe", {},
     SIGNED_IN | {p: 303 for p in PEOPLE if p != "anonymous"}),
    ("/{city}/p/{draft_campaign}/observe", {},
     NOBODY | {"moderator": 303, "organiser": 303, "admin": 303}),
]


@pytest.fixture(scope="module")
def science_world_ids(shared_world, world_ids):  # noqa: ANN001, ANN201, F811
    """The access matrix's world and three campaigns in its city (open, draft, closed) with
    observations: built once for the module."""
    ids, values = world_ids
    with shared_world() as make:
        city = db.session.scalars(
            db.select(Process).where(Process.slug == values["process"])).one().city

        def campaign(slug: str, **fields) -> Process:  # noqa: ANN003
            process = make.process(city, slug=slug, kind="science", **fields)
            db.session.add(ScienceSettings(process_id=process.id, area=AREA,
                                           pseudonym_key=uuid.uuid4().hex))
            add_field(process, "number", "Temperatura", required=True,
                      settings={"unit_ro": "°C"})
            db.session.commit()
            return process

        people = people_of(ids)
        open_one = campaign("harta-caldurii")
        draft = campaign("ciorna", status="draft")
        closed = campaign("inchisa", status="closed")
        pending = add_observation(open_one, people["citizen"], status="pending")
        accepted = add_observation(open_one, people["other_organiser"], status="accepted")
        draft_observation = add_observation(draft, people["citizen"], status="accepted")
        return ids, values | {
            "campaign": open_one.slug, "draft_campaign": draft.slug,
            "closed_campaign": closed.slug, "pending": pending.id, "accepted": accepted.id,
            "draft_observation": draft_observation.id, "other_city": "oradea",
        }


@pytest.fixture
def science_world(science_world_ids):  # noqa: ANN001, ANN201
    ids, values = science_world_ids
    return people_of(ids), values


@pytest.mark.parametrize("entry", list(_urls(GET_MATRIX)))
def test_get_access(app, login_as, science_world, entry):
    check_get_everyone(app, login_as, science_world, entry)


@pytest.mark.parametrize(("entry", "person", "status"), list(_cases(POST_MATRIX)))
def test_post_access(app, login_as, science_world, entry, person, status):
    check_post(app, login_as, science_world, entry, person, status)
