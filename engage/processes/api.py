"""Processes in the read-only API: a city's public processes (never drafts).

`GET /api/v1/cities/<city_slug>/processes` → `{"items": [{"id", "slug", "kind",
"title": {"ro", "en"}, "status", "opens_at", "closes_at", "themes", "url"}]}`, latest opening
first; times are ISO 8601 in UTC ("Z"), `url` is the absolute address of the process page. An
unknown city is a JSON 404 (the city is loaded from `city_slug` before the view runs).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import g, jsonify, url_for

from engage.api.blueprint import bp
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
    processes = services.public_processes(g.city)
    return jsonify({"items": [process_json(process, g.city.slug) for process in processes]})
