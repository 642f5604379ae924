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
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
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
    # A moderator's split: this theme holds part of the items of the theme it was split from.
    split_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("found_theme.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def title(self) -> str:
        return self.name or self.label


class ContributionEmbedding(db.Model):
    """A text's sentence embedding (the optional `engage[embeddings]` model), computed once in
    the background and kept, so the themes can be found again quickly. `text_hash` tells when
    the text changed since; `vector` holds float32 values."""

    __tablename__ = "contribution_embedding"

    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(80))
    text_hash: Mapped[str] = mapped_column(String(64))
    dimensions: Mapped[int]
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- the Climate City Contract
#
# NetZeroCities' Climate City Contract is one living document in three parts: the commitments
# (the city's 2030 ambition and the pledges of local stakeholders), the action plan by domain
# (`cities.themes.THEMES`) and the investment plan (the actions' funding, summed by source).
# Published summaries are attached to the parts and actions they shaped (`ContractLink`), which
# is how an idea leads to the contract: idea → summary citing it → section or action.

CONTRACT_STATUSES = {
    "draft": _l("Draft"),
    "published": _l("Published"),
}
# A link's section: one of the three parts, or an action plan's domain (a theme code).
CONTRACT_PARTS = {
    "commitments": _l("Commitments"),
    "action_plan": _l("Action plan"),
    "investment": _l("Investment plan"),
}
PLEDGE_LEVELS = {
    "supporter": _l("Supporter"),
    "partner": _l("Partner"),
    "champion": _l("Champion"),
}
PLEDGE_LEVEL_HINTS = {
    "supporter": _l("Endorses the city's 2030 goal and tells its members and customers about it."),
    "partner": _l("Commits to concrete measures in its own buildings, fleet or operations."),
    "champion": _l("Commits to a measured emission reduction and reports its progress every "
                   "year."),
}
PLEDGE_STATUSES = {
    "pending": _l("Waiting for the city's check"),
    "published": _l("Published"),
    "rejected": _l("Not accepted"),
    "withdrawn": _l("Withdrawn"),
}
ACTION_STATUSES = {
    "planned": _l("Planned"),
    "under_way": _l("Under way"),
    "done": _l("Done"),
    "dropped": _l("Dropped"),
}
ACTION_LEVERS = {
    "regulation": _l("Regulation and planning"),
    "investment": _l("Public investment"),
    "procurement": _l("Public procurement"),
    "incentives": _l("Financial incentives"),
    "services": _l("Public services"),
    "information": _l("Information and awareness"),
    "partnership": _l("Partnerships and stakeholder agreements"),
}
CO_BENEFITS = {
    "air_quality": _l("Cleaner air"),
    "health": _l("Health"),
    "jobs": _l("Local jobs"),
    "energy_poverty": _l("Less energy poverty"),
    "biodiversity": _l("Biodiversity"),
    "heat": _l("Cooler streets in heatwaves"),
    "access": _l("Better access to services"),
    "noise": _l("Less noise"),
    "savings": _l("Lower bills"),
    "safety": _l("Road safety"),
}
FUNDING_SOURCES = {
    "municipal": _l("City budget"),
    "national": _l("National budget"),
    "pnrr": _l("Recovery and Resilience Plan (PNRR)"),
    "eu_cohesion": _l("EU cohesion funds"),
    "eu_programmes": _l("Other EU programmes (Horizon Europe, LIFE, …)"),
    "loans": _l("Loans (EIB, banks)"),
    "private": _l("Private investment"),
    "ppp": _l("Public-private partnership"),
    "other": _l("Other"),
}
AMBITION_MAX = 20_000
DESCRIPTION_MAX = 10_000
ORGANISATION_MAX = 200
PLEDGE_TEXT_MAX = 2_000


class Contract(db.Model):
    """A city's Climate City Contract draft; the public sees it once published."""

    __tablename__ = "climate_contract"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(CONTRACT_STATUSES)})", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    target_year: Mapped[int] = mapped_column(default=2030)
    baseline_year: Mapped[int | None]
    baseline_t_co2e: Mapped[float | None] = mapped_column(Float)  # t CO₂e in that year
    reduction_target_pct: Mapped[int | None]
    ambition_ro: Mapped[str] = mapped_column(Text, default="")
    ambition_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]

    actions: Mapped[list[ContractAction]] = relationship(
        back_populates="contract", order_by="(ContractAction.domain, ContractAction.position, "
        "ContractAction.id)", cascade="all, delete-orphan")

    @classmethod
    def city_scope(cls, city):  # noqa: ANN001, ANN206
        return cls.city_id == city.id


class ContractAction(db.Model):
    """One action of the action plan, in a domain (a theme code)."""

    __tablename__ = "contract_action"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(ACTION_STATUSES)})", name="status"),
        CheckConstraint(f"lever IN ({sql_values(ACTION_LEVERS)})", name="lever"),
        Index("ix_contract_action_contract", "contract_id", "domain", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("climate_contract.id", ondelete="CASCADE"))
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    domain: Mapped[str] = mapped_column(String(30))
    code: Mapped[str] = mapped_column(String(20), default="")  # e.g. "MOB-3"
    position: Mapped[int] = mapped_column(default=0)
    title_ro: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    title_en: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    description_ro: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    lever: Mapped[str] = mapped_column(String(30), default="investment")
    responsible: Mapped[str] = mapped_column(String(ORGANISATION_MAX), default="")
    start_year: Mapped[int | None]
    end_year: Mapped[int | None]
    reduction_t_co2e: Mapped[float | None] = mapped_column(Float)  # expected, t CO₂e per year
    co_benefits: Mapped[list[str]] = mapped_column(JSON, default=list)
    cost_eur: Mapped[int | None] = mapped_column(BigInteger)
    indicators: Mapped[str] = mapped_column(Text, default="")  # one per line
    status: Mapped[str] = mapped_column(String(20), default="planned")
    progress_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="actions")
    funding: Mapped[list[ActionFunding]] = relationship(
        back_populates="action", order_by="ActionFunding.id", cascade="all, delete-orphan")

    @classmethod
    def city_scope(cls, city):  # noqa: ANN001, ANN206
        return cls.city_id == city.id

    @property
    def funded_eur(self) -> int:
        return sum(line.amount_eur for line in self.funding)

    @property
    def indicator_list(self) -> list[str]:
        return [line.strip() for line in self.indicators.splitlines() if line.strip()]


class ActionFunding(db.Model):
    """Part of an action's cost and where the money comes from."""

    __tablename__ = "action_funding"
    __table_args__ = (
        CheckConstraint(f"source IN ({sql_values(FUNDING_SOURCES)})", name="source"),
        CheckConstraint("amount_eur >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("contract_action.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(30))
    amount_eur: Mapped[int] = mapped_column(BigInteger)
    secured: Mapped[bool] = mapped_column(default=False)  # approved, not only sought

    action: Mapped[ContractAction] = relationship(back_populates="funding")


class ContractLink(db.Model):
    """A published summary attached to the part of the contract or the action it shaped."""

    __tablename__ = "contract_link"
    __table_args__ = (
        UniqueConstraint("summary_id", "section", "action_id", name="uq_contract_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("climate_contract.id", ondelete="CASCADE"), index=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("summary.id", ondelete="CASCADE"),
                                            index=True)
    # A part (CONTRACT_PARTS) or, for the action plan, a domain; an action's link has its domain.
    section: Mapped[str] = mapped_column(String(30))
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("contract_action.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    summary: Mapped[Summary] = relationship()
    action: Mapped[ContractAction | None] = relationship()


class Pledge(db.Model):
    """A local stakeholder's commitment, signed by one of its people at a level; the city checks
    it before it is shown, and the organisation reports progress on it later."""

    __tablename__ = "contract_pledge"
    __table_args__ = (
        CheckConstraint(f"level IN ({sql_values(PLEDGE_LEVELS)})", name="level"),
        CheckConstraint(f"status IN ({sql_values(PLEDGE_STATUSES)})", name="status"),
        Index("ix_contract_pledge_contract", "contract_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("climate_contract.id", ondelete="CASCADE"))
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    organisation: Mapped[str] = mapped_column(String(ORGANISATION_MAX))
    stakeholder_type: Mapped[str] = mapped_column(String(30))
    website: Mapped[str] = mapped_column(String(300), default="")
    level: Mapped[str] = mapped_column(String(20))
    commitment: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5), default="ro")
    # What the organisation expects to cut, if it says (t CO₂e per year).
    reduction_t_co2e: Mapped[float | None] = mapped_column(Float)
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("contract_action.id", ondelete="SET NULL"))
    signatory_name: Mapped[str] = mapped_column(String(120), default="")
    signatory_role: Mapped[str] = mapped_column(String(120), default="")
    signed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    action: Mapped[ContractAction | None] = relationship()
    progress: Mapped[list[PledgeProgress]] = relationship(
        back_populates="pledge", order_by="PledgeProgress.reported_at",
        cascade="all, delete-orphan")

    @classmethod
    def city_scope(cls, city):  # noqa: ANN001, ANN206
        return cls.city_id == city.id

    @property
    def latest_progress(self) -> PledgeProgress | None:
        return self.progress[-1] if self.progress else None


class PledgeProgress(db.Model):
    """What an organisation reports about its pledge: how far it is, in its own words."""

    __tablename__ = "pledge_progress"
    __table_args__ = (
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(
        ForeignKey("contract_pledge.id", ondelete="CASCADE"), index=True)
    percent: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(5), default="ro")
    reported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)

    pledge: Mapped[Pledge] = relationship(back_populates="progress")
