"""Ideas in the read-only API: the published ideas of a public ideas process.

`GET /api/v1/processes/<id>/ideas?sort=&theme=&status=&q=&page=&per_page=` → a page
`{"items": [{"id", "title", "body", "theme", "status", "supports", "comments", "created_at",
"place": {"lat", "lon"} | null, "url"}], "next": url | null, "total": n}`, sorted like the
list page (`support` by default; `random` takes a `seed`, else 1). Drafts, another kind and
unknown ids are a JSON 404. Pending, hidden and merged ideas are never listed. Authors are not
named: no personal data.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request, url_for
from sqlalchemy import func, select

from engage.api import openapi
from engage.api.blueprint import bp
from engage.api.http import last_modified, page_args, page_json
from engage.core.auth import public
from engage.extensions import db
from engage.ideas import queries
from engage.ideas.models import SORTS, Idea
from engage.processes.api import iso_utc
from engage.processes.models import Process


def idea_json(idea: Idea, city_slug: str) -> dict[str, Any]:
    return {
        "id": idea.id,
        "title": idea.title,
        "body": idea.body,
        "theme": idea.theme,
        "status": idea.status,
        "supports": idea.support_count,
        "comments": idea.comment_count,
        "created_at": iso_utc(idea.created_at),
        "place": {"lat": idea.place_lat, "lon": idea.place_lon} if idea.has_place else None,
        "url": url_for("ideas.idea", city_slug=city_slug, idea_id=idea.id, _external=True),
    }


@bp.get("/processes/<int:process_id>/ideas")
@public
def list_process_ideas(process_id: int):  # noqa: ANN201
    process = db.session.get(Process, process_id)
    if process is None or process.kind != "ideas" or not process.is_public:
        abort(404)
    try:
        seed = max(1, int(request.args.get("seed", 1)))
    except ValueError:
        seed = 1
    filters = queries.clean_filters(process, request.args, min(seed, openapi.INT_MAX))
    number, per_page = page_args()
    page = queries.list_ideas(process, filters, number, per_page)
    city_slug = process.city.slug
    last_modified(process.updated_at, db.session.scalar(
        select(func.max(Idea.updated_at)).where(Idea.process_id == process.id)))
    return jsonify(page_json([idea_json(idea, city_slug) for idea in page.items], number,
                             per_page, page.total, ".list_process_ideas",
                             process_id=process.id))


IDEA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "title", "body", "theme", "status", "supports", "comments",
                 "created_at", "place", "url"],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "body": {"type": "string"},
        "theme": {"type": ["string", "null"]},
        "status": {"type": ["string", "null"]},
        "supports": {"type": "integer", "minimum": 0},
        "comments": {"type": "integer", "minimum": 0},
        "created_at": openapi.DATETIME,
        "place": openapi.PLACE,
        "url": {"type": "string", "format": "uri"},
    },
}
openapi.declare(
    "/processes/{process_id}/ideas", operation_id="listProcessIdeas", tag="ideas",
    schema=IDEA_SCHEMA, pages=True, summary="The published ideas of an ideas process",
    description="Pending, hidden and merged ideas are never listed; authors are not named.",
    parameters=[
        openapi.path_parameter("process_id", "The process id."),
        openapi.query_parameter("sort", {"type": "string", "enum": list(SORTS)},
                                "The order (support by default)."),
        openapi.query_parameter("theme", {"type": "string", "maxLength": 30}),
        openapi.query_parameter("status", {"type": "string", "maxLength": 30}),
        openapi.query_parameter("q", {"type": "string", "maxLength": 100}, "Words to find."),
        openapi.query_parameter("seed", {"type": "integer", "minimum": 1,
                                         "maximum": openapi.INT_MAX},
                                "The random order's seed."),
    ])
