"""Named predicates about people and cities: `(user, city) -> bool`, used by `core.auth.requires`.

A person's roles are read once per request (one query) and kept on `g`.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy import select

from engage.cities.models import CityRole
from engage.extensions import db


def roles_of(user: Any) -> dict[int, set[str]]:
    """{city_id: {"organiser", "moderator"}} for `user`, cached for the request."""
    if not (user and user.is_authenticated):
        return {}
    cache_key = f"_roles_{user.id}"
    if has_request_context() and cache_key in g:
        return g.get(cache_key)
    roles: dict[int, set[str]] = {}
    for city_id, role in db.session.execute(
        select(CityRole.city_id, CityRole.role).where(CityRole.user_id == user.id)
    ):
        roles.setdefault(city_id, set()).add(role)
    if has_request_context():
        setattr(g, cache_key, roles)
    return roles


def _has_role(user: Any, city: Any, *wanted: str) -> bool:
    if not (user and user.is_authenticated) or city is None:
        return False
    if getattr(user, "is_admin", False):
        return True
    return bool(roles_of(user).get(city.id, set()) & set(wanted))


def is_city_organiser(user: Any, city: Any) -> bool:
    """Organisers of `city` (and admins) run its processes."""
    return _has_role(user, city, "organiser")


def can_moderate(user: Any, city: Any) -> bool:
    """Moderators of `city` review its input; organisers may too; admins always."""
    return _has_role(user, city, "moderator", "organiser")


def is_city_staff(user: Any, city: Any) -> bool:
    """Organisers and moderators of `city` (and admins): may see its management pages."""
    return _has_role(user, city, "organiser", "moderator")


def can_manage_cities(user: Any, city: Any = None) -> bool:
    """Only global admins add and edit cities, grant roles and keep the funding list."""
    return bool(user and user.is_authenticated and getattr(user, "is_admin", False))
