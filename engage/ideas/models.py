"""The ideas kind: per-process settings, ideas, supports, agree/disagree votes, comments, the
"you said, we did" status history and reports.

Each idea and each comment is also one Contribution row (the spine shared by every kind): the
text, language and moderation status (pending, published, hidden, rejected, deleted) live there.
An idea's progress status (new, under review, selected, ...) is a different thing and lives here.
Ideas carry their city directly, so `core.tenancy.city_query(Idea)` scopes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.accounts.models import User
from engage.core.db import TimestampMixin, sql_values, utcnow
from engage.core.markdown import render_markdown, render_markdown_lite, stored_or_rendered
from engage.extensions import db
from engage.processes.models import (  # noqa: F401  (Report: re-exported for the ideas package)
    REPORT_REASONS,
    Contribution,
    Process,
    ProcessScoped,
    Report,
)

TITLE_MAX = 140
BODY_MAX = 5000
PLACE_TEXT_MAX = 200
COMMENT_MAX = 2000
REPORT_NOTE_MAX = 1000
EXPLANATION_MAX = 5000
MAX_PHOTOS = 3
SORTS = {
    "support": _l("Most supported"),
    "newest": _l("Newest"),
    "discussed": _l("Most discussed"),
    "random": _l("Random order"),
}

VOTING_MODES = {
    "support": _l("Support: citizens support the ideas they like"),
    "agree": _l("Agree or disagree: citizens agree, disagree or pass on each statement"),
}
CHANNELS = {
    "online": _l("Online"),
    "workshop": _l("Workshop"),
    "paper": _l("Paper"),
}
PROGRESS_STATUSES = {
    "new": _l("New"),
    "under_review": _l("Under review"),
    "selected": _l("Selected for the Climate City Contract"),
    "in_progress": _l("In progress"),
    "implemented": _l("Implemented"),
    "not_feasible": _l("Not feasible"),
}
# Agree-mode vote values: what a citizen said about a statement.
VOTE_VALUES = {
    1: _l("Agree"),
    0: _l("Pass"),
    -1: _l("Disagree"),
}


class IdeasSettings(ProcessScoped, db.Model):
    """What an ideas process lets citizens do with ideas; a process without a row uses the
    defaults (supports, no limit)."""

    __tablename__ = "ideas_settings"
    __table_args__ = (
        CheckConstraint(f"voting_mode IN ({sql_values(VOTING_MODES)})", name="voting_mode"),
        CheckConstraint("support_limit IS NULL OR support_limit > 0", name="support_limit"),
    )

    process_id: Mapped[int] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), primary_key=True
    )
    voting_mode: Mapped[str] = mapped_column(String(10), default="support")
    support_limit: Mapped[int | None]

    process: Mapped[Process] = relationship()



class Idea(TimestampMixin, db.Model):
    __tablename__ = "idea"
    __table_args__ = (
        CheckConstraint(f"channel IN ({sql_values(CHANNELS)})", name="channel"),
        CheckConstraint(f"status IN ({sql_values(PROGRESS_STATUSES)})", name="status"),
        CheckConstraint("place_lat IS NULL OR place_lat BETWEEN -90 AND 90", name="place_lat"),
        CheckConstraint("place_lon IS NULL OR place_lon BETWEEN -180 AND 180", name="place_lon"),
        CheckConstraint("(place_lat IS NULL) = (place_lon IS NULL)", name="place_point"),
        CheckConstraint("support_count >= 0", name="support_count"),
        CheckConstraint("comment_count >= 0", name="comment_count"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="merged_into"),
        # The list's default order: most supported first within a process.
        Index("ix_idea_process_support", "process_id", "support_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"))
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), unique=True
    )
    # None for workshop and paper ideas: they are credited to the workshop's participants.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # The organiser who typed in a workshop or paper idea.
    added_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(10), default="online")
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text, default="")
    # `body` rendered and sanitised when it is written (see `_keep_html` below).
    body_html: Mapped[str | None] = mapped_column(Text)
    theme: Mapped[str] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(5), default="ro")
    place_lat: Mapped[float | None] = mapped_column(Float)
    place_lon: Mapped[float | None] = mapped_column(Float)
    place_text: Mapped[str] = mapped_column(String(PLACE_TEXT_MAX), default="")
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    # Kept exact by the services' atomic UPDATEs; merges recount from the support table.
    support_count: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("idea.id", ondelete="SET NULL"), index=True
    )

    process: Mapped[Process] = relationship()
    # Almost every use of an idea asks for its moderation status: load it in the same query.
    contribution: Mapped[Contribution] = relationship(lazy="joined", innerjoin=True)
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    merged_into: Mapped[Idea | None] = relationship(remote_side=[id])

    @property
    def moderation_status(self) -> str:
        return self.contribution.status

    @property
    def is_published(self) -> bool:
        return self.contribution.status == "published"

    @property
    def has_place(self) -> bool:
        return self.place_lat is not None

    @property
    def status_label(self) -> str:
        return str(PROGRESS_STATUSES.get(self.status, self.status))

    @property
    def channel_label(self) -> str:
        return str(CHANNELS.get(self.channel, self.channel))

    def __repr__(self) -> str:
        return f"<Idea {self.id} {self.title[:30]!r}>"

    @property
    def body_rendered(self) -> Markup:
        return stored_or_rendered(self.body_html, self.body)


class Support(db.Model):
    """One citizen supports one idea: the primary key is the (idea, user) uniqueness rule."""

    __tablename__ = "support"

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("idea.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Vote(db.Model):
    """An agree-mode vote: one per citizen per idea, changeable while the process is open.

    Together the rows form the citizen x idea matrix the synthesis reads in one query.
    """

    __tablename__ = "vote"
    __table_args__ = (CheckConstraint("value IN (-1, 0, 1)", name="value"),)

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("idea.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    value: Mapped[int] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Comment(db.Model):
    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), unique=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # One level of replies: a reply's parent is always a top-level comment.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)  # Markdown-lite, rendered on write
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    # Deleted comments stay for moderation and are shown as deleted.
    deleted_at: Mapped[datetime | None]

    idea: Mapped[Idea] = relationship()
    contribution: Mapped[Contribution] = relationship(lazy="joined", innerjoin=True)
    author: Mapped[User | None] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side=[id])

    @classmethod
    def city_scope(cls, city: Any):  # noqa: ANN206
        return cls.idea_id.in_(select(Idea.id).where(Idea.city_id == city.id))

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def body_rendered(self) -> Markup:
        return stored_or_rendered(self.body_html, self.body, lite=True)

    def __repr__(self) -> str:
        return f"<Comment {self.id} on idea {self.idea_id}>"


class IdeaStatusChange(db.Model):
    """One step of an idea's "you said, we did" history, with its public explanation."""

    __tablename__ = "idea_status_change"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(PROGRESS_STATUSES)})", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    explanation: Mapped[str] = mapped_column(Text, default="")
    explanation_html: Mapped[str | None] = mapped_column(Text)  # rendered on write
    language: Mapped[str] = mapped_column(String(5), default="ro")
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return str(PROGRESS_STATUSES.get(self.status, self.status))

    @property
    def explanation_rendered(self) -> Markup:
        return stored_or_rendered(self.explanation_html, self.explanation)


class IdeaPhoto(db.Model):
    """A photo of an idea, re-encoded without metadata by `core.uploads`; `position` orders an
    idea's photos (at most MAX_PHOTOS)."""

    __tablename__ = "idea_photo"
    __table_args__ = (UniqueConstraint("idea_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    key: Mapped[str] = mapped_column(String(80))
    thumb_key: Mapped[str] = mapped_column(String(80))
    width: Mapped[int]
    height: Mapped[int]
    thumb_width: Mapped[int]
    thumb_height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Ideas and comments are read far more often than written: their HTML is rendered when the
# Markdown is set, by whatever path (services, demo data), and kept beside it.


@event.listens_for(Idea.body, "set")
def _keep_idea_html(target: Idea, value: str | None, _old: Any, _initiator: Any) -> None:
    target.body_html = str(render_markdown(value))


@event.listens_for(Comment.body, "set")
def _keep_comment_html(target: Comment, value: str | None, _old: Any, _initiator: Any) -> None:
    target.body_html = str(render_markdown_lite(value))


@event.listens_for(IdeaStatusChange.explanation, "set")
def _keep_explanation_html(target: IdeaStatusChange, value: str | None, _old: Any,
                           _initiator: Any) -> None:
    target.explanation_html = str(render_markdown(value))
