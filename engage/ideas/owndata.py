"""The ideas kind's part of people's own data (see `core.owndata`): a person's ideas, comments,
supports and agree/disagree votes, and what deleting their account does to them.

Supports and votes stay counted: their rows keep the (anonymised) account's id, since the
tables' keys need a person, and nothing personal remains on that account. Deleting the
contributions blanks the person's ideas and comments (their rows stay, marked deleted, so
other people's comments and supports on them stay counted) and removes their photos.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from engage.core import owndata
from engage.core.db import utcnow
from engage.core.owndata import iso
from engage.core.uploads import delete_photo, photo_url
from engage.extensions import db
from engage.ideas.models import Comment, Idea, IdeaPhoto, Support, Vote
from engage.ideas.notifications import IdeaFollow, NotificationSetting, PendingUpdate


def collect(user: Any) -> dict[str, Any]:
    ideas = db.session.scalars(
        select(Idea).where(Idea.author_id == user.id).order_by(Idea.id)).all()
    photos: dict[int, list[IdeaPhoto]] = {}
    if ideas:
        for photo in db.session.scalars(select(IdeaPhoto).where(
                IdeaPhoto.idea_id.in_([idea.id for idea in ideas]))
                .order_by(IdeaPhoto.idea_id, IdeaPhoto.position)):
            photos.setdefault(photo.idea_id, []).append(photo)
    comments = db.session.scalars(
        select(Comment).where(Comment.author_id == user.id).order_by(Comment.id)).all()
    supports = db.session.execute(
        select(Support.idea_id, Idea.title, Support.created_at)
        .join(Idea, Idea.id == Support.idea_id)
        .where(Support.user_id == user.id).order_by(Support.idea_id)).all()
    votes = db.session.execute(
        select(Vote.idea_id, Idea.title, Vote.value, Vote.updated_at)
        .join(Idea, Idea.id == Vote.idea_id)
        .where(Vote.user_id == user.id).order_by(Vote.idea_id)).all()
    return {
        "ideas": [{
            "id": idea.id, "process_id": idea.process_id, "title": idea.title,
            "body": idea.body, "theme": idea.theme, "language": idea.language,
            "place": idea.place_text, "lat": idea.place_lat, "lon": idea.place_lon,
            "status": idea.status, "moderation": idea.contribution.status,
            "created_at": iso(idea.created_at),
            "photos": [photo_url(photo.key) for photo in photos.get(idea.id, [])],
        } for idea in ideas],
        "comments": [{
            "id": comment.id, "idea_id": comment.idea_id, "body": comment.body,
            "moderation": comment.contribution.status, "created_at": iso(comment.created_at),
        } for comment in comments],
        "supports": [{"idea_id": idea_id, "idea_title": title, "created_at": iso(created)}
                     for idea_id, title, created in supports],
        "votes": [{"idea_id": idea_id, "idea_title": title, "value": value,
                   "updated_at": iso(updated)} for idea_id, title, value, updated in votes],
    }


def erase(user: Any, keep: bool) -> None:
    # Whom they follow and how they hear about it is about the person, not a contribution.
    for model in (IdeaFollow, NotificationSetting, PendingUpdate):
        db.session.execute(delete(model).where(model.user_id == user.id))
    if keep:
        return
    ideas = db.session.scalars(select(Idea).where(Idea.author_id == user.id)).all()
    for idea in ideas:
        for photo in db.session.scalars(select(IdeaPhoto).where(IdeaPhoto.idea_id == idea.id)):
            delete_photo(photo.key, photo.thumb_key)
            db.session.delete(photo)
        idea.title = ""
        idea.body = ""
        idea.place_text = ""
        idea.place_lat = idea.place_lon = None
        idea.contribution.text = ""
        idea.contribution.status = "deleted"
    for comment in db.session.scalars(select(Comment).where(Comment.author_id == user.id)):
        comment.body = ""
        comment.deleted_at = comment.deleted_at or utcnow()
        comment.contribution.text = ""
        comment.contribution.status = "deleted"
    db.session.flush()


owndata.register("ideas", collect, erase)
