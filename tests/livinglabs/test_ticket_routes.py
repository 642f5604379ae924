"""The personal ticket page (reached by the secret token of the e-mails), its QR code, and
cancelling from it: the waitlist's promotion, twice, late, forged tokens."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import segno

from engage.core.db import utcnow
from engage.extensions import db
from engage.livinglabs.models import Registration

ONLINE = "https://meet.example.org/room-secret-42"


def ticket_url(registration) -> str:  # noqa: ANN001
    return f"/registrations/{registration.token}"


def text_of(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def fresh(registration: Registration) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration.id)


def assert_private(response) -> None:  # noqa: ANN001
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "private, no-store"


# ---------------------------------------------------------------- the page


def test_seated_person_sees_qr_code_and_online_link(client, make_session, make_registration):
    session = make_session(format="hybrid", online_url=ONLINE)
    registration = make_registration(session, name="Maria Ionescu",
                                     email="maria@example.org")
    response = client.get(ticket_url(registration))
    assert response.status_code == 200
    assert_private(response)
    page = text_of(response)
    assert '<svg role="img"' in page and "<title>Your ticket" in page
    assert registration.code in page
    assert ONLINE in page
    assert "Confirmed" in page
    assert f"/registrations/{registration.token}/calendar.ics" in page
    assert "Cancel my registration" in page
    assert 'name="robots" content="noindex"' in page


@pytest.mark.parametrize("status", ["waitlisted", "pending", "cancelled", "expired"])
def test_no_seat_no_online_link_nor_qr_code(client, make_session, make_registration, status):
    session = make_session(format="online", address="", online_url=ONLINE, capacity=1)
    make_registration(session)
    registration = make_registration(session, status=status)
    page = text_of(client.get(ticket_url(registration)))
    assert "room-secret-42" not in page
    assert "<svg" not in page
    assert registration.code not in page
    response = client.get(f"{ticket_url(registration)}/ticket.svg")
    assert response.status_code == 404


def test_waitlisted_person_sees_their_position(client, make_session, make_registration):
    session = make_session(capacity=1)
    make_registration(session)
    make_registration(session, status="waitlisted",
                      waitlisted_at=utcnow() - timedelta(minutes=3))
    registration = make_registration(session, status="waitlisted")
    page = text_of(client.get(ticket_url(registration)))
    assert "You are number 2 on the waitlist" in page
    assert "Leave the waitlist" in page


def test_cancelled_session_ticket_shows_no_seat(client, make_session, make_registration):
    session = make_session(format="online", online_url=ONLINE, status="cancelled",
                           cancelled_at=utcnow(), cancel_reason="Speaker ill.")
    registration = make_registration(session, status="cancelled", cancelled_by="organiser")
    page = text_of(client.get(ticket_url(registration)))
    assert "This session has been cancelled by the organisers." in page
    assert "Speaker ill." in page
    assert "room-secret-42" not in page and "<svg" not in page
    assert "Cancel my registration" not in page


@pytest.mark.parametrize("token", ["forged", "a" * 32, "x" * 500])
def test_forged_ticket_token_is_a_clear_404(client, make_session, make_registration, token):
    make_registration(make_session())
    for suffix in ("", "/ticket.svg", "/calendar.ics"):
        response = client.get(f"/registrations/{token}{suffix}")
        assert response.status_code == 404
        assert "This link is not valid" in text_of(response)
        assert_private(response)


# ---------------------------------------------------------------- the QR code


def test_qr_code_holds_only_the_token(client, make_session, make_registration):
    session = make_session()
    registration = make_registration(session, name="Maria Ionescu",
                                     email="maria.ionescu@example.org")
    response = client.get(f"{ticket_url(registration)}/ticket.svg")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert_private(response)
    svg = text_of(response)
    assert "maria" not in svg.lower() and "ionescu" not in svg.lower()
    assert "example.org" not in svg
    path = re.compile(r' d="([^"]+)"')
    expected = io.BytesIO()
    segno.make(registration.token, error="m", micro=False).save(expected, kind="svg")
    # The same modules as a QR code of the token alone.
    assert path.findall(svg)[-1] == path.findall(expected.getvalue().decode())[-1]
    page = text_of(client.get(ticket_url(registration)))
    inline = page[page.index("<svg"):page.index("</svg>")]
    assert "maria" not in inline.lower() and "example.org" not in inline
    assert path.findall(inline)[-1] == path.findall(svg)[-1]


# ---------------------------------------------------------------- cancelling


def cancel(client, registration):  # noqa: ANN001, ANN201
    return client.post_form(f"{ticket_url(registration)}/cancel")


def test_cancel_frees_the_seat_and_says_so(client, make_session, make_registration, outbox):
    session = make_session()
    registration = make_registration(session, email="maria@example.org")
    response = cancel(client, registration)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(ticket_url(registration))
    assert_private(response)
    assert fresh(registration).status == "cancelled"
    assert fresh(registration).cancelled_by == "participant"
    [message] = outbox("maria@example.org")
    assert "METHOD:CANCEL" in message.attachments[0]["text"]
    page = text_of(client.get(response.headers["Location"]))
    assert "Your registration is cancelled." in page
    assert "Cancel my registration" not in page


def test_cancelling_twice_changes_nothing(client, make_session, make_registration, outbox):
    session = make_session()
    registration = make_registration(session, email="maria@example.org")
    cancel(client, registration)
    first = fresh(registration).cancelled_at
    response = cancel(client, registration)
    assert response.status_code == 303
    page = text_of(client.get(response.headers["Location"]))
    assert "This registration is already cancelled." in page
    assert fresh(registration).cancelled_at == first
    assert len(outbox("maria@example.org")) == 1


def test_cancel_promotes_the_first_waitlisted_who_sees_the_online_link(
        client, make_session, make_registration, outbox):
    session = make_session(capacity=1, format="online", address="", online_url=ONLINE)
    seated = make_registration(session, email="first@example.org")
    waiting = make_registration(session, status="waitlisted", name="Secret Waiting Person",
                                email="waiting@example.org")
    before = text_of(client.get(ticket_url(waiting)))
    assert "room-secret-42" not in before
    response = cancel(client, seated)
    page = text_of(client.get(response.headers["Location"]))
    assert "Secret Waiting Person" not in page and "waiting@example.org" not in page
    assert fresh(waiting).status == "confirmed"
    assert fresh(waiting).promoted_at is not None
    after = text_of(client.get(ticket_url(waiting)))
    assert ONLINE in after
    assert "<svg" in after
    [promoted] = outbox("waiting@example.org")
    assert ONLINE in promoted.attachments[0]["text"].replace("\r\n ", "")


def test_leaving_the_waitlist(client, make_session, make_registration):
    session = make_session(capacity=1)
    seated = make_registration(session)
    waiting = make_registration(session, status="waitlisted")
    cancel(client, waiting)
    assert fresh(waiting).status == "cancelled"
    assert fresh(seated).status == "confirmed"


def test_cancel_after_the_start_is_recorded_without_promotion(client, make_session,
                                                              make_registration):
    session = make_session(capacity=1, starts_at=utcnow() - timedelta(minutes=30))
    seated = make_registration(session)
    waiting = make_registration(session, status="waitlisted")
    response = cancel(client, seated)
    page = text_of(client.get(response.headers["Location"]))
    assert "Your cancellation is recorded. The session had already started." in page
    assert "You cancelled after the session had started." in page
    assert fresh(seated).status == "cancelled"
    assert fresh(seated).cancelled_late is True
    assert fresh(waiting).status == "waitlisted"


def test_attended_registration_cannot_be_cancelled(client, make_session, make_registration):
    session = make_session(starts_at=utcnow() - timedelta(hours=1))
    registration = make_registration(session, status="attended")
    assert "Cancel my registration" not in text_of(client.get(ticket_url(registration)))
    response = cancel(client, registration)
    page = text_of(client.get(response.headers["Location"]))
    assert "can no longer be cancelled" in page
    assert fresh(registration).status == "attended"


def test_forged_cancel_token_changes_nothing(client, make_session, make_registration):
    registration = make_registration(make_session())
    response = client.post_form("/registrations/forged-token/cancel")
    assert response.status_code == 404
    assert fresh(registration).status == "confirmed"


def test_cancel_without_csrf_token_changes_nothing(client, make_session, make_registration):
    registration = make_registration(make_session())
    response = client.post(f"{ticket_url(registration)}/cancel")
    assert response.status_code == 400
    assert fresh(registration).status == "confirmed"


def test_cancel_is_post_only(client, make_session, make_registration):
    registration = make_registration(make_session())
    assert client.get(f"{ticket_url(registration)}/cancel").status_code == 405
    assert fresh(registration).status == "confirmed"


def test_no_cancel_button_once_the_session_ended(client, make_session, make_registration):
    session = make_session(starts_at=utcnow() - timedelta(days=2))
    registration = make_registration(session)
    page = text_of(client.get(ticket_url(registration)))
    assert "Cancel my registration" not in page
    assert "Confirmed" in page
