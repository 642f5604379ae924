"""The export page of a process, for its city's organisers and moderators, and the download.

GET shows the form (tables, format, separator, language, personal data with a reason); POST
checks it and streams the file. Personal data is for the city's organisers only, with a reason,
and only for tables that hold some; otherwise personal columns are left out and authors appear
as "participant N". Every export is recorded in the audit log (action "export"); a refused one
exports and records nothing. A workbook too large for a request is written in the background
(`exports.background`): the POST then leads to the file's page, which offers it once ready.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    stream_with_context,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engage import exports
from engage.cities.permissions import is_city_organiser, is_city_staff
from engage.core import audit
from engage.core.auth import requires
from engage.core.forms import show_refusal
from engage.core.tasks import after_commit
from engage.core.tenancy import get_in_city_or_404
from engage.exports import background, writers
from engage.exports.forms import ExportForm
from engage.exports.models import ExportFile
from engage.exports.tables import Options, Table
from engage.extensions import db
from engage.processes.models import Process

bp = Blueprint("exports", __name__)
BASE = "/<city_slug>/manage/processes/<process_slug>/export"
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "json": "application/json; charset=utf-8"}


def process_in_city(process_slug: str) -> Process:
    return get_in_city_or_404(Process, Process.slug == process_slug)


def _page(process: Process, tables: list[Table], form: ExportForm, status: int = 200):  # noqa: ANN202
    return render_template("exports/export.html", process=process, form=form, tables=tables,
                           may_personal=is_city_organiser(current_user, g.city),
                           files=background.recent(process, current_user)), status


def _form(tables: list[Table]) -> ExportForm:
    return ExportForm([(table.name, str(table.title)) for table in tables])


@bp.get(BASE)
@requires(is_city_staff)
def export_page(city_slug: str, process_slug: str):  # noqa: ANN201
    process = process_in_city(process_slug)
    tables = exports.tables_for(process, Options())
    form = _form(tables)
    form.tables.data = [table.name for table in tables]
    return _page(process, tables, form)


def _refusal(form: ExportForm, chosen: list[Table]) -> bool:
    """Say what is wrong with a valid-looking form; True when the export is refused."""
    refused = False
    if form.format.data == "csv" and len(chosen) != 1:
        show_refusal(form, "tables", _("A CSV file holds one table: choose exactly one."))
        refused = True
    if form.personal.data:
        if not is_city_organiser(current_user, g.city):
            show_refusal(form, None,  # (the field is not shown to them)
                         _("Only the city's organisers may export personal data."))
            refused = True
        elif not form.reason.data:
            show_refusal(form, "reason",
                         _("Say why you need personal data: the reason is recorded."))
            refused = True
        elif not any(table.has_personal for table in chosen):
            show_refusal(form, "personal",
                         _("None of the chosen tables holds personal data."))
            refused = True
    return refused


def _localised(make: Callable[[], Iterator], language: str) -> Iterator:
    with force_locale(language):
        yield from make()


@bp.post(BASE)
@requires(is_city_staff)
def download(city_slug: str, process_slug: str):  # noqa: ANN201
    process = process_in_city(process_slug)
    form = _form(exports.tables_for(process, Options()))
    if not form.validate_on_submit():
        return _page(process, exports.tables_for(process, Options()), form, 422)
    personal = bool(form.personal.data)
    options = Options(personal=personal, language=form.language.data)
    tables = exports.tables_for(process, options)
    chosen = [table for table in tables if table.name in form.tables.data]
    if _refusal(form, chosen):
        return _page(process, tables, form, 422)

    kind = form.format.data
    # A fixed, untranslated marker: the audit log reads the same whoever exported.
    marker = "[personal data] " if personal else "[anonymised] "
    names = ", ".join(table.name for table in chosen)
    audit.record(current_user, "export", "process", process.id, g.city.id,
                 f"{marker}{kind}: {names}" + (f" — {form.reason.data}" if personal else ""))
    cells = background.needs_background(kind, chosen, personal)
    if cells:
        export = background.queue(process, current_user, chosen, personal, options.language,
                                  cells)
        after_commit("build_export", export.id)
        return redirect(url_for("exports.export_file", city_slug=city_slug,
                                process_slug=process_slug, file_id=export.id), 303)
    if kind == "csv":
        table = chosen[0]
        filename = f"{process.slug}-{table.name}.csv"
        delimiter = form.delimiter.data

        def make() -> Iterator:
            return writers.csv_chunks(table, personal, delimiter)
    elif kind == "xlsx":
        filename = f"{process.slug}.xlsx"

        def make() -> Iterator:
            return writers.xlsx_chunks(chosen, personal)
    else:
        filename = f"{process.slug}.json"

        def make() -> Iterator:
            return writers.json_chunks(chosen, personal)
    response = Response(stream_with_context(_localised(make, options.language)),
                        content_type=CONTENT_TYPES[kind])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _file(process: Process, file_id: int) -> ExportFile:
    export = db.session.scalar(select(ExportFile).where(ExportFile.id == file_id,
                                                        ExportFile.process_id == process.id))
    if export is None:
        abort(404)
    if not background.may_download(current_user, export):
        abort(403)
    return export


@bp.get(BASE + "/files/<int:file_id>")
@requires(is_city_staff)
def export_file(city_slug: str, process_slug: str, file_id: int):  # noqa: ANN201
    """A workbook written in the background: its state (the page refreshes itself while the
    file is being written) and, once ready, its download link."""
    process = process_in_city(process_slug)
    export = _file(process, file_id)
    return render_template("exports/export_file.html", process=process, export=export,
                           available=background.content_available(export))


@bp.get(BASE + "/files/<int:file_id>/download")
@requires(is_city_staff)
def download_file(city_slug: str, process_slug: str, file_id: int):  # noqa: ANN201
    process = process_in_city(process_slug)
    export = _file(process, file_id)
    data = background.content(export)
    if data is None:
        abort(404)
    response = Response(data, content_type=CONTENT_TYPES[export.format])
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
