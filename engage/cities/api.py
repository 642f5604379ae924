"""Cities in the read-only API (skeleton)."""

from flask import jsonify

from engage.api.blueprint import bp
from engage.core.auth import public


@bp.get("/cities")
@public
def list_cities():  # noqa: ANN201
    return jsonify({"items": []})
