"""The data version of a science campaign: `ScienceSettings.data_version`, raised once in every
committed transaction that changes what the public map, charts and open data show (see
`core.versions`): observations, their values and photos, verification decisions, the protocol,
the settings, and an observation's Contribution (moderation). Writes by UPDATE or DELETE
statements must call `data_changed(process_id)`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engage.core.signals import contribution_moderated
from engage.core.versions import Version
from engage.processes.models import Contribution
from engage.science.models import (
    Field,
    FieldOption,
    Observation,
    ObservationPhoto,
    ObservationValue,
    ScienceSettings,
)


def _process_of(session: Session, obj: Any, deleted: bool) -> int | None:
    if isinstance(obj, Observation | ObservationPhoto | Field | ScienceSettings):
        return obj.process_id
    if isinstance(obj, ObservationValue):
        observation = session.get(Observation, obj.observation_id)
        return observation.process_id if observation is not None else None
    if isinstance(obj, FieldOption):
        field = session.get(Field, obj.field_id)
        return field.process_id if field is not None else None
    if isinstance(obj, Contribution) and obj.kind == "observation":
        return obj.process_id
    return None


DATA = Version("science_data", ScienceSettings, "data_version", _process_of,
               changed_at="data_changed_at")


def data_changed(process_id: int, session: Session | None = None) -> None:
    """Note that `process_id`'s public data change in the current transaction."""
    DATA.changed(process_id, session)


@contribution_moderated.connect
def _observation_moderated(contribution: Contribution, before: str, after: str) -> None:
    """A decision on the moderation desk hides or shows an observation's notes (and with a
    hidden contribution, the observation): the public data change."""
    if contribution.kind == "observation":
        data_changed(contribution.process_id)
