"""Cities blueprint (skeleton; completed by the cities work)."""

from __future__ import annotations

from flask import Blueprint, g

from engage.core.auth import admin_required, public

bp = Blueprint("cities", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.app_url_value_preprocessor
def load_city(endpoint, values):  # noqa: ANN001, ANN201
    """Load `g.city` from the `city_slug` URL value of any route (404 when unknown)."""
    from flask import abort
    from sqlalchemy import select

    from engage.cities.models import City
    from engage.extensions import db

    if values and "city_slug" in values:
        city = db.session.scalars(select(City).where(City.slug == values["city_slug"])).first()
        if city is None:
            abort(404)
        g.city = city


@bp.get("/")
@public
def hub():  # noqa: ANN201
    return "hub"


@admin_bp.get("/cities")
@admin_required
def cities():  # noqa: ANN201
    return "cities"
