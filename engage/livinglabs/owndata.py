"""The living labs' part of people's own data (see `core.owndata`): a person's registrations,
and the retention purge of guests' personal data.

On deletion, registrations for sessions that have not started are cancelled through
`services.cancel`, which frees the seat and promotes the waitlist (and tells the person, at
the address they still have then: this eraser runs first). Every registration keeps the
(anonymised) account's id — the model needs a person for an online registration — but loses
its name and answers; attendance and the stakeholder mix stay counted.

Retention: a guest's e-mail and name are erased `City.guest_data_retention_days` after the
living lab's process closed; the accessibility and dietary answers follow the living lab's own
retention (`services.purge_sensitive_answers`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from engage.cities.models import City
from engage.core import owndata
from engage.core.db import utcnow
from engage.core.owndata import iso
from engage.extensions import db
from engage.livinglabs import services
from engage.livinglabs.models import LabSession, Registration
from engage.processes.models import Process

# The placeholder that keeps a purged guest registration within the model's rule "a person or
# an address": not an address anybody can have (RFC 2606 ".invalid").
PURGED_EMAIL = "purged-{id}@invalid"


def collect(user: Any) -> dict[str, Any]:
    rows = db.session.execute(
        select(Registration, LabSession.title_ro, LabSession.title_en, LabSession.starts_at)
        .join(LabSession, LabSession.id == Registration.session_id)
        .where(Registration.user_id == user.id).order_by(Registration.id)).all()
    return {"registrations": [{
        "id": registration.id, "session_id": registration.session_id,
        "session": title_en or title_ro, "starts_at": iso(starts_at),
        "name": registration.name, "stakeholder_type": registration.stakeholder_type,
        "status": registration.status, "answers": registration.answers,
        "created_at": iso(registration.created_at),
    } for registration, title_ro, title_en, starts_at in rows]}


def erase(user: Any, keep: bool) -> None:
    now = utcnow()
    upcoming = db.session.scalars(
        select(Registration).join(LabSession, LabSession.id == Registration.session_id)
        .where(Registration.user_id == user.id, LabSession.starts_at > now,
               Registration.status.in_(("pending", "confirmed", "waitlisted")))
        .order_by(Registration.id)).all()
    for registration in upcoming:
        services.cancel(registration, by="participant")
    for registration in db.session.scalars(
            select(Registration).where(Registration.user_id == user.id)):
        registration.name = ""
        registration.answers = {}
        registration.accessibility_consent = False
    db.session.flush()


def purge_guests(now: datetime) -> int:
    """Erase guests' e-mail and name once their living lab's process closed longer ago than the
    city keeps them. Returns how many registrations were erased."""
    rows = db.session.execute(
        select(Registration, Process.closes_at, City.guest_data_retention_days)
        .join(Process, Process.id == Registration.process_id)
        .join(City, City.id == Process.city_id)
        .where(Registration.user_id.is_(None), Process.closes_at.is_not(None),
               Process.closes_at < now,
               (Registration.email.is_not(None)) | (Registration.name != ""))).all()
    purged = 0
    for registration, closes_at, days in rows:
        if registration.email and registration.email == PURGED_EMAIL.format(id=registration.id):
            if not registration.name:
                continue
        if closes_at + timedelta(days=days) > now:
            continue
        if registration.email is not None:
            registration.email = PURGED_EMAIL.format(id=registration.id)
        registration.name = ""
        registration.answers = {}
        registration.accessibility_consent = False
        purged += 1
    db.session.flush()
    return purged


def purge_answers(now: datetime) -> int:
    return services.purge_sensitive_answers(now)


def expire_unconfirmed(now: datetime) -> int:
    return services.expire_unconfirmed(now)


# First: cancelling mails the person, who must still have their address then.
owndata.register("livinglabs", collect, erase, order=0)
owndata.register_purger("livinglab_guests", purge_guests)
owndata.register_purger("livinglab_sensitive_answers", purge_answers)
owndata.register_purger("livinglab_unconfirmed_guests", expire_unconfirmed)
