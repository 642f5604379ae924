"""The workshop pack page of a process, for its city's organisers and moderators: choose the
document (pack, idea cards, poster), its language and the cards, then read it as a web page or
download its PDF. A document holds only what is public (published input, published summaries,
aggregated figures), yet each one drawn is recorded in the audit log like any export."""

from __future__ import annotations

from flask import Response, g, render_template, request
from flask_login import current_user

from engage.cities.permissions import is_city_staff
from engage.core import audit
from engage.core.auth import requires
from engage.core.i18n import current_language
from engage.exports import packs
from engage.exports.forms import PackForm
from engage.exports.routes import bp
from engage.exports.routes import process_in_city as _process
from engage.processes.models import Process

BASE = "/<city_slug>/manage/processes/<process_slug>/pack"


def _form(process: Process, data: dict | None = None) -> PackForm:
    return PackForm(list(process.themes or ()), formdata=data)


@bp.get(BASE)
@requires(is_city_staff)
def pack_page(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _process(process_slug)
    form = _form(process)
    form.language.data = current_language()
    return render_template("exports/pack_page.html", process=process, form=form)


@bp.get(BASE + "/document")
@requires(is_city_staff)
def pack_document(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _process(process_slug)
    form = _form(process, request.args)
    if not form.validate():
        return render_template("exports/pack_page.html", process=process, form=form), 422
    options = packs.PackOptions(document=form.document.data, language=form.language.data,
                                theme=form.theme.data or None,
                                cards=form.cards.data or packs.CARDS_DEFAULT)
    kind = form.format.data
    audit.record(current_user, "export", "process", process.id, g.city.id,
                 f"[anonymised] {kind}: {options.document} ({options.language})")
    html = packs.render(process, options, for_pdf=kind == "pdf")
    filename = f"{process.slug}-{options.document}-{options.language}"
    if kind == "html":
        response = Response(html, content_type="text/html; charset=utf-8")
    else:
        response = Response(packs.write_pdf(html), content_type="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
