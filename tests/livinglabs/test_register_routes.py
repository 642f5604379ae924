"""Registering for a session: with an account or as a guest (confirmed by an e-mail link), the
waitlist, the guest's confirmation link, and every refusal changing nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engage.core.db import utcnow
from engage.core.mail import OutboxMessage
from engage.extensions import db
from engage.livinglabs import services
from engage.livinglabs.models import LabSettings, Registration
from tests.livinglabs.conftest import count

CONFIRM_RE = re.compile(r"/registrations/confirm/([A-Za-z0-9_.\-]+)")


def register_url(session) -> str:  # noqa: ANN001
    process = session.process
    return f"/{process.city.slug}/p/{process.slug}/sessions/{session.id}/register"


def text_of(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def rows(session, **conditions) -> list[Registration]:  # noqa: ANN001
    db.session.expire_all()
    query = db.select(Registration).where(Registration.session_id == session.id)
    for name, value in conditions.items():
        query = query.where(getattr(Registration, name) == value)
    return list(db.session.scalars(query))


def ics_of(message: OutboxMessage) -> str:
    attachments = [a for a in message.attachments or () if a["filename"].endswith(".ics")]
    assert len(attachments) == 1, message.attachments
    assert attachments[0]["content_type"].startswith("text/calendar")
    return attachments[0]["text"].replace("\r\n ", "")  # unfolded


# ---------------------------------------------------------------- with an account


def test_form_is_prefilled_from_the_profile(client, login_as, make_user, make_session):
    user = make_user(display_name="Ana Popescu", stakeholder_type="research")
    session = make_session()
    login_as(client, user)
    response = client.get(register_url(session))
    assert response.status_code == 200
    page = text_of(response)
    assert 'value="Ana Popescu"' in page
    assert '<option selected value="research">' in page
    assert 'name="email"' not in page
    assert "Sign in to register with your account" not in page


def test_account_registers_and_gets_the_ticket(client, login_as, make_user, make_session,
                                              outbox):
    user = make_user(display_name="Ana")
    session = make_session()
    login_as(client, user)
    response = client.post_form(register_url(session), {
        "name": "Ana Popescu", "stakeholder_type": "civil_society"})
    assert response.status_code == 303
    [registration] = rows(session)
    assert registration.status == "confirmed"
    assert registration.user_id == user.id and registration.email is None
    assert registration.name == "Ana Popescu"
    assert registration.stakeholder_type == "civil_society"
    assert registration.language == "en"
    assert response.headers["Location"].endswith(f"/registrations/{registration.token}")
    [message] = outbox(user.email)
    assert "BEGIN:VEVENT" in ics_of(message)
    assert registration.token in message.body
    ticket = client.get(response.headers["Location"])
    assert "Your place is confirmed." in text_of(ticket)
    assert registration.code in text_of(ticket)


def test_full_session_waitlists_with_the_position(client, login_as, make_user, make_session,
                                                  make_registration, outbox):
    session = make_session(capacity=1)
    make_registration(session)
    make_registration(session, status="waitlisted",
                      waitlisted_at=utcnow() - timedelta(minutes=5))
    user = make_user()
    login_as(client, user)
    page = text_of(client.get(register_url(session)))
    assert "Join the waitlist" in page
    response = client.post_form(register_url(session), {
        "name": "Ion", "stakeholder_type": "citizen"}, follow_redirects=True)
    [registration] = rows(session, user_id=user.id)
    assert registration.status == "waitlisted"
    page = text_of(response)
    assert "you are on the waitlist, number 2" in page
    assert "You are number 2 on the waitlist" in page
    assert "QR" not in page
    [message] = outbox(user.email)
    assert "BEGIN:VEVENT" in ics_of(message)


def test_double_submit_keeps_one_registration(client, login_as, make_user, make_session):
    user = make_user()
    session = make_session()
    login_as(client, user)
    data = {"name": "Ana", "stakeholder_type": "citizen"}
    first = client.post_form(register_url(session), data)
    second = client.post_form(register_url(session), data)
    assert first.status_code == 303 and second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert len(rows(session)) == 1
    page = text_of(client.get(second.headers["Location"]))
    assert "You are already registered for this session." in page


def test_already_registered_person_sees_their_ticket(client, login_as, make_user,
                                                     make_session, make_registration):
    user = make_user()
    session = make_session()
    registration = make_registration(session, user=user, status="waitlisted")
    login_as(client, user)
    page = text_of(client.get(register_url(session)))
    assert "You are already registered for this session." in page
    assert f"/registrations/{registration.token}" in page
    assert 'name="name"' not in page


def test_overlapping_sessions_get_a_warning(client, login_as, make_user, make_session,
                                            make_registration):
    user = make_user()
    starts = utcnow() + timedelta(days=3)
    first = make_session(title_en="Morning walk", starts_at=starts)
    second = make_session(title_en="Parallel workshop", starts_at=starts + timedelta(hours=1))
    make_registration(first, user=user)
    login_as(client, user)
    response = client.post_form(register_url(second), {
        "name": "Ana", "stakeholder_type": "citizen"}, follow_redirects=True)
    page = text_of(response)
    assert "overlaps with another you registered for" in page
    assert "Morning walk" in page
    assert rows(second)[0].status == "confirmed"


def test_answers_to_the_sessions_questions_are_kept(client, login_as, make_user,
                                                    make_session):
    user = make_user()
    session = make_session(questions=["organisation", "accessibility", "photo_consent"])
    db.session.add(LabSettings(process_id=session.process_id, accessibility_retention_days=14))
    db.session.commit()
    login_as(client, user)
    page = text_of(client.get(register_url(session)))
    assert "kept only until 14 days after the session" in page
    assert 'name="dietary"' not in page
    client.post_form(register_url(session), {
        "name": "Ana", "stakeholder_type": "citizen", "organisation": "Asociația Verde",
        "accessibility": "Wheelchair user", "accessibility_consent": "y",
        "photo_consent": "y", "dietary": "vegan (not asked)"})
    [registration] = rows(session)
    assert registration.answers == {"organisation": "Asociația Verde",
                                    "accessibility": "Wheelchair user",
                                    "photo_consent": True}
    assert registration.accessibility_consent is True


def test_accessibility_needs_without_consent_are_refused(client, login_as, make_user,
                                                         make_session, outbox):
    user = make_user()
    session = make_session(questions=["accessibility"])
    login_as(client, user)
    response = client.post_form(register_url(session), {
        "name": "Ana", "stakeholder_type": "citizen", "accessibility": "I need a ramp"})
    assert response.status_code == 422
    assert "please agree that we keep this information" in text_of(response)
    assert "I need a ramp" in text_of(response)  # what was typed stays in the form
    assert rows(session) == []
    assert outbox() == []


@pytest.mark.parametrize("data, message", [
    ({"name": "x" * 121, "stakeholder_type": "citizen"}, "The name is too long"),
    ({"name": "   ", "stakeholder_type": "citizen"}, "Please give your name."),
    ({"name": "Ana", "stakeholder_type": "robot"}, "Not a valid choice"),
    ({"name": "Ana", "stakeholder_type": "citizen", "organisation": "o" * 501},
     "This answer is too long"),
])
def test_bad_input_is_refused(client, login_as, make_user, make_session, data, message):
    session = make_session(questions=["organisation"])
    login_as(client, make_user())
    response = client.post_form(register_url(session), data)
    assert response.status_code == 422
    assert message in text_of(response)
    assert rows(session) == []


def test_stakeholder_group_not_allowed(client, login_as, make_user, make_session):
    session = make_session(stakeholder_groups=["research"])
    login_as(client, make_user())
    page = text_of(client.get(register_url(session)))
    assert "This session is for: Research and academia." in page
    response = client.post_form(register_url(session), {
        "name": "Ana", "stakeholder_type": "business"})
    assert response.status_code == 422
    assert "This session is for: Research and academia." in text_of(response)
    assert rows(session) == []


@pytest.mark.parametrize("fields, message", [
    ({"registration_opens_at": utcnow() + timedelta(days=2)},
     "Registration for this session has not opened yet."),
    ({"registration_opens_at": utcnow() - timedelta(days=2),
      "registration_closes_at": utcnow() - timedelta(hours=1)},
     "Registration for this session is closed."),
    ({"status": "cancelled"}, "This session has been cancelled."),
])
def test_registration_not_open_is_refused(client, login_as, make_user, make_session, outbox,
                                          fields, message):
    session = make_session(**fields)
    login_as(client, make_user())
    page = client.get(register_url(session))
    assert page.status_code == 200
    assert message in text_of(page)
    assert 'name="name"' not in text_of(page)
    response = client.post_form(register_url(session), {
        "name": "Ana", "stakeholder_type": "citizen"})
    assert response.status_code == 422
    assert message in text_of(response)
    assert rows(session) == []
    assert outbox() == []


def test_closed_lab_refuses(client, login_as, make_user, make_process, city, make_session):
    closed = make_process(city, kind="livinglab", status="closed")
    session = make_session(process=closed)
    login_as(client, make_user())
    response = client.post_form(register_url(session), {
        "name": "Ana", "stakeholder_type": "citizen"})
    assert response.status_code == 422
    assert "Registration for this session is closed." in text_of(response)
    assert rows(session) == []


def test_draft_lab_register_is_404(client, login_as, make_user, make_process, city,
                                   make_session):
    draft = make_process(city, kind="livinglab", status="draft")
    session = make_session(process=draft)
    login_as(client, make_user())
    assert client.get(register_url(session)).status_code == 404
    assert client.post_form(register_url(session), {
        "name": "Ana", "stakeholder_type": "citizen"}).status_code == 404
    assert rows(session) == []


def test_another_citys_session_cannot_be_registered_for(client, login_as, make_user,
                                                        make_city, make_process, lab,
                                                        make_session):
    other = make_process(make_city(), kind="livinglab", slug=lab.slug)
    session = make_session(process=other)
    login_as(client, make_user())
    url = f"/{lab.city.slug}/p/{lab.slug}/sessions/{session.id}/register"
    assert client.post_form(url, {"name": "Ana", "stakeholder_type": "citizen"}
                            ).status_code == 404
    assert rows(session) == []


def test_missing_csrf_token_changes_nothing(client, login_as, make_user, make_session):
    session = make_session()
    login_as(client, make_user())
    response = client.post(register_url(session), data={"name": "Ana",
                                                        "stakeholder_type": "citizen"})
    assert response.status_code == 400
    assert rows(session) == []


# ---------------------------------------------------------------- as a guest


def guest_data(**extra) -> dict:  # noqa: ANN003
    return {"name": "Maria Ionescu", "email": "Maria@Example.org",
            "stakeholder_type": "citizen", **extra}


def test_guest_form_has_email_and_sign_in_link(client, make_session):
    session = make_session()
    page = text_of(client.get(register_url(session)))
    assert 'name="email"' in page
    assert "Sign in to register with your account" in page
    assert f"/account/login?next=/{session.process.city.slug}/p/" in page.replace("%2F", "/")


def test_guest_registers_and_confirms_by_the_link(client, make_session, outbox):
    session = make_session(format="hybrid", online_url="https://meet.example.org/room-9")
    response = client.post_form(register_url(session), guest_data())
    assert response.status_code == 200
    assert "Check your e-mail" in text_of(response)
    [registration] = rows(session)
    assert registration.status == "pending"
    assert registration.email == "maria@example.org"
    [message] = outbox("maria@example.org")
    token = CONFIRM_RE.search(message.body).group(1)
    assert "room-9" not in message.body

    confirmed = client.get(f"/registrations/confirm/{token}")
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"].endswith(f"/registrations/{registration.token}")
    assert confirmed.headers["Referrer-Policy"] == "no-referrer"
    [registration] = rows(session)
    assert registration.status == "confirmed"
    assert registration.email_confirmed_at is not None
    mails = outbox("maria@example.org")
    assert len(mails) == 2
    assert "room-9" in ics_of(mails[1])
    ticket = text_of(client.get(confirmed.headers["Location"]))
    assert "your place is booked" in ticket
    assert "https://meet.example.org/room-9" in ticket
    # Following the link again changes nothing.
    again = client.get(f"/registrations/confirm/{token}")
    assert again.status_code == 303
    assert len(outbox("maria@example.org")) == 2
    assert rows(session)[0].status == "confirmed"


def test_guest_confirming_a_full_session_is_waitlisted(client, make_session,
                                                       make_registration, outbox):
    session = make_session(capacity=1)
    client.post_form(register_url(session), guest_data())
    make_registration(session)  # the last seat goes meanwhile
    token = CONFIRM_RE.search(outbox("maria@example.org")[0].body).group(1)
    response = client.get(f"/registrations/confirm/{token}", follow_redirects=True)
    registration = rows(session, email="maria@example.org")[0]
    assert registration.status == "waitlisted"
    assert "you are on the waitlist, number 1" in text_of(response)


def test_guest_registering_again_sees_the_same_page(client, make_session, outbox):
    session = make_session()
    first = client.post_form(register_url(session), guest_data())
    second = client.post_form(register_url(session), guest_data(email="MARIA@example.org"))
    assert second.status_code == first.status_code == 200
    # The same answer: nothing says the address was registered before.
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert strip.sub("", text_of(second)) == strip.sub("", text_of(first))
    assert len(rows(session)) == 1
    # The address's owner gets the confirmation link again.
    mails = outbox("maria@example.org")
    assert len(mails) == 2
    assert CONFIRM_RE.search(mails[1].body)


def test_confirmed_guest_registering_again_gets_their_ticket_by_mail(client, make_session,
                                                                     make_registration,
                                                                     outbox):
    session = make_session()
    registration = make_registration(session, email="maria@example.org")
    response = client.post_form(register_url(session), guest_data())
    assert response.status_code == 200
    assert "Check your e-mail" in text_of(response)
    assert registration.token not in text_of(response)
    [message] = outbox("maria@example.org")
    assert registration.token in message.body
    assert len(rows(session)) == 1


def test_guest_bad_email_is_refused(client, make_session, outbox):
    session = make_session()
    response = client.post_form(register_url(session), guest_data(email="not-an-address"))
    assert response.status_code == 422
    assert "Please give a valid e-mail address" in text_of(response)
    assert rows(session) == []
    assert outbox() == []


def test_guest_honeypot_creates_nothing(client, make_session, outbox):
    session = make_session()
    response = client.post_form(register_url(session), guest_data(website="http://spam"))
    assert response.status_code == 200
    assert "Check your e-mail" in text_of(response)
    assert rows(session) == []
    assert outbox() == []


def test_expired_confirmation_link_changes_nothing(client, make_session, outbox,
                                                   monkeypatch):
    session = make_session()
    client.post_form(register_url(session), guest_data())
    token = CONFIRM_RE.search(outbox("maria@example.org")[0].body).group(1)
    later = utcnow() + timedelta(days=3)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    response = client.get(f"/registrations/confirm/{token}")
    assert response.status_code == 410
    assert "This confirmation link has expired" in text_of(response)
    assert response.headers["Cache-Control"] == "private, no-store"
    [registration] = rows(session)
    assert registration.status == "pending"
    assert registration.email_confirmed_at is None
    assert len(outbox("maria@example.org")) == 1


@pytest.mark.parametrize("token", ["forged", "eyJhIjoxfQ.abc.def", "x" * 300])
def test_forged_confirmation_link_is_refused(client, make_session, outbox, token):
    session = make_session()
    client.post_form(register_url(session), guest_data())
    response = client.get(f"/registrations/confirm/{token}")
    assert response.status_code == 400
    assert "This confirmation link is not valid." in text_of(response)
    assert rows(session)[0].status == "pending"
    assert len(outbox()) == 1


def test_a_token_signed_with_another_key_is_refused(client, app, make_session,
                                                    make_registration):
    from itsdangerous import URLSafeTimedSerializer

    session = make_session()
    registration = make_registration(session, status="pending", email_confirmed_at=None)
    forged = URLSafeTimedSerializer("another key", salt=services.GUEST_SALT).dumps(
        registration.token)
    response = client.get(f"/registrations/confirm/{forged}")
    assert response.status_code == 400
    assert rows(session)[0].status == "pending"


def test_registration_posts_are_rate_limited(client, login_as, make_user, make_session,
                                            monkeypatch):
    from engage.extensions import limiter

    # A standalone application made with RATELIMIT_ENABLED=False (the thread tests) turns the
    # shared limiter off for the rest of the session.
    monkeypatch.setattr(limiter, "enabled", True)
    sessions = [make_session() for _ in range(11)]
    login_as(client, make_user())
    codes = [client.post_form(register_url(s), {"name": "", "stakeholder_type": "citizen"}
                              ).status_code for s in sessions]
    assert codes[:10] == [422] * 10
    assert codes[10] == 429
    assert count(Registration) == 0
