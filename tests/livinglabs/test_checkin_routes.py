"""Check-in at the door through the test client: typed codes in any shape, QR tokens, a ticket
twice, refusals (waitlisted, cancelled, another session's ticket, unknown, outside the
check-in window) that change nothing, the search by name without e-mail addresses, walk-ins
with the capacity confirmation, undo, htmx fragments, and who may use the page."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from engage.core.db import utcnow
from engage.extensions import db
from engage.livinglabs.models import Registration
from engage.livinglabs.services import check_in_refusal

from .conftest import count

HX = {"HX-Request": "true"}


@pytest.fixture
def staff(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(display_name="Door Keeper")
    make_role(user, city, "organiser")
    return user


@pytest.fixture
def as_staff(client, login_as, staff):  # noqa: ANN001, ANN201
    return login_as(client, staff)


@pytest.fixture
def today(make_session):  # noqa: ANN001, ANN201
    """A session that started half an hour ago (check-in is open)."""
    return make_session(starts_at=utcnow() - timedelta(minutes=30), capacity=3)


def url(city, lab, session, tail: str = "") -> str:  # noqa: ANN001
    return f"/{city.slug}/manage/processes/{lab.slug}/livinglab/sessions/{session.id}{tail}"


def text(response) -> str:  # noqa: ANN001
    return html.unescape(response.get_data(as_text=True))


def status_of(registration: Registration) -> str:
    db.session.expire_all()
    return db.session.get(Registration, registration.id).status


# ---------------------------------------------------------------- tickets


@pytest.mark.parametrize("shape", [str.lower, lambda c: f" {c[:4]} {c[4:]} ",
                                   lambda c: f"{c[:4]}-{c[4:]}".lower()])
def test_typed_code_in_any_shape_checks_in(as_staff, city, lab, today, make_registration,
                                           shape):  # noqa: ANN001
    person = make_registration(today, name="Ana Pop")
    response = as_staff.post_form(url(city, lab, today, "/check-in"),
                                  {"ticket": shape(person.code)}, follow_redirects=True)
    assert response.status_code == 200
    assert "Checked in: Ana Pop." in text(response)
    assert status_of(person) == "attended"
    registration = db.session.get(Registration, person.id)
    assert registration.checked_in_at is not None


def test_qr_token_checks_in_and_twice_is_already(as_staff, city, lab, today,
                                                 make_registration):  # noqa: ANN001
    person = make_registration(today, name="Ion Ionescu")
    first = as_staff.post_form(url(city, lab, today, "/check-in"), {"ticket": person.token},
                               headers=HX)
    assert first.status_code == 200
    assert "Checked in: Ion Ionescu." in text(first)
    assert 'id="checkin-counts"' in text(first) and 'hx-swap-oob="true"' in text(first)
    assert status_of(person) == "attended"
    checked = db.session.get(Registration, person.id).checked_in_at
    second = as_staff.post_form(url(city, lab, today, "/check-in"), {"ticket": person.token},
                                headers=HX)
    assert "Already checked in at" in text(second)
    assert db.session.get(Registration, person.id).checked_in_at == checked
    assert count(Registration, Registration.status == "attended") == 1


@pytest.mark.parametrize("status", ["waitlisted", "cancelled", "pending", "expired"])
def test_no_seat_is_refused(as_staff, city, lab, today, make_registration, status):  # noqa: ANN001
    person = make_registration(today, status=status)
    response = as_staff.post_form(url(city, lab, today, "/check-in"), {"ticket": person.code},
                                  follow_redirects=True)
    assert "has no confirmed place" in text(response)
    assert status_of(person) == status


def test_other_sessions_ticket_and_unknown_code_are_refused(as_staff, city, lab, today,
                                                            make_session,
                                                            make_registration):  # noqa: ANN001
    other = make_session(starts_at=utcnow() - timedelta(minutes=10))
    stranger = make_registration(other)
    for ticket in (stranger.code, stranger.token, "ZZZZZZZZ", "<script>x</script>"):
        response = as_staff.post_form(url(city, lab, today, "/check-in"), {"ticket": ticket},
                                      headers=HX)
        assert response.status_code == 200
        assert "No ticket with this code for this session." in text(response)
        assert "<script>x" not in text(response)
    assert status_of(stranger) == "confirmed"
    empty = as_staff.post_form(url(city, lab, today, "/check-in"), {"ticket": "  "},
                               follow_redirects=True)
    assert "Scan a ticket or type its code." in text(empty)
    assert count(Registration, Registration.status == "attended") == 0


@pytest.mark.parametrize("starts_in, ends_after, refused", [
    (timedelta(hours=3), timedelta(hours=2), "opens 2 hours before"),
    (timedelta(hours=-20), timedelta(hours=2), "closed 12 hours after"),
    (timedelta(hours=1, minutes=50), timedelta(hours=2), None),
    (timedelta(hours=-13), timedelta(hours=2), None),
])
def test_check_in_window(as_staff, city, lab, make_session, make_registration, starts_in,
                         ends_after, refused):  # noqa: ANN001
    session = make_session(starts_at=utcnow() + starts_in,
                           ends_at=utcnow() + starts_in + ends_after)
    person = make_registration(session, name="Maria")
    response = as_staff.post_form(url(city, lab, session, "/check-in"),
                                  {"ticket": person.code}, follow_redirects=True)
    if refused:
        assert refused in text(response)
        assert status_of(person) == "confirmed"
    else:
        assert "Checked in: Maria." in text(response)
        assert status_of(person) == "attended"


def test_cancelled_session_refuses(as_staff, city, lab, today, make_registration):  # noqa: ANN001
    person = make_registration(today)
    assert check_in_refusal(today) is None
    today.status = "cancelled"
    db.session.commit()
    assert check_in_refusal(today) is not None
    response = as_staff.post_form(url(city, lab, today, "/check-in"), {"ticket": person.code},
                                  follow_redirects=True)
    assert "This session has been cancelled." in text(response)
    assert status_of(person) == "confirmed"


# ---------------------------------------------------------------- search, buttons, undo


def test_search_by_name_shows_seated_people_without_emails(as_staff, city, lab, today,
                                                           make_registration,
                                                           make_user):  # noqa: ANN001
    user = make_user(email="stefan.secret@example.org", display_name="Ștefan Mureșan")
    seated = make_registration(today, user=user)
    make_registration(today, status="waitlisted", name="Ștefan Waiting")
    make_registration(today, status="cancelled", name="Ștefan Gone")
    make_registration(today, name="Other Person", email="other.secret@example.org")
    response = as_staff.get(url(city, lab, today, "/check-in?q=stefan"))
    page = text(response)
    assert response.status_code == 200
    assert "Ștefan Mureșan" in page and seated.code[-3:] in page
    assert "Ștefan Waiting" not in page and "Ștefan Gone" not in page
    assert "Other Person" not in page
    assert "@example.org" not in page and seated.code not in page
    assert response.headers["Permissions-Policy"].startswith("camera=(self)")
    fragment = as_staff.get(url(city, lab, today, "/check-in?q=mures"),
                            headers=HX | {"HX-Target": "checkin-people"})
    assert text(fragment).strip().startswith('<div id="checkin-people">')
    assert "Ștefan Mureșan" in text(fragment) and "<html" not in text(fragment)


def test_page_shows_counters_and_no_emails(as_staff, city, lab, today,
                                           make_registration):  # noqa: ANN001
    make_registration(today, status="attended", email="a.secret@example.org")
    make_registration(today, email="b.secret@example.org")
    make_registration(today, status="waitlisted", email="c.secret@example.org")
    page = text(as_staff.get(url(city, lab, today, "/check-in")))
    assert "secret@example.org" not in page
    assert "<dt>Attended</dt><dd>1</dd>" in page.replace("\n", "").replace("  ", "")
    assert "<dt>Seated</dt><dd>2</dd>" in page.replace("\n", "").replace("  ", "")
    assert "vendor/jsQR.js" in page and "//cdn" not in page


def test_check_in_person_button_and_undo(as_staff, city, lab, today,
                                         make_registration):  # noqa: ANN001
    person = make_registration(today, name="Elena")
    response = as_staff.post_form(url(city, lab, today, f"/check-in/{person.id}"),
                                  {"q": "ele"})
    assert response.status_code == 303 and response.location.endswith("check-in?q=ele")
    assert status_of(person) == "attended"
    again = as_staff.post_form(url(city, lab, today, f"/check-in/{person.id}"), headers=HX)
    assert "Already checked in" in text(again)
    undo = as_staff.post_form(url(city, lab, today, f"/check-in/{person.id}/undo"),
                              headers=HX)
    assert "Check-in undone: Elena." in text(undo)
    assert status_of(person) == "confirmed"
    twice = as_staff.post_form(url(city, lab, today, f"/check-in/{person.id}/undo"),
                               follow_redirects=True)
    assert "This person is not checked in." in text(twice)
    assert status_of(person) == "confirmed"


def test_check_in_person_refuses_waitlisted_and_forged_ids(as_staff, city, lab, today,
                                                           make_session,
                                                           make_registration):  # noqa: ANN001
    waiting = make_registration(today, status="waitlisted", name="Waiting One")
    response = as_staff.post_form(url(city, lab, today, f"/check-in/{waiting.id}"),
                                  follow_redirects=True)
    assert "has no confirmed place" in text(response)
    assert status_of(waiting) == "waitlisted"
    other = make_registration(make_session(starts_at=utcnow()))
    assert as_staff.post_form(url(city, lab, today, f"/check-in/{other.id}")).status_code == 404
    assert as_staff.post_form(url(city, lab, today, "/check-in/999999")).status_code == 404
    assert status_of(other) == "confirmed"


# ---------------------------------------------------------------- walk-ins


def test_walk_in_is_added_and_counted(as_staff, city, lab, today, staff):  # noqa: ANN001
    response = as_staff.post_form(url(city, lab, today, "/walk-in"),
                                  {"name": "Radu Walker", "stakeholder_type": "business"})
    assert response.status_code == 303
    walker = db.session.query(Registration).filter_by(name="Radu Walker").one()
    assert walker.status == "attended" and walker.channel == "walk_in"
    assert walker.stakeholder_type == "business" and walker.checked_in_by_id == staff.id
    page = text(as_staff.get(url(city, lab, today, "/check-in"))).replace("\n", "")
    assert "<dt>Attended</dt><dd>1</dd>" in page.replace("  ", "")


@pytest.mark.parametrize("data, message", [
    ({"name": "", "stakeholder_type": "citizen"}, "Please give the person's name."),
    ({"name": "x" * 200, "stakeholder_type": "citizen"}, "The name is too long"),
    ({"name": "Someone", "stakeholder_type": "wizard"}, "Choose who the person takes part as."),
])
def test_walk_in_bad_input(as_staff, city, lab, today, data, message):  # noqa: ANN001
    response = as_staff.post_form(url(city, lab, today, "/walk-in"), data)
    assert response.status_code == 422
    assert message in text(response)
    assert count(Registration) == 0


def test_full_session_walk_in_needs_confirmation(as_staff, city, lab, today,
                                                 make_registration):  # noqa: ANN001
    for _ in range(3):
        make_registration(today)
    form = text(as_staff.get(url(city, lab, today, "/walk-in")))
    assert 'name="over_capacity"' in form
    refused = as_staff.post_form(url(city, lab, today, "/walk-in"),
                                 {"name": "Late Comer", "stakeholder_type": "citizen"})
    assert refused.status_code == 422
    assert "The session is full" in text(refused)
    assert count(Registration) == 3
    added = as_staff.post_form(url(city, lab, today, "/walk-in"),
                               {"name": "Late Comer", "stakeholder_type": "citizen",
                                "over_capacity": "1"})
    assert added.status_code == 303
    assert count(Registration, Registration.status == "attended") == 1


def test_walk_in_outside_window_refused(as_staff, city, lab, make_session):  # noqa: ANN001
    session = make_session()  # a week from now
    response = as_staff.post_form(url(city, lab, session, "/walk-in"),
                                  {"name": "Early Bird", "stakeholder_type": "citizen"})
    assert response.status_code == 422
    assert "opens 2 hours before" in text(response)
    assert count(Registration) == 0


# ---------------------------------------------------------------- access


def test_moderator_may_check_in(client, login_as, make_user, make_role, city, lab, today,
                                make_registration):  # noqa: ANN001
    moderator = make_user()
    make_role(moderator, city, "moderator")
    login_as(client, moderator)
    person = make_registration(today)
    assert client.get(url(city, lab, today, "/check-in")).status_code == 200
    client.post_form(url(city, lab, today, "/check-in"), {"ticket": person.code})
    assert status_of(person) == "attended"


def test_citizen_and_other_citys_organiser_are_refused(client, login_as, make_user, make_role,
                                                       make_city, city, lab, today,
                                                       make_registration):  # noqa: ANN001
    person = make_registration(today)
    assert client.get(url(city, lab, today, "/check-in")).status_code == 302  # log in first
    citizen = make_user()
    login_as(client, citizen)
    assert client.get(url(city, lab, today, "/check-in")).status_code == 403
    assert client.post_form(url(city, lab, today, "/check-in"),
                            {"ticket": person.code}).status_code == 403
    outsider = make_user()
    make_role(outsider, make_city(), "organiser")
    login_as(client, outsider)
    assert client.get(url(city, lab, today, "/check-in")).status_code in (403, 404)
    assert client.post_form(url(city, lab, today, "/check-in"),
                            {"ticket": person.code}).status_code in (403, 404)
    assert client.post_form(url(city, lab, today, "/walk-in"),
                            {"name": "X", "stakeholder_type": "citizen"}).status_code in (403,
                                                                                         404)
    assert status_of(person) == "confirmed"
    assert count(Registration) == 1


def test_other_process_kind_and_session_are_404(as_staff, city, lab, today, make_process,
                                                make_session):  # noqa: ANN001
    ideas = make_process(city, kind="ideas")
    assert as_staff.get(f"/{city.slug}/manage/processes/{ideas.slug}/livinglab/sessions/"
                        f"{today.id}/check-in").status_code == 404
    other_lab = make_process(city, kind="livinglab")
    elsewhere = make_session(process=other_lab)
    assert as_staff.get(url(city, lab, elsewhere, "/check-in")).status_code == 404
    assert as_staff.get(url(city, lab, today, "/check-in").replace(
        f"/{today.id}/", "/999999/")).status_code == 404
