"""The OpenAPI 3.1 document of `/api/v1`, assembled from what each kind's api.py declares.

A kind declares its operations at import (`declare(...)`, beside its view); this module never
imports a kind. `document()` builds the whole document: the declared paths, the shared
components (the error body, the pagination wrapper) and the answers every operation may give
(304, 400, 404, 429).
"""

from __future__ import annotations

import copy
from typing import Any

INT_MAX = 2**31 - 1

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "title", "detail"],
            "properties": {
                "status": {"type": "integer"},
                "title": {"type": "string"},
                "detail": {"type": "string"},
            },
        },
    },
}
LOCALISED: dict[str, Any] = {
    "type": "object",
    "required": ["ro", "en"],
    "properties": {"ro": {"type": ["string", "null"]}, "en": {"type": ["string", "null"]}},
}
DATETIME: dict[str, Any] = {"type": ["string", "null"], "description": "ISO 8601, UTC (Z)."}
PLACE: dict[str, Any] = {
    "type": ["object", "null"],
    "required": ["lat", "lon"],
    "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
}

# path → method → operation; filled by the kinds' api.py at import.
_PATHS: dict[str, dict[str, dict[str, Any]]] = {}


def path_parameter(name: str, description: str = "", *, integer: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = ({"type": "integer", "minimum": 1, "maximum": INT_MAX} if integer
                              else {"type": "string", "pattern": "^[a-z0-9-]{1,60}$"})
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema}


def query_parameter(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


PAGE_PARAMETERS = [
    query_parameter("page", {"type": "integer", "minimum": 1, "maximum": 100_000},
                    "The page, from 1."),
    query_parameter("per_page", {"type": "integer", "minimum": 1, "maximum": 100},
                    "Items per page (50 unless given, 100 at most)."),
]


def paginated(item: dict[str, Any]) -> dict[str, Any]:
    """The schema of a page: `{"items": [...], "next": url | null, "total": n}`."""
    return {
        "type": "object",
        "required": ["items", "next", "total"],
        "properties": {
            "items": {"type": "array", "items": item},
            "next": {"type": ["string", "null"],
                     "description": "The next page's full URL; null on the last page."},
            "total": {"type": "integer", "minimum": 0},
        },
    }


def declare(path: str, *, operation_id: str, summary: str, schema: dict[str, Any],
            description: str = "", tag: str = "", parameters: list[dict[str, Any]] | None = None,
            media_type: str = "application/json", pages: bool = False) -> None:
    """Declare a GET operation on `path` (relative to /api/v1, with {placeholders}) whose 200
    answer has `schema` (wrapped as a page when `pages`)."""
    params = list(parameters or ())
    if pages:
        params += PAGE_PARAMETERS
        schema = paginated(schema)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "tags": [tag] if tag else [],
        "parameters": params,
        "responses": {
            "200": {"description": "OK", "content": {media_type: {"schema": schema}}},
            "304": {"description": "Not modified (If-None-Match or If-Modified-Since)."},
            "400": {"description": "Bad request", "content": error},
            "404": {"description": "Not found", "content": error},
            "429": {"description": "Too many requests", "content": error},
        },
    }
    _PATHS.setdefault(path, {})["get"] = operation


def declared_paths() -> dict[str, dict[str, dict[str, Any]]]:
    return copy.deepcopy(_PATHS)


def document(server_url: str = "/api/v1") -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Engage open data API",
            "version": "1.0.0",
            "description": (
                "Read-only, public, without personal data. Lists are pages "
                '(`{"items", "next", "total"}`); every answer has an ETag (and a Last-Modified '
                "where the data has a time) and answers 304 to If-None-Match / "
                "If-Modified-Since; CORS is open for GET; requests are rate-limited per IP; "
                "errors are JSON."),
            "license": {"name": "CC-BY-4.0", "identifier": "CC-BY-4.0"},
        },
        "servers": [{"url": server_url}],
        "paths": dict(sorted(declared_paths().items())),
        "components": {"schemas": {"Error": ERROR_SCHEMA}},
    }
