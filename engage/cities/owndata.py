"""The cities' part of people's own data (see `core.owndata`): the roles a person holds
(organiser, moderator). A deleted account holds none."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from engage.cities.models import City, CityRole
from engage.core import owndata
from engage.core.owndata import iso
from engage.extensions import db


def collect(user: Any) -> dict[str, Any]:
    rows = db.session.execute(
        select(CityRole, City.slug).join(City, City.id == CityRole.city_id)
        .where(CityRole.user_id == user.id).order_by(CityRole.id)).all()
    return {"roles": [{"city": slug, "role": role.role, "granted_at": iso(role.granted_at)}
                      for role, slug in rows]}


def erase(user: Any, keep: bool) -> None:
    db.session.execute(delete(CityRole).where(CityRole.user_id == user.id))


owndata.register("roles", collect, erase)
