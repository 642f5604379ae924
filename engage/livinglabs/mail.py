"""The participants' e-mails, through the outbox, each in the person's language: the guest's
confirmation link, the confirmation (with the `.ics` and the personal link to the ticket and
cancellation), the waitlist place, the promotion from the waitlist, the cancellation, the
session's cancellation or change by the organisers, and the organisers' messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_request_context, url_for

from engage.core.mail import queue_mail
from engage.livinglabs import calendar
from engage.livinglabs.models import LabSession, Registration

DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


@contextmanager
def links() -> Iterator[None]:
    """Make `url_for(..., _external=True)` work outside a request (a job, a command) too."""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        yield
        return
    with current_app.test_request_context("/", base_url=DEVELOPMENT_BASE_URL):
        yield


def ticket_url(registration: Registration) -> str:
    """The personal page of a registration: status, ticket, online link, cancel button."""
    return url_for("livinglab.ticket", token=registration.token, _external=True)


def _send(registration: Registration, template: str, *, attach: str | None = None,
          **context: object) -> None:
    recipient = registration.contact_email
    if not recipient:
        return  # a walk-in without an address
    with links():
        attachments = None
        if attach is not None:
            attachments = [calendar.registration_attachment(registration,
                                                            cancel=attach == "cancel")]
        session = registration.session
        queue_mail(recipient, f"livinglab_{template}", registration.language,
                   attachments=attachments, registration=registration, session=session,
                   process=session.process, city=session.process.city,
                   session_url=calendar.session_url(session),
                   ticket_url=ticket_url(registration), **context)


def guest_confirmation(registration: Registration, token: str) -> None:
    with links():
        link = url_for("livinglab.confirm_guest", token=token, _external=True)
    _send(registration, "guest_confirm", confirm_url=link)


def registration_confirmed(registration: Registration) -> None:
    _send(registration, "confirmed", attach="request")


def registration_waitlisted(registration: Registration, position: int | None) -> None:
    _send(registration, "waitlisted", attach="request", position=position)


def registration_promoted(registration: Registration) -> None:
    _send(registration, "promoted", attach="request")


def registration_cancelled(registration: Registration) -> None:
    _send(registration, "cancelled", attach="cancel")


def cancelled_by_organiser(registration: Registration) -> None:
    _send(registration, "cancelled_by_organiser", attach="cancel")


def session_cancelled(registration: Registration) -> None:
    _send(registration, "session_cancelled", attach="cancel")


def session_changed(registration: Registration, changes: list[str]) -> None:
    """The time, place or link changed: the updated event replaces the earlier one."""
    _send(registration, "session_changed", attach="request", changes=changes)


def organiser_message(registration: Registration, subject: str, body: str) -> None:
    _send(registration, "message", subject=subject, body=body)


def recipients_of(session: LabSession, statuses: tuple[str, ...]) -> list[Registration]:
    """The registrations whose people a message to `statuses` reaches (with an address)."""
    from sqlalchemy import select

    from engage.extensions import db

    rows = db.session.scalars(select(Registration).where(
        Registration.session_id == session.id, Registration.status.in_(statuses),
        Registration.email_confirmed_at.is_not(None))).all()
    return [r for r in rows if r.contact_email]
