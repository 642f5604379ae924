"""Cities in the read-only API: `GET /api/v1/cities?page=&per_page=` (a page of
`{"items", "next", "total"}`), and the JSON Schema of one item.

Every city is listed, the national hub too (its `kind` is "hub" and its `url` the home page).
A name missing in one language is `null` there, never the other language's text.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for

from engage.api import openapi
from engage.api.blueprint import bp
from engage.api.http import last_modified, page_args, page_json
from engage.cities import services
from engage.cities.models import City
from engage.core.auth import public

CITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["slug", "kind", "name", "county", "mission_city", "url"],
    "properties": {
        "slug": {"type": "string", "description": "The city's address on the platform."},
        "kind": {"type": "string", "enum": ["city", "hub"]},
        "name": {
            "type": "object",
            "required": ["ro", "en"],
            "properties": {"ro": {"type": "string"}, "en": {"type": ["string", "null"]}},
        },
        "county": {"type": ["string", "null"]},
        "mission_city": {
            "type": "boolean",
            "description": "Selected for the EU Mission 100 Climate-Neutral and Smart Cities.",
        },
        "url": {"type": "string", "format": "uri", "description": "The city's public page."},
    },
}
CITY_LIST_SCHEMA: dict[str, Any] = openapi.paginated(CITY_SCHEMA)


def city_url(city: City) -> str:
    """The absolute address of a city's public page (the hub's is the home page)."""
    if city.is_hub:
        return url_for("cities.hub", _external=True)
    return url_for("cities.city_page", city_slug=city.slug, _external=True)


def city_item(city: City) -> dict[str, Any]:
    return {
        "slug": city.slug,
        "kind": city.kind,
        "name": {"ro": city.name_ro, "en": city.name_en or None},
        "county": city.county or None,
        "mission_city": bool(city.is_mission_city),
        "url": city_url(city),
    }


@bp.get("/cities")
@public
def list_cities():  # noqa: ANN201
    """All cities and the hub, by slug, in one query."""
    number, per_page = page_args()
    cities = services.all_cities()
    shown = cities[(number - 1) * per_page:number * per_page]
    last_modified(*(city.updated_at for city in cities))
    return jsonify(page_json([city_item(city) for city in shown], number, per_page,
                             len(cities), ".list_cities"))


openapi.declare("/cities", operation_id="listCities", tag="cities", schema=CITY_SCHEMA,
                pages=True, summary="Cities and the national hub",
                description="Every city on the platform, and the hub (`kind` \"hub\").")
