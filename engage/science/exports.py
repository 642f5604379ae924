"""The citizen-science kind's export table: every observation of the campaign (whatever its
status) with every field of the protocol (photos as their number), one column per field,
choices as their labels in the export's language.

Read by id in batches of `BATCH` (three statements a batch: the observations, their values,
their photo counts), as plain rows, so memory stays constant. The observer is "participant N";
the precise location (where a person stood) is a personal column beside the public, coarsened
one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from engage import exports
from engage.exports.tables import Column, Options, Table
from engage.extensions import db
from engage.processes.models import Process
from engage.science import mapdata
from engage.science.models import (
    CHOICE_TYPES,
    LOCATION_SOURCES,
    STATUSES,
    Field,
    Observation,
    ObservationPhoto,
)

BATCH = 1000
TYPES = {"number": "number", "count": "number", "yes_no": "bool", "datetime": "datetime"}


def _label(obj: Any, language: str) -> str:
    other = "en" if language == "ro" else "ro"
    return getattr(obj, f"label_{language}") or getattr(obj, f"label_{other}") or ""


def _value(field: Field, labels: dict[int, str], values: list[Any]) -> Any:
    if not values:
        return None
    if field.type in CHOICE_TYPES:
        return "; ".join(labels.get(value.option_id, "") for value in values
                         if value.option_id is not None)
    if field.type == "datetime":
        moment = values[0].moment
        return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment
    return mapdata.raw_value(field, values)


def observations_table(process: Process, options: Options) -> Table:
    fields = [field for field in mapdata.fields_of(process) if field.type != "photo"]
    language = options.language
    labels = {field.id: {option.id: _label(option, language) for option in field.options}
              for field in fields}
    columns = [
        Column("id", _l("Observation id"), "number", width=10),
        Column("observed_at", _l("Observed at"), "datetime", width=17),
        Column("status", _l("Status"), width=14),
        Column("observer", _l("Observer"), width=16),
        Column("public_lat", _l("Latitude (public precision)"), "number", width=12),
        Column("public_lon", _l("Longitude (public precision)"), "number", width=12),
        Column("lat", _l("Latitude (precise)"), "number", personal=True, width=12),
        Column("lon", _l("Longitude (precise)"), "number", personal=True, width=12),
        Column("accuracy_m", _l("Accuracy (m)"), "number", width=10),
        Column("location_source", _l("Location from"), width=14),
        Column("in_area", _l("In the study area"), "bool", width=10),
        Column("verified_at", _l("Verified at"), "datetime", width=17),
        Column("reason", _l("Verifier's note"), width=30),
        *[Column(f"f{field.id}", _label(field, language), TYPES.get(field.type, "text"),
                 width=18) for field in fields],
        Column("photos", _l("Photos"), "number", width=8),
    ]
    process_id = process.id

    def rows() -> Iterator[tuple]:
        o = Observation
        last = 0
        while True:
            batch = db.session.execute(
                select(o.id, o.observed_at, o.status, o.user_id, o.public_lat, o.public_lon,
                       o.lat, o.lon, o.accuracy_m, o.location_source, o.in_area,
                       o.verified_at, o.reason)
                .where(o.process_id == process_id, o.id > last).order_by(o.id)
                .limit(BATCH)).all()
            if not batch:
                return
            ids = [row[0] for row in batch]
            values = mapdata.values_of(ids)
            photos = dict(db.session.execute(
                select(ObservationPhoto.observation_id, func.count())
                .where(ObservationPhoto.observation_id.in_(ids))
                .group_by(ObservationPhoto.observation_id)).all())
            for (id_, observed_at, status, user_id, public_lat, public_lon, lat, lon,
                 accuracy, source, in_area, verified_at, reason) in batch:
                mine = values.get(id_, {})
                yield (id_, observed_at, str(STATUSES.get(status, status)),
                       options.author(user_id), public_lat, public_lon,
                       lat if options.personal else None, lon if options.personal else None,
                       accuracy, str(LOCATION_SOURCES.get(source, source or "")), in_area,
                       verified_at, reason,
                       *[_value(field, labels[field.id], mine.get(field.id, []))
                         for field in fields],
                       photos.get(id_, 0))
            if len(batch) < BATCH:
                return
            last = ids[-1]

    def count() -> int:
        return db.session.scalar(select(func.count()).select_from(Observation)
                                 .where(Observation.process_id == process_id)) or 0

    return Table("observations", _l("Observations"), columns, rows, count)


def build(process: Process, options: Options) -> list[Table]:
    return [observations_table(process, options)]


exports.register("science", build)
