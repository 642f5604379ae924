"""The registration services: seats and the waitlist, guests' confirmation links, cancelling and
promoting in one transaction, capacity changes, group caps, check-in, walk-ins, no-shows, the
organisers' cancellation and deletion, overlaps and the purge of sensitive answers."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from icalendar import Calendar
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from engage.core.db import utcnow
from engage.extensions import db
from engage.livinglabs import services
from engage.livinglabs.models import LabSettings, Registration
from engage.livinglabs.services import RegistrationError
from tests.livinglabs.conftest import count


def register(session, user=None, email=None, **fields):  # noqa: ANN001, ANN003, ANN201
    registration = services.register(
        session, name=fields.pop("name", "Ana Pop"),
        stakeholder_type=fields.pop("stakeholder_type", "citizen"),
        language=fields.pop("language", "ro"), user=user, email=email, **fields)
    db.session.commit()
    return registration


def ics_of(message) -> Calendar:  # noqa: ANN001
    (attachment,) = message.attachments
    return Calendar.from_ical(attachment["text"])


# ---------------------------------------------------------------- registering


def test_an_account_gets_a_seat_and_the_confirmation_with_its_calendar(make_session, make_user,
                                                                        outbox):
    session = make_session(capacity=2, format="hybrid", online_url="https://meet.example/x")
    user = make_user(email="ana@example.org", language="en")

    registration = register(session, user=user, language="en")

    assert registration.status == "confirmed" and registration.confirmed_at is not None
    assert registration.email is None  # an account's address is read from the account
    assert len(registration.code) == 8 and registration.token
    (message,) = outbox("ana@example.org")
    assert message.language == "en" and "confirmed" in message.subject
    assert registration.code in message.body and registration.token in message.body
    assert "https://meet.example/x" in message.body  # a seat shows the online link
    assert message.attachments[0]["content_type"] == "text/calendar; method=REQUEST"
    event = ics_of(message).walk("VEVENT")[0]
    assert ics_of(message)["METHOD"] == "REQUEST"
    assert event["UID"] == f"lab-session-{session.id}@engage"
    assert "https://meet.example/x" in str(event["DESCRIPTION"])


def test_a_full_session_waitlists_in_order_and_hides_the_link(make_session, make_user, outbox,
                                                              make_registration):
    session = make_session(capacity=1, format="online", address="",
                           online_url="https://meet.example/secret")
    make_registration(session)
    first, second = make_user(), make_user()

    one = register(session, user=first)
    two = register(session, user=second)

    assert (one.status, two.status) == ("waitlisted", "waitlisted")
    assert services.waitlist_position(one) == 1 and services.waitlist_position(two) == 2
    (message,) = outbox(second.email)
    assert "position 2" in message.body or "poziția 2" in message.body
    assert "meet.example/secret" not in message.body
    assert "meet.example/secret" not in message.attachments[0]["text"]


def test_registering_twice_is_refused_and_stores_nothing_more(make_session, make_user):
    session = make_session()
    user = make_user()
    first = register(session, user=user)

    with pytest.raises(RegistrationError) as refused:
        register(session, user=user)

    assert refused.value.registration.id == first.id
    assert count(Registration, Registration.session_id == session.id) == 1


def test_registering_again_after_cancelling_is_allowed(make_session, make_user):
    session = make_session()
    user = make_user()
    services.cancel(register(session, user=user))
    db.session.commit()

    again = register(session, user=user)

    assert again.status == "confirmed"
    assert count(Registration, Registration.session_id == session.id) == 2


@pytest.mark.parametrize(("change", "message"), [
    ({"registration_opens_at": utcnow() + timedelta(days=1)}, "has not opened yet"),
    ({"registration_closes_at": utcnow() - timedelta(minutes=1),
      "registration_opens_at": utcnow() - timedelta(days=2)}, "is closed"),
    ({"status": "cancelled"}, "has been cancelled"),
    ({"starts_at": utcnow() - timedelta(minutes=5)}, "is closed"),
])
def test_registration_outside_its_window_is_refused(make_session, make_user, change, message,
                                                    app):
    session = make_session(**change)

    with pytest.raises(RegistrationError) as refused, app.test_request_context(
            headers={"Cookie": "lang=en"}):
        register(session, user=make_user())
        str(refused.value)
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert message in str(refused.value)
    assert count(Registration) == 0


def test_a_closed_or_draft_process_takes_no_registrations(make_session, make_user, lab):
    session = make_session()
    lab.status = "closed"
    db.session.commit()
    with pytest.raises(RegistrationError):
        register(session, user=make_user())
    assert count(Registration) == 0


def test_a_session_for_some_groups_refuses_the_others(make_session, make_user):
    session = make_session(stakeholder_groups=["research", "public_authority"])
    with pytest.raises(RegistrationError) as refused:
        register(session, user=make_user(), stakeholder_type="citizen")
    assert refused.value.field == "stakeholder_type"
    assert register(session, user=make_user(), stakeholder_type="research").status == "confirmed"


@pytest.mark.parametrize("fields", [
    {"name": ""}, {"name": "   "}, {"name": "x" * 121}, {"stakeholder_type": "astronaut"},
])
def test_bad_names_and_groups_are_refused(make_session, make_user, fields):
    session = make_session()
    with pytest.raises(RegistrationError):
        register(session, user=make_user(), **fields)
    assert count(Registration) == 0


def test_answers_keep_only_the_sessions_questions_and_need_consent(make_session, make_user):
    session = make_session(questions=["organisation", "accessibility", "photo_consent"])
    answers = {"organisation": " ONG Verde ", "dietary": "vegan", "accessibility": "rampă",
               "photo_consent": "y"}

    with pytest.raises(RegistrationError) as refused:
        register(session, user=make_user(), answers=answers)
    assert refused.value.field == "accessibility_consent"
    assert count(Registration) == 0

    registration = register(session, user=make_user(), answers=answers,
                            accessibility_consent=True)
    assert registration.answers == {"organisation": "ONG Verde", "accessibility": "rampă",
                                    "photo_consent": True}  # dietary was not asked
    assert registration.accessibility_consent is True

    with pytest.raises(RegistrationError) as refused:
        register(session, user=make_user(), answers={"organisation": "x" * 501})
    assert refused.value.field == "organisation"


# ---------------------------------------------------------------- guests


def test_a_guest_waits_for_the_link_then_takes_a_seat(make_session, outbox, app):
    session = make_session(capacity=1)
    registration = register(session, email="guest@example.org", name="Ion")

    assert registration.status == "pending"
    assert services.seats_left(session) == 1  # an unconfirmed address holds no seat
    (message,) = outbox("guest@example.org")
    # The link's token is timestamped: read it from the message rather than signing anew.
    (token,) = re.findall(r"/confirm/([\w.\-]+)", message.body)
    assert message.attachments is None

    confirmed = services.confirm_guest(token)
    db.session.commit()
    assert confirmed.id == registration.id and confirmed.status == "confirmed"
    assert len(outbox("guest@example.org")) == 2
    # Following the link again changes nothing and sends nothing.
    assert services.confirm_guest(token).status == "confirmed"
    db.session.commit()
    assert len(outbox("guest@example.org")) == 2


def test_a_forged_or_expired_guest_link_is_refused(make_session, app):
    session = make_session()
    registration = register(session, email="guest@example.org")
    with pytest.raises(RegistrationError):
        services.confirm_guest(services.guest_token(registration) + "x")
    with pytest.raises(RegistrationError):
        services.confirm_guest("not-a-token")

    settings = services.settings_for(session.process_id)
    settings.guest_confirmation_hours = 1
    db.session.commit()

    class TwoHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 2 * 3600

    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=services.GUEST_SALT,
                                 signer=TwoHoursAgo).dumps(registration.token)
    with pytest.raises(RegistrationError) as refused:
        services.confirm_guest(old)
    db.session.commit()
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert "expired" in str(refused.value)
    db.session.refresh(registration)
    assert registration.status == "expired"  # the guest registers again, with a new link
    again = register(session, email="guest@example.org")
    assert again.status == "pending" and again.id != registration.id


def test_a_guest_link_after_registration_closed_takes_no_seat(make_session):
    session = make_session()
    registration = register(session, email="late@example.org")
    session.status = "cancelled"
    db.session.commit()
    with pytest.raises(RegistrationError):
        services.confirm_guest(services.guest_token(registration))
    db.session.commit()
    db.session.refresh(registration)
    assert registration.status == "expired" and not registration.has_seat


# ---------------------------------------------------------------- cancelling and promoting


def test_cancelling_promotes_the_first_in_line_in_the_same_transaction(
        make_session, make_user, make_registration, outbox):
    session = make_session(capacity=2, format="online", address="",
                           online_url="https://meet.example/room")
    seated = [make_registration(session), make_registration(session)]
    first = register(session, user=make_user(), language="en")
    second = register(session, user=make_user())
    assert (first.status, second.status) == ("waitlisted", "waitlisted")

    promoted = services.cancel(seated[0])

    assert [r.id for r in promoted] == [first.id]
    # Not committed yet: one transaction holds both changes, or neither.
    db.session.rollback()
    assert db.session.get(Registration, seated[0].id).status == "confirmed"
    assert db.session.get(Registration, first.id).status == "waitlisted"

    promoted = services.cancel(db.session.get(Registration, seated[0].id))
    db.session.commit()
    first = db.session.get(Registration, first.id)
    assert first.status == "confirmed" and first.promoted_at is not None
    assert services.waitlist_position(db.session.get(Registration, second.id)) == 1
    mail = outbox(first.contact_email)[-1]
    assert "freed up" in mail.subject and "https://meet.example/room" in mail.body
    cancelled_mail = outbox(seated[0].email)[-1]
    assert ics_of(cancelled_mail)["METHOD"] == "CANCEL"


def test_a_cancellation_by_the_organisers_is_told_as_such(make_session, make_registration,
                                                          outbox):
    registration = make_registration(make_session(), language="en")
    services.cancel(registration, by="organiser")
    db.session.commit()
    (mail,) = outbox(registration.email)
    assert "organisers have cancelled your registration" in mail.body
    assert ics_of(mail)["METHOD"] == "CANCEL"
    assert registration.cancelled_by == "organiser"


def test_cancelling_twice_is_refused(make_session, make_registration):
    registration = make_registration(make_session())
    services.cancel(registration)
    db.session.commit()
    with pytest.raises(RegistrationError) as refused:
        services.cancel(registration)
    assert refused.value.registration.id == registration.id


def test_a_cancellation_after_the_start_is_recorded_and_promotes_nobody(
        make_session, make_registration):
    session = make_session(capacity=1, starts_at=utcnow() - timedelta(minutes=10))
    seated = make_registration(session)
    waiting = make_registration(session, status="waitlisted")

    assert services.cancel(seated) == []
    db.session.commit()
    assert seated.status == "cancelled" and seated.cancelled_late is True
    assert db.session.get(Registration, waiting.id).status == "waitlisted"


def test_the_cancel_link_expires_with_the_session(make_session, make_registration):
    session = make_session(starts_at=utcnow() - timedelta(hours=3),
                           ends_at=utcnow() - timedelta(hours=1))
    registration = make_registration(session)
    with pytest.raises(RegistrationError):
        services.cancel(registration)
    assert db.session.get(Registration, registration.id).status == "confirmed"


def test_leaving_the_waitlist_promotes_nobody(make_session, make_registration):
    session = make_session(capacity=1)
    make_registration(session)
    one = make_registration(session, status="waitlisted")
    two = make_registration(session, status="waitlisted")
    assert services.cancel(one) == []
    db.session.commit()
    assert db.session.get(Registration, two.id).status == "waitlisted"


def test_group_caps_let_the_next_person_with_room_move_up(make_session, make_registration):
    session = make_session(capacity=3, stakeholder_caps={"business": 1})
    make_registration(session, stakeholder_type="business")
    seat = make_registration(session, stakeholder_type="citizen")
    make_registration(session, stakeholder_type="citizen")
    blocked = make_registration(session, status="waitlisted", stakeholder_type="business",
                                waitlisted_at=utcnow() - timedelta(minutes=2))
    next_one = make_registration(session, status="waitlisted", stakeholder_type="research",
                                 waitlisted_at=utcnow() - timedelta(minutes=1))

    promoted = services.cancel(seat)
    db.session.commit()

    assert [r.id for r in promoted] == [next_one.id]
    assert db.session.get(Registration, blocked.id).status == "waitlisted"


def test_raising_the_capacity_promotes_as_many_as_fit(make_session, make_registration, outbox):
    session = make_session(capacity=1)
    make_registration(session)
    waiting = [make_registration(session, status="waitlisted",
                                 waitlisted_at=utcnow() + timedelta(seconds=n))
               for n in range(4)]

    change = services.change_capacity(session, 3)
    db.session.commit()

    assert [r.id for r in change.promoted] == [waiting[0].id, waiting[1].id]
    assert change.over_capacity == 0
    assert [db.session.get(Registration, r.id).status for r in waiting] == [
        "confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert len(outbox(waiting[0].email)) == 1


def test_lowering_the_capacity_drops_nobody_and_warns(make_session, make_registration):
    session = make_session(capacity=5)
    seated = [make_registration(session) for _ in range(4)]
    waiting = make_registration(session, status="waitlisted")

    change = services.change_capacity(session, 2)
    db.session.commit()

    assert change.over_capacity == 2 and change.promoted == []
    assert all(db.session.get(Registration, r.id).status == "confirmed" for r in seated)
    assert db.session.get(Registration, waiting.id).status == "waitlisted"
    assert session.capacity == 2


# ---------------------------------------------------------------- at the door


def test_check_in_by_typed_code_or_qr_token_and_twice(make_session, make_registration,
                                                      make_user):
    session = make_session(starts_at=utcnow() + timedelta(minutes=30))
    organiser = make_user()
    one, two = make_registration(session), make_registration(session)
    typed = one.code.lower()[:4] + "-" + one.code.lower()[4:]

    registration, already = services.check_in(session, f"  {typed} ", organiser)
    assert (registration.id, already) == (one.id, False)
    assert registration.status == "attended" and registration.checked_in_by_id == organiser.id

    registration, already = services.check_in(session, two.token, organiser)
    assert (registration.id, already) == (two.id, False)
    _, already = services.check_in(session, two.token, organiser)
    assert already is True


def test_check_in_refuses_other_sessions_and_people_without_a_seat(
        make_session, make_registration, make_user):
    soon = utcnow() + timedelta(minutes=30)
    session, other = make_session(starts_at=soon), make_session(starts_at=soon)
    organiser = make_user()
    waiting = make_registration(session, status="waitlisted")
    elsewhere = make_registration(other)
    for ticket in ("", "ZZZZZZZZ", elsewhere.code, elsewhere.token, waiting.code):
        with pytest.raises(RegistrationError):
            services.check_in(session, ticket, organiser)
    assert db.session.get(Registration, waiting.id).status == "waitlisted"
    assert db.session.get(Registration, elsewhere.id).status == "confirmed"


def test_walk_ins_take_seats_and_a_full_room_needs_confirmation(make_session, make_registration,
                                                                make_user):
    session = make_session(capacity=2, starts_at=utcnow() - timedelta(minutes=15))
    organiser = make_user()
    make_registration(session)
    walk_in = services.add_walk_in(session, name="Maria", stakeholder_type="business",
                                   actor=organiser)
    assert walk_in.status == "attended" and walk_in.channel == "walk_in"
    assert services.seats_left(session) == 0
    with pytest.raises(RegistrationError) as refused:
        services.add_walk_in(session, name="Dan", stakeholder_type="citizen", actor=organiser)
    assert refused.value.field == "over_capacity"
    services.add_walk_in(session, name="Dan", stakeholder_type="citizen", actor=organiser,
                         over_capacity=True)
    assert services.seat_counts(session.id)[0] == 3


def test_the_door_opens_two_hours_before_and_closes_twelve_hours_after(
        make_session, make_registration, make_user):
    early = make_session(starts_at=utcnow() + timedelta(hours=3))
    late = make_session(starts_at=utcnow() - timedelta(hours=15),
                        ends_at=utcnow() - timedelta(hours=13))
    organiser = make_user()
    for session in (early, late):
        registration = make_registration(session)
        with pytest.raises(RegistrationError):
            services.check_in(session, registration.code, organiser)
        with pytest.raises(RegistrationError):
            services.add_walk_in(session, name="Ion", stakeholder_type="citizen",
                                 actor=organiser)
        assert db.session.get(Registration, registration.id).status == "confirmed"


def test_no_shows_only_after_the_start(make_session, make_registration, make_user):
    session = make_session()
    make_registration(session)
    with pytest.raises(RegistrationError):
        services.mark_no_shows(session)
    session.starts_at = utcnow() - timedelta(hours=3)
    session.ends_at = utcnow() - timedelta(hours=1)
    came = make_registration(session)
    services.check_in(session, came.code, make_user())
    assert services.mark_no_shows(session) == 1
    assert sorted(r.status for r in db.session.scalars(select(Registration))) == [
        "attended", "no_show"]


# ---------------------------------------------------------------- the organisers


def test_cancelling_a_session_tells_everyone_with_a_calendar_cancel(
        make_session, make_registration, outbox):
    session = make_session(capacity=1)
    seated = make_registration(session)
    waiting = make_registration(session, status="waitlisted")
    unconfirmed = make_registration(session, status="pending", email_confirmed_at=None)

    told = services.cancel_session(session, "Sala este inundată.")
    db.session.commit()

    assert told == 2  # an address never confirmed is not written to
    assert session.status == "cancelled" and session.ics_sequence == 1
    for registration in (seated, waiting, unconfirmed):
        assert db.session.get(Registration, registration.id).status == "cancelled"
    mail = outbox(seated.email)[-1]
    assert "Sala este inundată." in mail.body
    calendar = ics_of(mail)
    assert calendar["METHOD"] == "CANCEL"
    assert calendar.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
    assert calendar.walk("VEVENT")[0]["SEQUENCE"] == 1
    assert outbox(unconfirmed.email) == []
    with pytest.raises(RegistrationError):
        services.cancel_session(session, "")


def test_a_session_with_registrations_cannot_be_deleted(make_session, make_registration):
    session = make_session()
    registration = make_registration(session)
    services.cancel(registration)
    with pytest.raises(RegistrationError):
        services.delete_session(session)  # even a cancelled registration is a record
    empty = make_session()
    services.delete_session(empty)
    db.session.commit()
    assert count(Registration) == 1


def test_overlapping_sessions_are_pointed_out(make_session, make_user):
    user = make_user()
    start = utcnow() + timedelta(days=5)
    morning = make_session(starts_at=start, ends_at=start + timedelta(hours=3))
    noon = make_session(starts_at=start + timedelta(hours=2), ends_at=start + timedelta(hours=4))
    evening = make_session(starts_at=start + timedelta(hours=4),
                           ends_at=start + timedelta(hours=5))
    register(morning, user=user)
    at_noon = register(noon, user=user)
    at_evening = register(evening, user=user)
    assert [s.id for s in services.overlapping(at_noon)] == [morning.id]
    assert services.overlapping(at_evening) == []  # touching is not overlapping


def test_sensitive_answers_are_purged_after_the_retention(make_session, make_registration, lab):
    db.session.add(LabSettings(process_id=lab.id, accessibility_retention_days=10))
    ended = make_session(starts_at=utcnow() - timedelta(days=12),
                         ends_at=utcnow() - timedelta(days=11, hours=22))
    recent = make_session(starts_at=utcnow() - timedelta(days=3),
                          ends_at=utcnow() - timedelta(days=3) + timedelta(hours=2))
    answers = {"organisation": "ONG", "dietary": "fără gluten", "accessibility": "scaun rulant"}
    old = make_registration(ended, answers=answers, accessibility_consent=True)
    new = make_registration(recent, answers=answers, accessibility_consent=True)

    assert services.purge_sensitive_answers() == 1
    db.session.commit()

    assert old.answers == {"organisation": "ONG"} and old.personal_data_purged_at
    assert old.accessibility_consent is False
    assert new.answers == answers
    assert services.purge_sensitive_answers() == 0


def test_unconfirmed_guests_lapse_and_the_nightly_job_runs_both(make_session, make_registration,
                                                                 lab):
    from engage.core.tasks import enqueue

    db.session.add(LabSettings(process_id=lab.id, guest_confirmation_hours=24))
    session = make_session()
    stale = make_registration(session, status="pending", email_confirmed_at=None,
                              created_at=utcnow() - timedelta(hours=25))
    fresh = make_registration(session, status="pending", email_confirmed_at=None)
    ended = make_session(starts_at=utcnow() - timedelta(days=40),
                         ends_at=utcnow() - timedelta(days=40) + timedelta(hours=1))
    old = make_registration(ended, answers={"dietary": "vegan"})

    enqueue("purge_living_lab_answers")  # as the consumer runs it (at once in the tests)

    assert db.session.get(Registration, stale.id).status == "expired"
    assert db.session.get(Registration, fresh.id).status == "pending"
    assert db.session.get(Registration, old.id).answers == {}
