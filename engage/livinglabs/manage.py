"""The organisers' pages of a living lab: its sessions (list, create, edit, cancel, delete), each
session's attendee list (filters, the answers people gave), the attendee exports (why, and with
or without personal data; each recorded in the audit log), messages to the confirmed or the
waitlisted participants, closing attendance (no-shows), cancelling one person's registration,
and the living lab's settings.

The city's organisers only: `@requires(is_city_organiser)` on the URL's city, then
`can_manage_lab` on the process; a process of another kind or city is a 404, and so is a session
or registration of another living lab. Each write is one service call; a refusal answers 422
with the page and its message (the request is rolled back), a success a redirect (303, or
`HX-Location` for htmx), so everything works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from engage.accounts.models import STAKEHOLDER_TYPES
from engage.cities.permissions import is_city_organiser
from engage.core import audit
from engage.core.auth import requires
from engage.core.forms import form_status, show_refusal
from engage.core.htmx import redirect_after_post
from engage.core.pagination import page_number, paginate
from engage.core.tenancy import get_in_city_or_404
from engage.extensions import db
from engage.livinglabs import exports, mail, services, sessions
from engage.livinglabs.forms import (
    CancelSessionForm,
    ExportForm,
    MessageForm,
    SessionForm,
    SettingsForm,
    session_data,
)
from engage.livinglabs.models import (
    CHANNELS,
    FORMATS,
    QUESTIONS,
    STATUSES,
    LabSession,
    Registration,
)
from engage.livinglabs.permissions import can_manage_lab
from engage.livinglabs.services import RegistrationError
from engage.processes.loading import process_of_kind
from engage.processes.models import Process

bp = Blueprint("livinglab_manage", __name__)

BASE = "/<city_slug>/manage/processes/<process_slug>/livinglab"
TEMPLATES = "livinglabs/manage/"
# The statuses the attendee list filters by, in the order it shows them.
FILTER_STATUSES = ("confirmed", "waitlisted", "attended", "no_show", "pending", "cancelled")
ATTENDEES_PER_PAGE = 200


# ---------------------------------------------------------------- loading


def _lab(process_slug: str) -> Process:
    return process_of_kind(process_slug, "livinglab", allowed=can_manage_lab)


def _session(process: Process, session_id: int) -> LabSession:
    return get_in_city_or_404(LabSession, LabSession.id == session_id,
                              LabSession.process_id == process.id)


def _sessions_url(process: Process, anchor: str | None = None) -> str:
    return url_for(".sessions", city_slug=g.city.slug, process_slug=process.slug,
                   _anchor=anchor)


def _attendees_url(process: Process, session: LabSession) -> str:
    return url_for(".attendees", city_slug=g.city.slug, process_slug=process.slug,
                   session_id=session.id)


def _page(template: str, process: Process, status: int | None = None, **context: Any):  # noqa: ANN202
    return render_template(TEMPLATES + template, city=g.city, process=process,
                           **context), status or form_status()


def _counts(process: Process, session_id: int | None = None) -> dict[int, dict[str, int]]:
    """{session id: {status: count}} of the living lab's registrations (one query)."""
    query = (select(Registration.session_id, Registration.status, func.count())
             .where(Registration.process_id == process.id)
             .group_by(Registration.session_id, Registration.status))
    if session_id is not None:
        query = query.where(Registration.session_id == session_id)
    counts: dict[int, dict[str, int]] = {}
    for sid, status, number in db.session.execute(query):
        counts.setdefault(sid, {})[status] = int(number)
    return counts


# ---------------------------------------------------------------- sessions


@bp.get(BASE + "/sessions", endpoint="sessions")
@requires(is_city_organiser)
def sessions_page(city_slug: str, process_slug: str):  # noqa: ANN201
    """Every session with its seats taken, waitlist and attendance, and their actions."""
    process = _lab(process_slug)
    rows = db.session.scalars(select(LabSession).where(LabSession.process_id == process.id)
                              .order_by(LabSession.starts_at, LabSession.id)).all()
    return render_template(TEMPLATES + "sessions.html", city=g.city, process=process,
                           lab_sessions=rows, counts=_counts(process))


def _session_form_page(process: Process, form: SessionForm, session: LabSession | None):  # noqa: ANN202
    return _page("session_form.html", process, form=form, lab_session=session,
                 FORMATS=FORMATS, STAKEHOLDER_TYPES=STAKEHOLDER_TYPES)


@bp.route(BASE + "/sessions/new", methods=["GET", "POST"])
@requires(is_city_organiser)
def new_session(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _lab(process_slug)
    form = SessionForm()
    if form.validate_on_submit():
        try:
            session = sessions.create_session(process, form.values(), current_user)
        except RegistrationError as error:
            show_refusal(form, error.field, error.message)
        else:
            flash(_("The session was created."), "success")
            return redirect_after_post(_sessions_url(process, f"session-{session.id}"))
    return _session_form_page(process, form, None)


@bp.route(BASE + "/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@requires(is_city_organiser)
def edit_session(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    process = _lab(process_slug)
    session = _session(process, session_id)
    if session.is_cancelled:
        return _page("cancelled.html", process, status=409 if request.method == "POST" else 200,
                     lab_session=session)
    form = SessionForm(data=session_data(session))
    if form.validate_on_submit():
        try:
            result = sessions.update_session(session, form.values())
        except RegistrationError as error:
            show_refusal(form, error.field, error.message)
        else:
            flash(_("Your changes were saved."), "success")
            promoted = len(result.capacity.promoted)
            if promoted:
                flash(ngettext("%(num)s person was moved up from the waitlist and told.",
                               "%(num)s people were moved up from the waitlist and told.",
                               promoted), "success")
            if result.capacity.over_capacity:
                flash(ngettext(
                    "%(num)s person holds a seat above the new capacity; nobody was removed.",
                    "%(num)s people hold a seat above the new capacity; nobody was removed.",
                    result.capacity.over_capacity), "warning")
            if result.notified:
                flash(ngettext("%(num)s person was told about the change.",
                               "%(num)s people were told about the change.",
                               result.notified), "success")
            return redirect_after_post(_sessions_url(process, f"session-{session.id}"))
    return _session_form_page(process, form, session)


@bp.route(BASE + "/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@requires(is_city_organiser)
def cancel_session(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    """A confirmation page with the reason people are told, then the cancellation."""
    process = _lab(process_slug)
    session = _session(process, session_id)
    form = CancelSessionForm()
    error = None
    if form.validate_on_submit():
        try:
            told = services.cancel_session(session, form.reason.data or "")
        except RegistrationError as refused:
            error = str(refused.message)
        else:
            audit.record(current_user, "cancel_session", "lab_session", session.id,
                         g.city.id, form.reason.data or "")
            flash(ngettext("The session was cancelled. %(num)s person was told.",
                           "The session was cancelled. %(num)s people were told.", told),
                  "success")
            return redirect_after_post(_sessions_url(process, f"session-{session.id}"))
    counts = _counts(process, session.id).get(session.id, {})
    active = sum(counts.get(s, 0) for s in ("pending", "confirmed", "waitlisted"))
    return _page("cancel.html", process, form=form, lab_session=session, error=error,
                 active=active)


@bp.post(BASE + "/sessions/<int:session_id>/delete")
@requires(is_city_organiser)
def delete_session(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    process = _lab(process_slug)
    session = _session(process, session_id)
    try:
        services.delete_session(session)
    except RegistrationError as refused:
        rows = db.session.scalars(select(LabSession).where(LabSession.process_id == process.id)
                                  .order_by(LabSession.starts_at, LabSession.id)).all()
        return render_template(TEMPLATES + "sessions.html", city=g.city, process=process,
                               lab_sessions=rows, counts=_counts(process),
                               error=str(refused.message)), 422
    flash(_("The session was deleted."), "success")
    return redirect_after_post(_sessions_url(process))


# ---------------------------------------------------------------- attendees


def _filters() -> tuple[str, str]:
    status = request.args.get("status", "")
    group = request.args.get("type", "")
    return (status if status in FILTER_STATUSES else "",
            group if group in STAKEHOLDER_TYPES else "")


def _waitlist_positions(session: LabSession) -> dict[int, int]:
    ids = db.session.scalars(
        select(Registration.id).where(Registration.session_id == session.id,
                                      Registration.status == "waitlisted")
        .order_by(Registration.waitlisted_at, Registration.id)).all()
    return {rid: n for n, rid in enumerate(ids, start=1)}


def _attendees_page(process: Process, session: LabSession, error: str | None = None,
                    status_code: int = 200):  # noqa: ANN202
    status, group = _filters()
    order = case({s: n for n, s in enumerate(FILTER_STATUSES)}, value=Registration.status,
                 else_=len(FILTER_STATUSES))
    query = (select(Registration).options(joinedload(Registration.user))
             .where(Registration.session_id == session.id)
             .order_by(order, Registration.waitlisted_at, Registration.id))
    if status:
        query = query.where(Registration.status == status)
    if group:
        query = query.where(Registration.stakeholder_type == group)
    page = paginate(query, page_number(request.args.get("page")), ATTENDEES_PER_PAGE)
    counts = _counts(process, session.id).get(session.id, {})
    return render_template(
        TEMPLATES + "attendees.html", city=g.city, process=process, lab_session=session,
        page=page, status=status, group=group, counts=counts,
        positions=_waitlist_positions(session), FILTER_STATUSES=FILTER_STATUSES,
        STATUSES=STATUSES, STAKEHOLDER_TYPES=STAKEHOLDER_TYPES, CHANNELS=CHANNELS,
        QUESTIONS=QUESTIONS, error=error,
    ), status_code


@bp.get(BASE + "/sessions/<int:session_id>/attendees")
@requires(is_city_organiser)
def attendees(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    """Who registered, filtered by status and stakeholder type (a plain GET form), with the
    answers they gave; the waitlist in its order."""
    process = _lab(process_slug)
    return _attendees_page(process, _session(process, session_id))


@bp.post(BASE + "/sessions/<int:session_id>/no-shows")
@requires(is_city_organiser)
def mark_no_shows(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    """Close attendance: everyone confirmed and not checked in did not come."""
    process = _lab(process_slug)
    session = _session(process, session_id)
    try:
        marked = services.mark_no_shows(session)
    except RegistrationError as refused:
        return _attendees_page(process, session, str(refused.message), 422)
    flash(ngettext("%(num)s person was marked as not having come.",
                   "%(num)s people were marked as not having come.", marked), "success")
    return redirect_after_post(_attendees_url(process, session))


@bp.post(BASE + "/registrations/<int:registration_id>/cancel")
@requires(is_city_organiser)
def cancel_registration(city_slug: str, process_slug: str, registration_id: int):  # noqa: ANN201
    """The organisers cancel one person's registration (recorded in the audit log); the first
    waitlisted person moves up."""
    process = _lab(process_slug)
    registration = get_in_city_or_404(Registration, Registration.id == registration_id,
                                      Registration.process_id == process.id)
    session = registration.session
    try:
        promoted = services.cancel(registration, by="organiser")
    except RegistrationError as refused:
        return _attendees_page(process, session, str(refused.message), 422)
    reason = (request.form.get("reason") or "").strip()[:500]
    audit.record(current_user, "cancel_registration", "lab_registration", registration.id,
                 g.city.id, reason)
    flash(_("The registration of %(name)s was cancelled.", name=registration.name or "–"),
          "success")
    if promoted:
        flash(ngettext("%(num)s person was moved up from the waitlist and told.",
                       "%(num)s people were moved up from the waitlist and told.",
                       len(promoted)), "success")
    return redirect_after_post(_attendees_url(process, session))


# ---------------------------------------------------------------- exports


def _export(process: Process, session: LabSession | None):  # noqa: ANN202
    form = ExportForm()
    if form.validate_on_submit():
        personal = bool(form.personal.data)
        # A fixed, untranslated marker: the audit log reads the same whoever exported.
        reason = ("[personal data] " if personal else "[anonymised] ") + form.reason.data
        if session is not None:
            audit.record(current_user, "export_attendees", "lab_session", session.id,
                         g.city.id, reason)
            filename = f"attendees-{process.slug}-session-{session.id}.csv"
        else:
            audit.record(current_user, "export_attendees", "process", process.id,
                         g.city.id, reason)
            filename = f"attendees-{process.slug}.csv"
        chunks = exports.stream_csv(
            exports.attendee_rows(process, session, personal=personal),
            form.delimiter.data)
        response = Response(stream_with_context(chunks), content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
    return _page("export.html", process, form=form, lab_session=session)


@bp.route(BASE + "/sessions/<int:session_id>/attendees/export", methods=["GET", "POST"])
@requires(is_city_organiser)
def export_attendees(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    process = _lab(process_slug)
    return _export(process, _session(process, session_id))


@bp.route(BASE + "/attendees/export", methods=["GET", "POST"])
@requires(is_city_organiser)
def export_all_attendees(city_slug: str, process_slug: str):  # noqa: ANN201
    return _export(_lab(process_slug), None)


# ---------------------------------------------------------------- messages


@bp.route(BASE + "/sessions/<int:session_id>/message", methods=["GET", "POST"])
@requires(is_city_organiser)
def message(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    """A plain-text message to everyone confirmed or everyone waitlisted, through the outbox."""
    process = _lab(process_slug)
    session = _session(process, session_id)
    form = MessageForm()
    if form.validate_on_submit():
        subject = " ".join((form.subject.data or "").split())  # one line: it is a header
        audience = form.audience.data
        recipients = mail.recipients_of(session, (audience,))
        for registration in recipients:
            mail.organiser_message(registration, subject, form.body.data)
        audit.record(current_user, "message_participants", "lab_session", session.id,
                     g.city.id, f"{audience} ({len(recipients)}): {subject}")
        flash(ngettext("The message was sent to %(num)s person.",
                       "The message was sent to %(num)s people.", len(recipients)), "success")
        return redirect_after_post(_attendees_url(process, session))
    counts = _counts(process, session.id).get(session.id, {})
    return _page("message.html", process, form=form, lab_session=session, counts=counts)


# ---------------------------------------------------------------- settings


@bp.route(BASE + "/settings", methods=["GET", "POST"])
@requires(is_city_organiser)
def settings(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _lab(process_slug)
    current = services.settings_for(process.id)
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        try:
            sessions.save_settings(process, form.accessibility_retention_days.data,
                                   form.guest_confirmation_hours.data)
        except RegistrationError as error:
            show_refusal(form, error.field, error.message)
        else:
            flash(_("Your changes were saved."), "success")
            return redirect_after_post(url_for(".settings", city_slug=g.city.slug,
                                               process_slug=process.slug))
    return _page("settings.html", process, form=form)
