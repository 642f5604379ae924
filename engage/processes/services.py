"""Process operations: listing, figures, create, edit and status changes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from engage.extensions import db
from engage.processes.models import Contribution, Process


@dataclass(frozen=True)
class Participation:
    """A city's participation figures."""

    open_processes: int = 0
    contributions: int = 0
    participants: int = 0


def participation_figures(city_ids: Iterable[int]) -> dict[int, Participation]:
    """{city_id: Participation} in three grouped queries, whatever the number of cities."""
    ids = list(city_ids)
    if not ids:
        return {}
    open_counts = dict(
        db.session.execute(
            select(Process.city_id, func.count())
            .where(Process.city_id.in_(ids), Process.is_open)
            .group_by(Process.city_id)
        ).all()
    )
    published = Contribution.status == "published"
    contribution_counts = dict(
        db.session.execute(
            select(Contribution.city_id, func.count())
            .where(Contribution.city_id.in_(ids), published)
            .group_by(Contribution.city_id)
        ).all()
    )
    participant_counts = dict(
        db.session.execute(
            select(Contribution.city_id, func.count(func.distinct(Contribution.author_id)))
            .where(Contribution.city_id.in_(ids), published)
            .group_by(Contribution.city_id)
        ).all()
    )
    return {
        city_id: Participation(
            open_counts.get(city_id, 0),
            contribution_counts.get(city_id, 0),
            participant_counts.get(city_id, 0),
        )
        for city_id in ids
    }


def current_processes_by_city(city_ids: Iterable[int]) -> dict[int, list[Process]]:
    """{city_id: [open and upcoming published processes]} in one query, soonest closing first."""
    ids = list(city_ids)
    result: dict[int, list[Process]] = {city_id: [] for city_id in ids}
    if not ids:
        return result
    from engage.core.db import utcnow

    now = utcnow()
    query = (
        select(Process)
        .where(
            Process.city_id.in_(ids),
            Process.status == "published",
            (Process.closes_at.is_(None)) | (Process.closes_at > now),
        )
        .order_by(Process.closes_at.is_(None), Process.closes_at, Process.id)
    )
    for process in db.session.scalars(query):
        result[process.city_id].append(process)
    return result
