"""The /api/v1 blueprint shared by every feature's api.py: the health endpoint, the OpenAPI
document, one rate limit per IP over the whole API (the `API_RATELIMIT` setting, else the
`ENGAGE_RATELIMIT_API` environment variable, else "120 per minute"), and ids out of the
database's range answered as a JSON 404."""

from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import text

from engage.api import openapi
from engage.core.auth import public
from engage.extensions import db, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
DEFAULT_LIMIT = "120 per minute"


def api_limit() -> str:
    return (current_app.config.get("API_RATELIMIT") or os.environ.get("ENGAGE_RATELIMIT_API")
            or DEFAULT_LIMIT)


def _unlimited() -> bool:
    """The health check is never limited (a load balancer asks it often, from one address)."""
    return request.endpoint == "api.health"


limiter.shared_limit(api_limit, scope="api-v1", exempt_when=_unlimited)(bp)


@bp.url_value_preprocessor
def ids_in_range(endpoint, values):  # noqa: ANN001, ANN201
    """An id no row can have (past a 32-bit integer) is not found, never a database error."""
    for value in (values or {}).values():
        if isinstance(value, int) and not 0 < value <= openapi.INT_MAX:
            abort(404)


@bp.get("/health")
@public
@limiter.exempt
def health():  # noqa: ANN201
    """200 `{"status": "ok"}` once the database answers, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 — any database failure means "not healthy"
        db.session.rollback()
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"})


@bp.get("/openapi.json")
@public
def openapi_document():  # noqa: ANN201
    """The OpenAPI 3.1 document of every declared endpoint."""
    return jsonify(openapi.document())
