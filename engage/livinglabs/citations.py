"""How summaries cite living-lab sessions (`[[session:N]]`), their outcome above all: see
`core.citations`. Registered when the package starts."""

from __future__ import annotations

from sqlalchemy import select

from engage.cities.models import City
from engage.core import citations
from engage.core.citations import Cited, quote
from engage.extensions import db
from engage.livinglabs.models import LabSession
from engage.processes.models import PUBLIC_STATUSES, Process


def _sessions(ids: list[int]) -> dict[int, Cited]:
    rows = db.session.execute(
        select(LabSession, Process, City.slug)
        .join(Process, Process.id == LabSession.process_id)
        .join(City, City.id == Process.city_id)
        .where(LabSession.id.in_(ids))).all()
    found = {}
    for session, process, city_slug in rows:
        outcome = (session.outcome_ro or session.outcome_en
                   if session.outcome_published_at else "")
        found[session.id] = Cited(
            kind="session", id=session.id, city_id=process.city_id, process_id=process.id,
            title=session.title_ro or session.title_en,
            quote=quote(outcome or session.description_ro or session.description_en),
            endpoint="livinglab.session_page", args=dict(city_slug=city_slug,
                        process_slug=process.slug, session_id=session.id),
            citable=process.status in PUBLIC_STATUSES,
        )
    return found


citations.register("session", _sessions)
