"""Who may use the desk: every page and action × every kind of person. A visitor is sent to log
in, a citizen and another city's staff get 403 on this city's URLs, and another city's input
through one's own city's URL is a 404; the city's moderators and organisers and the admins get
in. Nothing is decided by anyone refused."""

from __future__ import annotations

import pytest

from engage.core.audit import ModerationAction
from engage.extensions import db
from engage.processes.models import Contribution
from tests.moderation.conftest import count

PEOPLE = ["anonymous", "citizen", "other_moderator", "other_organiser", "moderator",
          "organiser", "admin"]
ALLOWED = {"moderator", "organiser", "admin"}


@pytest.fixture
def world(make_user, make_role, make_city, make_process, city, process, moderator):  # noqa: ANN001, ANN201
    other_city = make_city()
    people = {
        "anonymous": None,
        "citizen": make_user(),
        "moderator": moderator,
        "organiser": make_user(),
        "other_moderator": make_user(),
        "other_organiser": make_user(),
        "admin": make_user(admin=True),
    }
    make_role(people["organiser"], city, "organiser")
    make_role(people["other_moderator"], other_city, "moderator")
    make_role(people["other_organiser"], other_city, "organiser")
    return {"people": people, "other_city": other_city,
            "other_process": make_process(other_city)}


def _client(app, login_as, person):  # noqa: ANN001, ANN202
    client = app.test_client()
    client.set_cookie("lang", "en")
    if person is not None:
        login_as(client, person)
    return client


def _expected(who: str, allowed: int) -> int:
    if who == "anonymous":
        return 302
    return allowed if who in ALLOWED else 403


@pytest.mark.parametrize("who", PEOPLE)
def test_the_pages(app, login_as, world, who, city, process, make_contribution):
    item = make_contribution(process, status="pending")
    client = _client(app, login_as, world["people"][who])
    for url in (f"/{city.slug}/moderation/", f"/{city.slug}/moderation/?why=pending&page=2",
                f"/{city.slug}/moderation/items/{item.id}"):
        answer = client.get(url)
        assert answer.status_code == _expected(who, 200), url
        if who == "anonymous":
            assert "/account/login" in answer.headers["Location"]


@pytest.mark.parametrize("who", PEOPLE)
def test_the_decisions(app, login_as, world, who, city, process, make_contribution):
    item = make_contribution(process, status="pending")
    bulk_item = make_contribution(process, status="pending")
    client = _client(app, login_as, world["people"][who])
    token = client.csrf_token()
    answer = client.post(f"/{city.slug}/moderation/items/{item.id}/decide",
                         data={"action": "approve", "csrf_token": token})
    assert answer.status_code == _expected(who, 303)
    answer = client.post(f"/{city.slug}/moderation/bulk",
                         data={"action": "approve", "ids": str(bulk_item.id),
                               "csrf_token": token})
    assert answer.status_code == _expected(who, 303)
    decided = who in ALLOWED
    db.session.expire_all()
    assert db.session.get(Contribution, item.id).status == ("published" if decided else
                                                            "pending")
    assert db.session.get(Contribution, bulk_item.id).status == ("published" if decided else
                                                                 "pending")
    assert count(ModerationAction) == (2 if decided else 0)


@pytest.mark.parametrize("who", ["other_moderator", "other_organiser"])
def test_another_citys_staff_use_their_own_desk(app, login_as, world, who, make_contribution):
    theirs = make_contribution(world["other_process"], status="pending")
    client = _client(app, login_as, world["people"][who])
    own = world["other_city"].slug
    page = client.get(f"/{own}/moderation/")
    assert page.status_code == 200 and f'id="item-{theirs.id}"' in page.get_data(as_text=True)
    assert client.get(f"/{own}/moderation/items/{theirs.id}").status_code == 200


@pytest.mark.parametrize("who", ["other_moderator", "other_organiser"])
def test_this_citys_item_through_another_citys_url_is_404(app, login_as, world, who, process,
                                                          make_contribution):
    item = make_contribution(process, status="pending")
    client = _client(app, login_as, world["people"][who])
    own = world["other_city"].slug
    token = client.csrf_token()
    assert client.get(f"/{own}/moderation/items/{item.id}").status_code == 404
    assert client.post(f"/{own}/moderation/items/{item.id}/decide",
                       data={"action": "approve", "csrf_token": token}).status_code == 404
    answer = client.post(f"/{own}/moderation/bulk",
                         data={"action": "approve", "ids": str(item.id), "csrf_token": token})
    assert answer.status_code == 303  # the bulk form runs, but finds nothing of this city
    db.session.expire_all()
    assert db.session.get(Contribution, item.id).status == "pending"
    assert count(ModerationAction) == 0


def test_every_view_declares_its_access(app):
    rules = {rule.endpoint: app.view_functions[rule.endpoint] for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("moderation.")}
    assert {"moderation.queue", "moderation.decide", "moderation.decide_bulk",
            "moderation.item"} <= set(rules)
    for view in rules.values():
        assert getattr(view, "access_rule", None) == "can_moderate"


def test_unknown_city_is_404(app, login_as, world):
    client = _client(app, login_as, world["people"]["admin"])
    assert client.get("/no-such-city/moderation/").status_code == 404
