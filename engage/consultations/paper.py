"""Responses collected on paper or at an information stand: typed in by the city's organisers
one form at a time, or imported from a CSV file with the questionnaire's columns.

The CSV template has one column per question (`q<id>`; a matrix has one per row,
`q<id>_row<row id>`), plus `channel` and the profile questions the consultation asks. Choices
are written as the option's label (Romanian or English, any case) or its number in the list;
several choices (and a ranking, first to last) are separated by ";"; yes/no as da/nu or
yes/no. Each row is checked like a citizen's answers; rows with errors are reported and left
out, the others imported. A file that cannot be read (not UTF-8 CSV, no header, unknown or
missing columns) imports nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from engage.cities.permissions import is_city_organiser
from engage.consultations import answers
from engage.consultations.answers import Page, ResponseError
from engage.consultations.models import CHANNELS, PROFILE_QUESTIONS
from engage.consultations.models import Response as ConsultationResponse
from engage.core.auth import requires
from engage.core.i18n import localized
from engage.extensions import db
from engage.processes.loading import process_of_kind
from engage.processes.models import Process

bp = Blueprint("consultation_paper", __name__)

MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 5000
YES = {"da", "yes", "y", "1", "true"}
NO = {"nu", "no", "n", "0", "false"}


class ImportError_(Exception):
    """The file cannot be read as a whole: nothing is imported."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ImportReport:
    imported: int = 0
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, messages)


def columns(structure: list[Page], process: Process) -> list[str]:
    from engage.consultations.services import settings_for

    names = ["channel"] + [key for key in (settings_for(process).profile_questions or ())
                           if key in PROFILE_QUESTIONS]
    for page in structure:
        for question in page.questions:
            if question.type == "info":
                if (question.settings or {}).get("consent"):
                    names.append(f"q{question.id}")
            elif question.type == "matrix":
                names.extend(f"q{question.id}_row{row.id}" for row in question.rows)
            else:
                names.append(f"q{question.id}")
    return names


def _option(question: Any, text: str, options: list[Any]) -> str | None:
    """The id (as text) of the option named by `text`: its label in either language, or its
    1-based number in the list."""
    wanted = text.strip().casefold()
    if wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return str(options[int(wanted) - 1].id)
    for option in options:
        if wanted in (option.label_ro.casefold(), (option.label_en or "").casefold()):
            return str(option.id)
    return None


def row_to_form(structure: list[Page], row: dict[str, str]) -> tuple[MultiDict, list[str]]:
    """One CSV row as the form fields a citizen's browser would send; unreadable cells are
    errors."""
    form: MultiDict = MultiDict()
    errors: list[str] = []
    for page in structure:
        for question in page.questions:
            name = f"q{question.id}"
            kind = question.type
            if kind == "matrix":
                for r in question.rows:
                    cell = (row.get(f"{name}_row{r.id}") or "").strip()
                    if cell:
                        option = _option(question, cell, question.choices)
                        if option is None:
                            errors.append(_("%(column)s: “%(value)s” is not one of the options.",
                                            column=f"{name}_row{r.id}", value=cell))
                        else:
                            form.add(f"{name}_row{r.id}", option)
                continue
            cell = (row.get(name) or "").strip()
            if not cell:
                continue
            if kind in ("single", "multiple", "ranking"):
                parts = [p.strip() for p in cell.split(";") if p.strip()] if kind != "single" \
                    else [cell]
                ids = []
                for part in parts:
                    option = _option(question, part, question.choices)
                    if option is None:
                        if (question.settings or {}).get("other") and kind != "ranking":
                            form.add(name, "other")
                            form.add(f"{name}_other", part)
                            continue
                        errors.append(_("%(column)s: “%(value)s” is not one of the options.",
                                        column=name, value=part))
                    else:
                        ids.append(option)
                if kind == "ranking":
                    for place, option in enumerate(ids, start=1):
                        form.add(f"{name}_r{option}", str(place))
                else:
                    for option in ids:
                        form.add(name, option)
            elif kind == "yes_no":
                lowered = cell.casefold()
                if lowered in YES:
                    form.add(name, "yes")
                elif lowered in NO:
                    form.add(name, "no")
                else:
                    errors.append(_("%(column)s: write yes or no.", column=name))
            elif kind == "info":
                if cell.casefold() in YES:
                    form.add(name, "agree")
            else:
                form.add(name, cell)
    return form, errors


def import_csv(structure: list[Page], process: Process, organiser: Any,
               data: bytes) -> ImportReport:
    """Import the rows of a CSV file (see the module's description); ImportError_ when the file
    as a whole is unusable."""
    if len(data) > MAX_CSV_BYTES:
        raise ImportError_(_l("The file is too large (at most 2 MB)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportError_(_l("The file is not UTF-8 text. Save it as “CSV UTF-8”.")) from error
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [name.strip() for name in reader.fieldnames or []]
    if not header:
        raise ImportError_(_l("The file has no header row."))
    expected = columns(structure, process)
    unknown = [name for name in header if name not in expected]
    if unknown:
        raise ImportError_(_l("Unknown columns: %(names)s. Download the template again.",
                              names=", ".join(unknown[:10])))
    report = ImportReport()
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_CSV_ROWS:
            raise ImportError_(_l("At most %(max)s rows per file.", max=MAX_CSV_ROWS))
        row = {(k or "").strip(): (v or "") for k, v in raw.items() if k}
        if not any(value.strip() for value in row.values()):
            continue
        form, problems = row_to_form(structure, row)
        channel = (row.get("channel") or "paper").strip() or "paper"
        profile = {key: row.get(key, "") for key in PROFILE_QUESTIONS}
        if problems:
            report.rejected.append((line, problems))
            continue
        try:
            with db.session.begin_nested():
                response, errors = answers.enter_paper_response(
                    structure, process, organiser, form, channel, profile)
                if errors:
                    raise _RowRefused(errors)
        except _RowRefused as refused:
            report.rejected.append((line, _messages(structure, refused.errors)))
            continue
        except ResponseError as error:
            report.rejected.append((line, [str(error.message)]))
            continue
        report.imported += 1
    return report


class _RowRefused(Exception):
    def __init__(self, errors: dict[int, Any]) -> None:
        super().__init__("row refused")
        self.errors = errors


def _messages(structure: list[Page], errors: dict[int, Any]) -> list[str]:
    texts = {q.id: str(localized(q, "text")) for p in structure for q in p.questions}
    return [f"q{qid} ({texts.get(qid, '')}): {message}" for qid, message in errors.items()]


# ---------------------------------------------------------------- pages


def _process(process_slug: str) -> Process:
    return process_of_kind(process_slug, "consultation")


def _paper_count(process: Process) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ConsultationResponse)
        .where(ConsultationResponse.process_id == process.id,
               ConsultationResponse.channel != "online",
               ConsultationResponse.status == "submitted")
    ) or 0


@bp.route("/<city_slug>/manage/processes/<process_slug>/paper", methods=["GET", "POST"])
@requires(is_city_organiser)
def enter(city_slug: str, process_slug: str):  # noqa: ANN201
    """Type in one paper or stand response; the form comes back empty for the next one."""
    process = _process(process_slug)
    structure = answers.pages(process)
    errors: dict[int, Any] = {}
    form_errors: list[str] = []
    values: dict[int, Any] = {}
    if request.method == "POST":
        try:
            response, errors = answers.enter_paper_response(
                structure, process, current_user, request.form,
                request.form.get("channel", "paper"), request.form.to_dict())
        except ResponseError as error:
            form_errors.append(str(error.message))
        else:
            if not errors:
                flash(_("The response was saved. The form is ready for the next one."),
                      "success")
                return redirect(request.path, code=303)
        for page in structure:
            values.update(answers.parse_section(structure, page, request.form, values).values)
    body = render_template(
        "consultations/paper.html", city=g.city, process=process, structure=structure,
        errors=errors, form_errors=form_errors, values=values, CHANNELS=CHANNELS,
        paper_count=_paper_count(process),
        profile_choices=answers.profile_choices(process),
        PROFILE_QUESTIONS=PROFILE_QUESTIONS, report=None,
        channel=request.form.get("channel", "paper"),
    )
    return body, 422 if request.method == "POST" else 200


@bp.get("/<city_slug>/manage/processes/<process_slug>/paper/template.csv")
@requires(is_city_organiser)
def template(city_slug: str, process_slug: str):  # noqa: ANN201
    """An empty CSV with the questionnaire's columns and, as a second row, what each means."""
    process = _process(process_slug)
    structure = answers.pages(process)
    names = columns(structure, process)
    meaning = {"channel": "paper | stand"}
    for page in structure:
        for question in page.questions:
            text = str(localized(question, "text"))
            if question.type == "matrix":
                for row in question.rows:
                    meaning[f"q{question.id}_row{row.id}"] = f"{text} — {localized(row, 'label')}"
            else:
                meaning[f"q{question.id}"] = text
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(names)
    writer.writerow([meaning.get(name, str(PROFILE_QUESTIONS.get(name, ""))) for name in names])
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{process.slug}-paper-responses.csv"')
    return response


@bp.post("/<city_slug>/manage/processes/<process_slug>/paper/import")
@requires(is_city_organiser)
def import_file(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _process(process_slug)
    structure = answers.pages(process)
    upload = request.files.get("file")
    report = None
    form_errors: list[str] = []
    if upload is None or not upload.filename:
        form_errors.append(_("Choose a CSV file."))
    else:
        try:
            report = import_csv(structure, process, current_user, upload.read())
        except ImportError_ as error:
            form_errors.append(str(error.message))
    if report is not None and not report.rejected:
        flash(_("%(n)s responses were imported.", n=report.imported), "success")
        return redirect(url_for(".enter", city_slug=g.city.slug, process_slug=process.slug),
                        code=303)
    body = render_template(
        "consultations/paper.html", city=g.city, process=process, structure=structure,
        errors={}, form_errors=form_errors, values={}, CHANNELS=CHANNELS,
        paper_count=_paper_count(process),
        profile_choices=answers.profile_choices(process),
        PROFILE_QUESTIONS=PROFILE_QUESTIONS, report=report, channel="paper",
    )
    # Rows that could be imported were (the report says which were not): the request commits.
    return body, 200 if report is not None else 422
