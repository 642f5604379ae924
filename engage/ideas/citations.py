"""What the synthesis reads from the ideas without importing them, registered when the package
starts: how summaries cite ideas (`[[idea:N]]`) and comments (`[[comment:N]]`), see
`core.citations`; and an agree/disagree process's votes for the opinion groups, see
`core.sources`."""

from __future__ import annotations

from sqlalchemy import select

from engage.cities.models import City
from engage.core import citations, sources
from engage.core.citations import Cited, quote
from engage.core.sources import Votes
from engage.extensions import db
from engage.ideas.models import Comment, Idea
from engage.processes.models import PUBLIC_STATUSES, Contribution, Process


def _ideas(ids: list[int]) -> dict[int, Cited]:
    rows = db.session.execute(
        select(Idea, Contribution.status, Process.status, City.slug)
        .join(Contribution, Contribution.id == Idea.contribution_id)
        .join(Process, Process.id == Idea.process_id).join(City, City.id == Idea.city_id)
        .where(Idea.id.in_(ids))).all()
    return {idea.id: Cited(
        kind="idea", id=idea.id, city_id=idea.city_id, process_id=idea.process_id,
        title=idea.title, quote=quote(idea.body or idea.title),
        endpoint="ideas.idea", args=dict(city_slug=city_slug, idea_id=idea.id),
        citable=status == "published" and process_status in PUBLIC_STATUSES,
        contribution_id=idea.contribution_id, author_id=idea.author_id,
        supports=idea.support_count,
    ) for idea, status, process_status, city_slug in rows}


def _comments(ids: list[int]) -> dict[int, Cited]:
    idea_contribution = Contribution.__table__.alias("idea_contribution")
    rows = db.session.execute(
        select(Comment, Contribution.status, Idea, idea_contribution.c.status, Process.status,
               City.slug)
        .join(Contribution, Contribution.id == Comment.contribution_id)
        .join(Idea, Idea.id == Comment.idea_id)
        .join(idea_contribution, idea_contribution.c.id == Idea.contribution_id)
        .join(Process, Process.id == Idea.process_id).join(City, City.id == Idea.city_id)
        .where(Comment.id.in_(ids))).all()
    return {comment.id: Cited(
        kind="comment", id=comment.id, city_id=idea.city_id, process_id=idea.process_id,
        title=idea.title, quote=quote(comment.body),
        endpoint="ideas.idea", args=dict(city_slug=city_slug, idea_id=idea.id,
                    _anchor=f"comment-{comment.id}"),
        citable=(status == "published" and comment.deleted_at is None
                 and idea_status == "published" and process_status in PUBLIC_STATUSES),
        contribution_id=comment.contribution_id, author_id=comment.author_id,
    ) for comment, status, idea, idea_status, process_status, city_slug in rows}


citations.register("idea", _ideas)
citations.register("comment", _comments)


def _idea_ids(contribution_ids: list[int]) -> dict[int, int]:
    return dict(db.session.execute(select(Idea.contribution_id, Idea.id).where(
        Idea.contribution_id.in_(contribution_ids))).all())


def _comment_ids(contribution_ids: list[int]) -> dict[int, int]:
    return dict(db.session.execute(select(Comment.contribution_id, Comment.id).where(
        Comment.contribution_id.in_(contribution_ids))).all())


citations.register_by_contribution("idea", _idea_ids)
citations.register_by_contribution("comment", _comment_ids)


# ---------------------------------------------------------------- votes, for the opinion groups


def _votes(process: Process) -> Votes | None:
    """An agree/disagree process's vote matrix, the ideas' titles and the voters' stakeholder
    types; None for a process that collects supports."""
    from engage.accounts.models import User
    from engage.ideas.services import settings_for, vote_matrix

    if settings_for(process).voting_mode != "agree":
        return None
    user_ids, idea_ids, rows = vote_matrix(process)
    labels = dict(db.session.execute(select(Idea.id, Idea.title).where(
        Idea.id.in_(idea_ids))).all()) if idea_ids else {}
    types = dict(db.session.execute(select(User.id, User.stakeholder_type).where(
        User.id.in_(user_ids))).all()) if user_ids else {}
    return Votes(participant_ids=user_ids, idea_ids=idea_ids, rows=rows, labels=labels,
                 stakeholder_types=types)


sources.register_votes("ideas", _votes)


def _supports(contribution_ids: list[int]) -> dict[int, int]:
    return dict(db.session.execute(select(Idea.contribution_id, Idea.support_count).where(
        Idea.contribution_id.in_(contribution_ids))).all())


sources.register_supports("idea", _supports)
