"""Answering a consultation: a start page, one section per page (saved as a draft on every page
turn), a review page, submitting, and a receipt (with an e-mail for signed-in people).

Signed-in respondents find their draft again on any device; anonymous ones (when the process
allows anyone) keep theirs through a random token in their session. Conditions are evaluated
on the server for every page; with htmx, a change to a question that others depend on redraws
the page's questions at once. Every view answers a closed or draft process with a message, and
never stores a half-checked page.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from engage.consultations import answers
from engage.consultations.answers import Page, ResponseError
from engage.consultations.models import PROFILE_QUESTIONS, Response
from engage.core.auth import login_redirect, public
from engage.core.htmx import wants_fragment
from engage.core.i18n import current_language
from engage.core.mail import queue_mail
from engage.extensions import limiter
from engage.processes.loading import process_of_kind
from engage.processes.models import Process

bp = Blueprint("consultation", __name__)

HONEYPOT = "website"
ANONYMOUS_LIMIT = "30 per hour"


def _anonymous() -> bool:
    return not current_user.is_authenticated


def _consultation(process_slug: str) -> Process:
    return process_of_kind(process_slug, "consultation", visible=True)


def _settings(process: Process) -> Any:
    from engage.consultations.services import settings_for

    return settings_for(process)


def _token_key(process: Process) -> str:
    return f"consultation-{process.id}"


def _response(process: Process) -> Response | None:
    if current_user.is_authenticated:
        return answers.find_response(process, current_user)
    return answers.find_response(process, token=session.get(_token_key(process)))


def _gate(process: Process) -> Any:
    """None when the visitor may answer now, else the page that says why."""
    if not process.is_open:
        flash(_("This consultation is not open for answers."), "info")
        return redirect(url_for(".start", city_slug=g.city.slug, process_slug=process.slug))
    if _settings(process).respondents == "signed_in" and _anonymous():
        flash(_("Please log in to answer this consultation."), "info")
        return login_redirect()
    return None


def _honeypot_tripped() -> bool:
    return bool((request.form.get(HONEYPOT) or "").strip())


def _urls(process: Process) -> dict[str, str]:
    args = {"city_slug": g.city.slug, "process_slug": process.slug}
    return {
        "start": url_for(".start", **args),
        "review": url_for(".review", **args),
        "receipt": url_for(".receipt", **args),
    }


def _section_url(process: Process, number: int) -> str:
    return url_for(".section", city_slug=g.city.slug, process_slug=process.slug, number=number)


def _next_visible(structure: list[Page], values: dict, after: int, step: int = 1) -> int | None:
    """The 1-based number of the next (or previous, step -1) visible section."""
    sections, _ = answers.visibility(structure, values)
    number = after + step
    while 1 <= number <= len(structure):
        if structure[number - 1].section.id in sections:
            return number
        number += step
    return None


# ---------------------------------------------------------------- start


@bp.route("/<city_slug>/p/<process_slug>/answer", methods=["GET", "POST"])
@public
@limiter.limit(ANONYMOUS_LIMIT, methods=["POST"], exempt_when=lambda: not _anonymous())
def start(city_slug: str, process_slug: str):  # noqa: ANN201
    """What the consultation asks and who may answer; "Start" (with the optional profile
    questions) creates the draft, or continues the one there is."""
    process = _consultation(process_slug)
    settings = _settings(process)
    structure = answers.pages(process)
    response = _response(process)
    errors: dict[str, str] = {}
    if request.method == "POST":
        gate = _gate(process)
        if gate is not None:
            return gate
        if _honeypot_tripped():
            abort(400)
        try:
            profile = answers.check_profile(process, request.form.to_dict())
        except ResponseError as error:
            errors[error.field or "profile"] = str(error.message)
        else:
            if not structure:
                abort(404)
            if response is None:
                response = answers.start_response(process, current_user, current_language())
                if response.token:
                    session[_token_key(process)] = response.token
            if profile:
                response.profile = profile
            first = _next_visible(structure, answers.stored_values(structure, response), 0)
            return redirect(_section_url(process, first or 1), code=303)
    page = render_template(
        "consultations/start.html", city=g.city, process=process, settings=settings,
        structure=structure, response=response, profile_choices=answers.profile_choices(process),
        PROFILE_QUESTIONS=PROFILE_QUESTIONS, errors=errors, honeypot=HONEYPOT,
        anonymous=_anonymous(), **_urls(process),
    )
    return page, 422 if errors else 200


# ---------------------------------------------------------------- one section per page


@bp.route("/<city_slug>/p/<process_slug>/answer/<int:number>", methods=["GET", "POST"])
@public
def section(city_slug: str, process_slug: str, number: int):  # noqa: ANN201
    process = _consultation(process_slug)
    gate = _gate(process)
    if gate is not None:
        return gate
    response = _response(process)
    if response is None:
        return redirect(url_for(".start", city_slug=g.city.slug, process_slug=process.slug))
    structure = answers.pages(process)
    if not 1 <= number <= len(structure):
        abort(404)
    page = structure[number - 1]
    values = answers.stored_values(structure, response)
    sections, _visible = answers.visibility(structure, values)
    if page.section.id not in sections and request.method == "GET":
        target = _next_visible(structure, values, number)
        return redirect(_section_url(process, target) if target else _urls(process)["review"])
    errors: dict[int, str] = {}
    if request.method == "POST":
        if _honeypot_tripped():
            abort(400)
        parsed = answers.parse_section(structure, page, request.form, values)
        if request.args.get("refresh") and wants_fragment():
            # htmx: redraw the page's questions for the choices made so far; nothing is saved.
            shown = {**values, **parsed.values}
            return render_template(
                "consultations/_section_questions.html", **_section_context(
                    process, structure, page, number, shown, {}, response))
        if parsed.errors:
            errors = parsed.errors
            values = {**values, **parsed.values}
        else:
            try:
                values = answers.save_section(structure, response, page, parsed.values)
            except ResponseError as error:
                flash(str(error.message), "error")
                return redirect(_urls(process)["start"], code=303)
            direction = request.form.get("direction", "next")
            if direction == "back":
                target = _next_visible(structure, values, number, -1)
                return redirect(_section_url(process, target) if target
                                else _urls(process)["start"], code=303)
            target = _next_visible(structure, values, number)
            return redirect(_section_url(process, target) if target
                            else _urls(process)["review"], code=303)
    context = _section_context(process, structure, page, number, values, errors, response)
    status = 422 if errors else 200
    return render_template("consultations/section.html", **context), status


def _section_context(process: Process, structure: list[Page], page: Page, number: int,
                     values: dict, errors: dict, response: Response) -> dict[str, Any]:
    sections, visible = answers.visibility(structure, values)
    on_page = {q.id for q in page.questions}
    # Questions whose condition depends on an answer on this same page: shown to everyone
    # without JavaScript (the server ignores them when the condition is not met), redrawn by
    # htmx otherwise.
    sources = {
        (q.condition or {}).get("question") for q in page.questions if q.condition
    } & on_page
    return {
        "city": g.city, "process": process, "page": page, "number": number,
        # Sections keep their numbers whatever a condition skips, so the progress never
        # changes its total under the respondent.
        "total": len(structure), "position": number,
        "skippable": any(p.section.condition for p in structure),
        # After a refusal, the questions in error are drawn with what was typed or ticked.
        "submitted": request.form if errors else None,
        "values": values, "errors": errors, "visible": visible, "sources": sources,
        "response": response, "honeypot": HONEYPOT, "anonymous": _anonymous(),
        "section_url": _section_url(process, number), **_urls(process),
    }


# ---------------------------------------------------------------- review, submit, receipt


@bp.route("/<city_slug>/p/<process_slug>/answer/review", methods=["GET", "POST"])
@public
def review(city_slug: str, process_slug: str):  # noqa: ANN201
    """Every answer on one page, each section with a "change" link; then submit."""
    process = _consultation(process_slug)
    gate = _gate(process)
    if gate is not None:
        return gate
    response = _response(process)
    if response is None:
        return redirect(url_for(".start", city_slug=g.city.slug, process_slug=process.slug))
    structure = answers.pages(process)
    values = answers.stored_values(structure, response)
    missing = answers.missing_required(structure, values)
    if request.method == "POST":
        if _honeypot_tripped():
            abort(400)
        try:
            outcome = answers.submit(structure, response)
        except ResponseError as error:
            flash(str(error.message), "error")
        else:
            if response.user_id is not None and outcome != "unchanged":
                _send_receipt(process, structure, response, values, outcome == "submitted")
            return redirect(_urls(process)["receipt"], code=303)
    sections, visible = answers.visibility(structure, values)
    page = render_template(
        "consultations/review.html", city=g.city, process=process, structure=structure,
        values=values, sections=sections, visible=visible, missing=missing,
        response=response, honeypot=HONEYPOT, anonymous=_anonymous(),
        section_number={p.section.id: n for n, p in enumerate(structure, start=1)},
        **_urls(process),
    )
    return page, 422 if request.method == "POST" else 200


def _send_receipt(process: Process, structure: list[Page], response: Response, values: dict,
                  first_time: bool) -> None:
    user = response_user(response)
    if user is None or not user.email:
        return
    _, visible = answers.visibility(structure, values)
    queue_mail(
        user.email, "consultation_receipt", user.language or "ro", user=user, process=process,
        structure=structure, values=values, visible=visible, first_time=first_time,
        link=url_for(".start", city_slug=g.city.slug, process_slug=process.slug, _external=True),
    )


def response_user(response: Response) -> Any:
    from engage.accounts.models import User
    from engage.extensions import db

    return db.session.get(User, response.user_id) if response.user_id else None


@bp.get("/<city_slug>/p/<process_slug>/answer/receipt")
@public
def receipt(city_slug: str, process_slug: str):  # noqa: ANN201
    """A copy of the submitted answers."""
    process = _consultation(process_slug)
    response = _response(process)
    if response is None or not response.is_submitted:
        return redirect(url_for(".start", city_slug=g.city.slug, process_slug=process.slug))
    structure = answers.pages(process)
    values = answers.stored_values(structure, response)
    sections, visible = answers.visibility(structure, values)
    body = render_template(
        "consultations/receipt.html", city=g.city, process=process, structure=structure,
        values=values, sections=sections, visible=visible, response=response,
        settings=_settings(process), **_urls(process),
    )
    result = make_response(body)
    result.headers["Cache-Control"] = "no-store"
    return result
