"""Summaries: what moderators and organisers write about a process's input, one per theme or
question, citing the input behind each point.

A summary (`Summary`) has numbered versions (`SummaryVersion`). Writing edits the summary's
draft — the newest version while it is unpublished; once a version is published it is never
changed again, and the next edit starts a new draft (number + 1), so every published version is
kept and two of them can be compared. The public sees the newest published version.

Each version's citations (`SummaryCitation`) are stored when it is saved, parsed from its texts
(`[[idea:N]]`, … see `core.citations`), with the input's spine row where it has one: "cited
in" on an item's page and the counts a summary rests on read them.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import sql_values, utcnow
from engage.extensions import db
from engage.processes.models import Process

TOPIC_MAX = 200
TITLE_MAX = 200
BODY_MAX = 50_000

SUMMARY_STATUSES = {
    "draft": _l("Draft"),
    "published": _l("Published"),
}
CITATION_KINDS = ("idea", "comment", "answer", "observation", "session")


class Summary(db.Model):
    __tablename__ = "summary"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(SUMMARY_STATUSES)})", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"),
                                            index=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    # The theme (a contract domain code) or the question the summary is about, as a label.
    topic: Mapped[str] = mapped_column(String(TOPIC_MAX), default="")
    theme: Mapped[str] = mapped_column(String(30), default="")
    # "published" once any version is; the newest published version is the public one.
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    process: Mapped[Process] = relationship()
    versions: Mapped[list[SummaryVersion]] = relationship(
        back_populates="summary", order_by="SummaryVersion.number",
        cascade="all, delete-orphan")

    @classmethod
    def city_scope(cls, city):  # noqa: ANN001, ANN206
        return cls.city_id == city.id

    @property
    def latest(self) -> SummaryVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def published_versions(self) -> list[SummaryVersion]:
        return [v for v in self.versions if v.published_at is not None]

    @property
    def public_version(self) -> SummaryVersion | None:
        published = self.published_versions
        return published[-1] if published else None

    @property
    def draft(self) -> SummaryVersion | None:
        """The version being written, if the newest one is not published yet."""
        latest = self.latest
        return latest if latest is not None and latest.published_at is None else None


class SummaryVersion(db.Model):
    __tablename__ = "summary_version"
    __table_args__ = (
        UniqueConstraint("summary_id", "number", name="uq_summary_version_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("summary.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(default=1)
    title_ro: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    body_ro: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))

    summary: Mapped[Summary] = relationship(back_populates="versions")
    citations: Mapped[list[SummaryCitation]] = relationship(
        back_populates="version", order_by="SummaryCitation.id",
        cascade="all, delete-orphan")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class SummaryCitation(db.Model):
    __tablename__ = "summary_citation"
    __table_args__ = (
        UniqueConstraint("version_id", "kind", "target_id", name="uq_summary_citation"),
        CheckConstraint(f"kind IN ({sql_values(CITATION_KINDS)})", name="kind"),
        Index("ix_summary_citation_target", "kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("summary_version.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int]
    # The cited input's spine row (none for a session); no foreign key: a citation is a record.
    contribution_id: Mapped[int | None] = mapped_column(index=True)
    author_id: Mapped[int | None]
    supports: Mapped[int] = mapped_column(default=0)

    version: Mapped[SummaryVersion] = relationship(back_populates="citations")



class OpinionRun(db.Model):
    """The latest opinion groups of an agree/disagree process, computed in the background and
    kept as JSON (`opinions.OpinionResult.to_json`), so pages show them without numpy; the
    next run starts from its state (stable axes and number of groups)."""

    __tablename__ = "opinion_run"

    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"),
                                            primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    votes: Mapped[int] = mapped_column(default=0)
    result: Mapped[str] = mapped_column(Text, default="")  # JSON


class ThemeRun(db.Model):
    """The newest theme finding of a process: when, how, and what it left over."""

    __tablename__ = "theme_run"

    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"),
                                            primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(30), default="")
    items: Mapped[int] = mapped_column(default=0)
    unassigned: Mapped[list[int]] = mapped_column(JSON, default=list)  # contribution ids
    duplicates: Mapped[list[list[int]]] = mapped_column(JSON, default=list)


class FoundTheme(db.Model):
    """A theme of a process's input. Found by the clustering (`label`, `terms`, members); a
    moderator may rename it (`name`) or merge it into another (`merged_into_id`). A rerun
    matches the new themes with these (`themes.match_themes`), so names and merges stay; a
    theme no longer found is kept, inactive, with the moderator's edits."""

    __tablename__ = "found_theme"
    __table_args__ = (Index("ix_found_theme_process", "process_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(TOPIC_MAX), default="")  # the moderator's
    label: Mapped[str] = mapped_column(String(TOPIC_MAX), default="")  # the top terms
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    term_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    item_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # contribution ids
    examples: Mapped[list[int]] = mapped_column(JSON, default=list)  # contribution ids
    n_items: Mapped[int] = mapped_column(default=0)
    n_authors: Mapped[int] = mapped_column(default=0)
    supports: Mapped[int] = mapped_column(default=0)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("found_theme.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def title(self) -> str:
        return self.name or self.label
