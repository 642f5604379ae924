"""The /api/v1 blueprint shared by every feature's api.py, and the health endpoint."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from engage.core.auth import public
from engage.extensions import db, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.after_request
def no_store_cookies(response):  # noqa: ANN001, ANN202
    response.headers.setdefault("Access-Control-Allow-Origin", "*")
    return response


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
