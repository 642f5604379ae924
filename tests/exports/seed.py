"""Bulk seeding of ideas and agree-mode votes for the streaming tests (and `bench/exports`):
plain multi-row inserts (no ORM objects), so hundreds of thousands of rows go in quickly."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select

from engage.accounts.models import User
from engage.core.db import utcnow
from engage.extensions import db
from engage.ideas.models import Idea, Vote
from engage.processes.models import Contribution

BATCH = 5000


def _insert(model: Any, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start:start + BATCH])


def seed_votes(process: Any, ideas: int, voters: int, votes_per_voter: int | None = None
               ) -> tuple[list[int], list[int]]:
    """`ideas` ideas in `process` and `voters` people each voting on `votes_per_voter` of them
    (all by default); returns the ideas' and the voters' ids."""
    tag = uuid.uuid4().hex[:8]
    now = utcnow()
    _insert(User, [dict(email=f"seed-{tag}-{n}@example.org", display_name=f"Seed {tag} {n}",
                        password_hash="x", language="ro", stakeholder_type="citizen",
                        is_admin=False, is_active_account=True) for n in range(voters)])
    voter_ids = list(db.session.scalars(
        select(User.id).where(User.email.like(f"seed-{tag}-%")).order_by(User.id)))
    _insert(Contribution, [dict(kind="idea", process_id=process.id, city_id=process.city_id,
                                author_id=voter_ids[n % voters], language="ro",
                                text=f"{tag} {n}", status="published", created_at=now)
                           for n in range(ideas)])
    contribution_ids = list(db.session.scalars(
        select(Contribution.id).where(Contribution.process_id == process.id,
                                      Contribution.text.like(f"{tag} %"))
        .order_by(Contribution.id)))
    _insert(Idea, [dict(process_id=process.id, city_id=process.city_id, contribution_id=cid,
                        author_id=voter_ids[n % voters], channel="online",
                        title=f"Idea {n}: mai mulți copaci", body=f"{tag} text {n}",
                        theme=process.themes[0], language="ro", place_text="",
                        status="new", support_count=0, comment_count=0,
                        created_at=now, updated_at=now)
                   for n, cid in enumerate(contribution_ids)])
    idea_ids = list(db.session.scalars(
        select(Idea.id).where(Idea.contribution_id.in_(select(Contribution.id).where(
            Contribution.text.like(f"{tag} %")))).order_by(Idea.id)))
    per_voter = votes_per_voter or len(idea_ids)
    rows = []
    for position, user_id in enumerate(voter_ids):
        for step in range(per_voter):
            idea_id = idea_ids[(position + step) % len(idea_ids)]
            rows.append(dict(idea_id=idea_id, user_id=user_id, value=(step % 3) - 1,
                             updated_at=now))
            if len(rows) >= BATCH:
                _insert(Vote, rows)
                rows = []
    if rows:
        _insert(Vote, rows)
    db.session.flush()
    return idea_ids, voter_ids
