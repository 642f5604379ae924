"""The citizen-science kind's part of people's own data (see `core.owndata`): a person's
observations with their values and photos.

Kept observations are unlinked from the account (`user_id` None); deleted ones are removed
with their values and photo files, and their spine rows marked deleted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from engage.core import owndata
from engage.core.owndata import iso
from engage.core.uploads import delete_photo, photo_url
from engage.extensions import db
from engage.processes.models import Contribution
from engage.science.models import Field, FieldOption, Observation, ObservationValue, Verifier


def collect(user: Any) -> dict[str, Any]:
    observations = db.session.scalars(
        select(Observation).where(Observation.user_id == user.id)
        .order_by(Observation.id)).all()
    values: dict[int, list[dict[str, Any]]] = {}
    if observations:
        rows = db.session.execute(
            select(ObservationValue, Field.label_ro, Field.label_en,
                   FieldOption.label_ro, FieldOption.label_en)
            .join(Field, Field.id == ObservationValue.field_id)
            .outerjoin(FieldOption, FieldOption.id == ObservationValue.option_id)
            .where(ObservationValue.observation_id.in_([o.id for o in observations]))
            .order_by(ObservationValue.id)).all()
        for value, field_ro, field_en, option_ro, option_en in rows:
            values.setdefault(value.observation_id, []).append({
                "field": field_en or field_ro, "number": value.number, "text": value.text,
                "option": (option_en or option_ro) if value.option_id else None,
                "moment": iso(value.moment),
            })
    return {"observations": [{
        "id": observation.id, "process_id": observation.process_id,
        "observed_at": iso(observation.observed_at), "lat": observation.lat,
        "lon": observation.lon, "status": observation.status,
        "values": values.get(observation.id, []),
        "photos": [photo_url(photo.key) for photo in observation.photos],
    } for observation in observations]}


def erase(user: Any, keep: bool) -> None:
    db.session.execute(delete(Verifier).where(Verifier.user_id == user.id))  # a role
    observations = db.session.scalars(
        select(Observation).where(Observation.user_id == user.id)).all()
    for observation in observations:
        if keep:
            observation.user_id = None
            continue
        for photo in observation.photos:
            delete_photo(photo.key, photo.thumb_key)
        contribution = db.session.get(Contribution, observation.contribution_id)
        db.session.delete(observation)
        if contribution is not None:
            contribution.text = ""
            contribution.status = "deleted"
    db.session.flush()


owndata.register("science", collect, erase)
