"""What a citizen-science campaign adds to its workshop pack (`engage.exports.packs`): the
observers by stakeholder type, and the observations in figures.

- Participation: the people who sent published observations (a hidden, rejected or deleted
  contribution hides its observation everywhere, so its author is not counted for it), by their
  account's stakeholder type, whatever the observations' verification status. An observation
  whose account was deleted has no author left to count.
- The "Observations" section of the pack: how many published observations there are, how many
  of them were accepted by a verifier (the verified share), the days they were made (Romania's
  time), and per field the summary the public results page shows by default, from
  `stats.compute` (accepted observations only, active fields only): the number fields'
  smallest, median, mean and largest with their histogram, the choice and yes/no fields' counts
  as charts beside tables, how many answered the text, date and photo fields. No text a
  citizen wrote, no photo, no location, no verifier's reason.
- The poster: the key figures and the first `POSTER_FIELDS` fields that have a chart.

A fixed number of statements whatever the number of observations or fields: one for the
participation; for the section the fields (two), the data version, the figures (at most six)
and the published observations' span (one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.accounts.models import User
from engage.core import charts
from engage.core.i18n import format_number, format_percent
from engage.exports import packs
from engage.exports.packs import PackOptions, Participation, Section
from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.science import stats
from engage.science.models import FIELD_TYPES, Observation

KIND = "science"
CHART_TYPES = ("single", "multiple", "yes_no", "number", "count")
POSTER_FIELDS = 2


def observers(process: Process) -> list[Participation]:
    """The distinct authors of published observations by stakeholder type (one statement)."""
    rows = db.session.execute(
        select(User.stakeholder_type, func.count(func.distinct(Observation.user_id)))
        .select_from(Observation)
        .join(Contribution, Contribution.id == Observation.contribution_id)
        .join(User, User.id == Observation.user_id)
        .where(Observation.process_id == process.id, Contribution.status == "published")
        .group_by(User.stakeholder_type))
    return [Participation(_("Observers"), {code or "unknown": int(number)
                                           for code, number in rows}, main=True)]


@dataclass
class Overview:
    """The key figures: published observations (every verification status), the accepted
    ones among them, and the first and last moment one was made."""

    published: int
    verified: int
    first: datetime | None
    last: datetime | None

    @property
    def verified_percent(self) -> float | None:
        return stats.percent(self.verified, self.published)


@dataclass
class PackField:
    """One field's figures (`stats.FieldStats`) and its chart, as the results page draws it."""

    stats: stats.FieldStats
    chart: Any = None
    type_label: str = ""
    unit: str = ""

    @property
    def field(self) -> Any:
        return self.stats.field


def overview(process: Process, found: stats.Stats) -> Overview:
    first, last = db.session.execute(
        select(func.min(Observation.observed_at), func.max(Observation.observed_at))
        .select_from(Observation)
        .join(Contribution, Contribution.id == Observation.contribution_id)
        .where(Observation.process_id == process.id, Contribution.status == "published")
    ).one()
    return Overview(published=sum(found.totals.values()),
                    verified=found.totals.get("accepted", 0), first=first, last=last)


def pack_field(result: stats.FieldStats, language: str) -> PackField:
    """`result` with the chart `science/_stats_field.html` draws for it."""
    found = PackField(result, type_label=str(FIELD_TYPES.get(result.type, result.type)),
                      unit=result.unit(language))
    if result.type in CHART_TYPES and result.answered and result.bars:
        inactive = _("(no longer offered)")
        found.chart = charts.hbar_chart([
            (bar.label() + (f" {inactive}" if bar.inactive else ""), bar.count,
             f"{bar.count} · {format_percent(bar.percent)}") for bar in result.bars], None)
    return found


def sections(process: Process, options: PackOptions) -> list[Section]:
    if options.document not in ("pack", "poster"):
        return []
    found = stats.compute(process)  # accepted only, as the public results page by default
    fields = [pack_field(result, options.language) for result in found.fields]
    context = {"stats": found, "overview": overview(process, found), "fields": fields,
               "fmt_number": format_number, "fmt_percent": format_percent}
    if options.document == "poster":
        charted = [item for item in fields if item.chart is not None]
        context["fields"] = charted[:POSTER_FIELDS]
        return [Section("science-observations", _("Observations"),
                        "science/pack/poster.html", context, order=20, part="poster")]
    return [Section("science-observations", _("Observations"), "science/pack/observations.html",
                    context, order=20, part="pack")]


packs.register_participation(KIND, observers)
packs.register(KIND, sections)
