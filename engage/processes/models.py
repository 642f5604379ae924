"""The Process base shared by every kind, and the Contribution spine of all citizen input."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.accounts.models import User
from engage.cities.models import City
from engage.cities.themes import theme_label
from engage.core.db import TimestampMixin, sql_values, utcnow
from engage.extensions import db

# Organisers write, and citizens read, times in Romania's wall-clock time; the database keeps UTC.

KINDS = {
    "consultation": _l("Consultation"),
    "ideas": _l("Ideas"),
    "science": _l("Citizen science"),
    "livinglab": _l("Living lab"),
}
# What a citizen does in each kind: said on the generic process page until the kind's own
# participation part (a later feature) takes that place.
KIND_PARTICIPATION = {
    "consultation": _l("In a consultation you answer a questionnaire."),
    "ideas": _l("In an ideas process you submit ideas, support other people's ideas and comment."),
    "science": _l(
        "In a citizen-science process you submit field observations: values, photos and places."
    ),
    "livinglab": _l(
        "In a living lab you sign up for sessions: workshops, co-design meetings and webinars."
    ),
}
STATUSES = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "closed": _l("Closed"),
    "archived": _l("Archived"),
}
PUBLIC_STATUSES = ("published", "closed", "archived")
MODERATION_MODES = {
    "post": _l("Post-moderation: input appears at once and is reviewed afterwards"),
    "pre": _l("Pre-moderation: input appears only after a moderator approves it"),
}
PHASES = {
    "draft": _l("Draft"),
    "upcoming": _l("Opens soon"),
    "open": _l("Open"),
    "closed": _l("Closed"),
    "archived": _l("Archived"),
}


class Process(TimestampMixin, db.Model):
    __tablename__ = "process"
    __table_args__ = (
        UniqueConstraint("city_id", "slug"),
        CheckConstraint(
            "kind IN ('consultation', 'ideas', 'science', 'livinglab')", name="kind"
        ),
        CheckConstraint("status IN ('draft', 'published', 'closed', 'archived')", name="status"),
        CheckConstraint("moderation_mode IN ('pre', 'post')", name="moderation_mode"),
        CheckConstraint("closes_at IS NULL OR closes_at > opens_at", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(80))
    title_ro: Mapped[str] = mapped_column(String(200), default="")
    title_en: Mapped[str] = mapped_column(String(200), default="")
    description_ro: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    moderation_mode: Mapped[str] = mapped_column(String(10), default="post")
    published_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    city: Mapped[City] = relationship()

    @hybrid_property
    def is_open(self) -> bool:
        """Published, and now is between its opening and closing times."""
        now = utcnow()
        return (
            self.status == "published"
            and self.opens_at <= now
            and (self.closes_at is None or self.closes_at > now)
        )

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls):  # noqa: ANN206
        now = utcnow()
        return and_(
            cls.status == "published",
            cls.opens_at <= now,
            or_(cls.closes_at.is_(None), cls.closes_at > now),
        )

    @hybrid_property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @is_public.inplace.expression
    @classmethod
    def _is_public_expression(cls):  # noqa: ANN206
        return cls.status.in_(PUBLIC_STATUSES)

    @property
    def phase(self) -> str:
        """draft, upcoming, open, closed or archived: what a visitor can do now."""
        if self.status in ("draft", "archived"):
            return self.status
        if self.status == "closed":
            return "closed"
        now = utcnow()
        if self.opens_at > now:
            return "upcoming"
        if self.closes_at is not None and self.closes_at <= now:
            return "closed"
        return "open"

    @property
    def phase_label(self) -> str:
        return str(PHASES[self.phase])

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))

    @property
    def kind_participation(self) -> str:
        return str(KIND_PARTICIPATION.get(self.kind, ""))

    @property
    def theme_labels(self) -> list[str]:
        return [theme_label(code) for code in self.themes or ()]

    @property
    def moderation_label(self) -> str:
        return str(MODERATION_MODES.get(self.moderation_mode, self.moderation_mode))

    @property
    def status_label(self) -> str:
        return str(STATUSES.get(self.status, self.status))

    def __repr__(self) -> str:
        return f"<Process {self.id} {self.kind}:{self.slug}>"


class ProcessScoped:
    """For models that belong to a city through their `process_id`: `core.tenancy` scopes them
    with this condition."""

    @classmethod
    def city_scope(cls, city: Any):  # noqa: ANN206
        return cls.process_id.in_(select(Process.id).where(Process.city_id == city.id))


CONTRIBUTION_STATUSES = ("pending", "published", "hidden", "rejected", "deleted")


class Contribution(db.Model):
    """One piece of citizen input of any kind (idea, comment, answer, observation, note).

    Each kind's own row links to its contribution one-to-one, so moderation, citations,
    clustering, own-data downloads and participation figures read this table alone.
    """

    __tablename__ = "contribution"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'published', 'hidden', 'rejected', 'deleted')", name="status"
        ),
        # Counting a process's published input of one kind (the ideas list) reads this alone.
        Index("ix_contribution_process_kind_status", "process_id", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    process_id: Mapped[int] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), index=True
    )
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str] = mapped_column(String(5), default="ro")
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    process: Mapped[Process] = relationship()
    author: Mapped[User | None] = relationship()


# Why a citizen reports a piece of input.
REPORT_REASONS = {
    "spam": _l("Spam or advertising"),
    "offensive": _l("Offensive or abusive"),
    "personal_data": _l("Reveals personal data"),
    "off_topic": _l("Off topic"),
}


class Report(db.Model):
    """A citizen flags a piece of input (an idea, a comment, an answer, an observation…) for the
    moderators.

    The target is its Contribution, so the moderation desk reads reports without knowing the
    kinds; one report per person per target.
    """

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("reporter_id", "contribution_id"),
        CheckConstraint(f"reason IN ({sql_values(REPORT_REASONS)})", name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), index=True
    )
    process_id: Mapped[int] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), index=True
    )
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]

    contribution: Mapped[Contribution] = relationship()

    @property
    def reason_label(self) -> str:
        return str(REPORT_REASONS.get(self.reason, self.reason))
