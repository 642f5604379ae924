"""Processes blueprint: the public process page and the organisers' management pages.

Every view loads its process inside the URL's city (`g.city`, loaded from `city_slug`), so a
process of another city is a 404; access is declared with `core.auth` decorators on the city
and decided for the one process by the predicates in `permissions.py`.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engage.cities.permissions import is_city_organiser, is_city_staff
from engage.core.auth import login_required, public, requires
from engage.core.forms import show_refusal
from engage.core.htmx import redirect_after_post, render
from engage.core.tenancy import get_in_city_or_404
from engage.extensions import htmx
from engage.processes import services
from engage.processes.forms import ACTION_CONFIRMATIONS, ACTION_LABELS, ProcessForm, StatusForm
from engage.processes.models import STATUSES, Process
from engage.processes.permissions import can_edit_process, can_view_process
from engage.processes.services import ProcessError

bp = Blueprint("processes", __name__)

STATUS_CHANGED = {
    "publish": _l("The process is published and visible to the public."),
    "close": _l("The process is closed. Nobody can take part any more."),
    "reopen": _l("The process is published again."),
    "archive": _l("The process is archived."),
}


def _load_process(process_slug: str) -> Process:
    return get_in_city_or_404(Process, Process.slug == process_slug)


def _editable_process(process_slug: str) -> Process:
    process = _load_process(process_slug)
    if not can_edit_process(current_user, process):
        abort(403)
    return process


def _show_error(form: ProcessForm, error: ProcessError) -> None:
    """A refusal from the services, shown on its field when the form has that field."""
    show_refusal(form, error.field, error.message)


def _status_actions_context() -> dict:
    """What `_status_actions.html` needs to draw the status buttons."""
    return {
        "actions_for": services.available_actions,
        "ACTION_LABELS": ACTION_LABELS,
        "ACTION_CONFIRMATIONS": ACTION_CONFIRMATIONS,
    }


def _form_page(form: ProcessForm, process: Process | None):  # noqa: ANN202
    # A refused submission answers 422: the request's transaction is rolled back as well.
    status = 422 if request.method == "POST" and form.errors else 200
    page = render_template(
        "processes/manage/form.html",
        form=form,
        process=process,
        city=g.city,
        **_status_actions_context(),
    )
    return page, status


@bp.get("/<city_slug>/p/<process_slug>")
@public
def process_page(city_slug: str, process_slug: str):  # noqa: ANN201
    """The generic page of a process: what it is about, its phase and dates."""
    process = _load_process(process_slug)
    if not can_view_process(current_user, process):
        abort(404)
    return render_template(
        "processes/process.html",
        process=process,
        city=g.city,
        can_edit=can_edit_process(current_user, process),
        is_staff=is_city_staff(current_user, g.city),
    )


@bp.get("/<city_slug>/manage/")
@requires(is_city_staff)
def manage(city_slug: str):  # noqa: ANN201
    """All processes of the city, drafts included, filterable by status (`?status=`)."""
    status = request.args.get("status", "")
    if status not in STATUSES:
        status = ""
    city = g.city
    context = {
        "city": city,
        "status": status,
        "processes": services.list_city_processes(city, status or None),
        "counts": services.status_counts(city),
        "can_organise": is_city_organiser(current_user, city),
        "STATUSES": STATUSES,
        **_status_actions_context(),
    }
    # htmx restoring history asks for the whole page, not the fragment it swapped earlier.
    fragment = None if htmx.history_restore_request else "processes/manage/_process_table.html"
    response = make_response(
        render("processes/manage/dashboard.html", fragment=fragment, **context)
    )
    response.vary.add("HX-Request")
    return response


@bp.route("/<city_slug>/manage/processes/new", methods=["GET", "POST"])
@requires(is_city_organiser)
def create_process(city_slug: str):  # noqa: ANN201
    form = ProcessForm()
    if form.validate_on_submit():
        try:
            services.create_process(g.city, current_user, form.values())
        except ProcessError as error:
            _show_error(form, error)
        else:
            flash(
                _("The process was saved as a draft. The public will see it once you publish it."),
                "success",
            )
            return redirect_after_post(url_for(".manage", city_slug=g.city.slug))
    return _form_page(form, None)


@bp.route("/<city_slug>/manage/processes/<process_slug>/edit", methods=["GET", "POST"])
@requires(is_city_organiser)
def edit_process(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _editable_process(process_slug)
    form = ProcessForm(data=services.editable_data(process))
    if process.status != "draft":
        # Kind and address are fixed once published: not offered, and not read from the post.
        for name in services.LOCKED_AFTER_PUBLISHING:
            del form[name]
    if form.validate_on_submit():
        try:
            services.update_process(process, form.values())
        except ProcessError as error:
            _show_error(form, error)
        else:
            flash(_("Your changes were saved."), "success")
            return redirect_after_post(url_for(".manage", city_slug=g.city.slug))
    return _form_page(form, process)


@bp.post("/<city_slug>/manage/processes/<process_slug>/status")
@requires(is_city_organiser)
def change_status(city_slug: str, process_slug: str):  # noqa: ANN201
    """Publish, close, reopen or archive; every outcome is a message on the dashboard."""
    process = _editable_process(process_slug)
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Unknown action."), "error")
    else:
        try:
            services.change_status(process, form.action.data)
        except ProcessError as error:
            flash(str(error.message), error.category)
        else:
            flash(str(STATUS_CHANGED[form.action.data]), "success")
    return redirect_after_post(url_for(".manage", city_slug=g.city.slug))


@bp.get("/account/input")
@login_required
def my_input():  # noqa: ANN201
    """What became of my input: every idea, comment, answer and observation I wrote, its
    status and the reason of the last decision, and the summaries that cite it."""
    try:
        page = int(request.args.get("page", 1))
    except ValueError:
        page = 1
    entries, pages = services.input_of(current_user, page)
    return render_template("processes/my_input.html", entries=entries, page=page, pages=pages,
                           INPUT_KINDS=services.INPUT_KINDS)
