"""Who may open what: every protected route × every kind of person → the expected status.

People: anonymous; a citizen; a moderator and an organiser of the route's city; a moderator and
an organiser of another city; a global admin. 302 means "sent to log in", 403 "not allowed",
404 "not there for you" (drafts stay invisible rather than forbidden).
"""

from __future__ import annotations

import pytest

from engage.extensions import db
from tests.conftest import rows_by_name

PEOPLE = ["anonymous", "citizen", "moderator", "organiser", "other_moderator",
          "other_organiser", "admin"]

SIGNED_IN = {person: 200 for person in PEOPLE} | {"anonymous": 302}
ADMIN_ONLY = {person: 403 for person in PEOPLE} | {"anonymous": 302, "admin": 200}
CITY_STAFF = ADMIN_ONLY | {"moderator": 200, "organiser": 200}
CITY_ORGANISERS = ADMIN_ONLY | {"organiser": 200}
STAFF = ("moderator", "organiser", "admin")
DRAFT_VISIBLE_TO_STAFF = {person: 404 for person in PEOPLE} | {
    "moderator": 200, "organiser": 200, "admin": 200}

GET_MATRIX = [
    ("/account/profile", SIGNED_IN),
    ("/account/password", SIGNED_IN),
    ("/account/email", SIGNED_IN),
    ("/admin/", ADMIN_ONLY | {"admin": 302}),
    ("/admin/cities", ADMIN_ONLY),
    ("/admin/cities/new", ADMIN_ONLY),
    ("/admin/cities/{city}/edit", ADMIN_ONLY),
    ("/admin/cities/{city}/roles", ADMIN_ONLY),
    ("/admin/funding", ADMIN_ONLY),
    ("/admin/funding/new", ADMIN_ONLY),
    ("/admin/funding/{call}/edit", ADMIN_ONLY),
    ("/{city}/manage/", CITY_STAFF),
    ("/{city}/manage/processes/new", CITY_ORGANISERS),
    ("/{city}/manage/processes/{process}/edit", CITY_ORGANISERS),
    ("/{city}/manage/processes/{draft}/edit", CITY_ORGANISERS),
    ("/{city}/p/{draft}", DRAFT_VISIBLE_TO_STAFF),
    ("/{city}/p/{draft}/ideas", DRAFT_VISIBLE_TO_STAFF),
    ("/{city}/p/{process}/ideas/new", SIGNED_IN),
    ("/{city}/ideas/{idea}/report", SIGNED_IN),
    ("/{city}/comments/{comment}/report", SIGNED_IN),
    # Only its author edits a comment (the citizen wrote it).
    ("/{city}/comments/{comment}/edit", SIGNED_IN | {p: 403 for p in PEOPLE
                                                     if p not in ("anonymous", "citizen")}),
    ("/{city}/manage/processes/{process}/ideas", CITY_STAFF),
    ("/{city}/manage/contract", CITY_ORGANISERS),
    ("/{city}/manage/processes/{process}/export", CITY_STAFF),
    ("/{city}/manage/contract/actions/new", CITY_ORGANISERS),
    ("/{city}/manage/processes/{process}/ideas/add", CITY_ORGANISERS),
    ("/{city}/manage/processes/{process}/ideas/settings", CITY_ORGANISERS),
    ("/account/notifications", SIGNED_IN),
]

POST_MATRIX = [
    # (url, form data, expected): a successful write answers with a redirect (303); an empty
    # form from someone allowed comes back with its errors (200 with the form, or 422 where the
    # process forms use it) — either way past the access check.
    ("/account/logout", {}, SIGNED_IN | {p: 303 for p in PEOPLE if p != "anonymous"}),
    ("/account/profile", {}, SIGNED_IN | {p: 200 for p in PEOPLE if p != "anonymous"}),
    ("/account/password", {}, SIGNED_IN | {p: 200 for p in PEOPLE if p != "anonymous"}),
    ("/account/email", {}, SIGNED_IN | {p: 200 for p in PEOPLE if p != "anonymous"}),
    ("/admin/cities/new", {}, ADMIN_ONLY | {"admin": 200}),
    # Fields left out of an edit keep the city's values (WTForms), so this one saves unchanged.
    ("/admin/cities/{city}/edit", {}, ADMIN_ONLY | {"admin": 303}),
    ("/admin/cities/{city}/roles/{role}/revoke", {}, ADMIN_ONLY | {"admin": 303}),
    ("/admin/funding/new", {}, ADMIN_ONLY | {"admin": 200}),
    ("/admin/funding/{call}/edit", {}, ADMIN_ONLY | {"admin": 200}),
    ("/{city}/manage/processes/new", {}, CITY_ORGANISERS | {"organiser": 422, "admin": 422}),
    ("/{city}/manage/processes/{draft}/edit", {},
     CITY_ORGANISERS | {"organiser": 422, "admin": 422}),
    ("/{city}/manage/processes/{draft}/status", {"action": "publish"},
     ADMIN_ONLY | {"admin": 303, "organiser": 303}),
    ("/admin/cities/{city}/roles", {"email": "{citizen_email}", "role": "moderator"},
     ADMIN_ONLY | {"admin": 303}),
    ("/admin/funding/{call}/delete", {}, ADMIN_ONLY | {"admin": 303}),
    # An empty comment is refused with the idea page again (422), past the access check.
    ("/{city}/ideas/{idea}/comments", {}, SIGNED_IN | {p: 422 for p in PEOPLE
                                                       if p != "anonymous"}),
    ("/{city}/ideas/{idea}/moderate", {}, CITY_STAFF | {p: 303 for p in STAFF}),
    ("/{city}/comments/{comment}/moderate", {}, CITY_STAFF | {p: 303 for p in STAFF}),
    ("/{city}/ideas/{idea}/progress", {}, CITY_STAFF | {p: 422 for p in STAFF}),
    ("/{city}/ideas/{idea}/merge", {}, CITY_STAFF | {p: 422 for p in STAFF}),
    ("/{city}/manage/processes/{process}/ideas/add", {},
     CITY_ORGANISERS | {"organiser": 422, "admin": 422}),
    # Fields left out keep the current settings, so this one saves them unchanged.
    ("/{city}/manage/processes/{process}/ideas/settings", {},
     CITY_ORGANISERS | {"organiser": 303, "admin": 303}),
]


@pytest.fixture(scope="module")
def world_ids(shared_world):  # noqa: ANN001, ANN201
    """The module's world, built once (a GET changes nothing; each POST runs in a savepoint
    rolled back at its end): ({person: user id}, the values the URLs are filled with)."""
    from engage.ideas import services as ideas

    with shared_world() as make:
        city = make.city("alba-iulia")
        other = make.city("oradea")
        people = {
            "citizen": make.user(),
            "moderator": make.user(),
            "organiser": make.user(),
            "other_moderator": make.user(),
            "other_organiser": make.user(),
            "admin": make.user(admin=True),
        }
        moderator_role = make.role(people["moderator"], city, "moderator")
        make.role(people["organiser"], city, "organiser")
        make.role(people["other_moderator"], other, "moderator")
        make.role(people["other_organiser"], other, "organiser")
        process = make.process(city, slug="published-one", kind="ideas")
        idea = ideas.submit_idea(process, people["organiser"], "Idee", "", "nature", "ro")
        comment = ideas.add_comment(people["citizen"], idea, "Comentariu")
        db.session.commit()
        values = {
            "city": city.slug,
            "process": process.slug,
            "idea": idea.id,
            "comment": comment.id,
            "draft": make.process(city, slug="draft-one", status="draft", kind="ideas").slug,
            "call": make.funding_call().id,
            "citizen_email": people["citizen"].email,
            "role": moderator_role.id,
        }
        return {name: user.id for name, user in people.items()}, values


def people_of(ids: dict) -> dict:
    """{person: user} for {person: user id}, in the test's session."""
    from engage.accounts.models import User

    return rows_by_name(User, ids)


@pytest.fixture
def world(world_ids):  # noqa: ANN001, ANN201
    """(people, values): `world_ids` with the people loaded."""
    ids, values = world_ids
    return people_of(ids), values


def _client_for(app, login_as, people, person):  # noqa: ANN001, ANN202
    client = app.test_client()
    if person != "anonymous":
        login_as(client, people[person])
    return client


def check_get_everyone(app, login_as, world, entry, people=PEOPLE) -> None:  # noqa: ANN001
    """GET `entry`'s URL as each of `people` in one world (a GET changes nothing, so they can
    share it): the statuses, compared as one {person: status} table so a failure shows every
    person who got the wrong answer."""
    expected = entry[-1]
    got = {}
    for person in people:
        people_of_world, values = world
        client = _client_for(app, login_as, people_of_world, person)
        response = client.get(entry[0].format(**values))
        got[person] = response.status_code
        if response.status_code == 302 and person == "anonymous":
            assert "/account/login" in response.headers["Location"]
        response.close()
    assert got == {person: expected[person] for person in people}


def _urls(matrix):  # noqa: ANN001, ANN202
    """One case per URL of a GET matrix (see `check_get_everyone`)."""
    for entry in matrix:
        yield pytest.param(entry, id=entry[0])


def check_post(app, login_as, world, entry, person, status) -> None:  # noqa: ANN001
    """POST `entry`'s form data to its URL as `person`: `status` (see POST_MATRIX)."""
    people, values = world
    client = _client_for(app, login_as, people, person)
    data = {key: value.format(**values) for key, value in entry[1].items()}
    response = client.post_form(entry[0].format(**values), data)
    assert response.status_code == status
    if status == 302:
        assert "/account/login" in response.headers["Location"]
    response.close()
    db.session.expire_all()


def _cases(matrix):  # noqa: ANN001, ANN202
    for entry in matrix:
        url, expected = entry[0], entry[-1]
        for person in PEOPLE:
            yield pytest.param(entry, person, expected[person], id=f"{url}-{person}")


@pytest.mark.parametrize("entry", list(_urls(GET_MATRIX)))
def test_get_access(app, login_as, world, entry):
    check_get_everyone(app, login_as, world, entry)


@pytest.mark.parametrize(("entry", "person", "status"), list(_cases(POST_MATRIX)))
def test_post_access(app, login_as, world, entry, person, status):
    check_post(app, login_as, world, entry, person, status)


def test_every_view_declares_its_access(app):
    """No view without a declared rule (`@public`, `@login_required`, `@requires(...)`)."""
    undeclared = [
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not hasattr(app.view_functions[rule.endpoint], "access_rule")
    ]
    assert undeclared == []


# ---------------------------------------------------------------- consultation builder
# The `world` above holds an ideas process; the builder serves consultations only, so its
# routes get their own consultation process, in the same city, with a section and a question.

BUILDER = "/{city}/manage/processes/{consultation}/questionnaire"
ORGANISERS_422 = CITY_ORGANISERS | {"organiser": 422, "admin": 422}
ORGANISERS_303 = CITY_ORGANISERS | {"organiser": 303, "admin": 303}

CONSULTATION_GET_MATRIX = [
    (BUILDER, CITY_ORGANISERS),
    (BUILDER + "/preview?lang=ro", CITY_ORGANISERS),
    (BUILDER + "/preview?lang=en", CITY_ORGANISERS),
    (BUILDER + "/settings", CITY_ORGANISERS),
    (BUILDER + "/sections/new", CITY_ORGANISERS),
    (BUILDER + "/sections/{section}/edit", CITY_ORGANISERS),
    (BUILDER + "/sections/{section}/delete", CITY_ORGANISERS),
    (BUILDER + "/sections/{section}/questions/new", CITY_ORGANISERS),
    (BUILDER + "/sections/{section}/questions/new?type=matrix", CITY_ORGANISERS),
    (BUILDER + "/questions/{question}/edit", CITY_ORGANISERS),
    (BUILDER + "/questions/{question}/edit?type=scale", CITY_ORGANISERS),
    (BUILDER + "/questions/{question}/delete", CITY_ORGANISERS),
    # The ideas process has no questionnaire: not found, for those allowed past the check.
    ("/{city}/manage/processes/{process}/questionnaire",
     CITY_ORGANISERS | {"organiser": 404, "admin": 404}),
    ("/{city}/manage/processes/{consultation}/paper", CITY_ORGANISERS),
    ("/{city}/manage/processes/{consultation}/answers", CITY_STAFF),
    ("/{city}/manage/processes/{consultation}/paper/template.csv", CITY_ORGANISERS),
]

CONSULTATION_POST_MATRIX = [
    # Empty forms come back with their errors (422); moves past an end are refused (422);
    # the other writes succeed (303).
    (BUILDER + "/sections/new", {}, ORGANISERS_422),
    (BUILDER + "/sections/{section}/edit", {}, ORGANISERS_422),
    (BUILDER + "/sections/{section}/move", {"direction": "up"}, ORGANISERS_422),
    (BUILDER + "/sections/{section}/duplicate", {}, ORGANISERS_303),
    (BUILDER + "/sections/{section}/delete", {}, ORGANISERS_303),
    (BUILDER + "/sections/{section}/questions/new", {}, ORGANISERS_422),
    (BUILDER + "/questions/{question}/edit", {}, ORGANISERS_422),
    (BUILDER + "/questions/{question}/move", {"direction": "down"}, ORGANISERS_422),
    (BUILDER + "/questions/{question}/duplicate", {}, ORGANISERS_303),
    (BUILDER + "/questions/{question}/delete", {}, ORGANISERS_303),
    (BUILDER + "/settings", {}, ORGANISERS_422),
    (BUILDER + "/settings", {"respondents": "anyone", "results_visibility": "live"},
     ORGANISERS_303),
    # A paper response without its required answer, and an import without a file: 422.
    ("/{city}/manage/processes/{consultation}/paper", {"channel": "paper"}, ORGANISERS_422),
    ("/{city}/manage/processes/{consultation}/paper/import", {}, ORGANISERS_422),
]


@pytest.fixture(scope="module")
def consultation_world_ids(shared_world, world_ids):  # noqa: ANN001, ANN201
    from engage.cities.models import City
    from engage.consultations import services as consultations

    ids, values = world_ids
    with shared_world() as make:
        city = db.session.scalars(db.select(City).where(City.slug == values["city"])).one()
        process = make.process(city, slug="consultation-one", kind="consultation")
        section = consultations.add_section(process, title_ro="Secțiune")
        question = consultations.add_question(section, "single", text_ro="Întrebare",
                                              options=[("Da", ""), ("Nu", "")], required=True)
        db.session.commit()
        return ids, values | {"consultation": process.slug, "section": section.id,
                              "question": question.id}


@pytest.fixture
def consultation_world(consultation_world_ids):  # noqa: ANN001, ANN201
    ids, values = consultation_world_ids
    return people_of(ids), values


@pytest.mark.parametrize("entry", list(_urls(CONSULTATION_GET_MATRIX)))
def test_consultation_builder_get_access(app, login_as, consultation_world, entry):
    check_get_everyone(app, login_as, consultation_world, entry)


@pytest.mark.parametrize(("entry", "person", "status"),
                         list(_cases(CONSULTATION_POST_MATRIX)))
def test_consultation_builder_post_access(app, login_as, consultation_world, entry, person,
                                          status):
    check_post(app, login_as, consultation_world, entry, person, status)
