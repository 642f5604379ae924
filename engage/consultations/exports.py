"""The consultation kind's export tables: the responses (one row per submitted response, one
column per question, options as their labels in the export's language) and the aggregated
results (one row per answer option, scale value, matrix cell or number statistic, from
`results.compute_results`, the results page's own figures).

Responses are read by id in batches (two statements a batch: the responses, their answers) as
plain rows, so memory stays constant. The respondent is "participant N"; their profile answers
(stakeholder type, age group, neighbourhood...) are personal columns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from engage import exports
from engage.consultations import results as results_module
from engage.consultations.models import CHANNELS, Answer, Question, Response
from engage.core.i18n import localized
from engage.exports.tables import Column, Options, Table
from engage.extensions import db
from engage.processes.models import Process

BATCH = 500
TYPES = {"scale": "number", "number": "number", "yes_no": "bool"}


def _label(obj: Any, field: str, language: str) -> str:
    return localized(obj, field, language).text


def _cell(question: Question, labels: dict[int, str], rows: list[Any]) -> Any:
    """One question's answer rows (option_id, row_id, rank, number, text) as one cell."""
    if not rows:
        return None
    kind = question.type
    if kind in ("scale", "number"):
        number = rows[0].number
        return int(number) if number is not None and float(number).is_integer() else number
    if kind in ("yes_no", "info"):
        return None if rows[0].number is None else rows[0].number >= 0.5
    if kind in ("short_text", "long_text"):
        return rows[0].text
    if kind == "ranking":
        ranked = sorted(rows, key=lambda row: row.rank or 0)
        return "; ".join(labels.get(row.option_id, "") for row in ranked)
    if kind == "matrix":
        return "; ".join(f"{labels.get(row.row_id, '')}: {labels.get(row.option_id, '')}"
                         for row in rows)
    parts = []
    for row in rows:  # single and multiple: options, then "Other: ..."
        if row.option_id is not None:
            parts.append(labels.get(row.option_id, ""))
        elif row.text:
            parts.append(_("Other: %(text)s", text=row.text))
    return "; ".join(parts)


def responses_table(process: Process, options: Options) -> Table:
    language = options.language
    questionnaire = results_module.load_questionnaire(process)
    questions = [q for q in questionnaire.questions if q.type != "info"]
    labels = {option.id: _label(option, "label", language)
              for question in questions for option in question.options}
    columns = [
        Column("id", _l("Response id"), "number", width=10),
        Column("submitted_at", _l("Submitted at"), "datetime", width=17),
        Column("channel", _l("Channel"), width=12),
        Column("language", _l("Language"), width=9),
        Column("respondent", _l("Respondent"), width=16),
        Column("profile", _l("Profile answers"), personal=True, width=30),
        *[Column(f"q{question.id}", _label(question, "text", language),
                 TYPES.get(question.type, "text"), width=24) for question in questions],
    ]
    process_id = process.id

    def rows() -> Iterator[tuple]:
        last = 0
        while True:
            batch = db.session.execute(
                select(Response.id, Response.submitted_at, Response.channel, Response.language,
                       Response.user_id, Response.profile)
                .where(Response.process_id == process_id, Response.status == "submitted",
                       Response.id > last)
                .order_by(Response.id).limit(BATCH)).all()
            if not batch:
                return
            ids = [row[0] for row in batch]
            answers: dict[int, dict[int, list[Any]]] = {}
            for answer in db.session.execute(
                    select(Answer.response_id, Answer.question_id, Answer.option_id,
                           Answer.row_id, Answer.rank, Answer.number, Answer.text)
                    .where(Answer.response_id.in_(ids)).order_by(Answer.id)):
                answers.setdefault(answer.response_id, {}).setdefault(
                    answer.question_id, []).append(answer)
            for number, submitted_at, channel, answered_in, user_id, profile in batch:
                mine = answers.get(number, {})
                yield (number, submitted_at, str(CHANNELS.get(channel, channel)), answered_in,
                       options.author(user_id) if user_id else "",
                       json.dumps(profile or {}, ensure_ascii=False)
                       if options.personal else None,
                       *[_cell(question, labels, mine.get(question.id, []))
                         for question in questions])
            if len(batch) < BATCH:
                return
            last = ids[-1]

    def count() -> int:
        return db.session.scalar(select(func.count()).select_from(Response).where(
            Response.process_id == process_id, Response.status == "submitted")) or 0

    return Table("responses", _l("Responses"), columns, rows, count)


def results_table(process: Process, options: Options) -> Table:
    columns = [Column("question_id", _l("Question id"), "number", width=10),
               Column("question", _l("Question"), width=40),
               Column("answer", _l("Answer"), width=30),
               Column("count", _l("Count"), "number", width=9),
               Column("percent", _l("Percent of those who answered"), "number", width=12),
               Column("answered", _l("Answered"), "number", width=10),
               Column("skipped", _l("Skipped"), "number", width=10)]

    def rows() -> Iterator[tuple]:
        language = options.language
        computed = results_module.compute_results(process)
        for result in computed.questions:
            question = result.question
            if question.type == "info":
                continue
            head = (question.id, _label(question, "text", language))
            tail = (result.answered, result.skipped)
            for bar in result.chart_bars:
                yield (*head, bar.label(language), bar.count, bar.percent, *tail)
            for item in result.ranking:
                yield (*head, item.label(language) + " — " + _("score (0–100)"),
                       item.points, item.score, *tail)
            for row in result.matrix:
                for cell in row.cells:
                    yield (*head, f"{row.label(language)}: {cell.label(language)}", cell.count,
                           cell.percent, *tail)
            for name, value in ((_("mean"), result.mean), (_("median"), result.median),
                                (_("minimum"), result.minimum),
                                (_("maximum"), result.maximum)):
                if value is not None and question.type in ("scale", "number"):
                    yield (*head, name, None, round(value, 2), *tail)
            if question.type in ("short_text", "long_text"):
                yield (*head, _("free-text answers"), result.answered, None, *tail)

    return Table("results", _l("Aggregated results"), columns, rows)


def build(process: Process, options: Options) -> list[Table]:
    return [responses_table(process, options), results_table(process, options)]


exports.register("consultation", build)
