"""The organisers' session services: every validation rule (refused with its field, nothing
stored), times in UTC, capacity and cap changes through the waitlist, people told when the time,
place, format or link change (with a calendar event of a higher SEQUENCE), no editing of a
cancelled session, and the living lab's settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from engage.core.db import utcnow
from engage.core.i18n import LOCAL_TIMEZONE
from engage.extensions import db
from engage.livinglabs import services, sessions
from engage.livinglabs.models import CAPACITY_MAX, TITLE_MAX, URL_MAX, LabSession, Registration
from engage.livinglabs.sessions import SessionError
from tests.livinglabs.conftest import count


def values(**overrides):  # noqa: ANN003, ANN201
    starts = utcnow() + timedelta(days=10)
    if isinstance(overrides.get("starts_at"), datetime):
        starts = overrides["starts_at"]
    base = {
        "title_ro": "Atelier de co-design", "title_en": "", "format": "onsite",
        "address": "Str. Memorandumului 21", "starts_at": starts,
        "ends_at": starts + timedelta(hours=2), "capacity": 10, "language": "ro",
        "lab_phase": "co_create",
    }
    base.update(overrides)
    return base


def ics_of(message) -> Calendar:  # noqa: ANN001
    (attachment,) = message.attachments
    return Calendar.from_ical(attachment["text"])


# ---------------------------------------------------------------- creating


def test_a_session_is_created_with_its_times_in_utc(lab, make_user):
    organiser = make_user()
    local_start = datetime(2031, 3, 12, 10, 0, tzinfo=LOCAL_TIMEZONE)
    session = sessions.create_session(lab, values(
        starts_at=local_start, ends_at=local_start + timedelta(hours=2),
        stakeholder_groups=["citizen", "research"], stakeholder_caps={"citizen": 4},
        questions=["dietary", "organisation"], format="hybrid",
        online_url="https://meet.example.org/lab", lat="46.77", lon=23.6), organiser)
    db.session.commit()

    stored = db.session.get(LabSession, session.id)
    assert stored.starts_at == datetime(2031, 3, 12, 8, 0, tzinfo=UTC)
    assert stored.status == "scheduled" and stored.created_by_id == organiser.id
    assert stored.stakeholder_caps == {"citizen": 4}
    assert stored.questions == ["dietary", "organisation"]
    assert (stored.lat, stored.lon) == (46.77, 23.6)


def test_a_naive_time_is_romanias_wall_clock(lab):
    session = sessions.create_session(lab, values(
        starts_at=datetime(2031, 7, 1, 10, 0), ends_at=datetime(2031, 7, 1, 12, 0)), None)
    assert session.starts_at == datetime(2031, 7, 1, 7, 0, tzinfo=UTC)  # summer: UTC+3


REFUSALS = [
    ({"title_ro": "", "title_en": ""}, "title_ro"),
    ({"title_ro": "x" * (TITLE_MAX + 1)}, "title_ro"),
    ({"title_en": "   "}, None),  # blank English title is fine with a Romanian one
    ({"description_ro": "x" * (sessions.DESCRIPTION_MAX + 1)}, "description_ro"),
    ({"format": "teleport"}, "format"),
    ({"format": "onsite", "address": ""}, "address"),
    ({"format": "hybrid", "online_url": "https://x.example", "address": ""}, "address"),
    ({"format": "online", "address": "", "online_url": ""}, "online_url"),
    ({"format": "online", "online_url": "javascript:alert(1)"}, "online_url"),
    ({"format": "online", "online_url": "JaVaScRiPt:alert(1)"}, "online_url"),
    ({"format": "online", "online_url": "data:text/html,<script>"}, "online_url"),
    ({"format": "online", "online_url": "//evil.example/x"}, "online_url"),
    ({"format": "online", "online_url": "https://"}, "online_url"),
    ({"format": "online", "online_url": "https://ex ample.org"}, "online_url"),
    ({"format": "online", "online_url": "https://e.org/" + "a" * URL_MAX}, "online_url"),
    ({"lat": 46.7, "lon": None}, "lon"),
    ({"lat": None, "lon": 23.5}, "lat"),
    ({"lat": 91, "lon": 23.5}, "lat"),
    ({"lat": 46, "lon": -181}, "lon"),
    ({"lat": "nan", "lon": 23}, "lat"),
    ({"lat": "north", "lon": 23}, "lat"),
    ({"starts_at": None}, "starts_at"),
    ({"starts_at": "tomorrow"}, "starts_at"),
    ({"ends_at": None}, "ends_at"),
    ({"starts_at": utcnow() - timedelta(hours=1)}, "starts_at"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": CAPACITY_MAX + 1}, "capacity"),
    ({"capacity": "ten"}, "capacity"),
    ({"capacity": 2.5}, "capacity"),
    ({"stakeholder_groups": ["citizen", "aliens"]}, "stakeholder_groups"),
    ({"stakeholder_groups": "citizen"}, "stakeholder_groups"),
    ({"stakeholder_caps": {"aliens": 2}}, "stakeholder_caps"),
    ({"stakeholder_caps": {"citizen": 0}}, "cap_citizen"),
    ({"stakeholder_caps": {"citizen": 11}}, "cap_citizen"),
    ({"stakeholder_groups": ["research"], "stakeholder_caps": {"citizen": 2}}, "cap_citizen"),
    ({"language": "de"}, "language"),
    ({"lab_phase": "dream"}, "lab_phase"),
    ({"questions": ["shoe_size"]}, "questions"),
    ({"accessibility_ro": "x" * 1001}, "accessibility_ro"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[str(i) for i in range(len(REFUSALS))])
def test_each_rule_refuses_with_its_field_and_stores_nothing(app, lab, case):
    overrides, field = case[0], case[1]
    before = count(LabSession)
    if field is None:
        sessions.create_session(lab, values(**overrides), None)
        assert count(LabSession) == before + 1
        return
    with pytest.raises(SessionError) as refused:
        sessions.create_session(lab, values(**overrides), None)
    assert refused.value.field == field
    with app.test_request_context():
        assert str(refused.value.message)
    assert count(LabSession) == before


def test_the_end_must_follow_the_start(lab):
    starts = utcnow() + timedelta(days=3)
    for ends in (starts, starts - timedelta(minutes=1)):
        with pytest.raises(SessionError) as refused:
            sessions.create_session(lab, values(starts_at=starts, ends_at=ends), None)
        assert refused.value.field == "ends_at"
    assert count(LabSession) == 0


def test_the_registration_window_opens_before_it_closes_and_closes_by_the_start(lab):
    starts = utcnow() + timedelta(days=5)
    cases = [
        ({"registration_closes_at": starts + timedelta(minutes=1)}, "registration_closes_at"),
        ({"registration_opens_at": starts + timedelta(days=1)}, "registration_opens_at"),
        ({"registration_opens_at": starts - timedelta(days=1),
          "registration_closes_at": starts - timedelta(days=2)}, "registration_opens_at"),
        ({"registration_opens_at": starts - timedelta(days=1),
          "registration_closes_at": starts - timedelta(days=1)}, "registration_opens_at"),
    ]
    for overrides, field in cases:
        with pytest.raises(SessionError) as refused:
            sessions.create_session(lab, values(starts_at=starts, **overrides), None)
        assert refused.value.field == field
    assert count(LabSession) == 0
    fine = sessions.create_session(lab, values(
        starts_at=starts, registration_opens_at=starts - timedelta(days=2),
        registration_closes_at=starts), None)
    assert fine.registration_closes_at == starts


def test_only_living_labs_hold_sessions(make_process, city):
    ideas = make_process(city, kind="ideas")
    with pytest.raises(ValueError):
        sessions.create_session(ideas, values(), None)


# ---------------------------------------------------------------- editing


def test_editing_texts_of_a_past_session_keeps_its_times(make_session):
    session = make_session(starts_at=utcnow() - timedelta(days=2))
    sessions.update_session(session, {"description_en": "What we did."})
    assert session.description_en == "What we did."
    with pytest.raises(SessionError) as refused:
        sessions.update_session(session, {"starts_at": utcnow() - timedelta(days=1),
                                          "ends_at": utcnow()})
    assert refused.value.field == "starts_at"


def test_raising_the_capacity_promotes_the_waitlist_in_order(make_session, make_registration,
                                                             outbox):
    session = make_session(capacity=1)
    make_registration(session, status="confirmed")
    first = make_registration(session, status="waitlisted",
                              waitlisted_at=utcnow() - timedelta(minutes=3))
    second = make_registration(session, status="waitlisted",
                               waitlisted_at=utcnow() - timedelta(minutes=2))
    third = make_registration(session, status="waitlisted",
                              waitlisted_at=utcnow() - timedelta(minutes=1))

    result = sessions.update_session(session, {"capacity": 3})
    db.session.commit()

    assert [r.id for r in result.capacity.promoted] == [first.id, second.id]
    assert result.capacity.over_capacity == 0
    assert (first.status, second.status, third.status) == ("confirmed", "confirmed",
                                                           "waitlisted")
    assert len(outbox(first.email)) == 1 and len(outbox(second.email)) == 1
    assert outbox(third.email) == []
    assert db.session.get(LabSession, session.id).capacity == 3


def test_lowering_the_capacity_below_the_seats_drops_nobody_and_warns(make_session,
                                                                      make_registration,
                                                                      outbox):
    session = make_session(capacity=4)
    seated = [make_registration(session, status="confirmed") for _ in range(4)]
    waiting = make_registration(session, status="waitlisted")

    result = sessions.update_session(session, {"capacity": 2})

    assert result.capacity.over_capacity == 2 and result.capacity.promoted == []
    assert all(r.status == "confirmed" for r in seated) and waiting.status == "waitlisted"
    assert session.capacity == 2 and outbox() == []


def test_a_group_cap_keeps_the_group_waiting_while_others_move_up(make_session,
                                                                  make_registration):
    session = make_session(capacity=2)
    make_registration(session, status="confirmed", stakeholder_type="business")
    make_registration(session, status="confirmed", stakeholder_type="citizen")
    business = make_registration(session, status="waitlisted", stakeholder_type="business",
                                 waitlisted_at=utcnow() - timedelta(minutes=2))
    citizen = make_registration(session, status="waitlisted", stakeholder_type="citizen",
                                waitlisted_at=utcnow() - timedelta(minutes=1))

    result = sessions.update_session(session, {"capacity": 3,
                                               "stakeholder_caps": {"business": 1}})

    assert [r.id for r in result.capacity.promoted] == [citizen.id]
    assert business.status == "waitlisted"
    assert session.stakeholder_caps == {"business": 1}


def test_a_time_change_tells_confirmed_and_waitlisted_with_a_higher_sequence(
        make_session, make_registration, outbox):
    session = make_session(capacity=1)
    confirmed = make_registration(session, status="confirmed", language="en")
    waiting = make_registration(session, status="waitlisted")
    gone = make_registration(session, status="cancelled")
    new_start = session.starts_at + timedelta(days=1)

    result = sessions.update_session(session, {"starts_at": new_start,
                                               "ends_at": new_start + timedelta(hours=3)})
    db.session.commit()

    assert session.ics_sequence == 1 and result.notified == 2
    assert [c.kind for c in result.changes] == ["time"]
    (message,) = outbox(confirmed.email)
    assert "New time" in message.body  # rendered in the person's language (English)
    calendar = ics_of(message)
    assert calendar["METHOD"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == new_start.replace(microsecond=0)
    assert len(outbox(waiting.email)) == 1
    assert outbox(gone.email) == []


def test_place_format_and_link_changes_are_listed_and_texts_alone_tell_nobody(
        make_session, make_registration, outbox):
    session = make_session()
    person = make_registration(session, status="confirmed")

    quiet = sessions.update_session(session, {"description_ro": "Alt text."})
    assert quiet.notified == 0 and session.ics_sequence == 0 and outbox() == []

    result = sessions.update_session(session, {
        "format": "hybrid", "address": "Piața Unirii 1",
        "online_url": "https://meet.example.org/new"})
    assert {c.kind for c in result.changes} == {"format", "address", "online_url"}
    assert session.ics_sequence == 1
    (message,) = outbox(person.email)
    assert "Piața Unirii 1" in message.body


def test_a_refused_edit_changes_nothing(make_session, make_registration, outbox):
    session = make_session(capacity=1)
    make_registration(session, status="waitlisted")
    with pytest.raises(SessionError):
        sessions.update_session(session, {"capacity": 5, "online_url": "javascript:x",
                                          "format": "online"})
    db.session.rollback()
    stored = db.session.get(LabSession, session.id)
    assert stored.capacity == 1 and stored.format == "onsite" and outbox() == []


def test_a_cancelled_session_cannot_be_edited(make_session):
    session = make_session()
    services.cancel_session(session, "Rain")
    with pytest.raises(SessionError):
        sessions.update_session(session, {"title_ro": "Altceva"})
    assert session.title_ro != "Altceva"


# ---------------------------------------------------------------- settings


def test_settings_are_saved_within_their_ranges(lab):
    saved = sessions.save_settings(lab, 0, 168)
    assert (saved.accessibility_retention_days, saved.guest_confirmation_hours) == (0, 168)
    for days, hours, field in [(-1, 48, "accessibility_retention_days"),
                               (366, 48, "accessibility_retention_days"),
                               ("x", 48, "accessibility_retention_days"),
                               (30, 0, "guest_confirmation_hours"),
                               (30, 169, "guest_confirmation_hours")]:
        with pytest.raises(SessionError) as refused:
            sessions.save_settings(lab, days, hours)
        assert refused.value.field == field
    assert services.settings_for(lab.id).guest_confirmation_hours == 168


def test_nothing_about_registrations_is_lost_by_editing(make_session, make_registration):
    session = make_session()
    make_registration(session)
    sessions.update_session(session, {"title_en": "New"})
    assert db.session.scalars(select(Registration)).one().status == "confirmed"
