"""A living lab's sessions and the registrations for them.

A *livinglab* process holds sessions (`LabSession`): workshops, site visits, webinars, national
working meetings. Each has ro/en texts, a format (on site, online, hybrid) with a place and/or an
online link — the link is shown only to confirmed participants — its times in UTC (shown in
Europe/Bucharest), a language, a capacity, a registration window, the stakeholder groups it is
for (optionally with a cap of seats per group, so one group cannot fill the room), accessibility
information, the living-lab phase it belongs to, the optional questions its registration form
asks (QUESTIONS), and after it took place its outcome notes and attachments (`LabAttachment`).
A session cancelled by the organisers keeps its row (`status` "cancelled"); `ics_sequence` is
raised by every change people's calendars must follow (iCalendar SEQUENCE).

A registration (`Registration`) is one person's place at one session, by an account (`user_id`)
or as a guest (`email`, stored lower-cased, confirmed by a link: status "pending" until then).
Its status is one of STATUSES. At most one *active* registration per person per session is held
by partial unique indexes (per user, per guest e-mail) over ACTIVE_STATUSES, so re-registering
after cancelling is allowed. Seats are given in `services` under a lock of the session row:
never more confirmed (or attended) than `capacity`; the rest wait in arrival order
(`waitlisted_at`, then id). `token` is the opaque secret behind the personal cancel link and the
QR ticket, and `code` the short ticket code typed at the door as a fallback; neither carries
personal data. `answers` holds the answers to the session's optional questions (personal data:
organisers only); accessibility needs are asked only with explicit consent
(`accessibility_consent`) and deleted a set time after the session (`personal_data_purged_at`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.accounts.models import EMAIL_MAX, User
from engage.core.db import TimestampMixin, sql_values, utcnow
from engage.extensions import db
from engage.processes.models import Process, ProcessScoped

TITLE_MAX = 200
ADDRESS_MAX = 300
URL_MAX = 500
NAME_MAX = 120
ANSWER_MAX = 500
ACCESSIBILITY_MAX = 1000
CAPACITY_MAX = 100_000
CODE_LENGTH = 8
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10

FORMATS = {
    "onsite": _l("On site"),
    "online": _l("Online"),
    "hybrid": _l("Hybrid (on site and online)"),
}
LANGUAGES = {
    "ro": _l("Romanian"),
    "en": _l("English"),
    "ro_en": _l("Romanian and English"),
}
# The phases of a living lab's cycle (the ENoLL "co-create, explore, experiment, evaluate").
LAB_PHASES = {
    "co_create": _l("Co-create"),
    "explore": _l("Explore"),
    "experiment": _l("Experiment"),
    "evaluate": _l("Evaluate"),
}
SESSION_STATUSES = {
    "scheduled": _l("Scheduled"),
    "cancelled": _l("Cancelled"),
}
# Optional questions of a session's registration form; every answer is personal data.
QUESTIONS = {
    "organisation": _l("Organisation"),
    "dietary": _l("Dietary needs"),
    "accessibility": _l("Accessibility needs"),
    "photo_consent": _l("Consent to being photographed"),
}
STATUSES = {
    "pending": _l("Waiting for e-mail confirmation"),
    "confirmed": _l("Confirmed"),
    "waitlisted": _l("Waitlisted"),
    "cancelled": _l("Cancelled"),
    "attended": _l("Attended"),
    "no_show": _l("Did not come"),
    "expired": _l("Not confirmed in time"),
}
# A person holds at most one registration in these states per session.
ACTIVE_STATUSES = ("pending", "confirmed", "waitlisted", "attended", "no_show")
# These hold a seat.
SEATED_STATUSES = ("confirmed", "attended", "no_show")
CHANNELS = {
    "online": _l("Online"),
    "walk_in": _l("Walk-in at the door"),
}

_ACTIVE_SQL = f"status IN ({sql_values(ACTIVE_STATUSES)})"


class LabSession(ProcessScoped, TimestampMixin, db.Model):
    __tablename__ = "lab_session"
    __table_args__ = (
        CheckConstraint(f"format IN ({sql_values(FORMATS)})", name="format"),
        CheckConstraint(f"language IN ({sql_values(LANGUAGES)})", name="language"),
        CheckConstraint(f"lab_phase IN ({sql_values(LAB_PHASES)})", name="lab_phase"),
        CheckConstraint(f"status IN ({sql_values(SESSION_STATUSES)})", name="status"),
        CheckConstraint("ends_at > starts_at", name="times"),
        CheckConstraint(f"capacity >= 1 AND capacity <= {CAPACITY_MAX}", name="capacity"),
        CheckConstraint("registration_closes_at IS NULL OR registration_opens_at IS NULL"
                        " OR registration_closes_at > registration_opens_at",
                        name="registration_window"),
        Index("ix_lab_session_process_start", "process_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"))
    title_ro: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    description_ro: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(10), default="onsite")
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    online_url: Mapped[str] = mapped_column(String(URL_MAX), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    language: Mapped[str] = mapped_column(String(5), default="ro")
    capacity: Mapped[int] = mapped_column(default=30)
    # None: registration opens when the process is published / closes when the session starts.
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    # Stakeholder types (accounts.STAKEHOLDER_TYPES) the session is for; empty: everyone.
    stakeholder_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Optional {stakeholder type: most seats that group may hold}.
    stakeholder_caps: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    step_free_access: Mapped[bool] = mapped_column(Boolean, default=False)
    interpreting: Mapped[bool] = mapped_column(Boolean, default=False)
    accessibility_ro: Mapped[str] = mapped_column(Text, default="")
    accessibility_en: Mapped[str] = mapped_column(Text, default="")
    lab_phase: Mapped[str] = mapped_column(String(20), default="co_create")
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)  # keys of QUESTIONS
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    outcome_ro: Mapped[str] = mapped_column(Text, default="")
    outcome_en: Mapped[str] = mapped_column(Text, default="")
    outcome_published_at: Mapped[datetime | None]
    ics_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    process: Mapped[Process] = relationship()
    attachments: Mapped[list[LabAttachment]] = relationship(
        back_populates="session", order_by="LabAttachment.id", cascade="all, delete-orphan")

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def has_started(self) -> bool:
        return self.starts_at <= utcnow()

    @property
    def has_ended(self) -> bool:
        return self.ends_at <= utcnow()

    @property
    def opens_registration_at(self) -> datetime:
        return self.registration_opens_at or self.process.opens_at

    @property
    def closes_registration_at(self) -> datetime:
        return self.registration_closes_at or self.starts_at

    @property
    def registration_phase(self) -> str:
        """upcoming, open, closed or cancelled: whether people can register now."""
        if self.is_cancelled:
            return "cancelled"
        now = utcnow()
        if self.process.status != "published" or now >= self.closes_registration_at:
            return "closed"
        if now < self.opens_registration_at:
            return "upcoming"
        return "open"

    @property
    def is_in_person(self) -> bool:
        return self.format in ("onsite", "hybrid")

    @property
    def is_remote(self) -> bool:
        return self.format in ("online", "hybrid")

    @property
    def format_label(self) -> str:
        return str(FORMATS.get(self.format, self.format))

    @property
    def language_label(self) -> str:
        return str(LANGUAGES.get(self.language, self.language))

    @property
    def lab_phase_label(self) -> str:
        return str(LAB_PHASES.get(self.lab_phase, self.lab_phase))

    @property
    def status_label(self) -> str:
        return str(SESSION_STATUSES.get(self.status, self.status))

    def __repr__(self) -> str:
        return f"<LabSession {self.id} {self.title_ro or self.title_en!r}>"


class Registration(TimestampMixin, db.Model):
    __tablename__ = "lab_registration"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(STATUSES)})", name="status"),
        CheckConstraint(f"channel IN ({sql_values(CHANNELS)})", name="channel"),
        CheckConstraint("user_id IS NOT NULL OR email IS NOT NULL OR channel = 'walk_in'",
                        name="person"),
        # One active registration per account and per guest e-mail (stored lower-cased).
        Index("uq_lab_registration_user_active", "session_id", "user_id", unique=True,
              sqlite_where=text(f"user_id IS NOT NULL AND {_ACTIVE_SQL}"),
              postgresql_where=text(f"user_id IS NOT NULL AND {_ACTIVE_SQL}")),
        Index("uq_lab_registration_email_active", "session_id", "email", unique=True,
              sqlite_where=text(f"email IS NOT NULL AND {_ACTIVE_SQL}"),
              postgresql_where=text(f"email IS NOT NULL AND {_ACTIVE_SQL}")),
        UniqueConstraint("token", name="uq_lab_registration_token"),
        UniqueConstraint("session_id", "code", name="uq_lab_registration_code"),
        Index("ix_lab_registration_session_status", "session_id", "status"),
        Index("ix_lab_registration_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("lab_session.id", ondelete="CASCADE"))
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"),
                                            index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))  # guests only, lower-cased
    name: Mapped[str] = mapped_column(String(NAME_MAX), default="")
    stakeholder_type: Mapped[str] = mapped_column(String(30), default="citizen")
    language: Mapped[str] = mapped_column(String(5), default="ro")  # for the e-mails
    channel: Mapped[str] = mapped_column(String(10), default="online")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    token: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    accessibility_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    email_confirmed_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    waitlisted_at: Mapped[datetime | None]
    promoted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_late: Mapped[bool] = mapped_column(Boolean, default=False)  # after the start
    cancelled_by: Mapped[str] = mapped_column(String(20), default="")  # participant, organiser
    checked_in_at: Mapped[datetime | None]
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    personal_data_purged_at: Mapped[datetime | None]

    session: Mapped[LabSession] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def has_seat(self) -> bool:
        return self.status in SEATED_STATUSES

    @property
    def status_label(self) -> str:
        return str(STATUSES.get(self.status, self.status))

    @property
    def contact_email(self) -> str | None:
        """Where this person's e-mails go: the guest's address or the account's."""
        if self.email:
            return self.email
        return self.user.email if self.user is not None else None

    @classmethod
    def city_scope(cls, city: Any):  # noqa: ANN206
        return cls.process_id.in_(select(Process.id).where(Process.city_id == city.id))

    def __repr__(self) -> str:
        return f"<Registration {self.id} session={self.session_id} {self.status}>"


class LabAttachment(db.Model):
    """A file published with a session's outcome (minutes, slides, photos)."""

    __tablename__ = "lab_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("lab_session.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(default=0)
    storage_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[LabSession] = relationship(back_populates="attachments")


class LabSettings(ProcessScoped, db.Model):
    """A living lab's settings: how long personal data of a session is kept after it."""

    __tablename__ = "lab_settings"
    __table_args__ = (
        CheckConstraint("accessibility_retention_days BETWEEN 0 AND 365",
                        name="accessibility_retention"),
        CheckConstraint("guest_confirmation_hours BETWEEN 1 AND 168", name="guest_confirmation"),
    )

    process_id: Mapped[int] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), primary_key=True)
    accessibility_retention_days: Mapped[int] = mapped_column(default=30)
    guest_confirmation_hours: Mapped[int] = mapped_column(default=48)
