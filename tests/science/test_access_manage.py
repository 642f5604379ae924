"""Who may open the organisers' science pages: every route of `science_manage` × the seven kinds
of people of tests/test_access_matrix.py → the expected status (302 to log in, 403, 404, or past
the access check)."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.processes.models import Process
from engage.science import protocol
from engage.science.models import Verifier
from tests.test_access_matrix import (  # noqa: F401  `world_ids` is a fixture
    CITY_ORGANISERS,
    _cases,
    _urls,
    check_get_everyone,
    check_post,
    people_of,
    world_ids,
)

BASE = "/{city}/manage/processes/{campaign}/science"
ORGANISERS_422 = CITY_ORGANISERS | {"organiser": 422, "admin": 422}
ORGANISERS_303 = CITY_ORGANISERS | {"organiser": 303, "admin": 303}
ORGANISERS_404 = CITY_ORGANISERS | {"organiser": 404, "admin": 404}

GET_MATRIX = [
    (BASE + "/protocol", CITY_ORGANISERS),
    (BASE + "/preview?lang=ro", CITY_ORGANISERS),
    (BASE + "/preview?lang=en", CITY_ORGANISERS),
    (BASE + "/settings", CITY_ORGANISERS),
    (BASE + "/verifiers", CITY_ORGANISERS),
    (BASE + "/fields/new", CITY_ORGANISERS),
    (BASE + "/fields/new?type=number", CITY_ORGANISERS),
    (BASE + "/fields/{field}/edit", CITY_ORGANISERS),
    (BASE + "/fields/{field}/edit?type=count", CITY_ORGANISERS),
    (BASE + "/fields/{field}/delete", CITY_ORGANISERS),
    # Not a science process, another campaign's field, an unknown campaign: not found.
    ("/{city}/manage/processes/{process}/science/protocol", ORGANISERS_404),
    ("/{city}/manage/processes/{process}/science/settings", ORGANISERS_404),
    (BASE + "/fields/{foreign_field}/edit", ORGANISERS_404),
    ("/{city}/manage/processes/no-such-campaign/science/protocol", ORGANISERS_404),
]

POST_MATRIX = [
    (BASE + "/fields/new", {}, ORGANISERS_422),
    (BASE + "/fields/new", {"type": "number"}, ORGANISERS_422),
    (BASE + "/fields/new", {"type": "yes_no", "label_ro": "Apă?"}, ORGANISERS_303),
    (BASE + "/fields/{field}/edit", {}, ORGANISERS_422),
    (BASE + "/fields/{field}/move", {"direction": "up"}, ORGANISERS_422),
    (BASE + "/fields/{field}/move", {"direction": "down"}, ORGANISERS_303),
    (BASE + "/fields/{field}/deactivate", {}, ORGANISERS_303),
    (BASE + "/fields/{field}/reactivate", {}, ORGANISERS_303),
    (BASE + "/fields/{field}/delete", {}, ORGANISERS_303),
    # Fields left out keep the current settings (WTForms), so this one saves them unchanged.
    (BASE + "/settings", {}, ORGANISERS_303),
    (BASE + "/settings", {"licence": "GPL"}, ORGANISERS_422),
    (BASE + "/settings", {"licence": "CC0-1.0", "public_precision": "1km", "burst_count": "20",
                          "burst_minutes": "10"}, ORGANISERS_303),
    (BASE + "/verifiers", {}, ORGANISERS_422),
    (BASE + "/verifiers", {"email": "{organiser_email}"}, ORGANISERS_303),
    (BASE + "/verifiers/{verifier}/remove", {}, ORGANISERS_303),
    (BASE + "/fields/{foreign_field}/delete", {}, ORGANISERS_404),
    ("/{city}/manage/processes/{process}/science/settings", {}, ORGANISERS_404),
]


@pytest.fixture(scope="module")
def science_world_ids(shared_world, world_ids):  # noqa: ANN001, ANN201, F811
    """The access matrix's world and two campaigns in its city, built once for the module."""
    ids, values = world_ids
    with shared_world() as make:
        city = db.session.scalars(
            db.select(Process).where(Process.slug == values["process"])).one().city
        campaign = make.process(city, slug="science-one", kind="science")
        protocol.save_settings(campaign, licence="CC-BY-4.0")
        first = protocol.add_field(campaign, "single", label_ro="Loc",
                                   options=[("Parc", ""), ("Stradă", "")])
        protocol.add_field(campaign, "number", label_ro="Temperatura")
        verifier = make.user()
        make.role(verifier, city, "organiser")
        db.session.add(Verifier(process_id=campaign.id, user_id=verifier.id))
        foreign = make.process(city, slug="science-two", kind="science")
        foreign_field = protocol.add_field(foreign, "yes_no", label_ro="Da?")
        db.session.commit()
        organiser_email = people_of(ids)["organiser"].email
        return ids, values | {"campaign": campaign.slug, "field": first.id,
                              "foreign_field": foreign_field.id, "verifier": verifier.id,
                              "organiser_email": organiser_email}


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


def test_every_manage_route_is_in_the_matrix(app):
    """A new organisers' route must be added above."""
    tested = {url.split("?")[0] for url, *_rest in GET_MATRIX + POST_MATRIX}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("science_manage."):
            path = (rule.rule.replace("<city_slug>", "{city}")
                    .replace("<process_slug>", "{campaign}")
                    .replace("<int:field_id>", "{field}")
                    .replace("<int:user_id>", "{verifier}"))
            assert path in tested, rule.rule
