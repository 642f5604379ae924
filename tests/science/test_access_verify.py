"""Who may open the verification pages: every route × the seven kinds of people of
tests/test_access_matrix.py, plus an organiser named as the campaign's verifier. Only
`can_verify` passes: the city's moderators, admins and named verifiers; the city's other
organisers get 403 like everyone else signed in; anonymous visitors are sent to log in.
Another city's campaign, an unknown one and a campaign that is not a science one are 404 for
those allowed past the access rule."""

from __future__ import annotations

import uuid

import pytest

from engage.extensions import db
from engage.processes.models import Process
from engage.science.models import ScienceSettings, Verifier
from tests.science.conftest import add_observation
from tests.test_access_matrix import (  # noqa: F401  `world_ids` is a fixture
    PEOPLE,
    _client_for,
    _urls,
    check_get_everyone,
    check_post,
    people_of,
    world_ids,
)

KINDS = [*PEOPLE, "verifier"]
VERIFIERS = {person: 403 for person in KINDS} | {
    "anonymous": 302, "moderator": 200, "admin": 200, "verifier": 200}


def _with(expected: dict, allowed_status: int) -> dict:
    """`expected` with `allowed_status` for those who may verify."""
    return expected | {p: allowed_status for p in ("moderator", "admin", "verifier")}


QUEUE = "/{city}/manage/processes/{science}/observations"
# Another city's moderator is refused at the door (403) before anything is looked up; those
# allowed through find nothing (404).
NOT_HERE = {person: 403 for person in KINDS} | {
    "anonymous": 302, "moderator": 404, "organiser": 404, "admin": 404, "verifier": 404}

GET_MATRIX = [
    (QUEUE, VERIFIERS),
    (QUEUE + "?status=all&flag=burst&since=2026-01-01", VERIFIERS),
    (QUEUE + "/{observation}/history", VERIFIERS),
    # The ideas process is not a science campaign; an unknown slug; another city's campaign
    # seen through this city's URL.
    ("/{city}/manage/processes/{process}/observations", NOT_HERE),
    ("/{city}/manage/processes/no-such-campaign/observations", NOT_HERE),
    ("/{city}/manage/processes/{other_science}/observations", NOT_HERE),
    (QUEUE + "/{other_observation}/history", _with(VERIFIERS, 404)),
]

POST_MATRIX = [
    # A decision without a reason is refused with a message (303 back to the queue); a valid
    # one is made (303); a bulk decision without a selection is refused (303).
    (QUEUE + "/{observation}/verify", {"decision": "rejected"}, _with(VERIFIERS, 303)),
    (QUEUE + "/{observation}/verify", {"decision": "accepted"}, _with(VERIFIERS, 303)),
    (QUEUE + "/verify", {}, _with(VERIFIERS, 303)),
    (QUEUE + "/verify", {"decision": "accepted", "ids": "{observation}"},
     _with(VERIFIERS, 303)),
    (QUEUE + "/{other_observation}/verify", {"decision": "accepted"}, _with(VERIFIERS, 404)),
    ("/{city}/manage/processes/{process}/observations/verify", {"decision": "accepted"},
     NOT_HERE),
]


def _kind_cases(matrix):  # noqa: ANN001, ANN202
    for entry in matrix:
        url, expected = entry[0], entry[-1]
        for person in KINDS:
            yield pytest.param(entry, person, expected[person], id=f"{url}-{person}")


@pytest.fixture(scope="module")
def science_world_ids(shared_world, world_ids):  # noqa: ANN001, ANN201, F811
    """The access matrix's world, a campaign in its city with a named verifier and one in the
    other city, each with a pending observation: built once for the module."""
    ids, values = world_ids
    with shared_world() as make:
        city = db.session.scalars(
            db.select(Process).where(Process.slug == values["process"])).one().city
        campaign = make.process(city, slug="science-one", kind="science")
        db.session.add(ScienceSettings(process_id=campaign.id, pseudonym_key=uuid.uuid4().hex))
        verifier = make.user()
        make.role(verifier, city, "organiser")
        db.session.add(Verifier(process_id=campaign.id, user_id=verifier.id))
        other_city = db.session.scalars(
            db.select(type(city)).where(type(city).slug == "oradea")).one()
        elsewhere = make.process(other_city, slug="science-elsewhere", kind="science")
        db.session.add(ScienceSettings(process_id=elsewhere.id, pseudonym_key=uuid.uuid4().hex))
        db.session.commit()
        citizen = people_of(ids)["citizen"]
        observation = add_observation(campaign, citizen, status="pending")
        other_observation = add_observation(elsewhere, citizen, status="pending")
        return ids | {"verifier": verifier.id}, values | {
            "science": campaign.slug, "observation": observation.id,
            "other_science": elsewhere.slug, "other_observation": other_observation.id}


@pytest.fixture
def science_world(science_world_ids):  # noqa: ANN001, ANN201
    ids, values = science_world_ids
    return people_of(ids), values


@pytest.mark.parametrize("entry", list(_urls(GET_MATRIX)))
def test_verify_get_access(app, login_as, science_world, entry):
    check_get_everyone(app, login_as, science_world, entry, KINDS)


@pytest.mark.parametrize(("entry", "person", "status"), list(_kind_cases(POST_MATRIX)))
def test_verify_post_access(app, login_as, science_world, entry, person, status):
    check_post(app, login_as, science_world, entry, person, status)


def test_refused_people_change_nothing(app, login_as, science_world):
    from engage.core.audit import ModerationAction
    from engage.science.models import Observation
    from tests.science.conftest import count

    people, values = science_world
    for person in ("anonymous", "citizen", "organiser", "other_moderator", "other_organiser"):
        client = _client_for(app, login_as, people, person)
        client.post_form(QUEUE.format(**values) + f"/{values['observation']}/verify",
                         {"decision": "accepted"})
        client.post_form(QUEUE.format(**values) + "/verify",
                         {"decision": "accepted", "ids": str(values["observation"])})
    db.session.expire_all()
    assert db.session.get(Observation, values["observation"]).status == "pending"
    assert count(ModerationAction) == 0


def test_every_verify_view_declares_its_access(app):
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("science_verify.")]
    assert len(rules) == 4
    assert all(app.view_functions[rule.endpoint].access_rule == "is_city_staff"
               for rule in rules)
