"""What a consultation adds to its workshop pack (`engage.exports.packs`): the respondents by
stakeholder type, and every question's results drawn as the public results page draws them.

- Participation: the submitted responses (online, paper and stand ones), each counted under the
  stakeholder type its profile gives, else its signed-in respondent's account (the rule of the
  results page's breakdowns, `results._group_expression`); anonymous responses without one
  count under "unknown". Drafts never count.
- The "Results" section of the pack: every question's figures from `results.compute_results`
  (paper responses included, as the page does by default) with the same charts
  (`core.charts` geometry, `templates/_charts.html` macros) and tables; free-text questions show
  how many answered, how many answers are published and the newest published ones
  (`results.text_previews`: pending, hidden, rejected and deleted answers never).
- The poster: the first `POSTER_QUESTIONS` questions that have a chart.

The city's staff may draw a pack whenever they like, as they may read the results page; while
the results are not public (the consultation's `results_visibility`), the documents say so, so
that nobody hands them out unawares.

A fixed number of statements whatever the number of responses or questions: one for the
participation; the questionnaire (three), the totals, the results (at most five), the
free-text previews and the settings for the section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.accounts.models import User
from engage.consultations import results
from engage.consultations.models import TEXT_TYPES, Response
from engage.core import charts
from engage.core.i18n import format_number, format_percent, localized
from engage.exports import packs
from engage.exports.packs import PackOptions, Participation, Section
from engage.extensions import db
from engage.processes.models import Process

KIND = "consultation"
UNKNOWN = "unknown"
QUOTES = 5  # published answers quoted per free-text question
POSTER_QUESTIONS = 3


def respondents(process: Process) -> list[Participation]:
    """The submitted responses by the respondent's stakeholder type (one statement)."""
    group = results._group_expression("stakeholder_type")
    counts: dict[str, int] = {}
    for code, number in db.session.execute(
        select(group, func.count())
        .select_from(Response)
        .outerjoin(User, User.id == Response.user_id)
        .where(Response.process_id == process.id, Response.status == "submitted")
        .group_by(group)
    ):
        key = code or UNKNOWN
        counts[key] = counts.get(key, 0) + int(number)
    return [Participation(_("Respondents"), counts, main=True)]


@dataclass
class PackQuestion:
    """One question's results and the chart the results page draws for it."""

    result: results.QuestionResult
    chart: Any = None  # an HBarChart or StackedChart; None: no chart
    stacked: bool = False
    legend: list[str] = field(default_factory=list)
    unit: str = ""
    answers: list[results.TextAnswer] = field(default_factory=list)
    published: int = 0  # published answers of a free-text question

    @property
    def question(self) -> Any:
        return self.result.question

    @property
    def is_text(self) -> bool:
        return self.question.type in TEXT_TYPES


def _unit(question: Any, language: str) -> str:
    settings = question.settings or {}
    return str(settings.get(f"unit_{language}") or settings.get("unit_ro")
               or settings.get("unit_en") or "")


def pack_question(result: results.QuestionResult, language: str,
                  previews: dict[int, tuple[list[results.TextAnswer], int]]) -> PackQuestion:
    """`result` with its chart, built as `consultations/_results_question.html` builds it."""
    question = result.question
    found = PackQuestion(result)
    kind = question.type
    if kind in ("single", "multiple", "yes_no", "scale") and result.answered:
        found.chart = charts.hbar_chart([
            (bar.label(), bar.percent, f"{bar.count} · {format_percent(bar.percent)}")
            for bar in result.chart_bars])
    elif kind == "number":
        found.unit = _unit(question, language)
        suffix = f" {found.unit}" if found.unit else ""
        if result.bars:
            found.chart = charts.hbar_chart([
                (bar.label() + suffix, bar.percent,
                 f"{bar.count} · {format_percent(bar.percent)}") for bar in result.bars])
    elif kind == "ranking" and result.answered:
        found.chart = charts.hbar_chart([
            (item.label(), item.score, format_number(item.score)) for item in result.ranking])
    elif kind == "matrix":
        found.legend = [localized(column, "label").text for column in result.columns]
        if result.answered:
            found.stacked = True
            found.chart = charts.stacked_chart([
                (row.label(), [cell.count for cell in row.cells], str(row.answered))
                for row in result.matrix])
    elif kind in TEXT_TYPES:
        found.answers, found.published = previews.get(question.id, ([], 0))
    return found


def sections(process: Process, options: PackOptions) -> list[Section]:
    if options.document not in ("pack", "poster"):
        return []
    questionnaire = results.load_questionnaire(process)
    counts = results.totals(process)
    found = results.compute_results(process, True, questionnaire, counts)
    previews: dict[int, tuple[list[results.TextAnswer], int]] = {}
    if options.document == "pack":
        previews = results.text_previews(process, questionnaire.questions,
                                         found.include_offline, limit=QUOTES, counts=counts)
    questions = [pack_question(result, options.language, previews)
                 for result in found.questions]
    context = {"results": found, "fmt_number": format_number, "fmt_percent": format_percent,
               "public": results.results_public(process, results.settings_for(process))}
    if options.document == "poster":
        charted = [question for question in questions if question.chart is not None]
        return [Section("consultation-results", _("Results"),
                        "consultations/pack/poster.html",
                        {**context, "questions": charted[:POSTER_QUESTIONS]}, order=20,
                        part="poster")]
    return [Section("consultation-results", _("Results"), "consultations/pack/results.html",
                    {**context, "questions": questions}, order=20, part="pack")]


packs.register_participation(KIND, respondents)
packs.register(KIND, sections)
