"""Processes in the read-only API: a city's public processes (never drafts).

`GET /api/v1/cities/<city_slug>/processes?page=&per_page=` → `{"items": [{"id", "slug", "kind",
"title": {"ro", "en"}, "status", "opens_at", "closes_at", "themes", "url"}], "next", "total"}`,
latest opening
first; times are ISO 8601 in UTC ("Z"), `url` is the absolute address of the process page. An
unknown city is a JSON 404 (the city is loaded from `city_slug` before the view runs).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import g, jsonify, url_for

from engage.api import openapi
from engage.api.blueprint import bp
from engage.api.http import last_modified, page_args, page_json
from engage.core.auth import public
from engage.processes import services
from engage.processes.models import Process


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a "Z", to the second; None stays None."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def process_json(process: Process, city_slug: str) -> dict[str, Any]:
    return {
        "id": process.id,
        "slug": process.slug,
        "kind": process.kind,
        "title": {"ro": process.title_ro, "en": process.title_en},
        "status": process.status,
        "opens_at": iso_utc(process.opens_at),
        "closes_at": iso_utc(process.closes_at),
        "themes": list(process.themes or ()),
        "url": url_for(
            "processes.process_page",
            city_slug=city_slug,
            process_slug=process.slug,
            _external=True,
        ),
    }


@bp.get("/cities/<city_slug>/processes")
@public
def list_city_processes(city_slug: str):  # noqa: ANN201
    """The city's published, closed and archived processes; two queries whatever their number."""
    number, per_page = page_args()
    processes = services.public_processes(g.city)
    shown = processes[(number - 1) * per_page:number * per_page]
    last_modified(g.city.updated_at, *(process.updated_at for process in processes))
    return jsonify(page_json([process_json(process, g.city.slug) for process in shown], number,
                             per_page, len(processes), ".list_city_processes",
                             city_slug=g.city.slug))


PROCESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "slug", "kind", "title", "status", "opens_at", "closes_at", "themes",
                 "url"],
    "properties": {
        "id": {"type": "integer"},
        "slug": {"type": "string"},
        "kind": {"type": "string"},
        "title": openapi.LOCALISED,
        "status": {"type": "string", "enum": ["published", "closed", "archived"]},
        "opens_at": openapi.DATETIME,
        "closes_at": openapi.DATETIME,
        "themes": {"type": "array", "items": {"type": "string"}},
        "url": {"type": "string", "format": "uri"},
    },
}
openapi.declare(
    "/cities/{city_slug}/processes", operation_id="listCityProcesses", tag="processes",
    schema=PROCESS_SCHEMA, pages=True, summary="A city's public processes",
    description="Published, closed and archived processes, latest opening first.",
    parameters=[openapi.path_parameter("city_slug", "The city's slug.", integer=False)])
