"""The public map of a citizen-science campaign (blueprint `science_results`).

- `GET /<city>/p/<process>/map` (`science_results.observation_map`): the map page — Leaflet
  (served from static/vendor), a GET filter form (a field's value, a number range, dates, the
  statuses shown) that works without JavaScript, the legend, the data set's licence and
  downloads, and a plain list of the first LIST_SIZE matching observations as the fallback.
- `GET /<city>/p/<process>/map.geojson?bbox=s,w,n,e&zoom=z&…` (`science_results.map_geojson`):
  the observations in the visible box (`mapdata.features`), with an ETag made of the data
  version and the normalised query (304 when it matches). Bad input is a JSON 400.
- `GET /<city>/p/<process>/map/observations/<id>` (`science_results.map_observation`): one
  observation's values (labels and units in the request's language), status, date, the
  observer's pseudonym and photo thumbnails — the popup's fragment for htmx/fetch
  (`HX-Request`), a small page otherwise.

Only science processes the visitor may see (drafts only for the city's staff; 404 otherwise).
The public sees published observations, accepted ones by default, and may ask for any other
verification status, rejected included (`mapdata.PUBLIC_STATUSES`; `status=rejected`,
`status=all`); each is then shown with its status (the features' `status`, the popup's badge,
the legend). The verifier's reason and identity are never shown, nobody is ever named and only
the public position is used. Those who verify the campaign may also open the popup of an
observation whose contribution is not published.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from engage.cities.permissions import is_city_staff
from engage.core.auth import public
from engage.core.htmx import render
from engage.core.i18n import current_language
from engage.core.pagecache import cached_page
from engage.core.tenancy import city_condition, current_city, get_in_city_or_404
from engage.core.uploads import photo_url
from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.processes.permissions import can_view_process
from engage.science import mapdata
from engage.science.models import (
    CHOICE_TYPES,
    LICENCE_URLS,
    LICENCES,
    STATUSES,
    Observation,
    ScienceSettings,
    pseudonym,
)
from engage.science.permissions import can_verify

bp = Blueprint("science_results", __name__)

LIST_SIZE = 50
# Statuses whose popup the public may open: those the public may ask the map for (all of them).
POPUP_STATUSES = mapdata.PUBLIC_STATUSES


# ---------------------------------------------------------------- loading


def _science_process(process_slug: str) -> Process:
    """The URL's science process, with its settings row loaded in the same statement (the
    map's data asks for it on every request: `mapdata.settings_of` then finds it in the
    session)."""
    found = db.session.execute(
        select(Process, ScienceSettings)
        .outerjoin(ScienceSettings, ScienceSettings.process_id == Process.id)
        .where(city_condition(Process, current_city()), Process.slug == process_slug)
    ).first()
    if found is None:
        abort(404)
    process = found[0]
    if process.kind != "science" or not can_view_process(current_user, process):
        abort(404)
    return process


def _allowed_statuses(process: Process) -> tuple[str, ...]:
    """The statuses anyone may ask the map for: every one (accepted alone by default)."""
    return mapdata.PUBLIC_STATUSES


def _json_error(message: Any, code: int = 400) -> Response:
    response = jsonify({"error": {"status": code, "title": _("Bad request"),
                                  "detail": str(message)}})
    response.status_code = code
    return response


def _observation_url(observation_id: int) -> str:
    return url_for("science_results.map_observation", city_slug=g.city.slug,
                   process_slug=g.science_process.slug, observation_id=observation_id)


def _download_urls(process: Process, statuses: tuple[str, ...] = mapdata.DEFAULT_STATUSES
                   ) -> dict[str, str] | None:
    """The open data's addresses (only for public processes, as the API answers); the
    observations' follow the statuses the map shows (accepted only by default)."""
    if not process.is_public:
        return None
    extra = {} if statuses == mapdata.DEFAULT_STATUSES else {"status": ",".join(statuses)}
    try:
        return {kind: url_for(f"api.process_observations_{kind}", process_id=process.id,
                              **(extra if kind != "metadata" else {}))
                for kind in ("geojson", "csv", "metadata")}
    except BuildError:  # the API module is not registered (it is in the application)
        return None


# ---------------------------------------------------------------- the page


def _filter_choices(fields: list) -> dict[str, list]:
    """The filter form's choices: values of choice and yes/no fields, number fields."""
    language = current_language()
    other = "en" if language == "ro" else "ro"

    def label(obj: Any) -> str:
        return getattr(obj, f"label_{language}") or getattr(obj, f"label_{other}") or ""

    values, numbers = [], []
    for field in fields:
        if not field.active:
            continue
        if field.type in CHOICE_TYPES:
            values.append((label(field), [(f"{field.id}:{option.id}", label(option))
                                          for option in field.choices]))
        elif field.type == "yes_no":
            values.append((label(field), [(f"{field.id}:yes", _("Yes")),
                                          (f"{field.id}:no", _("No"))]))
        elif field.type in ("number", "count"):
            settings = field.settings or {}
            unit = settings.get(f"unit_{language}") or settings.get(f"unit_{other}") or ""
            numbers.append((field.id, label(field), unit))
    return {"values": values, "numbers": numbers}


@bp.get("/<city_slug>/p/<process_slug>/map")
@public
@cached_page
def observation_map(city_slug: str, process_slug: str):  # noqa: ANN201
    """The campaign's observations on a map, filterable, with a list for those without
    JavaScript."""
    process = _science_process(process_slug)
    g.science_process = process
    settings = mapdata.settings_of(process)
    allowed = _allowed_statuses(process)
    error = None
    try:
        filters = mapdata.parse_filters(request.args)
        statuses = mapdata.parse_statuses(request.args.getlist("status"), allowed)
    except mapdata.MapQueryError as problem:
        error, filters, statuses = problem.message, mapdata.Filters(), mapdata.DEFAULT_STATUSES
    fields = mapdata.fields_of(process)
    listed, total = mapdata.first_observations(process, filters, statuses, LIST_SIZE,
                                               settings=settings)
    bounds = mapdata.extent(process, settings)
    query = filters.args()
    if statuses != mapdata.DEFAULT_STATUSES:
        query["status"] = ",".join(statuses)
    body = render(
        "science/map.html", city=g.city, process=process, settings=settings,
        filters=filters, statuses=statuses, allowed_statuses=allowed, STATUSES=STATUSES,
        error=error, choices=_filter_choices(fields), listed=listed, total=total,
        list_size=LIST_SIZE, bounds=bounds, query=query,
        observation_url=_observation_url, downloads=_download_urls(process, statuses),
        licence_name=LICENCES.get(settings.licence) if settings else None,
        licence_url=LICENCE_URLS.get(settings.licence) if settings else None,
        is_staff=is_city_staff(current_user, g.city),
        tile_url=current_app.config.get("MAP_TILE_URL"),
        tile_attribution=current_app.config.get("MAP_TILE_ATTRIBUTION"),
    )
    return body


# ---------------------------------------------------------------- the data


@bp.get("/<city_slug>/p/<process_slug>/map.geojson")
@public
def map_geojson(city_slug: str, process_slug: str):  # noqa: ANN201
    """The observations in `bbox` at `zoom`, as points or a grid (see `mapdata`)."""
    process = _science_process(process_slug)
    try:
        bbox = mapdata.parse_bbox(request.args.get("bbox"))
        zoom = mapdata.parse_zoom(request.args.get("zoom"))
        filters = mapdata.parse_filters(request.args)
        statuses = mapdata.parse_statuses(request.args.getlist("status"),
                                          _allowed_statuses(process))
    except mapdata.MapQueryError as problem:
        return _json_error(problem.message)
    settings = mapdata.settings_of(process)
    version = mapdata.data_version(process, settings)
    tag = hashlib.sha1(repr((process.id, process.status, version, bbox.key(), zoom,
                             filters.key(), statuses)).encode(),
                       usedforsecurity=False).hexdigest()
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        found = mapdata.features(process, bbox, zoom, filters, statuses, settings=settings)
        response = Response(json.dumps(found, separators=(",", ":")),
                            mimetype="application/geo+json")
    response.set_etag(tag)
    response.cache_control.no_cache = True
    response.vary.add("Cookie")
    return response


# ---------------------------------------------------------------- one observation


@bp.get("/<city_slug>/p/<process_slug>/map/observations/<int:observation_id>")
@public
@cached_page
def map_observation(city_slug: str, process_slug: str, observation_id: int):  # noqa: ANN201
    """One observation's values and photos: the map popup's fragment (or a small page)."""
    process = _science_process(process_slug)
    g.science_process = process
    observation = get_in_city_or_404(Observation, Observation.id == observation_id,
                                     Observation.process_id == process.id)
    verifier = current_user.is_authenticated and can_verify(current_user, process)
    if not verifier:
        published = db.session.scalar(
            func.count(Contribution.id).select().where(
                Contribution.id == observation.contribution_id,
                Contribution.status == "published"))
        if not published or observation.status not in POPUP_STATUSES:
            abort(404)
    settings = mapdata.settings_of(process)
    language = current_language()
    fields = mapdata.fields_of(process)
    values = mapdata.values_of([observation.id]).get(observation.id, {})
    shown = [(field, mapdata.value_text(field, values.get(field.id, []), language))
             for field in fields if field.type != "photo"]
    shown = [(field, text) for field, text in shown if text]
    photos = [
        {"thumb": photo_url(photo.thumb_key), "full": photo_url(photo.key),
         "width": photo.thumb_width, "height": photo.thumb_height}
        for photo in mapdata.photos_of([observation.id]).get(observation.id, [])
    ]
    context = {
        "city": g.city, "process": process, "observation": observation, "values": shown,
        "photos": photos, "STATUSES": STATUSES,
        "observer": pseudonym(settings, observation.user_id) if settings else None,
        "observed_at": observation.observed_at,
        "map_url": url_for(".observation_map", city_slug=g.city.slug,
                           process_slug=process.slug),
    }
    return render("science/map_observation.html", fragment="science/_map_popup.html",
                  **context)
