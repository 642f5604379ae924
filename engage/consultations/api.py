"""Consultation results in the read-only API: aggregated numbers only, never a response, a
respondent or a free-text answer.

`GET /api/v1/processes/<id>/results[?offline=0]` →

    {"process": id, "responses": n, "offline_responses": n, "offline_included": bool,
     "started_online": n, "submitted_online": n,
     "questions": [QUESTION, ...]}          (in questionnaire order; information blocks left out)

`responses` is the number of submitted responses counted (drafts never count). `?offline=0`
leaves out paper and stand responses, honoured only when there are none or at least 5 of them
(`offline_included` says what was done). Every QUESTION has
`{"id", "type", "section": id, "text": {"ro", "en"}, "answered": n, "skipped": n}` — `answered`
is the respondents who answered it, the base of its percentages (`percent`: 0–100 with one
decimal, null when nobody answered) — and, by type:

- single, multiple: `"options": [{"id", "label": {"ro", "en"}, "count", "percent"}]` and
  `"other": {"count", "percent"}` (null when the question has no "Other" and nobody used it).
  Multiple choice percentages are of respondents, so they may add up to more than 100.
- yes_no: `"options": [{"id": "yes" | "no", "label": {"ro", "en"}, "count", "percent"}]`.
- scale: `"min", "max", "labels": {"min": {"ro", "en"}, "max": {"ro", "en"}}, "mean",
  "median", "distribution": [{"value", "count", "percent"}]`.
- number: `"mean", "median", "min", "max", "unit": {"ro", "en"}, "histogram": [{"from", "to",
  "count", "percent"}]` (a bin holds values from `from` up to, not including, `to`; the last
  one includes `to`; one-value bins of whole numbers have `from` == `to`).
- ranking: `"options": [{"id", "label": {"ro", "en"}, "count" (respondents who ranked it
  first), "first_percent", "points" (Borda: N − rank, summed), "score" (0–100)}]`, best first.
- matrix: `"options": [{"id", "label": {"ro", "en"}, "count"}]` (the shared scale, each with its
  count over all rows) and `"rows": [{"id", "label": {"ro", "en"}, "answered",
  "counts": [{"option", "count", "percent"}]}]`.
- short_text, long_text: nothing more (`answered` is how many wrote something; the texts stay
  on the moderated results page).

Only public consultation processes whose results are public now (`results_visibility`: "live"
once open, "after_close" once closed, never "never") answer; anything else — unknown id, another
kind, a draft, results not public — is a JSON 404. The numbers come from the results page's
cache.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request
from flask_babel import force_locale
from sqlalchemy import func, select

from engage.api import openapi
from engage.api.blueprint import bp
from engage.api.http import last_modified
from engage.consultations import results
from engage.consultations.models import Response
from engage.core.auth import public
from engage.extensions import db
from engage.processes.models import Process

LANGUAGES = ("ro", "en")


def _both(obj: Any, field: str) -> dict[str, str]:
    return {language: getattr(obj, f"{field}_{language}", "") or "" for language in LANGUAGES}


def _fixed(label: Any) -> dict[str, str]:
    """A label of the interface ("Other", "Yes") in both languages."""
    found = {}
    for language in LANGUAGES:
        with force_locale(language):
            found[language] = str(label)
    return found


def _settings_text(settings: dict, key: str) -> dict[str, str]:
    return {language: str(settings.get(f"{key}_{language}") or "") for language in LANGUAGES}


def _bar(bar: results.Bar) -> dict[str, Any]:
    return {"count": bar.count, "percent": bar.percent}


def question_json(result: results.QuestionResult) -> dict[str, Any]:
    question = result.question
    settings = question.settings or {}
    data: dict[str, Any] = {
        "id": question.id,
        "type": question.type,
        "section": question.section_id,
        "text": _both(question, "text"),
        "answered": result.answered,
        "skipped": result.skipped,
    }
    kind = question.type
    if kind in ("single", "multiple"):
        data["options"] = [{"id": bar.option.id, "label": _both(bar.option, "label"), **_bar(bar)}
                           for bar in result.bars]
        data["other"] = _bar(result.other) if result.other is not None else None
    elif kind == "yes_no":
        data["options"] = [{"id": bar.key, "label": _fixed(bar.fixed), **_bar(bar)}
                           for bar in result.bars]
    elif kind == "scale":
        low, high = results.scale_range(question)
        data.update(
            min=low, max=high,
            labels={"min": _settings_text(settings, "label_min"),
                    "max": _settings_text(settings, "label_max")},
            mean=_round(result.mean), median=result.median,
            distribution=[{"value": _plain(bar.key), **_bar(bar)} for bar in result.bars],
        )
    elif kind == "number":
        data.update(
            mean=_round(result.mean), median=_plain(result.median),
            min=_plain(result.minimum), max=_plain(result.maximum),
            unit=_settings_text(settings, "unit"),
            histogram=[{"from": _plain(bar.key[0]), "to": _plain(bar.key[1]), **_bar(bar)}
                       for bar in result.bars],
        )
    elif kind == "ranking":
        data["options"] = [
            {"id": item.option.id, "label": _both(item.option, "label"), "count": item.first,
             "first_percent": item.first_percent, "points": item.points, "score": item.score}
            for item in result.ranking
        ]
    elif kind == "matrix":
        totals = {column.id: 0 for column in result.columns}
        for row in result.matrix:
            for cell in row.cells:
                totals[cell.key] += cell.count
        data["options"] = [{"id": column.id, "label": _both(column, "label"),
                            "count": totals[column.id]} for column in result.columns]
        data["rows"] = [
            {"id": row.row.id, "label": _both(row.row, "label"), "answered": row.answered,
             "counts": [{"option": cell.key, **_bar(cell)} for cell in row.cells]}
            for row in result.matrix
        ]
    return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _plain(value: float | None) -> float | int | None:
    """Whole numbers as integers (3, not 3.0)."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


@bp.get("/processes/<int:process_id>/results")
@public
def process_results(process_id: int):  # noqa: ANN201
    process = db.session.get(Process, process_id)
    if process is None or process.kind != "consultation" or not process.is_public:
        abort(404)
    settings = results.settings_for(process)
    if not results.results_public(process, settings):
        abort(404)
    found = results.compute_results(process, request.args.get("offline") != "0")
    last_modified(process.updated_at, db.session.scalar(
        select(func.max(Response.updated_at)).where(Response.process_id == process.id)))
    return jsonify({
        "process": process.id,
        "responses": found.responses,
        "offline_responses": found.offline,
        "offline_included": found.include_offline,
        "started_online": found.started_online,
        "submitted_online": found.submitted_online,
        "questions": [question_json(result) for result in found.questions],
    })


_BOTH = openapi.LOCALISED
_COUNT = {"type": "integer", "minimum": 0}
_PERCENT = {"type": ["number", "null"], "minimum": 0, "maximum": 100}
_NUMBER = {"type": ["number", "null"]}
_BAR = {"type": "object", "required": ["count", "percent"],
        "properties": {"count": _COUNT, "percent": _PERCENT}}
QUESTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "type", "section", "text", "answered", "skipped"],
    "properties": {
        "id": {"type": "integer"},
        "type": {"type": "string"},
        "section": {"type": ["integer", "null"]},
        "text": _BOTH,
        "answered": _COUNT,
        "skipped": _COUNT,
        "options": {"type": "array", "items": {
            "type": "object", "required": ["id", "label"],
            "properties": {"id": {"type": ["integer", "string"]}, "label": _BOTH,
                           "count": _COUNT, "percent": _PERCENT}}},
        "other": {"oneOf": [{"type": "null"}, _BAR]},
        "min": _NUMBER, "max": _NUMBER, "mean": _NUMBER, "median": _NUMBER,
        "distribution": {"type": "array", "items": {"type": "object"}},
        "histogram": {"type": "array", "items": {"type": "object"}},
        "rows": {"type": "array", "items": {"type": "object"}},
    },
}
RESULTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["process", "responses", "offline_responses", "offline_included",
                 "started_online", "submitted_online", "questions"],
    "properties": {
        "process": {"type": "integer"},
        "responses": _COUNT,
        "offline_responses": _COUNT,
        "offline_included": {"type": "boolean"},
        "started_online": _COUNT,
        "submitted_online": _COUNT,
        "questions": {"type": "array", "items": QUESTION_SCHEMA},
    },
}
openapi.declare(
    "/processes/{process_id}/results", operation_id="getConsultationResults",
    tag="consultations", schema=RESULTS_SCHEMA,
    summary="A consultation's aggregated results",
    description="Numbers only: never a response, a respondent or a free-text answer. 404 "
                "unless the results are public now.",
    parameters=[
        openapi.path_parameter("process_id", "The process id."),
        openapi.query_parameter("offline", {"type": "string", "enum": ["0", "1"]},
                                "0 leaves out paper and stand responses (when allowed)."),
    ])
