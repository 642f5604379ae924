"""A citizen-science campaign's open data in the read-only API (on the shared `/api/v1`
blueprint): public, no personal data, public positions only.

- `GET /api/v1/processes/<id>/observations.geojson` (`api.process_observations_geojson`): an
  RFC 7946 FeatureCollection (`[lon, lat]`, WGS 84). Each feature's `properties`: `id`,
  `observed_at` (UTC, "Z"), `status`, `observer` (the campaign's pseudonym, never a name), one
  key per field (`f<field id>`, see metadata.json's `fields`: a number, true/false, an option's
  label or a list of them, a text, an ISO time; null when not answered) and `photos` (URLs).
  The collection's `properties`: `title`, `description` (ro/en), `licence` (SPDX id, name and
  URL), `rights_holder`, `contact`, `dates`, `metadata` (the metadata.json URL).
- `GET /api/v1/processes/<id>/observations.csv` (`api.process_observations_csv`): the same
  columns (`longitude`, `latitude` for the geometry; several options or photos joined by "; "
  and " "), UTF-8 with a BOM, streamed in batches (constant memory at any size); text cells
  that start with = + - @, a tab or a carriage return get a leading apostrophe, so a
  spreadsheet never runs them as formulas (numbers are written by us and left as they are).
- `GET /api/v1/processes/<id>/metadata.json` (`api.process_observations_metadata`): the data
  set's PPSR-Core fields (identifier, title, abstract, licence, rights holder, contact, dates —
  created, modified, temporal coverage —, method, data-quality method with the verification
  statuses and automatic flags, spatial coverage, the fields, the distributions).

Accepted observations whose Contribution is published, by default; `?status=pending,…`,
`?status=rejected` or `all` (every status) asks for others (`mapdata.PUBLIC_STATUSES`), each
with its `status` column or property. Never in the data: the verifier's reason or identity,
the observer's name, the true location. The map's filters
(`value`, `number`/`min`/`max`, `from`/`to`) apply too; `?lang=en` gives option labels in
English (Romanian by default). Unknown ids, other kinds and drafts are a JSON 404; bad
arguments a JSON 400. ETags are the campaign's data version and the query (304 when they
match).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, NamedTuple

from flask import Response, abort, jsonify, request, stream_with_context, url_for
from flask_babel import force_locale
from sqlalchemy import func

from engage.api import openapi
from engage.api.blueprint import bp
from engage.api.http import last_modified
from engage.core.auth import public
from engage.core.uploads import photo_url
from engage.exports.tables import neutralise as shared_neutralise
from engage.extensions import db
from engage.processes.models import Process
from engage.science import mapdata
from engage.science.models import (
    FLAGS,
    LICENCE_URLS,
    LICENCES,
    STATUSES,
    Field,
    Observation,
    ScienceSettings,
    pseudonym,
)

BATCH = 1000
LANGUAGES = ("ro", "en")
FIXED_COLUMNS = ("id", "observed_at", "status", "observer", "longitude", "latitude")
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------- shared


def _campaign(process_id: int) -> tuple[Process, ScienceSettings | None]:
    process = db.session.get(Process, process_id)
    if process is None or process.kind != "science" or not process.is_public:
        abort(404)
    return process, mapdata.settings_of(process)


def _bad_request(message: Any) -> Response:
    response = jsonify({"error": {"status": 400, "title": "Bad request",
                                  "detail": str(message)}})
    response.status_code = 400
    return response


def _query() -> tuple[mapdata.Filters, tuple[str, ...], str]:
    filters = mapdata.parse_filters(request.args)
    statuses = mapdata.parse_statuses(request.args.getlist("status"))
    language = request.args.get("lang", "ro")
    if language not in LANGUAGES:
        raise mapdata.MapQueryError("lang must be ro or en.")
    return filters, statuses, language


def _etag(kind: str, process: Process, settings: ScienceSettings | None, *key: Any) -> str:
    version = mapdata.data_version(process, settings)
    return hashlib.sha1(repr((kind, process.id, process.status, version, key)).encode(),
                        usedforsecurity=False).hexdigest()


def _changed_at(process: Process, settings: ScienceSettings | None) -> datetime | None:
    """When the campaign's open data last changed: its data version's last raise, or the
    process's own change (title, dates, status), whichever is later; UTC, whole seconds."""
    known = [value.replace(tzinfo=UTC) if value.tzinfo is None else value
             for value in (settings.data_changed_at if settings else None, process.updated_at)
             if value is not None]
    return max(known).replace(microsecond=0) if known else None


def _not_modified(tag: str, process: Process, settings: ScienceSettings | None
                  ) -> Response | None:
    """304 when the client's copy is current: by its ETag, or else by its date (these answers
    stream, so the shared `api.http.finish` cannot compare them afterwards). Either way the
    answer carries Last-Modified (`last_modified`)."""
    changed = _changed_at(process, settings)
    last_modified(changed)
    since = request.if_modified_since
    if request.if_none_match.contains(tag) or (
            not request.if_none_match and since is not None and changed is not None
            and changed <= since):
        response = Response(status=304)
        response.set_etag(tag)
        return response
    return None


def field_key(field: Field) -> str:
    """A field's stable key in the open data (its id never changes)."""
    return f"f{field.id}"


def _both(obj: Any, name: str) -> dict[str, str]:
    return {language: getattr(obj, f"{name}_{language}", "") or "" for language in LANGUAGES}


def _export_fields(process: Process) -> list[Field]:
    return [field for field in mapdata.fields_of(process) if field.type != "photo"]


@dataclass(frozen=True)
class Column:
    """A field as the streamed exports need it, read before the request's commit expires the
    ORM objects (the rows are written after the view has returned)."""

    id: int
    key: str
    type: str
    labels: dict[int, str]


def columns_of(fields: list[Field], language: str) -> list[Column]:
    other = "en" if language == "ro" else "ro"
    return [Column(field.id, field_key(field), field.type,
                   {option.id: (getattr(option, f"label_{language}")
                                or getattr(option, f"label_{other}") or "")
                    for option in field.options})
            for field in fields]


def export_value(column: Column, values: list) -> Any:
    """A field's value in the open data: a number, true/false, an option's label (a list of
    them for multiple choice), a text, an ISO time (UTC), None when not answered."""
    raw = mapdata.raw_value(column, values)  # type: ignore[arg-type]  (reads .type only)
    if raw is None:
        return None
    if column.type == "single":
        return column.labels.get(raw, "")
    if column.type == "multiple":
        return [column.labels.get(option_id, "") for option_id in raw]
    return raw


def _batches(process_id: int, filters: mapdata.Filters, statuses: tuple[str, ...]
             ) -> Iterator[tuple[list[tuple], dict, dict]]:
    """The observations shown, BATCH at a time by id (three statements a batch): (rows of id,
    observed_at, status, user_id, public lat, public lon), their values, their photos."""
    conditions = mapdata.visible_conditions(process_id, statuses, filters)
    last = 0
    while True:
        rows = [tuple(row) for row in db.session.execute(
            mapdata._joined(Observation.id, Observation.observed_at, Observation.status,
                            Observation.user_id, Observation.public_lat,
                            Observation.public_lon)
            .where(*conditions, Observation.id > last).order_by(Observation.id).limit(BATCH))]
        if not rows:
            return
        ids = [row[0] for row in rows]
        yield rows, mapdata.values_of(ids), mapdata.photos_of(ids)
        if len(rows) < BATCH:
            return
        last = ids[-1]


def _records(process: Process, settings: ScienceSettings | None, fields: list[Field],
             filters: mapdata.Filters, statuses: tuple[str, ...], language: str
             ) -> Iterator[tuple[float | None, float | None, dict[str, Any]]]:
    """(lon, lat, properties) of every observation shown, in id order. Everything it needs
    from the ORM objects is read now, before the generator is first advanced."""
    process_id = process.id
    keyed = SimpleNamespace(pseudonym_key=settings.pseudonym_key if settings else "")
    columns = columns_of(fields, language)
    root = _root()

    def generate() -> Iterator[tuple[float | None, float | None, dict[str, Any]]]:
        observers: dict[int | None, str | None] = {}
        for rows, values, photos in _batches(process_id, filters, statuses):
            for id_, observed_at, status, user_id, lat, lon in rows:
                if user_id not in observers:
                    observers[user_id] = pseudonym(keyed, user_id)  # type: ignore[arg-type]
                mine = values.get(id_, {})
                properties: dict[str, Any] = {
                    "id": id_,
                    "observed_at": mapdata.iso_utc(observed_at),
                    "status": status,
                    "observer": observers[user_id],
                }
                for column in columns:
                    properties[column.key] = export_value(column, mine.get(column.id, []))
                properties["photos"] = [root + photo_url(photo.key)
                                        for photo in photos.get(id_, [])]
                yield lon, lat, properties

    return generate()


def _root() -> str:
    return request.host_url.rstrip("/")


def _licence(settings: ScienceSettings | None) -> dict[str, Any]:
    code = settings.licence if settings else "CC-BY-4.0"
    with force_locale("en"):
        name = str(LICENCES.get(code, code))
    return {"id": code, "name": name, "url": LICENCE_URLS.get(code)}


def _described(response: Response, process: Process, settings: ScienceSettings | None
               ) -> Response:
    """Every export names its licence and its metadata (RFC 8288 links), so a downloaded CSV
    carries them too: `Link: <…/metadata.json>; rel="describedby", <licence>; rel="license"`."""
    links = [f'<{url_for(".process_observations_metadata", process_id=process.id, _external=True)}>'
             '; rel="describedby"; type="application/json"']
    licence = _licence(settings)
    if licence["url"]:
        links.append(f'<{licence["url"]}>; rel="license"')
    response.headers["Link"] = ", ".join(links)
    return response


def _title(process: Process, settings: ScienceSettings | None) -> dict[str, str]:
    found = _both(settings, "dataset_title") if settings else {"ro": "", "en": ""}
    process_title = _both(process, "title")
    return {language: found[language] or process_title[language] for language in LANGUAGES}


def _description(process: Process, settings: ScienceSettings | None) -> dict[str, str]:
    found = _both(settings, "dataset_description") if settings else {"ro": "", "en": ""}
    process_text = _both(process, "description")
    return {language: found[language] or process_text[language] for language in LANGUAGES}


class _Export(NamedTuple):
    process: Process
    settings: ScienceSettings | None
    fields: list[Any]
    records: Iterator[Any]
    tag: str
    statuses: tuple[str, ...]


def _export(kind: str, process_id: int) -> _Export | Response:
    """What both exports start with: the campaign (404), the query (400), the ETag (304),
    the fields and the records to write; or the response that ends the request early."""
    process, settings = _campaign(process_id)
    try:
        filters, statuses, language = _query()
    except mapdata.MapQueryError as problem:
        return _bad_request(problem.message)
    tag = _etag(kind, process, settings, filters.key(), statuses, language)
    unchanged = _not_modified(tag, process, settings)
    if unchanged is not None:
        return unchanged
    fields = _export_fields(process)
    return _Export(process, settings, fields,
                   _records(process, settings, fields, filters, statuses, language), tag,
                   tuple(statuses))


# ---------------------------------------------------------------- GeoJSON


@bp.get("/processes/<int:process_id>/observations.geojson")
@public
def process_observations_geojson(process_id: int):  # noqa: ANN201
    export = _export("geojson", process_id)
    if not isinstance(export, _Export):
        return export
    process, settings, fields, records, tag, statuses = export
    collection = {
        "title": _title(process, settings),
        "description": _description(process, settings),
        "licence": _licence(settings),
        "rights_holder": settings.rights_holder if settings else "",
        "contact": settings.contact_email if settings else "",
        "dates": {"opens_at": mapdata.iso_utc(process.opens_at),
                  "closes_at": mapdata.iso_utc(process.closes_at)},
        "statuses": list(statuses),
        "fields": {field_key(field): _both(field, "label") for field in fields},
        "metadata": url_for(".process_observations_metadata", process_id=process.id,
                            _external=True),
    }

    def generate() -> Iterator[str]:
        yield ('{"type":"FeatureCollection","properties":'
               + json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
               + ',"features":[')
        first = True
        for lon, lat, properties in records:
            geometry = ({"type": "Point", "coordinates": [lon, lat]}
                        if lat is not None and lon is not None else None)
            feature = json.dumps({"type": "Feature", "geometry": geometry,
                                  "properties": properties},
                                 ensure_ascii=False, separators=(",", ":"))
            yield feature if first else "," + feature
            first = False
        yield "]}"

    response = _described(Response(stream_with_context(generate()),
                                   mimetype="application/geo+json"), process, settings)
    response.set_etag(tag)
    return response


# ---------------------------------------------------------------- CSV


def neutralise(cell: str) -> str:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (the rule
    shared by every export: `engage.exports.tables.neutralise`)."""
    return shared_neutralise(cell)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)  # our own numbers: safe, and kept numeric (a negative stays -5)
    if isinstance(value, list):
        return neutralise("; ".join(str(item) for item in value))
    return neutralise(str(value))


@bp.get("/processes/<int:process_id>/observations.csv")
@public
def process_observations_csv(process_id: int):  # noqa: ANN201
    export = _export("csv", process_id)
    if not isinstance(export, _Export):
        return export
    process, settings, fields, records, tag, _statuses = export
    keys = [field_key(field) for field in fields]
    header = [*FIXED_COLUMNS, *keys, "photos"]

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        yield "\ufeff" + buffer.getvalue()
        count = 0
        for lon, lat, properties in records:
            if count % 200 == 0:
                buffer.seek(0)
                buffer.truncate()
            row = [properties["id"], properties["observed_at"], properties["status"],
                   properties["observer"], lon, lat,
                   *(properties[key] for key in keys),
                   " ".join(properties["photos"])]
            writer.writerow([_csv_cell(cell) for cell in row])
            count += 1
            if count % 200 == 0:
                yield buffer.getvalue()
        if count % 200:
            yield buffer.getvalue()

    response = _described(Response(stream_with_context(generate()), mimetype="text/csv"),
                          process, settings)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="observations-{process_id}.csv"')
    response.set_etag(tag)
    return response


# ---------------------------------------------------------------- metadata


def _translated(labels: dict[str, Any]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        with force_locale(language):
            for code, label in labels.items():
                found.setdefault(code, {})[language] = str(label)
    return found


QUALITY_TEXT = {
    "en": ("Every observation is checked by the campaign's verifiers (the city's moderators "
           "and named organisers), who give it a status; the public data holds accepted "
           "observations unless others are asked for. Automatic flags point the verifiers to "
           "observations worth a closer look; they never change a status by themselves. "
           "Locations are published rounded to the campaign's public precision."),
    "ro": ("Fiecare observație este verificată de verificatorii campaniei (moderatorii "
           "orașului și organizatorii numiți), care îi dau un statut; datele publice cuprind "
           "observațiile acceptate, dacă nu se cer și altele. Semnalările automate arată "
           "verificatorilor observațiile care merită privite mai atent; ele nu schimbă singure "
           "statutul. Locurile sunt publicate rotunjite la precizia publică a campaniei."),
}


@bp.get("/processes/<int:process_id>/metadata.json")
@public
def process_observations_metadata(process_id: int):  # noqa: ANN201
    process, settings = _campaign(process_id)
    tag = _etag("metadata", process, settings)
    unchanged = _not_modified(tag, process, settings)
    if unchanged is not None:
        return unchanged
    conditions = mapdata.visible_conditions(process, mapdata.DEFAULT_STATUSES,
                                            mapdata.Filters())
    summary = db.session.execute(
        mapdata._joined(func.count(), func.min(Observation.observed_at),
                        func.max(Observation.observed_at), func.max(Observation.updated_at),
                        func.min(Observation.public_lat), func.min(Observation.public_lon),
                        func.max(Observation.public_lat), func.max(Observation.public_lon))
        .where(*conditions)).one()
    count, first, last, modified, south, west, north, east = summary
    fields = _export_fields(process)
    statuses = _translated(STATUSES)
    flags = _translated(FLAGS)
    precision = settings.public_precision if settings else "100m"
    identifier = url_for(".process_observations_metadata", process_id=process.id,
                         _external=True)
    data = {
        "conformsTo": "PPSR-Core (Public Participation in Scientific Research) dataset "
                      "metadata",
        "identifier": identifier,
        "title": _title(process, settings),
        "abstract": _description(process, settings),
        "licence": _licence(settings),
        "rights_holder": settings.rights_holder if settings else "",
        "contact": settings.contact_email if settings else "",
        "project": {
            "id": process.id,
            "title": _both(process, "title"),
            "url": url_for("processes.process_page", city_slug=process.city.slug,
                           process_slug=process.slug, _external=True),
            "themes": list(process.themes or ()),
        },
        "dates": {
            "created": mapdata.iso_utc(process.created_at),
            "modified": mapdata.iso_utc(modified) or mapdata.iso_utc(process.updated_at),
            "temporal_coverage": {"start": mapdata.iso_utc(first),
                                  "end": mapdata.iso_utc(last)},
            "campaign": {"opens_at": mapdata.iso_utc(process.opens_at),
                         "closes_at": mapdata.iso_utc(process.closes_at)},
        },
        "method": _both(settings, "method") if settings else {"ro": "", "en": ""},
        "data_quality_method": {
            "description": QUALITY_TEXT,
            "statuses": [{"code": code, "label": statuses[code],
                          "public": code in mapdata.PUBLIC_STATUSES,
                          "default": code in mapdata.DEFAULT_STATUSES} for code in STATUSES],
            "automatic_flags": [{"code": code, "label": flags[code]} for code in FLAGS],
            "location_precision": precision,
        },
        "spatial_coverage": {
            "crs": "WGS 84 (EPSG:4326)",
            "bbox": [west, south, east, north] if south is not None else None,
        },
        "records": count,
        "fields": [
            {"key": field_key(field), "type": field.type, "label": _both(field, "label"),
             "help": _both(field, "help"), "active": field.active,
             **({"unit": {language: str((field.settings or {}).get(f"unit_{language}") or "")
                          for language in LANGUAGES}}
                if field.type == "number" else {}),
             **({"options": [{"id": option.id, "label": _both(option, "label"),
                              "active": option.active} for option in field.options]}
                if field.type in ("single", "multiple") else {})}
            for field in fields
        ],
        "distributions": [
            {"format": "application/geo+json",
             "url": url_for(".process_observations_geojson", process_id=process.id,
                            _external=True)},
            {"format": "text/csv",
             "url": url_for(".process_observations_csv", process_id=process.id,
                            _external=True)},
        ],
        "language": ["ro", "en"],
    }
    response = jsonify(data)
    response.set_etag(tag)
    return response



# ---------------------------------------------------------------- the OpenAPI declaration

_FEATURE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "geometry": {"oneOf": [
            {"type": "null"},
            {"type": "object", "required": ["type", "coordinates"],
             "properties": {"type": {"const": "Point"},
                            "coordinates": {"type": "array", "items": {"type": "number"},
                                            "minItems": 2, "maxItems": 2}}}]},
        "properties": {
            "type": "object",
            "required": ["id", "observed_at", "status", "observer", "photos"],
            "properties": {
                "id": {"type": "integer"},
                "observed_at": {"type": ["string", "null"]},
                "status": {"type": "string"},
                "observer": {"type": ["string", "null"],
                             "description": "The campaign's pseudonym, never a name."},
                "photos": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}
openapi.declare(
    "/processes/{process_id}/observations.geojson", operation_id="getObservationsGeoJSON",
    tag="science", media_type="application/geo+json",
    schema={"type": "object", "required": ["type", "properties", "features"],
            "properties": {"type": {"const": "FeatureCollection"},
                           "properties": {"type": "object"},
                           "features": {"type": "array", "items": _FEATURE_SCHEMA}}},
    summary="A citizen-science campaign's observations (GeoJSON, public precision)",
    description="Accepted observations unless `status` asks for others; positions rounded to "
                "the campaign's public precision; observers as pseudonyms.",
    parameters=[openapi.path_parameter("process_id", "The process id."),
                openapi.query_parameter("lang", {"type": "string", "enum": list(LANGUAGES)},
                                        "The language of option labels (ro by default).")])
