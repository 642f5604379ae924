"""The moderation desk's own state: each city's automatic-flag settings and blocked terms, and
the flags raised on citizen input.

The input itself is the Contribution spine (`processes.models`): its `status` is what moderators
decide, its reports (`processes.models.Report`) are what citizens raise; every decision goes to
the append-only audit table (`core.audit.ModerationAction`).

A flag (`Flag`) is raised automatically when input is written: a blocked term of the city (in
Romanian or English, matched with diacritics and case folded), more links than the city allows,
the same text posted again and again by one account, a burst of posts from one account, or as
many open reports as the city's threshold (which also hides the input until a moderator decides).
One flag per reason per input; a moderator's decision resolves them.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import sql_values, utcnow
from engage.extensions import db
from engage.processes.models import Contribution

TERM_MAX = 100
MAX_TERMS = 500

FLAG_REASONS = {
    "blocked_term": _l("Contains a blocked term"),
    "links": _l("Too many links"),
    "repeated": _l("The same text posted repeatedly"),
    "burst": _l("Many posts from one account in a short time"),
    "reports": _l("Reported by several people"),
}
TERM_LANGUAGES = {
    "any": _l("Both languages"),
    "ro": _l("Romanian"),
    "en": _l("English"),
}


class ModerationSettings(db.Model):
    """A city's automatic flags (one row per city, created with the defaults on first save)."""

    __tablename__ = "moderation_settings"
    __table_args__ = (
        CheckConstraint("report_threshold BETWEEN 0 AND 100", name="report_threshold"),
        CheckConstraint("max_links BETWEEN 0 AND 100", name="max_links"),
        CheckConstraint("repeat_count BETWEEN 0 AND 100", name="repeat_count"),
        CheckConstraint("repeat_hours BETWEEN 1 AND 720", name="repeat_hours"),
        CheckConstraint("burst_count BETWEEN 0 AND 1000", name="burst_count"),
        CheckConstraint("burst_minutes BETWEEN 1 AND 1440", name="burst_minutes"),
    )

    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"),
                                         primary_key=True)
    # This many open reports hide an item until a moderator decides (0: never).
    report_threshold: Mapped[int] = mapped_column(default=3)
    # More links than this in one text: flagged (0: any link).
    max_links: Mapped[int] = mapped_column(default=3)
    # The same text from one account this many times within repeat_hours: flagged (0: off).
    repeat_count: Mapped[int] = mapped_column(default=3)
    repeat_hours: Mapped[int] = mapped_column(default=24)
    # More than burst_count posts from one account within burst_minutes: flagged (0: off).
    burst_count: Mapped[int] = mapped_column(default=10)
    burst_minutes: Mapped[int] = mapped_column(default=10)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BlockedTerm(db.Model):
    """A word or phrase a city's moderators want to see before the public does."""

    __tablename__ = "blocked_term"
    __table_args__ = (
        UniqueConstraint("city_id", "folded", name="uq_blocked_term_city_folded"),
        CheckConstraint(f"language IN ({sql_values(TERM_LANGUAGES)})", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(String(TERM_MAX))  # as typed, for the list
    folded: Mapped[str] = mapped_column(String(TERM_MAX))  # core.search.fold(term): matched
    language: Mapped[str] = mapped_column(String(5), default="any")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def language_label(self) -> str:
        return str(TERM_LANGUAGES.get(self.language, self.language))


class Flag(db.Model):
    """An automatic flag on one piece of input."""

    __tablename__ = "moderation_flag"
    __table_args__ = (
        UniqueConstraint("contribution_id", "reason", name="uq_moderation_flag_reason"),
        CheckConstraint(f"reason IN ({sql_values(FLAG_REASONS)})", name="reason"),
        Index("ix_moderation_flag_open", "city_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")  # e.g. the terms found
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]

    contribution: Mapped[Contribution] = relationship()

    @property
    def reason_label(self) -> str:
        return str(FLAG_REASONS.get(self.reason, self.reason))
