"""Check-in at the door, on a phone: the session's counters (attended, seated, capacity), a ticket
typed or scanned from the participant's QR code, a search by name with a "Check in" (and
"Undo") button per person, and walk-ins added on the spot.

The city's organisers and moderators (`@requires(is_city_staff)`, then `can_check_in` on the
living lab). Only the people holding a seat (confirmed, attended, no-show) are listed, with
their name, stakeholder type, status and the last characters of their ticket code: never their
e-mail address or their answers, which are for the organisers' attendee list.

Checking in is possible from 2 hours before the start until 12 hours after the end of the
session (`services.check_in_refusal`, which the check-in services enforce), so a ticket is not
marked by mistake a week early or on another day's session. Every write is one service call; a
refusal changes nothing. For htmx the answer is the result fragment (with the counters, swapped
out of band); without JavaScript a redirect back to the page with the result as a flash message.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, render_template, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user

from engage.accounts.models import STAKEHOLDER_TYPES
from engage.cities.permissions import is_city_staff
from engage.core.auth import requires
from engage.core.htmx import redirect_after_post, wants_fragment
from engage.core.tenancy import get_in_city_or_404
from engage.livinglabs import services
from engage.livinglabs.models import NAME_MAX, LabSession, Registration
from engage.livinglabs.permissions import can_check_in
from engage.livinglabs.services import RegistrationError
from engage.processes.loading import process_of_kind
from engage.processes.models import Process

bp = Blueprint("livinglab_checkin", __name__)

BASE = "/<city_slug>/manage/processes/<process_slug>/livinglab"
TEMPLATES = "livinglabs/checkin/"
SEARCH_MAX = 100  # characters of a name search
# The camera is allowed on this page only (the site's default policy refuses it everywhere).
PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(self)"


# ---------------------------------------------------------------- loading


def _lab(process_slug: str) -> Process:
    return process_of_kind(process_slug, "livinglab", allowed=can_check_in)


def _session(process: Process, session_id: int) -> LabSession:
    return get_in_city_or_404(LabSession, LabSession.id == session_id,
                              LabSession.process_id == process.id)


def _registration(session: LabSession, registration_id: int) -> Registration:
    return get_in_city_or_404(Registration, Registration.id == registration_id,
                              Registration.session_id == session.id)


def _page_url(process: Process, session: LabSession, **args: Any) -> str:
    return url_for(".check_in_page", city_slug=g.city.slug, process_slug=process.slug,
                   session_id=session.id, **args)


def _checked_in_message(registration: Registration, already: bool) -> str:
    if already:
        when = registration.checked_in_at
        return (_("Already checked in at %(time)s: %(name)s.",
                  time=format_time(when, "HH:mm"), name=registration.name)
                if when else _("Already checked in: %(name)s.", name=registration.name))
    return _("Checked in: %(name)s.", name=registration.name)


def _answer(process: Process, session: LabSession, message: str, category: str,
            registration: Registration | None = None, back: str | None = None):  # noqa: ANN202
    """The result: the fragment (and the counters, out of band) for htmx, else a redirect back
    to the page (keeping the search) with the result as a flash message."""
    if wants_fragment():
        return render_template(TEMPLATES + "_result.html", city=g.city, process=process,
                               session=session, message=message, category=category,
                               registration=registration,
                               counts=services.door_counts(session), oob=True)
    flash(message, category)
    return redirect_after_post(back or _page_url(process, session))


def _back(process: Process, session: LabSession) -> str:
    query = (request.form.get("q") or "").strip()[:SEARCH_MAX]
    return _page_url(process, session, q=query) if query else _page_url(process, session)


# ---------------------------------------------------------------- views


@bp.get(BASE + "/sessions/<int:session_id>/check-in")
@requires(is_city_staff)
def check_in_page(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    """The door's page: counters, the ticket form and QR scanner, the search by name."""
    process = _lab(process_slug)
    session = _session(process, session_id)
    query = (request.args.get("q") or "").strip()[:SEARCH_MAX]
    people = services.search_seated(session, query) if query else []
    context = {"city": g.city, "process": process, "session": session, "query": query,
               "people": people, "counts": services.door_counts(session),
               "closed": services.check_in_refusal(session), "STAKEHOLDER_TYPES": STAKEHOLDER_TYPES}
    if wants_fragment() and request.headers.get("HX-Target") == "checkin-people":
        return render_template(TEMPLATES + "_people.html", **context)
    response = render_template(TEMPLATES + "page.html", **context)
    return response, 200, {"Permissions-Policy": PERMISSIONS_POLICY}


@bp.post(BASE + "/sessions/<int:session_id>/check-in")
@requires(is_city_staff)
def check_in(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    """A ticket typed (its code, in any case, with spaces or dashes) or scanned (its token)."""
    process = _lab(process_slug)
    session = _session(process, session_id)
    refusal = services.check_in_refusal(session)
    if refusal is not None:
        return _answer(process, session, str(refusal), "error")
    ticket = (request.form.get("ticket") or "")[:200]
    try:
        registration, already = services.check_in(session, ticket, current_user)
    except RegistrationError as error:
        return _answer(process, session, str(error.message), "error")
    return _answer(process, session, _checked_in_message(registration, already),
                   "info" if already else "success", registration)


@bp.post(BASE + "/sessions/<int:session_id>/check-in/<int:registration_id>")
@requires(is_city_staff)
def check_in_person(city_slug: str, process_slug: str, session_id: int,  # noqa: ANN201
                    registration_id: int):
    """The "Check in" button beside a name found by the search."""
    process = _lab(process_slug)
    session = _session(process, session_id)
    registration = _registration(session, registration_id)
    back = _back(process, session)
    try:
        already = services.check_in_person(registration, current_user)
    except RegistrationError as error:
        return _answer(process, session, str(error.message), "error", back=back)
    return _answer(process, session, _checked_in_message(registration, already),
                   "info" if already else "success", registration, back=back)


@bp.post(BASE + "/sessions/<int:session_id>/check-in/<int:registration_id>/undo")
@requires(is_city_staff)
def undo_check_in(city_slug: str, process_slug: str, session_id: int,  # noqa: ANN201
                  registration_id: int):
    """A check-in made by mistake: the person is confirmed again."""
    process = _lab(process_slug)
    session = _session(process, session_id)
    registration = _registration(session, registration_id)
    back = _back(process, session)
    try:
        services.undo_check_in(registration)
    except RegistrationError as error:
        return _answer(process, session, str(error.message), "error", back=back)
    return _answer(process, session,
                   _("Check-in undone: %(name)s.", name=registration.name), "success",
                   registration, back=back)


@bp.route(BASE + "/sessions/<int:session_id>/walk-in", methods=["GET", "POST"])
@requires(is_city_staff)
def walk_in(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    """Someone who came without registering: name and stakeholder type; when the session is
    full, the form asks to confirm adding them above the capacity."""
    process = _lab(process_slug)
    session = _session(process, session_id)
    refusal = services.check_in_refusal(session)
    current = services.door_counts(session)
    form = {"name": "", "stakeholder_type": "citizen", "over_capacity": False}
    error: str | None = None
    error_field: str | None = None
    if request.method == "POST":
        form = {"name": (request.form.get("name") or "").strip(),
                "stakeholder_type": request.form.get("stakeholder_type") or "",
                "over_capacity": request.form.get("over_capacity") == "1"}
        if refusal is not None:
            error = str(refusal)
        else:
            try:
                registration = services.add_walk_in(
                    session, name=form["name"][:NAME_MAX + 1],
                    stakeholder_type=form["stakeholder_type"], actor=current_user,
                    over_capacity=form["over_capacity"])
            except RegistrationError as problem:
                error, error_field = str(problem.message), problem.field
            else:
                flash(_("Walk-in added and checked in: %(name)s.", name=registration.name),
                      "success")
                return redirect_after_post(_page_url(process, session))
    full = current["seated"] >= session.capacity
    return render_template(
        TEMPLATES + "walk_in.html", city=g.city, process=process, session=session,
        form=form, error=error, error_field=error_field, full=full, counts=current,
        closed=refusal, STAKEHOLDER_TYPES=STAKEHOLDER_TYPES, NAME_MAX=NAME_MAX,
    ), 422 if request.method == "POST" else 200
