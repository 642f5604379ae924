"""The participants' pages of a living lab: the list of sessions, a session's page (with its
outcome once published), registering with an account or as a guest, the personal ticket page
reached from the e-mails (QR code, online link once seated, cancelling), a guest's confirmation
link, a person's registrations, and the calendars (a session's `.ics`, a registration's, the
city's subscribable feed).

The personal pages are reached by `Registration.token`, the secret of the e-mail links: they
need no log-in, are never cached and send no Referer. The online link of a session is shown
only there, and only to people who hold a seat. Nothing said to a guest depends on whether
their address was registered before (no enumeration).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    flash,
    g,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from werkzeug.wrappers import Response

from engage.accounts.models import STAKEHOLDER_TYPES
from engage.core import citations
from engage.core.auth import login_required, public
from engage.core.db import utcnow, writes_on_get
from engage.core.forms import form_status, show_refusal
from engage.core.htmx import redirect_after_post
from engage.core.i18n import current_language
from engage.core.pagecache import cached_page
from engage.core.tenancy import current_city, get_in_city_or_404
from engage.extensions import db, limiter
from engage.livinglabs import calendar, services, stats, tickets
from engage.livinglabs.forms import RegistrationForm
from engage.livinglabs.models import (
    LAB_PHASES,
    LabAttachment,
    LabSession,
    LabSettings,
    Registration,
)
from engage.livinglabs.permissions import can_check_in, can_manage_lab
from engage.livinglabs.services import CLOSED_MESSAGES, RegistrationError
from engage.processes.loading import process_of_kind
from engage.processes.models import Process

bp = Blueprint("livinglab", __name__)

# Generous for a person registering for a few sessions, tight for a script filling rooms or
# sending confirmation mail to other people's addresses.
REGISTER_LIMIT = "10 per minute;60 per hour"
# The city feed: the sessions of the last days stay in subscribers' calendars.
FEED_PAST_DAYS = 30
FEED_LIMIT = 500
MY_REGISTRATIONS_LIMIT = 500
FEED_STATUSES = ("published", "closed")
PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}


def _rate_key() -> str:
    from flask_limiter.util import get_remote_address

    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


# ---------------------------------------------------------------- loading


def _lab(process_slug: str) -> Process:
    """The URL's living lab, when the visitor may see it (a draft is a 404 for the public)."""
    return process_of_kind(process_slug, "livinglab", visible=True)


def _session_of(process: Process, session_id: int) -> LabSession:
    """One of the lab's sessions, loaded inside the URL's city (another city's is a 404)."""
    return get_in_city_or_404(LabSession, LabSession.id == session_id,
                              LabSession.process_id == process.id)


def _session_args(session: LabSession) -> dict[str, Any]:
    return {"city_slug": session.process.city.slug, "process_slug": session.process.slug,
            "session_id": session.id}


def _ticket_url(registration: Registration) -> str:
    return url_for(".ticket", token=registration.token)


def _private(response: Response) -> Response:
    """A page whose URL is a secret: not kept by any cache, not sent on as a Referer."""
    response.headers.update(PRIVATE_HEADERS)
    return response


def _registration_or_none(token: str) -> Registration | None:
    try:
        return services.registration_by_token(token)
    except RegistrationError:
        return None


def _invalid_link() -> Response:
    response = make_response(render_template(
        "errors/error.html", code=404, title=_("This link is not valid"),
        text=_("We found no registration for this link. Please check that you opened the "
               "whole link from your e-mail; if you cancelled and registered again, use the "
               "link of the latest e-mail.")), 404)
    return _private(response)



def _retention_days(process_id: int) -> int:
    """How long accessibility needs are kept after a session (read only: a GET writes
    nothing; the services create the settings row when they need it)."""
    settings = db.session.get(LabSettings, process_id)
    if settings is not None:
        return settings.accessibility_retention_days
    return int(LabSettings.__table__.c.accessibility_retention_days.default.arg)


def attachment_url(session: LabSession, attachment: LabAttachment) -> str:
    return url_for("livinglab_outcome.attachment", **_session_args(session),
                   attachment_id=attachment.id)


def _stakeholder_labels(groups: list[str] | None) -> list[str]:
    return [str(STAKEHOLDER_TYPES[g]) for g in groups or () if g in STAKEHOLDER_TYPES]


def _outcome_published(session: LabSession) -> bool:
    return session.outcome_published_at is not None


# ---------------------------------------------------------------- sessions


@bp.get("/<city_slug>/p/<process_slug>/sessions")
@public
@cached_page
def sessions(city_slug: str, process_slug: str):  # noqa: ANN201
    """The lab's sessions: upcoming ones first (soonest first), then past ones (latest first);
    filtered by living-lab phase with a plain GET form."""
    process = _lab(process_slug)
    phase = request.args.get("phase", "")
    if phase not in LAB_PHASES:
        phase = ""
    query = select(LabSession).where(LabSession.process_id == process.id)
    if phase:
        query = query.where(LabSession.lab_phase == phase)
    rows = list(db.session.scalars(query.order_by(LabSession.starts_at, LabSession.id)))
    now = utcnow()
    upcoming = [s for s in rows if s.ends_at > now]
    past = [s for s in reversed(rows) if s.ends_at <= now]
    ids = [s.id for s in rows]
    taken = services.seats_taken(ids)
    feed_url = url_for(".city_feed", city_slug=g.city.slug, _external=True)
    return render_template(
        "livinglabs/sessions.html", city=g.city, process=process, upcoming=upcoming,
        past=past, seats_left={s.id: max(s.capacity - taken.get(s.id, 0), 0) for s in rows},
        mine=services.active_registrations_of(current_user, ids), phase=phase,
        LAB_PHASES=LAB_PHASES,
        groups_of=_stakeholder_labels, outcome_published=_outcome_published,
        feed_url=feed_url, webcal_url="webcal://" + feed_url.split("://", 1)[1],
    )


@bp.get("/<city_slug>/p/<process_slug>/sessions/<int:session_id>")
@public
@cached_page
def session_page(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    """Everything about one session; after it, its outcome, attachments and attendance. The
    online link is never on this page (only on the tickets of people with a seat)."""
    process = _lab(process_slug)
    session = _session_of(process, session_id)
    mine = services.active_registrations_of(current_user, [session.id]).get(session.id)
    outcome = _outcome_published(session)
    return render_template(
        "livinglabs/session.html", city=g.city, process=process, session=session,
        seats_left=services.seats_left(session), mine=mine,
        position=services.waitlist_position(mine) if mine is not None else None,
        groups=_stakeholder_labels(session.stakeholder_groups),
        outcome=outcome,
        attachments=list(session.attachments) if outcome else [],
        attachment_url=attachment_url,
        mix=stats.attendance_mix(session) if session.has_ended and not session.is_cancelled
        else None,
        can_check_in=can_check_in(current_user, process),
        can_manage=can_manage_lab(current_user, process),
        cited_in=citations.cited_in("session", [session.id]).get(session.id, []),
    )


@bp.get("/<city_slug>/p/<process_slug>/sessions/<int:session_id>/session.ics")
@public
def session_ics(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    """The session as a calendar file, in the visitor's language, without the online link."""
    process = _lab(process_slug)
    session = _session_of(process, session_id)
    return _ics(calendar.public_session_ics(session, current_language()),
                f"session-{session.id}.ics")


def _ics(body: str, filename: str, *, private: bool = False) -> Response:
    response = make_response(body)
    response.headers["Content-Type"] = calendar.CONTENT_TYPE
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if private:
        return _private(response)
    return response


@bp.get("/<city_slug>/sessions.ics")
@public
def city_feed(city_slug: str):  # noqa: ANN201
    """The city's public sessions (upcoming, and those of the last days) as a feed that phone
    calendars subscribe to; cancelled ones stay in it as CANCELLED so calendars drop them."""
    city = current_city()
    since = utcnow() - timedelta(days=FEED_PAST_DAYS)
    rows = db.session.scalars(
        select(LabSession).join(LabSession.process)
        .where(Process.city_id == city.id, Process.kind == "livinglab",
               Process.status.in_(FEED_STATUSES), LabSession.ends_at >= since)
        .options(contains_eager(LabSession.process))
        .order_by(LabSession.starts_at, LabSession.id).limit(FEED_LIMIT)
    ).all()
    response = _ics(calendar.city_feed(city, rows, current_language()), f"{city.slug}.ics")
    response.headers["Content-Disposition"] = f'inline; filename="{city.slug}.ics"'
    response.headers["Cache-Control"] = "public, max-age=900"
    return response


# ---------------------------------------------------------------- registering


@bp.route("/<city_slug>/p/<process_slug>/sessions/<int:session_id>/register",
          methods=["GET", "POST"])
@public
@limiter.limit(REGISTER_LIMIT, methods=["POST"], key_func=_rate_key)
def register(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    """The registration form: prefilled from the profile for a signed-in person; name and
    e-mail (confirmed by a link) for a guest."""
    process = _lab(process_slug)
    session = _session_of(process, session_id)
    signed_in = current_user.is_authenticated
    mine = (services.active_registrations_of(current_user, [session.id]).get(session.id)
            if signed_in else None)
    if mine is not None:
        if request.method == "POST":
            flash(_("You are already registered for this session."), "info")
            return redirect_after_post(_ticket_url(mine))
        return _register_page(process, session, None, mine=mine)

    questions = list(session.questions or ())
    retention = _retention_days(process.id) if "accessibility" in questions else 0
    prefill = {}
    if signed_in:
        prefill = {"name": current_user.display_name,
                   "stakeholder_type": current_user.stakeholder_type}
    form = RegistrationForm(questions=questions, guest=not signed_in,
                            retention_days=retention, data=prefill)
    phase = session.registration_phase
    if phase != "open":
        return _register_page(process, session, None, closed=CLOSED_MESSAGES[phase],
                              status=form_status())
    if form.validate_on_submit():
        if form.is_robot:
            return _check_email_page(process, session, form.normalised_email)
        try:
            registration = services.register(
                session, name=form.name.data, stakeholder_type=form.stakeholder_type.data,
                language=current_language(), user=current_user if signed_in else None,
                email=None if signed_in else form.normalised_email, answers=form.answers(),
                accessibility_consent=form.consent)
        except RegistrationError as error:
            if error.registration is not None and not signed_in:
                # Said the same whether or not the address was registered before: the mail
                # goes to the address's owner only.
                services.remind_guest(error.registration)
                return _check_email_page(process, session, form.normalised_email)
            if error.registration is not None:
                flash(str(error.message), "info")
                return redirect_after_post(_ticket_url(error.registration))
            if error.field is None and session.registration_phase != "open":
                return _register_page(process, session, None,
                                      closed=str(error.message), status=422)
            show_refusal(form, error.field, error.message)
        else:
            if not signed_in:
                return _check_email_page(process, session, form.normalised_email)
            _flash_outcome(registration)
            _warn_overlaps(registration)
            return redirect_after_post(_ticket_url(registration))
    return _register_page(process, session, form, status=form_status())


def _register_page(process: Process, session: LabSession, form: RegistrationForm | None, *,
                   mine: Registration | None = None, closed: str | None = None,
                   status: int = 200) -> Any:
    response = make_response(render_template(
        "livinglabs/register.html", city=g.city, process=process, session=session, form=form,
        mine=mine, closed=closed, seats_left=services.seats_left(session),
        groups=_stakeholder_labels(session.stakeholder_groups),
        login_url=url_for("accounts.login", next=url_for(
            ".register", **_session_args(session))),
    ), status)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _check_email_page(process: Process, session: LabSession, email: str | None) -> Any:
    response = make_response(render_template(
        "livinglabs/check_email.html", city=g.city, process=process, session=session,
        email=email))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _flash_outcome(registration: Registration) -> None:
    if registration.status == "waitlisted":
        position = services.waitlist_position(registration) or 1
        flash(_("The session is full: you are on the waitlist, number %(position)s. We will "
                "write to you if a place frees up.", position=position), "warning")
    elif registration.has_seat:
        flash(_("Your place is confirmed. We sent you an e-mail with the details."), "success")


def _warn_overlaps(registration: Registration) -> None:
    """A warning, not a refusal: the person may well want both."""
    others = services.overlapping(registration)
    if not others:
        return
    from engage.core.i18n import localized

    titles = "; ".join(f"“{localized(s, 'title').text}”" for s in others)
    flash(_("Careful: this session overlaps with another you registered for: %(titles)s.",
            titles=titles), "warning")


# ---------------------------------------------------------------- the guest's confirmation


@bp.get("/registrations/confirm/<token>")
@writes_on_get
@public
def confirm_guest(token: str):  # noqa: ANN201
    """The link in a guest's e-mail: the registration gets a seat or a waitlist place."""
    try:
        registration = services.confirm_guest(token)
    except RegistrationError as error:
        # Nothing is kept from a refused confirmation (the request rolls back).
        response = make_response(render_template(
            "livinglabs/confirm_failed.html", message=str(error.message)),
            410 if error.code == "expired" else 400)
        return _private(response)
    if registration.status == "waitlisted":
        _flash_outcome(registration)
    elif registration.has_seat:
        flash(_("Thank you: your e-mail address is confirmed and your place is booked."),
              "success")
    elif registration.status == "cancelled":
        flash(_("This registration is cancelled."), "info")
    return _private(redirect_after_post(_ticket_url(registration)))


# ---------------------------------------------------------------- the ticket


@bp.get("/registrations/<token>")
@public
def ticket(token: str):  # noqa: ANN201
    """The personal page from the e-mails: status, waitlist place, the QR ticket and the
    online link for a seat, the calendar file and the cancel button."""
    registration = _registration_or_none(token)
    if registration is None:
        return _invalid_link()
    session = registration.session
    process = session.process
    seated = registration.has_seat and not session.is_cancelled
    response = make_response(render_template(
        "livinglabs/ticket.html", registration=registration, session=session,
        process=process, city=process.city, seated=seated,
        position=services.waitlist_position(registration),
        qr=tickets.qr_svg_inline(registration, _("Your ticket's QR code")) if seated
        else None,
        online_url=session.online_url if seated and session.is_remote else "",
        can_cancel=registration.status in ("pending", "confirmed", "waitlisted"),
        session_url=url_for(".session_page", **_session_args(session)),
    ))
    return _private(response)


@bp.post("/registrations/<token>/cancel")
@public
def cancel_registration(token: str):  # noqa: ANN201
    """Cancel from the ticket page; a freed seat goes to the first person waiting (who is told
    by e-mail; nothing about them is shown here)."""
    registration = _registration_or_none(token)
    if registration is None:
        return _invalid_link()
    try:
        services.cancel(registration)
    except RegistrationError as error:
        flash(str(error.message), "info")
    else:
        if registration.cancelled_late:
            flash(_("Your cancellation is recorded. The session had already started."), "info")
        else:
            flash(_("Your registration is cancelled. Thank you for letting us know."),
                  "success")
    return _private(redirect_after_post(_ticket_url(registration)))


@bp.get("/registrations/<token>/ticket.svg")
@public
def ticket_qr(token: str):  # noqa: ANN201
    """The QR code alone (to save on a phone); only for a seat."""
    registration = _registration_or_none(token)
    if registration is None:
        return _invalid_link()
    if not registration.has_seat or registration.session.is_cancelled:
        return _invalid_link()
    response = make_response(tickets.qr_svg_document(registration))
    response.headers["Content-Type"] = "image/svg+xml"
    return _private(response)


@bp.get("/registrations/<token>/calendar.ics")
@public
def ticket_ics(token: str):  # noqa: ANN201
    """The person's own calendar event (with the online link once seated); a cancelled
    registration's removes the event."""
    registration = _registration_or_none(token)
    if registration is None:
        return _invalid_link()
    body = calendar.registration_ics(registration, cancel=not registration.is_active)
    return _ics(body, f"session-{registration.session_id}.ics", private=True)


# ---------------------------------------------------------------- my registrations


@bp.get("/account/sessions")
@login_required
def my_registrations():  # noqa: ANN201
    """The signed-in person's registrations: the coming ones first, then the rest."""
    rows = db.session.scalars(
        select(Registration).join(Registration.session)
        .where(Registration.user_id == current_user.id)
        .options(contains_eager(Registration.session).joinedload(LabSession.process)
                 .joinedload(Process.city))
        .order_by(LabSession.starts_at.desc(), Registration.id.desc())
        .limit(MY_REGISTRATIONS_LIMIT)
    ).unique().all()
    now = utcnow()
    coming = [r for r in reversed(rows)
              if r.is_active and r.session.ends_at > now and not r.session.is_cancelled]
    coming_ids = {r.id for r in coming}
    others = [r for r in rows if r.id not in coming_ids]
    response = make_response(render_template(
        "livinglabs/my_registrations.html", coming=coming, others=others))
    response.headers["Cache-Control"] = "private, no-store"
    return response
