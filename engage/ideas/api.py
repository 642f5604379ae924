"""Ideas in the read-only API: the published ideas of a public ideas process.

`GET /api/v1/processes/<id>/ideas?sort=&theme=&status=&q=&page=` → `{"items": [{"id", "title",
"body", "theme", "status", "supports", "comments", "created_at", "place": {"lat", "lon"} |
null, "url"}], "next": url | null, "total": n}`, sorted like the list page (`support` by
default; `random` takes a `seed`, else 1). Drafts, another kind and unknown ids are a JSON 404.
Pending, hidden and merged ideas are never listed. Authors are not named: no personal data.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request, url_for

from engage.api.blueprint import bp
from engage.core.auth import public
from engage.core.pagination import page_number
from engage.extensions import db
from engage.ideas import queries
from engage.ideas.models import Idea
from engage.processes.api import iso_utc
from engage.processes.models import Process

PER_PAGE = 50


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
    filters = queries.clean_filters(process, request.args, seed)
    page = queries.list_ideas(process, filters, page_number(request.args.get("page")), PER_PAGE)
    city_slug = process.city.slug
    next_url = None
    if page.has_next:
        args = request.args.to_dict() | {"page": page.number + 1}
        next_url = url_for(".list_process_ideas", process_id=process.id, _external=True, **args)
    return jsonify({
        "items": [idea_json(idea, city_slug) for idea in page.items],
        "next": next_url,
        "total": page.total,
    })
