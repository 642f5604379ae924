"""Reading ideas for pages and the API: the list with its sorts, filters, search and pages; the
similar ideas shown while typing a title; the map's points; an idea page's comments, photos and
moderation notes. Every function runs a fixed number of statements, whatever the number of
ideas, supports and comments."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, and_, case, cast, func, or_, select, true
from sqlalchemy.orm import contains_eager, joinedload

from engage.core import search
from engage.core.audit import ModerationAction
from engage.core.pagination import DEFAULT_PER_PAGE, Page, paginate
from engage.extensions import db
from engage.ideas.models import (
    PROGRESS_STATUSES,
    SORTS,
    Comment,
    Idea,
    IdeaPhoto,
    Vote,
)
from engage.ideas.services import SEARCH_KIND, settings_for
from engage.processes.models import Contribution, Process

# A prime above any idea id we expect; the random order is a permutation of ids modulo it.
_RANDOM_MODULUS = 2_147_483_629
SIMILAR_LIMIT = 5


def new_random_seed() -> int:
    """A visitor's seed for the random order, kept in their session so pages stay stable."""
    return random.SystemRandom().randrange(1, _RANDOM_MODULUS)


def published_condition() -> Any:
    """Ideas the public sees: published and not merged into another."""
    return and_(Contribution.status == "published", Idea.merged_into_id.is_(None))


def sorts_for(process: Process) -> dict[str, Any]:
    """The sorts a process offers: agree-mode statements have no supports to sort by."""
    if settings_for(process).voting_mode == "agree":
        return {key: label for key, label in SORTS.items() if key != "support"}
    return dict(SORTS)


def default_sort(process: Process) -> str:
    return "random" if settings_for(process).voting_mode == "agree" else "support"


@dataclass
class ListFilters:
    sort: str = "support"
    theme: str = ""
    status: str = ""
    query: str = ""
    seed: int = 1

    @property
    def is_filtered(self) -> bool:
        return bool(self.theme or self.status or self.query)


def clean_filters(process: Process, args: Any, seed: int) -> ListFilters:
    """Filters from a query string; unknown values fall back to "all" (never an error)."""
    sort = args.get("sort", "")
    if sort not in sorts_for(process):
        sort = default_sort(process)
    theme = args.get("theme", "")
    if theme not in (process.themes or ()):
        theme = ""
    status = args.get("status", "")
    if status not in PROGRESS_STATUSES:
        status = ""
    query = (args.get("q") or "").strip()[:100]
    return ListFilters(sort=sort, theme=theme, status=status, query=query, seed=seed)


def _order(sort: str, seed: int) -> list[Any]:
    if sort == "newest":
        return [Idea.created_at.desc(), Idea.id.desc()]
    if sort == "discussed":
        return [Idea.comment_count.desc(), Idea.id.desc()]
    if sort == "random":
        # (id * a + b) mod p is a permutation of the ids for each seed: stable per visitor,
        # different between visitors, computed by the database on any dialect.
        a = seed % (_RANDOM_MODULUS - 1) + 1
        b = (seed * 7919) % _RANDOM_MODULUS
        big = cast(Idea.id, BigInteger) if db.engine.dialect.name != "sqlite" else Idea.id
        return [(big * a + b) % _RANDOM_MODULUS, Idea.id]
    return [Idea.support_count.desc(), Idea.id.desc()]


def ideas_statement(process: Process, filters: ListFilters) -> Any:
    statement = (
        select(Idea)
        .join(Idea.contribution)
        .options(contains_eager(Idea.contribution), joinedload(Idea.author))
        .where(Idea.process_id == process.id, published_condition())
    )
    if filters.theme:
        statement = statement.where(Idea.theme == filters.theme)
    if filters.status:
        statement = statement.where(Idea.status == filters.status)
    if filters.query:
        statement = statement.where(
            search.search_condition(SEARCH_KIND, filters.query, Idea.id, scope_id=process.id)
        )
    return statement.order_by(*_order(filters.sort, filters.seed))


def list_ideas(process: Process, filters: ListFilters, page: int,
               per_page: int = DEFAULT_PER_PAGE) -> Page:
    """One page of the process's published ideas: one COUNT and one SELECT. Unfiltered, the
    count reads the contribution spine alone (an index-only scan): every published idea has a
    published contribution, and a merged idea's contribution is hidden."""
    count = None
    if not filters.is_filtered:
        count = select(func.count()).select_from(Contribution).where(
            Contribution.process_id == process.id, Contribution.kind == "idea",
            Contribution.status == "published")
    return paginate(ideas_statement(process, filters), page, per_page, count=count)


def first_photos(idea_ids: Iterable[int]) -> dict[int, IdeaPhoto]:
    """The first photo of each of the ideas that have one, in one query (list thumbnails)."""
    ids = list(idea_ids)
    if not ids:
        return {}
    photos = db.session.scalars(
        select(IdeaPhoto).where(IdeaPhoto.idea_id.in_(ids), IdeaPhoto.position == 0)
    )
    return {photo.idea_id: photo for photo in photos}


def photos_of(idea: Idea) -> list[IdeaPhoto]:
    return list(db.session.scalars(
        select(IdeaPhoto).where(IdeaPhoto.idea_id == idea.id).order_by(IdeaPhoto.position)
    ))


def my_votes(user: Any, idea_ids: Iterable[int]) -> dict[int, int]:
    """The agree-mode votes `user` cast on these ideas, in one query."""
    ids = list(idea_ids)
    if not ids or user is None or not getattr(user, "is_authenticated", False):
        return {}
    rows = db.session.execute(
        select(Vote.idea_id, Vote.value).where(Vote.user_id == user.id, Vote.idea_id.in_(ids))
    )
    return {key: value for key, value in rows}


def vote_totals(idea_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """Agree / pass / disagree counts per idea, in one query."""
    ids = list(idea_ids)
    if not ids:
        return {}
    totals: dict[int, dict[int, int]] = {idea_id: {1: 0, 0: 0, -1: 0} for idea_id in ids}
    rows = db.session.execute(
        select(Vote.idea_id, Vote.value, func.count())
        .where(Vote.idea_id.in_(ids))
        .group_by(Vote.idea_id, Vote.value)
    )
    for idea_id, value, count in rows:
        totals[idea_id][value] = count
    return totals


def similar_ideas(process: Process, title: str, exclude_id: int | None = None,
                  limit: int = SIMILAR_LIMIT) -> list[Idea]:
    """Published ideas of the process whose title or text contain the words being typed, best
    match first: one search statement and one load."""
    if len(search.terms(title)) == 0:
        return []
    # Any of the words rather than all of them: a new idea rarely repeats a title exactly.
    words = search.terms(title)
    ids: list[int] = []
    for word in [" ".join(words)] + sorted(words, key=len, reverse=True)[:3]:
        for found in search.search(SEARCH_KIND, word, scope_id=process.id, limit=limit * 3):
            if found not in ids and found != exclude_id:
                ids.append(found)
        if len(ids) >= limit * 3:
            break
    if not ids:
        return []
    ideas = db.session.scalars(
        select(Idea).join(Idea.contribution).options(contains_eager(Idea.contribution))
        .where(Idea.id.in_(ids), Idea.process_id == process.id, published_condition())
    ).unique().all()
    rank = {idea_id: n for n, idea_id in enumerate(ids)}
    return sorted(ideas, key=lambda idea: rank[idea.id])[:limit]


def map_points(process: Process, filters: ListFilters | None = None) -> list[dict[str, Any]]:
    """The published ideas of the process that have a point on the map, as plain values."""
    statement = (
        select(Idea.id, Idea.title, Idea.place_lat, Idea.place_lon, Idea.support_count,
               Idea.theme, Idea.status)
        .join(Idea.contribution)
        .where(Idea.process_id == process.id, published_condition(),
               Idea.place_lat.is_not(None))
        .order_by(Idea.id)
    )
    if filters is not None:
        if filters.theme:
            statement = statement.where(Idea.theme == filters.theme)
        if filters.status:
            statement = statement.where(Idea.status == filters.status)
    return [row._asdict() for row in db.session.execute(statement)]


def awaiting_approval(process: Process, user: Any) -> list[Idea]:
    """The signed-in person's own ideas that wait for a moderator (pre-moderation) or were
    hidden: they see them, with what happened, though the public does not."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(
        select(Idea).join(Idea.contribution).options(contains_eager(Idea.contribution))
        .where(Idea.process_id == process.id, Idea.author_id == user.id,
               Contribution.status.in_(("pending", "hidden", "rejected")))
        .order_by(Idea.created_at.desc())
    ).unique())


# ---------------------------------------------------------------- the idea page


@dataclass
class CommentNode:
    comment: Comment
    replies: list[Comment] = field(default_factory=list)


COMMENT_THREADS_PER_PAGE = 30


def _visible_comments(viewer: Any, moderator: bool) -> Any:
    """SQL condition: the comments a viewer may see (published, and deleted ones as
    placeholders; their own pending or hidden ones; everything for moderators)."""
    if moderator:
        return true()
    shown = Contribution.status.in_(("published", "deleted"))
    viewer_id = getattr(viewer, "id", None)
    if viewer_id is None:
        return shown
    return or_(shown, and_(Comment.author_id == viewer_id,
                           Contribution.status.in_(("pending", "hidden", "rejected"))))


def comment_tree(idea: Idea, viewer: Any, moderator: bool, page: int = 1,
                 per_page: int = COMMENT_THREADS_PER_PAGE) -> tuple[list[CommentNode], Page]:
    """One page of the idea's conversation, oldest thread first: the top-level comments with
    all their replies, in three queries (count, threads, replies) whatever its length. Deleted
    comments stay as placeholders while they have replies."""
    visible = _visible_comments(viewer, moderator)
    threads = (
        select(Comment).join(Comment.contribution)
        .options(contains_eager(Comment.contribution), joinedload(Comment.author))
        .where(Comment.idea_id == idea.id, Comment.parent_id.is_(None), visible)
        .order_by(Comment.created_at, Comment.id)
    )
    found = paginate(threads, page, per_page)
    nodes = [CommentNode(comment) for comment in found.items]
    by_id = {node.comment.id: node for node in nodes}
    if by_id:
        replies = db.session.scalars(
            select(Comment).join(Comment.contribution)
            .options(contains_eager(Comment.contribution), joinedload(Comment.author))
            .where(Comment.parent_id.in_(list(by_id)), visible)
            .order_by(Comment.created_at, Comment.id)
        ).unique()
        for reply in replies:
            by_id[reply.parent_id].replies.append(reply)
    # A deleted comment with no replies left says nothing: drop it.
    return [n for n in nodes if not (n.comment.is_deleted and not n.replies)], found


def last_decisions(targets: dict[int, int]) -> dict[int, ModerationAction]:
    """{idea or comment id: its contribution id} → the latest moderation decision about each,
    in one query (the reason an author is shown for hidden input). Read by contribution, so a
    decision taken on the moderation desk counts as much as one taken here."""
    by_contribution = {contribution_id: target_id for target_id, contribution_id in targets.items()}
    if not by_contribution:
        return {}
    latest = (
        select(ModerationAction.contribution_id,
               func.max(ModerationAction.id).label("last_id"))
        .where(ModerationAction.contribution_id.in_(list(by_contribution)),
               ModerationAction.status_after != "")
        .group_by(ModerationAction.contribution_id)
        .subquery()
    )
    actions = db.session.scalars(
        select(ModerationAction).join(latest, latest.c.last_id == ModerationAction.id)
    )
    return {by_contribution[action.contribution_id]: action for action in actions}


def pending_ideas(process: Process) -> list[Idea]:
    """Ideas waiting for a moderator, oldest first."""
    return list(db.session.scalars(
        select(Idea).join(Idea.contribution)
        .options(contains_eager(Idea.contribution), joinedload(Idea.author))
        .where(Idea.process_id == process.id, Contribution.status == "pending")
        .order_by(Idea.created_at, Idea.id)
    ).unique())


def pending_comments(process: Process) -> list[Comment]:
    return list(db.session.scalars(
        select(Comment).join(Comment.contribution)
        .options(contains_eager(Comment.contribution), joinedload(Comment.author),
                 joinedload(Comment.idea))
        .where(Contribution.process_id == process.id, Contribution.status == "pending",
               Contribution.kind == "comment")
        .order_by(Comment.created_at, Comment.id)
    ).unique())


def hidden_ideas(process: Process) -> list[Idea]:
    return list(db.session.scalars(
        select(Idea).join(Idea.contribution).options(contains_eager(Idea.contribution))
        .where(Idea.process_id == process.id, Contribution.status.in_(("hidden", "rejected")),
               Idea.merged_into_id.is_(None))
        .order_by(Idea.updated_at.desc(), Idea.id)
    ).unique())


def ideas_by_contribution(contribution_ids: Iterable[int]) -> tuple[dict[int, Idea],
                                                                     dict[int, Comment]]:
    """The ideas and comments behind these contributions (the reports list), in two queries."""
    ids = list(contribution_ids)
    if not ids:
        return {}, {}
    ideas = db.session.scalars(select(Idea).where(Idea.contribution_id.in_(ids))).unique()
    comments = db.session.scalars(
        select(Comment).options(joinedload(Comment.idea)).where(Comment.contribution_id.in_(ids))
    ).unique()
    return ({idea.contribution_id: idea for idea in ideas},
            {comment.contribution_id: comment for comment in comments})


def counts_by_status(process: Process) -> dict[str, int]:
    """How many of the process's ideas are in each moderation status (merged ones apart)."""
    rows = db.session.execute(
        select(Contribution.status, func.count())
        .select_from(Idea).join(Idea.contribution)
        .where(Idea.process_id == process.id, Idea.merged_into_id.is_(None))
        .group_by(Contribution.status)
    )
    return {key: value for key, value in rows}



def map_centre(process: Process) -> tuple[float, float] | None:
    """The middle of the process's placed ideas, where a new idea's map opens; None if none."""
    row = db.session.execute(
        select(func.avg(Idea.place_lat), func.avg(Idea.place_lon))
        .where(Idea.process_id == process.id, Idea.place_lat.is_not(None))
    ).one()
    return (float(row[0]), float(row[1])) if row[0] is not None else None


def vote_counts(process: Process):  # noqa: ANN201
    """The subquery of each idea's agree, disagree and pass votes in an agree-mode process
    (columns idea_id, agree, disagree, passes), to join on the ideas."""
    return (select(Vote.idea_id,
                   func.sum(case((Vote.value == 1, 1), else_=0)).label("agree"),
                   func.sum(case((Vote.value == -1, 1), else_=0)).label("disagree"),
                   func.sum(case((Vote.value == 0, 1), else_=0)).label("passes"))
            .join(Idea, Idea.id == Vote.idea_id)
            .where(Idea.process_id == process.id)
            .group_by(Vote.idea_id).subquery())
