"""How summaries cite observations (`[[observation:N]]`), by their notes: see
`core.citations`. Registered when the package starts."""

from __future__ import annotations

from sqlalchemy import select

from engage.cities.models import City
from engage.core import citations
from engage.core.citations import Cited, quote
from engage.extensions import db
from engage.processes.models import PUBLIC_STATUSES, Contribution, Process
from engage.science.models import Observation


def _observations(ids: list[int]) -> dict[int, Cited]:
    rows = db.session.execute(
        select(Observation, Contribution, Process, City.slug)
        .join(Contribution, Contribution.id == Observation.contribution_id)
        .join(Process, Process.id == Observation.process_id)
        .join(City, City.id == Observation.city_id)
        .where(Observation.id.in_(ids))).all()
    return {observation.id: Cited(
        kind="observation", id=observation.id, city_id=observation.city_id,
        process_id=observation.process_id,
        title=process.title_ro or process.title_en, quote=quote(contribution.text),
        endpoint="science.observation", args=dict(city_slug=city_slug,
                    observation_id=observation.id),
        citable=(contribution.status == "published" and observation.status != "rejected"
                 and process.status in PUBLIC_STATUSES),
        contribution_id=contribution.id, author_id=contribution.author_id,
    ) for observation, contribution, process, city_slug in rows}


citations.register("observation", _observations)


def _observation_ids(contribution_ids: list[int]) -> dict[int, int]:
    return dict(db.session.execute(select(Observation.contribution_id, Observation.id).where(
        Observation.contribution_id.in_(contribution_ids))).all())


citations.register_by_contribution("observation", _observation_ids)
