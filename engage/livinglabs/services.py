"""Registrations: registering, confirming a guest's e-mail, cancelling, the waitlist's
promotions, capacity changes, check-in at the door and the retention of sensitive answers.

The rules that must hold under load live here, and each holds in the database, not only in
Python:
- Seats are given only while the session's row is locked (`SELECT ... FOR UPDATE` on
  PostgreSQL; on SQLite every writing transaction starts with `BEGIN IMMEDIATE`, see
  `core/db.py`), so simultaneous registrations for the last seat are decided one after the
  other: never more seated than `capacity`, the others waitlisted in the order they got the
  lock.
- One active registration per person per session: partial unique indexes (per account, per
  guest e-mail) back the check made under the lock.
- A cancellation and the promotion it frees a seat for happen in one transaction.

Services flush and never commit; the request (or the caller) commits. Mail goes through the
outbox in the same transaction (`livinglabs.mail`), so a refused or rolled-back registration
sends nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from engage.accounts.models import STAKEHOLDER_TYPES, User
from engage.core.db import utcnow
from engage.core.refusal import Refusal
from engage.core.search import fold
from engage.extensions import db
from engage.livinglabs import mail
from engage.livinglabs.models import (
    ACCESSIBILITY_MAX,
    ACTIVE_STATUSES,
    ANSWER_MAX,
    CODE_LENGTH,
    NAME_MAX,
    QUESTIONS,
    SEATED_STATUSES,
    LabSession,
    LabSettings,
    Registration,
)

# Ticket codes avoid letters and digits that are easily confused when typed (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GUEST_SALT = "livinglab-guest-confirmation"


class RegistrationError(Refusal):
    """A registration operation refused, with the message for the person and, for a form, the
    field it concerns. `registration` is the person's existing registration where that is why
    (already registered, already cancelled)."""

    def __init__(self, message: object, field: str | None = None,
                 registration: Registration | None = None, code: str = "") -> None:
        super().__init__(message, field)
        self.registration = registration
        self.code = code  # "expired" or "invalid" for a confirmation link


class _Later:
    """A value put into a lazy message that is itself worked out only when the message is
    shown, in the reader's language (a list of translated labels, say)."""

    def __init__(self, make: Any) -> None:
        self.make = make

    def __str__(self) -> str:
        return str(self.make())


CLOSED_MESSAGES = {
    "upcoming": _l("Registration for this session has not opened yet."),
    "closed": _l("Registration for this session is closed."),
    "cancelled": _l("This session has been cancelled."),
}


LINK_EXPIRED = _l("This confirmation link has expired. Register again and we will send you a "
                  "new one.")
LINK_INVALID = _l("This confirmation link is not valid.")


@dataclass
class CapacityChange:
    """What a capacity change did: who was promoted, and how many seated people are over the
    new capacity (nobody is dropped; the organiser is warned)."""

    promoted: list[Registration] = field(default_factory=list)
    over_capacity: int = 0


def settings_for(process_id: int) -> LabSettings:
    """The living lab's settings row, created with the defaults when there is none yet."""
    settings = db.session.get(LabSettings, process_id)
    if settings is None:
        settings = LabSettings(process_id=process_id)
        db.session.add(settings)
        db.session.flush()
    return settings


def lock_session(session: LabSession) -> LabSession:
    """Lock the session's row for the rest of the transaction and reload it (a concurrent
    transaction may have changed its capacity), so seat decisions are made one at a time."""
    locked = db.session.scalars(
        select(LabSession).where(LabSession.id == session.id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return locked


def seat_counts(session_id: int) -> tuple[int, dict[str, int]]:
    """How many seats are held at the session, in all and per stakeholder type."""
    rows = db.session.execute(
        select(Registration.stakeholder_type, func.count())
        .where(Registration.session_id == session_id,
               Registration.status.in_(SEATED_STATUSES))
        .group_by(Registration.stakeholder_type)
    ).all()
    by_group = {group: n for group, n in rows}
    return sum(by_group.values()), by_group


def seats_left(session: LabSession) -> int:
    taken, _ = seat_counts(session.id)
    return max(session.capacity - taken, 0)


def seats_taken(session_ids: list[int]) -> dict[int, int]:
    """Seats held per session, for many sessions in one grouped query."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Registration.session_id, func.count())
        .where(Registration.session_id.in_(session_ids),
               Registration.status.in_(SEATED_STATUSES))
        .group_by(Registration.session_id)
    ).all()
    return {session_id: n for session_id, n in rows}


def active_registrations_of(user: Any, session_ids: list[int]) -> dict[int, Registration]:
    """The person's active registrations at these sessions, by session id."""
    if not getattr(user, "is_authenticated", False) or not session_ids:
        return {}
    rows = db.session.scalars(select(Registration).where(
        Registration.session_id.in_(session_ids), Registration.user_id == user.id,
        Registration.status.in_(ACTIVE_STATUSES)))
    return {r.session_id: r for r in rows}


def _has_room(session: LabSession, taken: int, by_group: dict[str, int], group: str) -> bool:
    if taken >= session.capacity:
        return False
    cap = (session.stakeholder_caps or {}).get(group)
    return cap is None or by_group.get(group, 0) < cap


def _new_code(session_id: int) -> str:
    """A ticket code not used at this session yet (checked under the session's lock; the
    unique constraint is the backstop)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        taken = db.session.scalar(select(Registration.id).where(
            Registration.session_id == session_id, Registration.code == code))
        if taken is None:
            return code


def normalise_code(value: str) -> str:
    """A typed ticket code as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


def _clean_answers(session: LabSession, answers: dict[str, Any] | None,
                   accessibility_consent: bool) -> dict[str, Any]:
    """The answers to the session's own questions only, each checked; accessibility needs are
    kept only with the person's explicit consent."""
    clean: dict[str, Any] = {}
    for key in session.questions or ():
        if key not in QUESTIONS:
            continue
        value = (answers or {}).get(key)
        if key == "photo_consent":
            clean[key] = bool(value)
            continue
        text = str(value or "").strip()
        limit = ACCESSIBILITY_MAX if key == "accessibility" else ANSWER_MAX
        if len(text) > limit:
            raise RegistrationError(
                _l("This answer is too long (at most %(limit)s characters).", limit=limit), key)
        if key == "accessibility" and text and not accessibility_consent:
            raise RegistrationError(
                _l("To tell us about accessibility needs, please agree that we keep this "
                   "information until after the session."), "accessibility_consent")
        if text:
            clean[key] = text
    return clean


def _existing(session_id: int, user: User | None, email: str | None) -> Registration | None:
    condition = (Registration.user_id == user.id) if user is not None else (
        Registration.email == email)
    return db.session.scalars(select(Registration).where(
        Registration.session_id == session_id, condition,
        Registration.status.in_(ACTIVE_STATUSES))).first()


def check_can_register(session: LabSession, stakeholder_type: str) -> None:
    phase = session.registration_phase
    if phase != "open":
        raise RegistrationError(CLOSED_MESSAGES[phase])
    if stakeholder_type not in STAKEHOLDER_TYPES:
        raise RegistrationError(_l("Choose who you take part as."), "stakeholder_type")
    groups = session.stakeholder_groups or []
    if groups and stakeholder_type not in groups:
        names = _Later(lambda: ", ".join(str(STAKEHOLDER_TYPES[g]) for g in groups
                                         if g in STAKEHOLDER_TYPES))
        raise RegistrationError(
            _l("This session is for: %(groups)s.", groups=names), "stakeholder_type")


def register(session: LabSession, *, name: str, stakeholder_type: str, language: str,
             user: User | None = None, email: str | None = None,
             answers: dict[str, Any] | None = None,
             accessibility_consent: bool = False) -> Registration:
    """Register `user` (an account) or a guest (`email`, already normalised) for `session`.

    An account's registration is decided at once: confirmed while a seat (and a seat for the
    person's group, where the session caps groups) remains, otherwise waitlisted. A guest's
    waits as "pending" until the e-mail link is followed (`confirm_guest`), so unconfirmed
    addresses cannot hold seats. Mail goes out either way.
    """
    if (user is None) == (email is None):
        raise ValueError("register takes a user or a guest e-mail")
    name = (name or "").strip()
    if not name:
        raise RegistrationError(_l("Please give your name."), "name")
    if len(name) > NAME_MAX:
        raise RegistrationError(
            _l("The name is too long (at most %(limit)s characters).", limit=NAME_MAX), "name")
    check_can_register(session, stakeholder_type)
    clean = _clean_answers(session, answers, accessibility_consent)

    session = lock_session(session)
    # Read again under the lock: the session may have been cancelled meanwhile.
    check_can_register(session, stakeholder_type)
    existing = _existing(session.id, user, email)
    if existing is not None:
        raise RegistrationError(_l("You are already registered for this session."),
                                registration=existing)
    registration = Registration(
        session_id=session.id, process_id=session.process_id,
        user_id=user.id if user is not None else None, email=email, name=name,
        stakeholder_type=stakeholder_type, language=language, channel="online",
        status="pending", token=secrets.token_urlsafe(24), code=_new_code(session.id),
        answers=clean, accessibility_consent=bool(accessibility_consent and
                                                  "accessibility" in clean),
    )
    if user is not None:
        registration.email_confirmed_at = utcnow()
    try:
        with db.session.begin_nested():
            db.session.add(registration)
            db.session.flush()
    except IntegrityError:
        # Only reachable if a registration slipped past the lock (it cannot on either database);
        # the unique index still keeps the person to one registration.
        raise RegistrationError(_l("You are already registered for this session."),
                                registration=_existing(session.id, user, email)) from None
    if user is None:
        mail.guest_confirmation(registration, guest_token(registration))
        return registration
    _seat_or_waitlist(session, registration)
    return registration


def _seat_or_waitlist(session: LabSession, registration: Registration) -> None:
    """Give a seat or a waitlist place (the session is locked by the caller), and tell."""
    taken, by_group = seat_counts(session.id)
    now = utcnow()
    if _has_room(session, taken, by_group, registration.stakeholder_type):
        registration.status = "confirmed"
        registration.confirmed_at = now
        db.session.flush()
        mail.registration_confirmed(registration)
    else:
        registration.status = "waitlisted"
        registration.waitlisted_at = now
        db.session.flush()
        mail.registration_waitlisted(registration, waitlist_position(registration))


def remind_guest(registration: Registration) -> None:
    """A guest registered again with an address already registered: the owner of the address
    gets the link they need again (the confirmation link while it is unconfirmed, else their
    place with the ticket link), and the visitor is told only "check your e-mail"."""
    if registration.status == "pending":
        mail.guest_confirmation(registration, guest_token(registration))
    elif registration.status == "waitlisted":
        mail.registration_waitlisted(registration, waitlist_position(registration))
    elif registration.has_seat:
        mail.registration_confirmed(registration)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=GUEST_SALT)


def guest_token(registration: Registration) -> str:
    """The signed token of a guest's e-mail confirmation link."""
    return _serializer().dumps(registration.token)


def confirm_guest(token: str) -> Registration:
    """Follow a guest's confirmation link: the registration gets a seat or a waitlist place
    (following the link again changes nothing). An expired link leaves the registration
    expired, so the guest registers again; a forged one is refused."""
    try:
        secret, signed_at = _serializer().loads(token, return_timestamp=True)
    except SignatureExpired as error:
        registration = _by_token(error.payload and _serializer().load_payload(error.payload))
        if registration is not None and registration.status == "pending":
            registration.status = "expired"
            db.session.flush()
        raise RegistrationError(LINK_EXPIRED, code="expired") from None
    except BadSignature:
        raise RegistrationError(LINK_INVALID, code="invalid") from None
    registration = _by_token(secret)
    if registration is None:
        raise RegistrationError(LINK_INVALID, code="invalid")
    if registration.status != "pending":
        if registration.status == "expired":
            raise RegistrationError(LINK_EXPIRED, code="expired")
        return registration  # already confirmed (or cancelled since): nothing to do
    hours = settings_for(registration.process_id).guest_confirmation_hours
    if signed_at < utcnow() - timedelta(hours=hours):
        registration.status = "expired"
        db.session.flush()
        raise RegistrationError(LINK_EXPIRED, code="expired")
    session = lock_session(registration.session)
    if session.registration_phase != "open":
        registration.status = "expired"
        db.session.flush()
        raise RegistrationError(CLOSED_MESSAGES[session.registration_phase])
    registration.email_confirmed_at = utcnow()
    _seat_or_waitlist(session, registration)
    return registration


def _by_token(secret: object) -> Registration | None:
    if not isinstance(secret, str) or not secret:
        return None
    return db.session.scalars(select(Registration).where(Registration.token == secret)).first()


def registration_by_token(secret: str) -> Registration:
    """The registration behind a personal link or QR ticket; a forged token is refused."""
    registration = _by_token(secret)
    if registration is None:
        raise RegistrationError(_l("This link is not valid."))
    return registration


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first in line; None when not waitlisted."""
    if registration.status != "waitlisted":
        return None
    ahead = db.session.scalar(
        select(func.count()).select_from(Registration).where(
            Registration.session_id == registration.session_id,
            Registration.status == "waitlisted",
            or_(Registration.waitlisted_at < registration.waitlisted_at,
                and_(Registration.waitlisted_at == registration.waitlisted_at,
                     Registration.id < registration.id))))
    return int(ahead or 0) + 1


def cancel(registration: Registration, *, by: str = "participant") -> list[Registration]:
    """Cancel a registration; returns the people promoted from the waitlist in the same
    transaction. Cancelling twice is refused; a cancellation after the session started is
    recorded (`cancelled_late`) and promotes nobody."""
    session = lock_session(registration.session)
    db.session.refresh(registration)  # its status as it is now, under the lock
    if registration.status == "cancelled":
        raise RegistrationError(_l("This registration is already cancelled."),
                                registration=registration)
    if registration.status not in ("pending", "confirmed", "waitlisted"):
        raise RegistrationError(_l("This registration can no longer be cancelled."),
                                registration=registration)
    if session.has_ended:
        # The personal link has expired with the session: attendance is the record now.
        raise RegistrationError(_l("This session has already taken place: there is nothing "
                                   "left to cancel."), registration=registration)
    had_seat = registration.has_seat
    now = utcnow()
    registration.status = "cancelled"
    registration.cancelled_at = now
    registration.cancelled_by = by
    registration.cancelled_late = session.starts_at <= now
    db.session.flush()
    if registration.email_confirmed_at is not None:  # an unconfirmed address is never written to
        if by == "participant":
            mail.registration_cancelled(registration)
        else:
            mail.cancelled_by_organiser(registration)
    if had_seat and not registration.cancelled_late and not session.is_cancelled:
        return promote_waitlisted(session)
    return []


def promote_waitlisted(session: LabSession) -> list[Registration]:
    """Give the freed seats to the waitlist in arrival order (the session is locked). Where the
    session caps groups, someone whose group is full stays in line and the next person whose
    group has room moves up. Each promoted person is told and sees the online link."""
    if session.has_started or session.is_cancelled:
        return []
    taken, by_group = seat_counts(session.id)
    promoted: list[Registration] = []
    if taken >= session.capacity:
        return promoted
    waiting = db.session.scalars(
        select(Registration).where(Registration.session_id == session.id,
                                   Registration.status == "waitlisted")
        .order_by(Registration.waitlisted_at, Registration.id)
    ).all()
    now = utcnow()
    for registration in waiting:
        if taken >= session.capacity:
            break
        if not _has_room(session, taken, by_group, registration.stakeholder_type):
            continue
        registration.status = "confirmed"
        registration.confirmed_at = now
        registration.promoted_at = now
        taken += 1
        by_group[registration.stakeholder_type] = by_group.get(
            registration.stakeholder_type, 0) + 1
        promoted.append(registration)
    db.session.flush()
    for registration in promoted:
        mail.registration_promoted(registration)
    return promoted


def change_capacity(session: LabSession, capacity: int,
                    caps: dict[str, int] | None = None) -> CapacityChange:
    """Set the session's capacity (and group caps, when given). Raising it promotes as many
    waitlisted people as now fit; lowering it below the seats held drops nobody and promotes
    nobody — `over_capacity` says by how many, for the organiser's warning."""
    session = lock_session(session)
    session.capacity = capacity
    if caps is not None:
        session.stakeholder_caps = caps
    db.session.flush()
    taken, _ = seat_counts(session.id)
    if taken > capacity:
        return CapacityChange(over_capacity=taken - capacity)
    return CapacityChange(promoted=promote_waitlisted(session))


CHECK_IN_OPENS_BEFORE = timedelta(hours=2)
CHECK_IN_CLOSES_AFTER = timedelta(hours=12)
SEARCH_RESULTS_MAX = 30


def check_in_refusal(session: LabSession, now: datetime | None = None) -> Any:
    """Why nobody can be checked in at `session` now, or None when they can: the session is
    cancelled, or it is earlier than OPENS_BEFORE its start or later than CLOSES_AFTER its
    end. The reason is a lazy message (None when check-in is open)."""
    now = now or utcnow()
    if session.is_cancelled:
        return _l("This session has been cancelled.")
    if now < session.starts_at - CHECK_IN_OPENS_BEFORE:
        return _l("Check-in opens 2 hours before the session starts.")
    if now > session.ends_at + CHECK_IN_CLOSES_AFTER:
        return _l("Check-in closed 12 hours after the session ended.")
    return None


def door_counts(session: LabSession) -> dict[str, int]:
    """attended, seated (confirmed, attended and no-show) and capacity: one query."""
    by_status = dict(db.session.execute(
        select(Registration.status, func.count())
        .where(Registration.session_id == session.id,
               Registration.status.in_(SEATED_STATUSES))
        .group_by(Registration.status)).all())
    return {"attended": by_status.get("attended", 0),
            "seated": sum(by_status.values()),
            "capacity": session.capacity}


def search_seated(session: LabSession, query: str) -> list[Registration]:
    """The people holding a seat whose name contains every word of `query`, folded (case and
    diacritics: "stefan" finds "Ștefan"). A session's list is small (its capacity), so it is
    read once and matched here."""
    words = fold(query).split()
    if not words:
        return []
    rows = db.session.scalars(
        select(Registration)
        .where(Registration.session_id == session.id,
               Registration.status.in_(SEATED_STATUSES))
        .order_by(Registration.name, Registration.id)).all()
    found = []
    for registration in rows:
        name = fold(registration.name or "")
        if all(word in name for word in words):
            found.append(registration)
            if len(found) >= SEARCH_RESULTS_MAX:
                break
    return found


def check_in(session: LabSession, ticket: str, actor: User) -> tuple[Registration, bool]:
    """Mark a ticket's holder as attended: by the QR code's token or the typed code. Returns
    the registration and whether it had been checked in already (a ticket scanned twice is
    shown as such, not counted twice). Tickets of other sessions and people without a seat are
    refused."""
    _check_in_open(session)
    value = (ticket or "").strip()
    if not value:
        raise RegistrationError(_l("Scan a ticket or type its code."), "code")
    registration = db.session.scalars(select(Registration).where(
        Registration.session_id == session.id,
        or_(Registration.token == value, Registration.code == normalise_code(value))
    )).first()
    if registration is None:
        raise RegistrationError(_l("No ticket with this code for this session."), "code")
    return registration, check_in_person(registration, actor)


def check_in_person(registration: Registration, actor: User) -> bool:
    """Mark one person as attended (a ticket read, or the button beside a name found at the
    door); True when they had been checked in already, which changes nothing. Someone without
    a seat (waitlisted, cancelled, unconfirmed) is refused."""
    _check_in_open(registration.session)
    if registration.status == "attended":
        return True
    if registration.status not in ("confirmed", "no_show"):
        raise RegistrationError(
            _l("%(name)s has no confirmed place (%(status)s).", name=registration.name,
               status=_Later(lambda: registration.status_label)), "code",
            registration=registration)
    mark_attended(registration, actor)
    return False


def _check_in_open(session: LabSession) -> None:
    refusal = check_in_refusal(session)
    if refusal is not None:
        raise RegistrationError(refusal)


def mark_attended(registration: Registration, actor: User) -> None:
    _check_in_open(registration.session)
    registration.status = "attended"
    registration.checked_in_at = utcnow()
    registration.checked_in_by_id = actor.id
    db.session.flush()


def undo_check_in(registration: Registration) -> None:
    """A check-in made by mistake: the person is confirmed again."""
    _check_in_open(registration.session)
    if registration.status != "attended":
        raise RegistrationError(_l("This person is not checked in."))
    registration.status = "confirmed"
    registration.checked_in_at = None
    registration.checked_in_by_id = None
    db.session.flush()


def add_walk_in(session: LabSession, *, name: str, stakeholder_type: str, actor: User,
                over_capacity: bool = False) -> Registration:
    """Someone who came without registering, added at the door as attended. A walk-in takes a
    seat; when none is left the organiser must say so (`over_capacity`) — the room is theirs to
    judge, but nobody exceeds the capacity by accident."""
    name = (name or "").strip()
    if not name:
        raise RegistrationError(_l("Please give the person's name."), "name")
    if len(name) > NAME_MAX:
        raise RegistrationError(
            _l("The name is too long (at most %(limit)s characters).", limit=NAME_MAX), "name")
    if stakeholder_type not in STAKEHOLDER_TYPES:
        raise RegistrationError(_l("Choose who the person takes part as."), "stakeholder_type")
    _check_in_open(session)
    session = lock_session(session)
    taken, _ = seat_counts(session.id)
    if taken >= session.capacity and not over_capacity:
        raise RegistrationError(
            _l("The session is full. Confirm that you add this person above the capacity."),
            "over_capacity")
    now = utcnow()
    registration = Registration(
        session_id=session.id, process_id=session.process_id, name=name,
        stakeholder_type=stakeholder_type, language=session.language[:2], channel="walk_in",
        status="attended", token=secrets.token_urlsafe(24), code=_new_code(session.id),
        answers={}, confirmed_at=now, checked_in_at=now, checked_in_by_id=actor.id,
    )
    db.session.add(registration)
    db.session.flush()
    return registration


def mark_no_shows(session: LabSession) -> int:
    """After the session: the confirmed people who were not checked in become no-shows (their
    seat stays counted). Returns how many."""
    if not session.has_started:
        raise RegistrationError(_l("Attendance can be closed only once the session has "
                                   "started."))
    rows = db.session.scalars(select(Registration).where(
        Registration.session_id == session.id, Registration.status == "confirmed")).all()
    for registration in rows:
        registration.status = "no_show"
    db.session.flush()
    return len(rows)


def cancel_session(session: LabSession, reason: str) -> int:
    """The organisers cancel the session: every registration still active is cancelled and
    each person is told, with a calendar update that removes the event (METHOD:CANCEL).
    Returns how many people were told."""
    session = lock_session(session)
    if session.is_cancelled:
        raise RegistrationError(_l("This session is already cancelled."))
    session.status = "cancelled"
    session.cancelled_at = utcnow()
    session.cancel_reason = (reason or "").strip()
    session.ics_sequence += 1
    rows = db.session.scalars(select(Registration).where(
        Registration.session_id == session.id,
        Registration.status.in_(("pending", "confirmed", "waitlisted")))).all()
    now = utcnow()
    for registration in rows:
        registration.status = "cancelled"
        registration.cancelled_at = now
        registration.cancelled_by = "organiser"
    db.session.flush()
    told = 0
    for registration in rows:
        if registration.email_confirmed_at is not None:
            mail.session_cancelled(registration)
            told += 1
    return told


def delete_session(session: LabSession) -> None:
    """Delete a session nobody ever registered for; one with registrations is refused (cancel
    it instead: people must be told, and the attendance record stays)."""
    session = lock_session(session)
    has_any = db.session.scalar(select(Registration.id).where(
        Registration.session_id == session.id).limit(1))
    if has_any is not None:
        raise RegistrationError(_l("This session has registrations, so it cannot be deleted. "
                                   "Cancel it instead: everyone registered is told."))
    db.session.delete(session)
    db.session.flush()


def overlapping(registration: Registration) -> list[LabSession]:
    """The person's other active registrations at sessions whose times overlap this one's (a
    warning for the participant, not a refusal)."""
    session = registration.session
    person = (Registration.user_id == registration.user_id) if registration.user_id else (
        Registration.email == registration.email)
    if registration.user_id is None and registration.email is None:
        return []
    return list(db.session.scalars(
        select(LabSession).join(Registration, Registration.session_id == LabSession.id)
        .where(person, Registration.id != registration.id,
               Registration.status.in_(("pending", "confirmed", "waitlisted")),
               LabSession.status == "scheduled",
               LabSession.starts_at < session.ends_at, LabSession.ends_at > session.starts_at)
        .order_by(LabSession.starts_at)
    ))


def expire_unconfirmed(now: datetime | None = None) -> int:
    """Guests' registrations whose e-mail was not confirmed within the living lab's time
    become "expired": they never held a seat, and the address may register afresh. Returns how
    many."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Registration, LabSettings.guest_confirmation_hours)
        .outerjoin(LabSettings, LabSettings.process_id == Registration.process_id)
        .where(Registration.status == "pending")).all()
    expired = 0
    for registration, hours in rows:
        if registration.created_at + timedelta(hours=hours or 48) <= now:
            registration.status = "expired"
            expired += 1
    db.session.flush()
    return expired


def purge_sensitive_answers(now: datetime | None = None) -> int:
    """Delete accessibility and dietary needs (possibly health data) once the session ended
    more than the living lab's retention ago. Returns how many registrations were purged."""
    now = now or utcnow()
    candidates = db.session.execute(
        select(Registration, LabSession.ends_at, LabSettings.accessibility_retention_days)
        .join(LabSession, LabSession.id == Registration.session_id)
        .outerjoin(LabSettings, LabSettings.process_id == Registration.process_id)
        .where(Registration.personal_data_purged_at.is_(None), LabSession.ends_at < now)
    ).all()
    purged = 0
    for registration, ends_at, days in candidates:
        if ends_at + timedelta(days=30 if days is None else days) > now:
            continue
        answers = dict(registration.answers or {})
        answers.pop("accessibility", None)
        answers.pop("dietary", None)
        registration.answers = answers
        registration.accessibility_consent = False
        registration.personal_data_purged_at = now
        purged += 1
    db.session.flush()
    return purged
