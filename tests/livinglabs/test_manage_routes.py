"""The organisers' pages of a living lab: access (organisers of the city only; moderators,
other cities' organisers and visitors refused; other cities' and processes' objects a 404), the
session forms with their refusals, capacity changes and their flashes, people told of changes
and cancellations, deletion, the attendee list, exports (reason, audit, BOM, delimiter,
anonymised), messages, no-shows, one registration cancelled, and the settings."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from engage.core.audit import ModerationAction
from engage.core.db import utcnow
from engage.core.i18n import LOCAL_TIMEZONE
from engage.extensions import db
from engage.livinglabs.models import LabSession, LabSettings, Registration
from tests.livinglabs.conftest import count


@pytest.fixture
def organiser(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(display_name="Olga Organiser")
    make_role(user, city, "organiser")
    return user


@pytest.fixture
def org_client(client, login_as, organiser):  # noqa: ANN001, ANN201
    return login_as(client, organiser)


def base(city, lab) -> str:  # noqa: ANN001
    return f"/{city.slug}/manage/processes/{lab.slug}/livinglab"


def local(value) -> str:  # noqa: ANN001
    return value.astimezone(LOCAL_TIMEZONE).strftime("%Y-%m-%dT%H:%M")


def form_data(**overrides) -> dict:  # noqa: ANN003
    starts = utcnow() + timedelta(days=14)
    data = {
        "title_ro": "Atelier despre biciclete", "title_en": "", "format": "onsite",
        "address": "Str. Memorandumului 21", "starts_at": local(starts),
        "ends_at": local(starts + timedelta(hours=2)), "language": "ro", "capacity": "10",
        "lab_phase": "co_create",
    }
    data.update(overrides)
    return data


def ics_of(message) -> Calendar:  # noqa: ANN001
    (attachment,) = message.attachments
    return Calendar.from_ical(attachment["text"])


# ---------------------------------------------------------------- access


def _urls(city, lab, session, registration) -> list[tuple[str, str]]:  # noqa: ANN001
    b = base(city, lab)
    s = f"{b}/sessions/{session.id}"
    return [("get", f"{b}/sessions"), ("get", f"{b}/sessions/new"), ("get", f"{s}/edit"),
            ("get", f"{s}/cancel"), ("post", f"{s}/delete"), ("get", f"{s}/attendees"),
            ("get", f"{s}/attendees/export"), ("post", f"{s}/attendees/export"),
            ("get", f"{b}/attendees/export"), ("get", f"{s}/message"),
            ("post", f"{s}/no-shows"), ("post", f"{b}/registrations/{registration.id}/cancel"),
            ("get", f"{b}/settings"), ("get", f"{s}/outcome")]


def test_moderators_and_other_cities_organisers_are_refused(client, login_as, make_user,
                                                            make_role, make_city, city, lab,
                                                            make_session, make_registration):
    session = make_session()
    registration = make_registration(session)
    moderator = make_user()
    make_role(moderator, city, "moderator")
    stranger = make_user()
    make_role(stranger, make_city(), "organiser")
    for person in (moderator, stranger):
        login_as(client, person)
        for method, url in _urls(city, lab, session, registration):
            if method == "get":
                response = client.get(url)
            else:
                response = client.post_form(url, {"reason": "why", "delimiter": ";"})
            assert response.status_code == 403, (person, url)
    assert registration.status == "confirmed" and count(LabSession) == 1
    assert count(ModerationAction) == 0


def test_visitors_are_sent_to_log_in(client, city, lab, make_session, make_registration):
    session = make_session()
    registration = make_registration(session)
    for method, url in _urls(city, lab, session, registration):
        if method == "get":
            assert client.get(url).status_code == 302


def test_another_citys_and_another_kinds_objects_are_404(org_client, make_city, make_process,
                                                         city, lab, make_session,
                                                         make_registration):
    other_city = make_city()
    other_lab = make_process(other_city, kind="livinglab")
    foreign = make_session(process=other_lab)
    foreign_registration = make_registration(foreign)
    sibling_lab = make_process(city, kind="livinglab")
    sibling = make_session(process=sibling_lab)
    ideas = make_process(city, kind="ideas")
    b = base(city, lab)
    assert org_client.get(f"{b}/sessions/{foreign.id}/edit").status_code == 404
    assert org_client.get(f"{b}/sessions/{foreign.id}/attendees").status_code == 404
    assert org_client.get(f"{b}/sessions/{sibling.id}/attendees").status_code == 404
    assert org_client.post_form(f"{b}/registrations/{foreign_registration.id}/cancel"
                                ).status_code == 404
    assert org_client.get(f"/{city.slug}/manage/processes/{ideas.slug}/livinglab/sessions"
                          ).status_code == 404
    assert org_client.get(f"/{city.slug}/manage/processes/{other_lab.slug}/livinglab/sessions"
                          ).status_code == 404
    assert foreign_registration.status == "confirmed"


# ---------------------------------------------------------------- sessions


def test_the_sessions_page_shows_counts_in_constant_queries(org_client, city, lab,
                                                            make_session, make_registration,
                                                            count_queries):
    first = make_session(title_ro="<script>alert('x')</script>",
                         title_en="<script>alert('x')</script>", capacity=5)
    make_registration(first)
    make_registration(first, status="waitlisted")
    url = f"{base(city, lab)}/sessions"
    org_client.get(url)
    with count_queries() as small:
        page = org_client.get(url).get_data(as_text=True)
    assert "&lt;script&gt;alert" in page and "<script>alert" not in page
    assert "1 / 5" in page
    for _ in range(4):
        session = make_session()
        make_registration(session, status="attended")
        make_registration(session)
    with count_queries() as large:
        assert org_client.get(url).status_code == 200
    assert large.n == small.n


def test_the_process_list_links_to_the_sessions(org_client, city, lab):
    page = org_client.get(f"/{city.slug}/manage/").get_data(as_text=True)
    assert f"{base(city, lab)}/sessions" in page


def test_a_session_is_created_from_the_form(org_client, city, lab):
    response = org_client.post_form(f"{base(city, lab)}/sessions/new", form_data(
        title_en="Bike <b>lanes</b>", stakeholder_groups=["citizen", "research"],
        cap_citizen="3", questions=["dietary"], format="hybrid",
        online_url="https://meet.example.org/x"))
    assert response.status_code == 303
    session = db.session.scalars(select(LabSession)).one()
    assert session.stakeholder_caps == {"citizen": 3} and session.format == "hybrid"
    assert session.questions == ["dietary"] and session.capacity == 10
    page = org_client.get(f"{base(city, lab)}/sessions").get_data(as_text=True)
    assert "Bike &lt;b&gt;lanes&lt;/b&gt;" in page or "Atelier despre biciclete" in page
    assert "<b>lanes</b>" not in page


@pytest.mark.parametrize("overrides, message", [
    ({"title_ro": ""}, "at least one"),
    ({"online_url": "javascript:alert(1)", "format": "online"}, "https://"),
    ({"format": "online", "online_url": ""}, "online link"),
    ({"address": ""}, "address"),
    ({"capacity": "0"}, ""),
    ({"starts_at": "yesterday"}, "valid date"),
    ({"lat": "46.7"}, "both"),
    ({"cap_citizen": "50"}, "cap from 1"),
])
def test_refused_forms_say_why_and_store_nothing(org_client, city, lab, overrides, message):
    response = org_client.post_form(f"{base(city, lab)}/sessions/new", form_data(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(LabSession) == 0


def test_a_past_start_is_refused(org_client, city, lab):
    past = utcnow() - timedelta(hours=2)
    response = org_client.post_form(f"{base(city, lab)}/sessions/new", form_data(
        starts_at=local(past), ends_at=local(past + timedelta(hours=1))))
    assert response.status_code == 422 and "in the future" in response.get_data(as_text=True)
    assert count(LabSession) == 0


def test_raising_the_capacity_promotes_and_says_so(org_client, city, lab, make_session,
                                                   make_registration, outbox):
    session = make_session(capacity=1)
    make_registration(session)
    first = make_registration(session, status="waitlisted",
                              waitlisted_at=utcnow() - timedelta(minutes=2))
    second = make_registration(session, status="waitlisted",
                               waitlisted_at=utcnow() - timedelta(minutes=1))
    data = form_data(capacity="2", starts_at=local(session.starts_at),
                     ends_at=local(session.ends_at), address=session.address,
                     title_ro=session.title_ro, title_en=session.title_en)
    response = org_client.post_form(f"{base(city, lab)}/sessions/{session.id}/edit", data,
                                    follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "1 person was moved up from the waitlist" in page
    db.session.expire_all()
    assert db.session.get(Registration, first.id).status == "confirmed"
    assert db.session.get(Registration, second.id).status == "waitlisted"
    assert len(outbox(first.email)) == 1 and outbox(second.email) == []


def test_lowering_the_capacity_warns_and_drops_nobody(org_client, city, lab, make_session,
                                                      make_registration):
    session = make_session(capacity=3)
    people = [make_registration(session) for _ in range(3)]
    data = form_data(capacity="1", starts_at=local(session.starts_at),
                     ends_at=local(session.ends_at), address=session.address,
                     title_ro=session.title_ro)
    page = org_client.post_form(f"{base(city, lab)}/sessions/{session.id}/edit", data,
                                follow_redirects=True).get_data(as_text=True)
    assert "2 people hold a seat above the new capacity; nobody was removed." in page
    db.session.expire_all()
    assert all(db.session.get(Registration, p.id).status == "confirmed" for p in people)
    assert db.session.get(LabSession, session.id).capacity == 1


def test_a_time_change_mails_an_updated_event(org_client, city, lab, make_session,
                                              make_registration, outbox):
    session = make_session()
    person = make_registration(session)
    later = session.starts_at + timedelta(days=2)
    data = form_data(starts_at=local(later), ends_at=local(later + timedelta(hours=2)),
                     address=session.address, title_ro=session.title_ro)
    page = org_client.post_form(f"{base(city, lab)}/sessions/{session.id}/edit", data,
                                follow_redirects=True).get_data(as_text=True)
    assert "1 person was told about the change." in page
    (message,) = outbox(person.email)
    event = ics_of(message).walk("VEVENT")[0]
    assert event["SEQUENCE"] == 1
    db.session.expire_all()
    assert db.session.get(LabSession, session.id).ics_sequence == 1


def test_cancelling_a_session_tells_everyone_with_a_cancel_event(org_client, city, lab,
                                                                 make_session,
                                                                 make_registration, outbox):
    session = make_session()
    confirmed = make_registration(session)
    waiting = make_registration(session, status="waitlisted")
    url = f"{base(city, lab)}/sessions/{session.id}/cancel"
    assert "2 people registered are told" in org_client.get(url).get_data(as_text=True)
    page = org_client.post_form(url, {"reason": "The hall is flooded."},
                                follow_redirects=True).get_data(as_text=True)
    assert "2 people were told" in page
    for person in (confirmed, waiting):
        (message,) = outbox(person.email)
        assert ics_of(message)["METHOD"] == "CANCEL"
    db.session.expire_all()
    stored = db.session.get(LabSession, session.id)
    assert stored.status == "cancelled" and stored.cancel_reason == "The hall is flooded."
    # A cancelled session is no longer edited.
    edit = org_client.post_form(f"{base(city, lab)}/sessions/{session.id}/edit", form_data())
    assert edit.status_code == 409
    again = org_client.post_form(url, {"reason": "twice"})
    assert again.status_code == 422 and len(outbox(confirmed.email)) == 1


def test_a_session_with_registrations_is_not_deleted(org_client, city, lab, make_session,
                                                     make_registration):
    used = make_session()
    make_registration(used, status="cancelled")
    empty = make_session()
    used_id, empty_id = used.id, empty.id
    refused = org_client.post_form(f"{base(city, lab)}/sessions/{used.id}/delete")
    assert refused.status_code == 422
    assert "cannot be deleted" in refused.get_data(as_text=True)
    assert org_client.post_form(f"{base(city, lab)}/sessions/{empty.id}/delete"
                                ).status_code == 303
    db.session.expire_all()
    assert db.session.get(LabSession, used_id) is not None
    assert db.session.get(LabSession, empty_id) is None


# ---------------------------------------------------------------- attendees


def test_the_attendee_list_filters_and_orders_the_waitlist(org_client, city, lab, make_session,
                                                           make_registration, count_queries):
    session = make_session(questions=["dietary", "photo_consent"])
    make_registration(session, name="Ana Confirmed", answers={"dietary": "<i>vegan</i>",
                                                              "photo_consent": True})
    make_registration(session, name="Zed Second", status="waitlisted",
                      waitlisted_at=utcnow() - timedelta(minutes=1))
    make_registration(session, name="Bob First", status="waitlisted",
                      waitlisted_at=utcnow() - timedelta(minutes=5),
                      stakeholder_type="research")
    url = f"{base(city, lab)}/sessions/{session.id}/attendees"
    page = org_client.get(url).get_data(as_text=True)
    assert "Ana Confirmed" in page and "&lt;i&gt;vegan&lt;/i&gt;" in page
    waiting = org_client.get(url + "?status=waitlisted").get_data(as_text=True)
    assert "Ana Confirmed" not in waiting
    assert waiting.index("Bob First") < waiting.index("Zed Second")
    assert "no. 1 in line" in waiting and "no. 2 in line" in waiting
    research = org_client.get(url + "?type=research").get_data(as_text=True)
    assert "Bob First" in research and "Zed Second" not in research
    assert org_client.get(url + "?status=<x>&type=zzz").status_code == 200
    with count_queries() as small:
        org_client.get(url)
    for n in range(5):
        make_registration(session, name=f"More {n}", status="waitlisted")
    with count_queries() as large:
        org_client.get(url)
    assert large.n == small.n


def test_no_shows_only_after_the_start(org_client, city, lab, make_session, make_registration):
    future = make_session()
    person = make_registration(future)
    refused = org_client.post_form(f"{base(city, lab)}/sessions/{future.id}/no-shows")
    assert refused.status_code == 422
    started = make_session(starts_at=utcnow() - timedelta(hours=1))
    absent = make_registration(started)
    assert org_client.post_form(f"{base(city, lab)}/sessions/{started.id}/no-shows"
                                ).status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, absent.id).status == "no_show"
    assert db.session.get(Registration, person.id).status == "confirmed"


def test_an_organiser_cancels_one_registration(org_client, city, lab, make_session,
                                               make_registration, organiser, outbox):
    session = make_session(capacity=1)
    seated = make_registration(session)
    waiting = make_registration(session, status="waitlisted")
    url = f"{base(city, lab)}/registrations/{seated.id}/cancel"
    assert org_client.post_form(url, {"reason": "Asked by phone"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, seated.id).cancelled_by == "organiser"
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    entry = db.session.scalars(select(ModerationAction)).one()
    assert (entry.action, entry.target_type, entry.target_id, entry.actor_id) == (
        "cancel_registration", "lab_registration", seated.id, organiser.id)
    assert org_client.post_form(url).status_code == 422  # twice
    assert count(ModerationAction) == 1


# ---------------------------------------------------------------- exports


def test_an_export_needs_a_reason_and_is_recorded(org_client, city, lab, make_session,
                                                  make_registration, organiser):
    session = make_session()
    make_registration(session, name="Ana Pop", email="ana@example.org")
    url = f"{base(city, lab)}/sessions/{session.id}/attendees/export"
    assert org_client.get(url).status_code == 200
    refused = org_client.post_form(url, {"reason": "", "delimiter": ";", "personal": "y"})
    assert refused.status_code == 422 and count(ModerationAction) == 0
    too_long = org_client.post_form(url, {"reason": "x" * 501, "delimiter": ";"})
    assert too_long.status_code == 422 and count(ModerationAction) == 0

    response = org_client.post_form(url, {"reason": "Door list", "delimiter": ";",
                                          "personal": "y"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8")
    assert "Ana Pop;ana@example.org" in text
    entry = db.session.scalars(select(ModerationAction)).one()
    assert (entry.action, entry.target_type, entry.target_id, entry.city_id,
            entry.actor_id) == ("export_attendees", "lab_session", session.id, city.id,
                                organiser.id)
    assert entry.reason == "[personal data] Door list"


def test_an_anonymised_export_of_the_whole_lab_with_commas(org_client, city, lab,
                                                           make_session, make_registration):
    for session in (make_session(), make_session()):
        make_registration(session, name="Ana Pop", email="ana-x@example.org")
    response = org_client.post_form(f"{base(city, lab)}/attendees/export",
                                    {"reason": "Mission report", "delimiter": ","})
    text = response.get_data(as_text=True)
    assert "Ana Pop" not in text and "ana-x@example.org" not in text
    assert len(text.strip().splitlines()) == 3 and "," in text.splitlines()[0]
    entry = db.session.scalars(select(ModerationAction)).one()
    assert (entry.target_type, entry.target_id) == ("process", lab.id)
    assert entry.reason == "[anonymised] Mission report"


def test_a_bad_delimiter_is_refused(org_client, city, lab, make_session):
    session = make_session()
    response = org_client.post_form(
        f"{base(city, lab)}/sessions/{session.id}/attendees/export",
        {"reason": "x", "delimiter": "|"})
    assert response.status_code == 422 and count(ModerationAction) == 0


# ---------------------------------------------------------------- messages


def test_a_message_reaches_only_the_chosen_group(org_client, city, lab, make_session,
                                                 make_registration, outbox):
    session = make_session()
    confirmed = make_registration(session)
    waiting = make_registration(session, status="waitlisted")
    cancelled = make_registration(session, status="cancelled")
    url = f"{base(city, lab)}/sessions/{session.id}/message"
    page = org_client.post_form(url, {"audience": "waitlisted", "subject": "News\r\nBcc: x",
                                      "body": "<b>Hello</b> waiting people"},
                                follow_redirects=True).get_data(as_text=True)
    assert "sent to 1 person" in page
    (message,) = outbox(waiting.email)
    assert message.subject == "News Bcc: x"  # one line
    assert "<b>Hello</b> waiting people" in message.body  # plain text, as written
    assert outbox(confirmed.email) == [] and outbox(cancelled.email) == []
    entry = db.session.scalars(select(ModerationAction)).one()
    assert entry.action == "message_participants" and entry.target_id == session.id


def test_a_message_is_checked(org_client, city, lab, make_session, make_registration, outbox):
    session = make_session()
    make_registration(session)
    url = f"{base(city, lab)}/sessions/{session.id}/message"
    for data in ({"audience": "confirmed", "subject": "", "body": "x"},
                 {"audience": "confirmed", "subject": "x" * 201, "body": "x"},
                 {"audience": "confirmed", "subject": "x", "body": "x" * 5001},
                 {"audience": "cancelled", "subject": "x", "body": "x"}):
        assert org_client.post_form(url, data).status_code == 422
    assert outbox() == [] and count(ModerationAction) == 0


# ---------------------------------------------------------------- settings


def test_settings_are_saved_and_checked(org_client, city, lab):
    url = f"{base(city, lab)}/settings"
    assert org_client.post_form(url, {"accessibility_retention_days": "400",
                                      "guest_confirmation_hours": "48"}).status_code == 422
    assert org_client.post_form(url, {"accessibility_retention_days": "7",
                                      "guest_confirmation_hours": "24"}).status_code == 303
    settings = db.session.get(LabSettings, lab.id)
    assert (settings.accessibility_retention_days, settings.guest_confirmation_hours) == (7, 24)


def test_every_page_renders_for_organisers(org_client, city, lab, make_session,
                                           make_registration):
    session = make_session(stakeholder_caps={"citizen": 2}, title_en="<b>Bold</b>")
    make_registration(session, status="attended")
    make_registration(session, status="waitlisted")
    b = base(city, lab)
    s = f"{b}/sessions/{session.id}"
    for url in (f"{b}/sessions", f"{b}/sessions/new", f"{s}/edit", f"{s}/cancel",
                f"{s}/attendees", f"{s}/attendees/export", f"{b}/attendees/export",
                f"{s}/message", f"{b}/settings", f"{s}/outcome"):
        response = org_client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert "<b>Bold</b>" not in page, url
    edit = org_client.get(f"{s}/edit").get_data(as_text=True)
    assert 'name="cap_citizen"' in edit and 'value="2"' in edit
    local_start = local(session.starts_at)
    assert local_start in edit  # shown in Romania's time


def test_saving_the_form_unchanged_tells_nobody(org_client, city, lab, make_session,
                                                make_registration, outbox):
    session = make_session()
    make_registration(session)
    s = f"{base(city, lab)}/sessions/{session.id}"
    page = org_client.get(f"{s}/edit").get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', page))
    data.pop("csrf_token", None)
    data.update(format=session.format, language=session.language, lab_phase=session.lab_phase,
                description_ro=session.description_ro, description_en=session.description_en)
    assert org_client.post_form(f"{s}/edit", data).status_code == 303
    assert outbox() == []
    db.session.expire_all()
    assert db.session.get(LabSession, session.id).ics_sequence == 0
