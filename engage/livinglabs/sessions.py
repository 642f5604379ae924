"""The organisers' session services: creating and editing a living lab's sessions, and the
living lab's settings.

Every value is checked here whatever the caller (the form checks what was typed; these rules
hold for any caller): a title in at least one language, a format with the place and/or the
online link it needs (http or https only), a map point both or neither and in range, times in
order (a new session in the future), a capacity within bounds, a registration window that
closes no later than the session starts, stakeholder groups, caps, language, phase and
questions among the known ones. A refusal raises `SessionError` (a `RegistrationError`: the
message for the organiser and the field it concerns) and stores nothing.

Editing a session that people registered for keeps them informed: a capacity or cap change goes
through `services.change_capacity` (raising it promotes the waitlist in order; lowering it
drops nobody and reports how many are over), and a change of the time, place, format or online
link raises the session's `ics_sequence` and e-mails everyone confirmed or waitlisted an
updated calendar event with the list of changes. A cancelled session cannot be edited.

Services flush and never commit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engage.accounts.models import STAKEHOLDER_TYPES, User
from engage.core.db import utcnow
from engage.core.i18n import LOCAL_TIMEZONE
from engage.extensions import db
from engage.livinglabs import mail, services
from engage.livinglabs.models import (
    ACCESSIBILITY_MAX,
    ADDRESS_MAX,
    CAPACITY_MAX,
    FORMATS,
    LAB_PHASES,
    LANGUAGES,
    QUESTIONS,
    TITLE_MAX,
    URL_MAX,
    LabSession,
    LabSettings,
)
from engage.livinglabs.services import CapacityChange, RegistrationError
from engage.processes.models import Process

DESCRIPTION_MAX = 20_000
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
RETENTION_DAYS_MAX = 365
CONFIRMATION_HOURS_MIN = 1
CONFIRMATION_HOURS_MAX = 168

TEXT_FIELDS = {
    "title_ro": TITLE_MAX, "title_en": TITLE_MAX,
    "description_ro": DESCRIPTION_MAX, "description_en": DESCRIPTION_MAX,
    "address": ADDRESS_MAX, "online_url": URL_MAX,
    "accessibility_ro": ACCESSIBILITY_MAX, "accessibility_en": ACCESSIBILITY_MAX,
}
# Every value a session takes from the organisers, with its default for a new session.
DEFAULTS: dict[str, Any] = {
    "title_ro": "", "title_en": "", "description_ro": "", "description_en": "",
    "format": "onsite", "address": "", "lat": None, "lon": None, "online_url": "",
    "starts_at": None, "ends_at": None, "language": "ro", "capacity": 30,
    "registration_opens_at": None, "registration_closes_at": None,
    "stakeholder_groups": [], "stakeholder_caps": {}, "step_free_access": False,
    "interpreting": False, "accessibility_ro": "", "accessibility_en": "",
    "lab_phase": "co_create", "questions": [],
}
# Changes people's calendars must follow (and which they are told about).
NOTIFIED_FIELDS = ("starts_at", "ends_at", "address", "format", "online_url")


class SessionError(RegistrationError):
    """A session's values refused: `message` for the organiser, `field` the value concerned."""


@dataclass
class SessionUpdate:
    """What an edit did: the capacity change (promotions, over-capacity warning), the changes
    people were told about and how many were told."""

    session: LabSession
    capacity: CapacityChange = field(default_factory=CapacityChange)
    changes: list[Change] = field(default_factory=list)
    notified: int = 0


class Change:
    """One human-readable change, rendered in the language of whoever reads it (an e-mail is
    rendered in its recipient's language, so the text is made only when shown)."""

    def __init__(self, kind: str, session: LabSession) -> None:
        self.kind = kind
        self.starts_at = session.starts_at
        self.ends_at = session.ends_at
        self.address = session.address
        self.format = session.format
        self.online_url = session.online_url

    def __str__(self) -> str:
        if self.kind == "time":
            return _("New time: %(start)s to %(end)s (Romania's time)",
                     start=format_datetime(self.starts_at, "d MMMM yyyy, HH:mm"),
                     end=format_datetime(self.ends_at, "d MMMM yyyy, HH:mm"))
        if self.kind == "address":
            return _("New place: %(address)s", address=self.address or "–")
        if self.kind == "format":
            return _("New format: %(format)s", format=str(FORMATS.get(self.format, self.format)))
        return _("The online link has changed; it is on your ticket page.")

    def __repr__(self) -> str:
        return f"<Change {self.kind}>"


# ---------------------------------------------------------------- checking


def _text(values: dict[str, Any], name: str) -> str:
    value = values.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SessionError(_l("This value is not valid."), name)
    value = value.strip()
    limit = TEXT_FIELDS[name]
    if len(value) > limit:
        raise SessionError(_l("This text is too long (at most %(limit)s characters).",
                              limit=limit), name)
    return value


def check_online_url(value: str) -> str:
    """An http(s) address, or SessionError (javascript:, data:, relative links are refused)."""
    if not value:
        return ""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise SessionError(_l("Enter a web address starting with https:// or http://."),
                           "online_url")
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise SessionError(_l("Enter a web address starting with https:// or http://."),
                           "online_url")
    return value


def _time(value: Any, name: str, required: bool) -> datetime | None:
    if value is None or value == "":
        if required:
            raise SessionError(_l("Enter a date and time."), name)
        return None
    if not isinstance(value, datetime):
        raise SessionError(_l("Enter a date and time."), name)
    if not EARLIEST_YEAR <= value.year < LATEST_YEAR:
        raise SessionError(_l("Enter a date between %(first)s and %(last)s.",
                              first=EARLIEST_YEAR, last=LATEST_YEAR - 1), name)
    if value.tzinfo is None:  # wall-clock time in Romania
        value = value.replace(tzinfo=LOCAL_TIMEZONE)
    return value.astimezone(UTC)


def _coordinate(value: Any, name: str, limit: float) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SessionError(_l("Enter a number."), name) from None
    if isinstance(value, bool) or not math.isfinite(number) or not -limit <= number <= limit:
        raise SessionError(_l("Enter a number from %(low)s to %(high)s.",
                              low=-limit, high=limit), name)
    return number


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise SessionError(_l("Enter a whole number."), name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SessionError(_l("Enter a whole number."), name) from None
    if isinstance(value, float) and value != number:
        raise SessionError(_l("Enter a whole number."), name)
    return number


def _keys(value: Any, allowed: Mapping[str, Any], name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise SessionError(_l("Choose among the options listed."), name)
    chosen = []
    for key in value:
        if key not in allowed:
            raise SessionError(_l("Choose among the options listed."), name)
        if key not in chosen:
            chosen.append(key)
    return chosen


def _same_minute(value: Any, current: datetime | None) -> Any:
    """The session's own time when `value` is that time as a form shows it (to the minute), so
    saving a form unchanged changes no time (and tells nobody)."""
    if not isinstance(value, datetime) or current is None:
        return value
    aware = value if value.tzinfo is not None else value.replace(tzinfo=LOCAL_TIMEZONE)
    if aware == current.replace(second=0, microsecond=0):
        return current
    return value


def clean_values(values: Mapping[str, Any], *, new: bool,
                 current: LabSession | None = None) -> dict[str, Any]:
    """Every session value checked and normalised (times in UTC), or SessionError. Values
    missing from `values` keep the session's own (`current`) or the defaults."""
    merged: dict[str, Any] = {}
    for name, default in DEFAULTS.items():
        if name in values:
            merged[name] = values[name]
        elif current is not None:
            merged[name] = getattr(current, name)
        else:
            merged[name] = default
    if current is not None:
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            merged[name] = _same_minute(merged[name], getattr(current, name))
    clean: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        clean[name] = _text(merged, name)
    if not (clean["title_ro"] or clean["title_en"]):
        raise SessionError(_l("Enter a title in Romanian or in English (at least one)."),
                           "title_ro")

    fmt = merged["format"]
    if fmt not in FORMATS:
        raise SessionError(_l("Choose among the options listed."), "format")
    clean["format"] = fmt
    if fmt in ("onsite", "hybrid") and not clean["address"]:
        raise SessionError(_l("Enter the address of the place."), "address")
    clean["online_url"] = check_online_url(clean["online_url"])
    if fmt in ("online", "hybrid") and not clean["online_url"]:
        raise SessionError(_l("Enter the online link (https://…)."), "online_url")

    lat = _coordinate(merged["lat"], "lat", 90)
    lon = _coordinate(merged["lon"], "lon", 180)
    if (lat is None) != (lon is None):
        raise SessionError(_l("Enter both the latitude and the longitude, or neither."),
                           "lat" if lat is None else "lon")
    clean["lat"], clean["lon"] = lat, lon

    starts = _time(merged["starts_at"], "starts_at", True)
    ends = _time(merged["ends_at"], "ends_at", True)
    assert starts is not None and ends is not None
    if ends <= starts:
        raise SessionError(_l("The session must end after it starts."), "ends_at")
    now = utcnow()
    start_changed = current is None or starts != current.starts_at
    if (new or start_changed) and starts <= now:
        raise SessionError(_l("The session must start in the future."), "starts_at")
    clean["starts_at"], clean["ends_at"] = starts, ends

    opens = _time(merged["registration_opens_at"], "registration_opens_at", False)
    closes = _time(merged["registration_closes_at"], "registration_closes_at", False)
    if closes is not None and closes > starts:
        raise SessionError(_l("Registration must close no later than the session starts."),
                           "registration_closes_at")
    if opens is not None and opens >= (closes or starts):
        raise SessionError(_l("Registration must open before it closes."),
                           "registration_opens_at")
    clean["registration_opens_at"], clean["registration_closes_at"] = opens, closes

    capacity = _int(merged["capacity"], "capacity")
    if not 1 <= capacity <= CAPACITY_MAX:
        raise SessionError(_l("Enter a capacity from 1 to %(max)s.", max=CAPACITY_MAX),
                           "capacity")
    clean["capacity"] = capacity

    groups = _keys(merged["stakeholder_groups"], STAKEHOLDER_TYPES, "stakeholder_groups")
    clean["stakeholder_groups"] = groups
    caps_value = merged["stakeholder_caps"] or {}
    if not isinstance(caps_value, Mapping):
        raise SessionError(_l("This value is not valid."), "stakeholder_caps")
    caps: dict[str, int] = {}
    for group, cap in caps_value.items():
        if cap is None or cap == "":
            continue
        if group not in STAKEHOLDER_TYPES:
            raise SessionError(_l("Choose among the options listed."), "stakeholder_caps")
        if groups and group not in groups:
            raise SessionError(
                _l("A cap is set for %(group)s, a group this session is not for.",
                   group=STAKEHOLDER_TYPES[group]), f"cap_{group}")
        number = _int(cap, f"cap_{group}")
        if not 1 <= number <= capacity:
            raise SessionError(_l("Enter a cap from 1 to the capacity (%(capacity)s).",
                                  capacity=capacity), f"cap_{group}")
        caps[group] = number
    clean["stakeholder_caps"] = caps

    if merged["language"] not in LANGUAGES:
        raise SessionError(_l("Choose among the options listed."), "language")
    clean["language"] = merged["language"]
    if merged["lab_phase"] not in LAB_PHASES:
        raise SessionError(_l("Choose among the options listed."), "lab_phase")
    clean["lab_phase"] = merged["lab_phase"]
    clean["questions"] = _keys(merged["questions"], QUESTIONS, "questions")
    clean["step_free_access"] = bool(merged["step_free_access"])
    clean["interpreting"] = bool(merged["interpreting"])
    return clean


# ---------------------------------------------------------------- services


def create_session(process: Process, values: Mapping[str, Any], actor: User | None
                   ) -> LabSession:
    """A new scheduled session of the living lab `process`, or SessionError."""
    if process.kind != "livinglab":
        raise ValueError("sessions belong to living labs")
    clean = clean_values(values, new=True)
    session = LabSession(process_id=process.id, status="scheduled",
                         created_by_id=getattr(actor, "id", None), **clean)
    db.session.add(session)
    db.session.flush()
    return session


def update_session(session: LabSession, values: Mapping[str, Any]) -> SessionUpdate:
    """Save the organisers' changes to `session` (see the module's docstring); SessionError
    when a value is refused or the session is cancelled (nothing is changed then)."""
    if session.is_cancelled:
        raise SessionError(_l("This session is cancelled, so it can no longer be edited."))
    clean = clean_values(values, new=False, current=session)
    capacity = clean.pop("capacity")
    caps = clean.pop("stakeholder_caps")
    capacity_changed = capacity != session.capacity or caps != (session.stakeholder_caps or {})

    changed_kinds: list[str] = []
    if clean["starts_at"] != session.starts_at or clean["ends_at"] != session.ends_at:
        changed_kinds.append("time")
    if clean["format"] != session.format:
        changed_kinds.append("format")
    if clean["address"] != session.address and clean["format"] in ("onsite", "hybrid"):
        changed_kinds.append("address")
    if clean["online_url"] != session.online_url and clean["format"] in ("online", "hybrid"):
        changed_kinds.append("online_url")

    for name, value in clean.items():
        setattr(session, name, value)
    if changed_kinds:
        session.ics_sequence = (session.ics_sequence or 0) + 1
    db.session.flush()

    result = SessionUpdate(session=session)
    if capacity_changed:
        # change_capacity reloads the session under its lock: the values above are flushed.
        result.capacity = services.change_capacity(session, capacity, caps)
    if changed_kinds:
        result.changes = [Change(kind, session) for kind in changed_kinds]
        promoted = {registration.id for registration in result.capacity.promoted}
        for registration in mail.recipients_of(session, ("confirmed", "waitlisted")):
            if registration.id in promoted:
                continue  # their promotion e-mail already carries the updated event
            mail.session_changed(registration, list(result.changes))
            result.notified += 1
    return result


def save_settings(process: Process, accessibility_retention_days: Any,
                  guest_confirmation_hours: Any) -> LabSettings:
    """How long accessibility and dietary answers are kept after a session (0 to 365 days) and
    how long a guest has to confirm the e-mail address (1 to 168 hours)."""
    days = _int(accessibility_retention_days, "accessibility_retention_days")
    if not 0 <= days <= RETENTION_DAYS_MAX:
        raise SessionError(_l("Enter a number of days from 0 to %(max)s.",
                              max=RETENTION_DAYS_MAX), "accessibility_retention_days")
    hours = _int(guest_confirmation_hours, "guest_confirmation_hours")
    if not CONFIRMATION_HOURS_MIN <= hours <= CONFIRMATION_HOURS_MAX:
        raise SessionError(_l("Enter a number of hours from %(min)s to %(max)s.",
                              min=CONFIRMATION_HOURS_MIN, max=CONFIRMATION_HOURS_MAX),
                           "guest_confirmation_hours")
    settings = services.settings_for(process.id)
    settings.accessibility_retention_days = days
    settings.guest_confirmation_hours = hours
    db.session.flush()
    return settings
