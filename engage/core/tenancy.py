"""City-scoped queries: every object loaded from a URL is looked up inside the URL's city.

The city itself is loaded once per request from the `city_slug` URL value (by the cities
package) into `g.city`; `city_query(Model)` then filters by it, so an object of another city is
a 404, never a leak. A model is city-scoped either through a `city_id` column or by defining
`city_scope(cls, city)` returning a SQL condition (for objects that belong through a process).
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort, g
from sqlalchemy import Select, select

from engage.extensions import db

M = TypeVar("M")


def current_city() -> Any:
    city = getattr(g, "city", None)
    if city is None:
        abort(404)
    return city


def city_condition(model: type[M], city: Any):  # noqa: ANN201
    scope = getattr(model, "city_scope", None)
    if scope is not None:
        return scope(city)
    return model.city_id == city.id  # type: ignore[attr-defined]


def city_query(model: type[M], city: Any = None) -> Select[tuple[M]]:
    """`select(model)` restricted to `city` (default: the URL's city)."""
    city = city if city is not None else current_city()
    return select(model).where(city_condition(model, city))


def get_in_city_or_404(model: type[M], *conditions: Any, city: Any = None) -> M:
    obj = db.session.scalars(city_query(model, city).where(*conditions)).first()
    if obj is None:
        abort(404)
    return obj
