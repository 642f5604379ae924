"""The citizens' pages of a citizen-science campaign: the capture page (a plain multipart form
without JavaScript; with it, the phone's location, a map to tap, and an offline queue that sends
through the same URL as JSON), a citizen's own observations with their verification status, one
observation's page, and the service worker that keeps the capture page available offline.

The sync contract (a POST to the capture URL with `Accept: application/json`, the form fields
and files as multipart, the CSRF token as `csrf_token` or `X-CSRFToken`): 201 `{"status":
"created", "id", "client_id", "url"}`; 200 the same with `"status": "stored"` when this
`client_id` was stored before (a resend); 422 `{"status": "invalid", "errors": {name:
message}}`; 409 `{"status": "closed", "message"}` for a campaign not open; 404 for a process
that is not there; 401 `{"status": "login", "login_url"}` when the session is gone. A CSRF
failure is a 400 and a rate limit a 429: the device keeps the observation and tries again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from engage.core import citations
from engage.core.auth import login_redirect, public
from engage.core.i18n import LOCAL_TIMEZONE, current_language
from engage.core.pagination import page_number
from engage.core.tenancy import get_in_city_or_404
from engage.core.uploads import MAX_PHOTO_BYTES
from engage.extensions import limiter
from engage.processes.loading import process_of_kind
from engage.processes.models import Process
from engage.processes.permissions import can_view_process
from engage.science import observations as capture
from engage.science.models import (
    FLAGS,
    LOCATION_SOURCES,
    MAX_PHOTOS,
    STATUSES,
    Observation,
    pseudonym,
)
from engage.science.permissions import can_see_true_location, can_verify

bp = Blueprint("science", __name__)

HONEYPOT = "website"
# Several photo fields of up to MAX_PHOTOS photos each would make an unbounded request: the
# capture form takes at most this much (photos of up to 8 MiB each, and the text fields).
CAPTURE_FORM_LIMIT = MAX_PHOTOS * MAX_PHOTO_BYTES + 2 * 1024 * 1024
# Generous for a phone emptying its offline queue, tight for a script.
CAPTURE_LIMIT = "30 per minute;300 per hour"
SERVICE_WORKER = Path(__file__).resolve().parents[1].parent / "static" / "js" / "science-sw.js"


@bp.url_value_preprocessor
def allow_photo_uploads(endpoint: str | None, values: dict | None) -> None:
    # Runs before the CSRF check reads the form, so the larger limit applies to the parsing.
    if endpoint == "science.observe" and request.method == "POST":
        request.max_content_length = max(
            CAPTURE_FORM_LIMIT, current_app.config.get("MAX_CONTENT_LENGTH") or 0)


def _rate_key() -> str:
    from flask_limiter.util import get_remote_address

    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > \
        request.accept_mimetypes["text/html"]


def _campaign(process_slug: str) -> Process:
    return process_of_kind(process_slug, "science", visible=True)


def _json(code: int, **body: Any):  # noqa: ANN202
    response = make_response(jsonify(body), code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _local_now() -> str:
    from engage.core.db import utcnow

    return utcnow().astimezone(LOCAL_TIMEZONE).strftime("%Y-%m-%dT%H:%M")


def _messages(errors: dict[str, Any]) -> dict[str, str]:
    return {name: str(message) for name, message in errors.items()}


# ---------------------------------------------------------------- capture


@bp.route("/<city_slug>/p/<process_slug>/observe", methods=["GET", "POST"])
@public
@limiter.limit(CAPTURE_LIMIT, methods=["POST"], key_func=_rate_key)
def observe(city_slug: str, process_slug: str):  # noqa: ANN201
    """The capture form; its POST stores an observation (HTML or the JSON sync answers)."""
    process = _campaign(process_slug)
    as_json = request.method == "POST" and _wants_json()
    if not current_user.is_authenticated:
        if as_json:
            return _json(401, status="login", message=_("Please log in to add an observation."),
                         login_url=url_for("accounts.login"))
        flash(_("Please log in to add an observation."), "info")
        return login_redirect()
    errors: dict[str, Any] = {}
    form: Any = {}
    status = 200
    if request.method == "POST":
        if (request.form.get(HONEYPOT) or "").strip():
            abort(400)
        try:
            observation, created = capture.submit_observation(
                process, current_user, request.form, request.files,
                request.form.get("client_id"), current_language())
        except capture.ObservationError as error:
            if as_json:
                return _json(error.status, status="closed" if error.status == 409
                             else "refused", message=str(error.message))
            flash(str(error.message), "error")
            return redirect(url_for("processes.process_page", city_slug=g.city.slug,
                                    process_slug=process.slug), code=303)
        except capture.ObservationInvalid as invalid:
            if as_json:
                return _json(422, status="invalid", errors=_messages(invalid.errors))
            errors, form, status = invalid.errors, request.form, 422
        else:
            url = url_for(".observation", city_slug=g.city.slug, observation_id=observation.id)
            if as_json:
                return _json(201 if created else 200,
                             status="created" if created else "stored", id=observation.id,
                             client_id=observation.client_id, url=url)
            if created:
                flash(_("Thank you! Your observation is stored."), "success")
            else:
                flash(_("This observation was already stored."), "info")
            return redirect(url_for(".mine", city_slug=g.city.slug,
                                    process_slug=process.slug), code=303)
    settings = capture.settings_for(process)
    fields = capture.active_fields(process)
    response = make_response(render_template(
        "science/capture.html", city=g.city, process=process, settings=settings,
        fields=fields, errors=_messages(errors), form=form, honeypot=HONEYPOT,
        client_id=form.get("client_id") or _new_client_id(), now_local=_local_now(),
        open=process.is_open, max_photos=capture.max_photos, name_of=capture.name_of,
        text_limit=capture.text_limit,
        tile_url=current_app.config.get("MAP_TILE_URL"),
        tile_attribution=current_app.config.get("MAP_TILE_ATTRIBUTION"),
        centre=_centre(settings),
    ), status)
    # The service worker keeps its own copy for offline use; browsers should not.
    response.headers["Cache-Control"] = "no-cache, private"
    return response


def _new_client_id() -> str:
    import uuid

    return uuid.uuid4().hex


def _centre(settings: Any) -> tuple[float, float] | None:
    if not settings.area:
        return None
    from engage.science import geo

    south, west, north, east = geo.bounds(settings.area)
    return (south + north) / 2, (west + east) / 2


@bp.get("/science/csrf-token")
@public
def csrf_token():  # noqa: ANN201
    """A fresh CSRF token for the offline queue: the one in a page the service worker kept
    may have expired by the time the connection returns."""
    return _json(200, csrf_token=generate_csrf(), signed_in=current_user.is_authenticated)


@bp.get("/science-sw.js")
@public
def service_worker():  # noqa: ANN201
    """The service worker, served from the root so that its scope covers every campaign's
    capture page; always revalidated so a new version reaches phones."""
    response = send_file(SERVICE_WORKER, mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


# ---------------------------------------------------------------- my observations


@bp.get("/<city_slug>/p/<process_slug>/observations/mine")
@public
def mine(city_slug: str, process_slug: str):  # noqa: ANN201
    """The signed-in citizen's observations in this campaign, with their verification."""
    process = _campaign(process_slug)
    if not current_user.is_authenticated:
        return login_redirect()
    page = capture.my_observations(process, current_user, page_number(request.args.get("page")))
    fields = capture.all_fields(process)
    language = current_language()
    response = make_response(render_template(
        "science/mine.html", city=g.city, process=process, page=page,
        values={o.id: capture.shown_values(o, fields, language) for o in page.items},
        STATUSES=STATUSES, FLAGS=FLAGS, open=process.is_open,
    ))
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- one observation


@bp.get("/<city_slug>/observations/<int:observation_id>")
@public
def observation(city_slug: str, observation_id: int):  # noqa: ANN201
    """One observation: for its observer and the campaign's verifiers always (with the true
    location); for everyone else only once accepted and its text published (with the public,
    rounded location). The observer is shown only by the campaign's pseudonym."""
    found = get_in_city_or_404(Observation, Observation.id == observation_id)
    process = found.process
    if process.kind != "science" or not can_view_process(current_user, process):
        abort(404)
    owner = current_user.is_authenticated and found.user_id == current_user.id
    verifier = can_verify(current_user, process)
    public_ok = found.status == "accepted" and found.contribution.status == "published"
    if not (owner or verifier or public_ok):
        abort(404)
    settings = capture.settings_for(process)
    fields = capture.all_fields(process)
    true_location = owner or can_see_true_location(current_user, process)
    response = make_response(render_template(
        "science/observation.html", city=g.city, process=process, observation=found,
        values=capture.shown_values(found, fields, current_language()),
        observer=pseudonym(settings, found.user_id), owner=owner,
        lat=found.lat if true_location else found.public_lat,
        lon=found.lon if true_location else found.public_lon,
        true_location=true_location, STATUSES=STATUSES, FLAGS=FLAGS,
        SOURCES=LOCATION_SOURCES, show_flags=owner or verifier,
        cited_in=citations.cited_in("observation", [found.id]).get(found.id, [])
        if public_ok else [],
    ))
    if owner or verifier or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response
