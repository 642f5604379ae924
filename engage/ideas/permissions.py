"""Named predicates about people and ideas: who may submit, support, comment, moderate, see.

They say whether the person may act at all; the services check the rest of the rules (lengths,
limits, states) and explain refusals.
"""

from __future__ import annotations

from typing import Any

from engage.cities.permissions import can_moderate
from engage.ideas.models import Idea


def _signed_in(user: Any) -> bool:
    return bool(user and user.is_authenticated and getattr(user, "is_active", True))


def can_submit(user: Any, process: Any) -> bool:
    """Signed-in people submit ideas to an open ideas process."""
    return _signed_in(user) and process.kind == "ideas" and bool(process.is_open)


def _open_and_published(idea: Idea) -> bool:
    return (
        idea.is_published
        and idea.merged_into_id is None
        and idea.process.kind == "ideas"
        and bool(idea.process.is_open)
    )


def can_support(user: Any, idea: Idea) -> bool:
    """Signed-in people support (or vote on) a published idea while its process is open."""
    return _signed_in(user) and _open_and_published(idea)


def can_comment(user: Any, idea: Idea) -> bool:
    """Signed-in people comment on a published idea while its process is open."""
    return _signed_in(user) and _open_and_published(idea)


def can_moderate_idea(user: Any, idea: Idea) -> bool:
    """The idea's city's moderators and organisers (and admins) moderate it."""
    return can_moderate(user, idea.process.city)


def can_view_idea(user: Any, idea: Idea) -> bool:
    """Published ideas of a public process are for everyone; pending ones (pre-moderation),
    hidden and rejected ones only for their author and the city's moderators; deleted ones and
    ideas of a draft process only for the moderators."""
    if can_moderate_idea(user, idea):
        return True
    if not idea.process.is_public:
        return False
    status = idea.moderation_status
    if status == "published":
        return True
    if status in ("pending", "hidden", "rejected"):
        return _signed_in(user) and idea.author_id is not None and idea.author_id == user.id
    return False
