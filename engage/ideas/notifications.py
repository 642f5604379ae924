"""Following ideas: who is told when an idea's status changes or it is merged, and how.

The followers of an idea are, by default, its author, its supporters and its agree-mode voters;
anyone signed in may follow an idea explicitly and any follower may stop (an `IdeaFollow` row,
which overrides the default either way). Only active accounts with a confirmed e-mail address
are written to.

Each person chooses (`NotificationSetting`, no row = "each"): one e-mail per change, sent through
the outbox at once; a daily digest, for which the change waits as a `PendingUpdate` until
`send_digests` (a huey periodic task at 07:00 Bucharest time, or `flask send-idea-digests`); or
nothing. Every e-mail carries a one-click-and-confirm unsubscribe link (`unsubscribe_token`).

Services flush and never commit; the request, the job or the command commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    func,
    insert,
    select,
    union,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, selectinload

from engage.accounts.models import User
from engage.core.db import insert_ignoring_duplicates, upsert, utcnow
from engage.core.mail import queue_mail
from engage.core.refusal import Refusal
from engage.extensions import db
from engage.ideas.models import Idea, IdeaStatusChange, Support, Vote
from engage.processes.models import Process

IDEA_UPDATE_CHOICES = {
    "each": _l("An e-mail for each change"),
    "daily": _l("One e-mail a day with all changes"),
    "off": _l("No e-mails about ideas"),
}
DEFAULT_IDEA_UPDATES = "each"
UPDATE_KINDS = ("status", "merged")
UNSUBSCRIBE_SALT = "engage.ideas.unsubscribe"
# Links in mail written outside a request (the digest job, a command) when the deployment sets
# no SERVER_NAME: the address `make run` serves.
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"
# Digests are built for this many people at a time.
DIGEST_BATCH = 200


def _in(values: Any) -> str:
    return ", ".join(f"'{value}'" for value in values)


class NotificationError(Refusal):
    """A setting or a choice was refused; `message` is translatable (lazy)."""


# ---------------------------------------------------------------- models


class NotificationSetting(db.Model):
    """How a person hears about the ideas they follow; no row means "each"."""

    __tablename__ = "notification_setting"
    __table_args__ = (
        CheckConstraint(f"idea_updates IN ({_in(IDEA_UPDATE_CHOICES)})", name="idea_updates"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    idea_updates: Mapped[str] = mapped_column(String(10), default=DEFAULT_IDEA_UPDATES)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IdeaFollow(db.Model):
    """Somebody's explicit choice to follow an idea (True) or not to (False), overriding the
    default (author, supporters and voters follow). The key starts with the idea: the followers
    of one idea are read by it."""

    __tablename__ = "idea_follow"

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("idea.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    following: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PendingUpdate(db.Model):
    """One change waiting for its follower's daily digest; `sent_at` is set when a digest run
    claims it (whether or not a mail went out: a follower who turned e-mails off gets none)."""

    __tablename__ = "pending_idea_update"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(UPDATE_KINDS)})", name="kind"),
        Index("ix_pending_idea_update_sent_user", "sent_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    status_change_id: Mapped[int | None] = mapped_column(
        ForeignKey("idea_status_change.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10), default="status")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


# ---------------------------------------------------------------- links


@contextmanager
def _links() -> Iterator[None]:
    """Make `url_for(..., _external=True)` work: inside a request it does; outside one (the
    digest job, a command) Flask needs SERVER_NAME, else a request context on a base URL."""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        yield
        return
    with current_app.test_request_context("/", base_url=DEVELOPMENT_BASE_URL):
        yield


def idea_url(idea: Idea) -> str:
    """The absolute address of the idea's page."""
    return url_for("ideas.idea", city_slug=idea.process.city.slug, idea_id=idea.id,
                   _external=True)


def settings_url() -> str:
    return url_for("follow.settings", _external=True)


def unsubscribe_url(user: User) -> str:
    return url_for("follow.unsubscribe", token=unsubscribe_token(user), _external=True)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User) -> str:
    """A link token that turns off `user`'s e-mails about ideas. It does not expire: the link
    in a year-old message must still work, and it can do nothing else."""
    return _serializer().dumps({"uid": user.id})


def user_for_unsubscribe_token(token: Any) -> User | None:
    """The account of a token of ours, or None for a forged, damaged or orphaned one."""
    if not isinstance(token, str) or not token or len(token) > 500:
        return None
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    user_id = payload.get("uid")
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    return db.session.get(User, user_id)


# ---------------------------------------------------------------- settings


def get_setting(user: Any) -> str:
    """"each", "daily" or "off": how `user` hears about the ideas they follow."""
    if user is None or getattr(user, "id", None) is None:
        return DEFAULT_IDEA_UPDATES
    value = db.session.scalar(
        select(NotificationSetting.idea_updates).where(NotificationSetting.user_id == user.id)
    )
    return value or DEFAULT_IDEA_UPDATES


def set_setting(user: Any, value: Any) -> str:
    """Choose how `user` hears about ideas; NotificationError for anything but the three
    choices (nothing changed)."""
    if user is None or getattr(user, "id", None) is None:
        raise NotificationError(_l("Please log in to change your e-mail settings."))
    if not isinstance(value, str) or value not in IDEA_UPDATE_CHOICES:
        raise NotificationError(_l("Choose one of the options listed."), field="idea_updates")

    # One statement: the same person's other tab saving at the same moment cannot fail on the
    # key; the later choice wins.
    upsert(NotificationSetting, {"user_id": user.id},
           {"idea_updates": value, "updated_at": utcnow()})
    return value


# ---------------------------------------------------------------- following


def _follower_rows(idea: Idea) -> list[tuple[User, str]]:
    """(user, setting) of everyone who follows `idea` and can be written to, in one query.

    The candidates are a UNION of index look-ups by idea (the author, supports, votes, explicit
    follows), so the cost grows with the idea's followers, not with the number of accounts.
    """
    candidates = union(
        select(Idea.author_id.label("user_id"))
        .where(Idea.id == idea.id, Idea.author_id.is_not(None)),
        select(Support.user_id).where(Support.idea_id == idea.id),
        select(Vote.user_id).where(Vote.idea_id == idea.id),
        select(IdeaFollow.user_id)
        .where(IdeaFollow.idea_id == idea.id, IdeaFollow.following.is_(True)),
    ).subquery()
    opted_out = select(IdeaFollow.user_id).where(
        IdeaFollow.idea_id == idea.id, IdeaFollow.following.is_(False)
    )
    rows = db.session.execute(
        select(User, func.coalesce(NotificationSetting.idea_updates, DEFAULT_IDEA_UPDATES))
        .join(candidates, candidates.c.user_id == User.id)
        .outerjoin(NotificationSetting, NotificationSetting.user_id == User.id)
        .where(
            User.is_active_account.is_(True),
            User.email_verified_at.is_not(None),
            User.id.not_in(opted_out),
        )
        .order_by(User.id)
    ).all()
    return [(user, setting) for user, setting in rows]


def followers(idea: Idea) -> list[User]:
    """Everyone who follows `idea` and can be written to (active, e-mail confirmed), whatever
    their e-mail setting; one query."""
    return [user for user, _ in _follower_rows(idea)]


def is_following(user: Any, idea: Idea) -> bool:
    """Whether `user` follows `idea`: their explicit choice, else whether they wrote, support or
    voted on it. One query (none for an anonymous visitor)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    explicit = (
        select(IdeaFollow.following)
        .where(IdeaFollow.idea_id == idea.id, IdeaFollow.user_id == user.id)
        .scalar_subquery()
    )
    supported = select(Support.user_id).where(
        Support.idea_id == idea.id, Support.user_id == user.id
    ).exists()
    voted = select(Vote.user_id).where(Vote.idea_id == idea.id, Vote.user_id == user.id).exists()
    choice, has_supported, has_voted = db.session.execute(
        select(explicit, supported, voted)
    ).one()
    if choice is not None:
        return bool(choice)
    return idea.author_id == user.id or bool(has_supported) or bool(has_voted)


def set_following(user: Any, idea: Idea, following: bool) -> bool:
    """Record `user`'s explicit choice to follow `idea` or not; returns it. Whether the user
    may see the idea is the caller's check (`permissions.can_view_idea`)."""
    if user is None or getattr(user, "id", None) is None:
        raise NotificationError(_l("Please log in to follow ideas."))
    if not isinstance(following, bool):
        raise NotificationError(_l("Choose whether to follow the idea."), field="following")
    upsert(IdeaFollow, {"idea_id": idea.id, "user_id": user.id},
           {"following": following, "updated_at": utcnow()})
    return following


# ---------------------------------------------------------------- telling people


def _language(user: User) -> str:
    languages = current_app.config["LANGUAGES"]
    return user.language if user.language in languages else current_app.config[
        "BABEL_DEFAULT_LOCALE"]


def _one_line(text: str) -> str:
    """A title for a subject line: no line breaks, single spaces."""
    return " ".join((text or "").split())


def _mail(user: User, template: str, **context: Any) -> None:
    queue_mail(
        user.email,
        template,
        _language(user),
        user=user,
        unsubscribe_link=unsubscribe_url(user),
        settings_link=settings_url(),
        one_line=_one_line,
        **context,
    )


def _told_about(idea: Idea, rows: list[tuple[User, str]]) -> list[tuple[User, str]]:
    """The followers who may see `idea`: everyone when it is published in a public process; only
    its author while it is pending, hidden or rejected; nobody otherwise."""
    if not idea.process.is_public:
        return []
    if idea.is_published:
        return rows
    if idea.moderation_status in ("pending", "hidden", "rejected"):
        return [(user, setting) for user, setting in rows if user.id == idea.author_id]
    return []


@dataclass(frozen=True)
class Told:
    """How many people were mailed at once and how many wait for their digest."""

    mailed: int = 0
    queued: int = 0


def idea_status_changed(idea: Idea, change: IdeaStatusChange) -> Told:
    """Tell `idea`'s followers about `change` (flushed already): a mail now for those who want
    each change, a pending digest entry for the daily ones, nothing for the others nor for the
    person who made the change."""
    rows = [
        (user, setting) for user, setting in _told_about(idea, _follower_rows(idea))
        if user.id != change.actor_id and setting != "off"
    ]
    now_users = [user for user, setting in rows if setting == "each"]
    daily_users = [user for user, setting in rows if setting == "daily"]
    if now_users:
        with _links():
            link = idea_url(idea)
            for user in now_users:
                _mail(user, "idea_status", idea=idea, change=change, idea_link=link)
    if daily_users:
        now = utcnow()
        db.session.execute(
            insert(PendingUpdate),
            [
                {"user_id": user.id, "idea_id": idea.id, "status_change_id": change.id,
                 "kind": "status", "created_at": now, "sent_at": None}
                for user in daily_users
            ],
        )
    return Told(mailed=len(now_users), queued=len(daily_users))


def idea_merged(source: Idea, target: Idea, actor: Any = None) -> Told:
    """`source` was merged into `target`: its author (unless they made the merge, stopped
    following it or turned idea e-mails off) is told, now or in the digest, and from now on
    follows `target`, like source's explicit followers do. Source's supporters and voters follow
    target already: their supports and votes moved there."""
    # Explicit followers of the duplicate, and its author, follow the idea it became part of,
    # unless they already chose something for that idea.
    keep = [
        {"idea_id": target.id, "user_id": user_id, "following": True, "updated_at": utcnow()}
        for user_id in db.session.scalars(
            select(IdeaFollow.user_id)
            .where(IdeaFollow.idea_id == source.id, IdeaFollow.following.is_(True))
        )
    ]
    author = source.author
    author_opted_out = author is not None and db.session.scalar(
        select(IdeaFollow.following)
        .where(IdeaFollow.idea_id == source.id, IdeaFollow.user_id == author.id)
    ) is False
    if author is not None and not author_opted_out and all(
        row["user_id"] != author.id for row in keep
    ):
        keep.append({"idea_id": target.id, "user_id": author.id, "following": True,
                     "updated_at": utcnow()})
    insert_ignoring_duplicates(IdeaFollow, keep)

    if (
        author is None
        or author_opted_out
        or not author.is_active
        or not author.is_verified
        or (actor is not None and getattr(actor, "id", None) == author.id)
    ):
        return Told()
    setting = get_setting(author)
    if setting == "off":
        return Told()
    if setting == "daily":
        db.session.add(PendingUpdate(user_id=author.id, idea_id=source.id, kind="merged",
                                     created_at=utcnow()))
        db.session.flush()
        return Told(queued=1)
    with _links():
        _mail(author, "idea_merged", source=source, target=target, idea_link=idea_url(target))
    return Told(mailed=1)


# ---------------------------------------------------------------- daily digests


@dataclass(frozen=True)
class DigestItem:
    """One line of a digest: a status change of `idea`, or `idea` merged into `target`."""

    kind: str
    idea: Idea
    change: IdeaStatusChange | None
    target: Idea | None
    link: str


def _may_see(user_id: int, idea: Idea) -> bool:
    """Whether a digest may still mention a change of `idea` to this follower: the same rule as
    when the change was made, except that a duplicate merged since then stays (its page leads
    to the idea it became part of)."""
    if not idea.process.is_public:
        return False
    if idea.is_published or idea.merged_into_id is not None:
        return True
    return idea.author_id == user_id and idea.moderation_status in (
        "pending", "hidden", "rejected")


def _claim(user_ids: list[int], now: datetime) -> list[tuple[int, int, int, int | None, str]]:
    """Mark the unsent updates of `user_ids` as sent and return them. The conditional UPDATE
    decides between simultaneous runs: a row already claimed is not returned again (on
    PostgreSQL the second run waits for the first one's commit, then finds it claimed)."""
    return list(db.session.execute(
        update(PendingUpdate)
        .where(PendingUpdate.user_id.in_(user_ids), PendingUpdate.sent_at.is_(None))
        .values(sent_at=now)
        .returning(PendingUpdate.id, PendingUpdate.user_id, PendingUpdate.idea_id,
                   PendingUpdate.status_change_id, PendingUpdate.kind)
        .execution_options(synchronize_session=False)
    ))


def _digest_batch(user_ids: list[int], now: datetime) -> int:
    claimed = sorted(_claim(user_ids, now))
    if not claimed:
        return 0
    users = {
        user.id: (user, setting)
        for user, setting in db.session.execute(
            select(User, func.coalesce(NotificationSetting.idea_updates, DEFAULT_IDEA_UPDATES))
            .outerjoin(NotificationSetting, NotificationSetting.user_id == User.id)
            .where(User.id.in_({row[1] for row in claimed}))
        ).all()
    }
    changes = {
        change.id: change
        for change in db.session.scalars(
            select(IdeaStatusChange)
            .where(IdeaStatusChange.id.in_({row[3] for row in claimed if row[3] is not None}))
        )
    }
    ideas = {
        idea.id: idea
        for idea in db.session.scalars(
            select(Idea)
            .where(Idea.id.in_({row[2] for row in claimed}))
            .options(selectinload(Idea.process).selectinload(Process.city),
                     selectinload(Idea.merged_into))
        )
    }
    per_user: dict[int, list[DigestItem]] = defaultdict(list)
    sent = 0
    with _links():
        for _, user_id, idea_id, change_id, kind in claimed:
            user, setting = users.get(user_id, (None, "off"))
            idea = ideas.get(idea_id)
            if (user is None or setting == "off" or not user.is_active or not user.is_verified
                    or idea is None):
                continue
            if kind == "merged":
                target = idea.merged_into
                if target is None:
                    continue
                per_user[user_id].append(DigestItem("merged", idea, None, target,
                                                    idea_url(target)))
            else:
                change = changes.get(change_id)
                if change is None or not _may_see(user_id, idea):
                    continue
                per_user[user_id].append(DigestItem("status", idea, change, None,
                                                    idea_url(idea)))
        for user_id, items in per_user.items():
            _mail(users[user_id][0], "idea_digest", items=items)
            sent += 1
    return sent


def send_digests(now: datetime | None = None) -> int:
    """Put one digest mail per person in the outbox with the updates waiting for them, and mark
    those updates sent; returns the number of mails. Updates of people who turned e-mails off
    (or whose account can no longer be written to) are marked sent without a mail. Safe to run
    twice at once: each update is claimed by one run only. Flushes; the caller commits."""
    now = now or utcnow()
    sent = 0
    after = 0
    while True:
        user_ids = list(db.session.scalars(
            select(PendingUpdate.user_id)
            .where(PendingUpdate.sent_at.is_(None), PendingUpdate.user_id > after)
            .group_by(PendingUpdate.user_id)
            .order_by(PendingUpdate.user_id)
            .limit(DIGEST_BATCH)
        ))
        if not user_ids:
            return sent
        sent += _digest_batch(user_ids, now)
        after = user_ids[-1]
