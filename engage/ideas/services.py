"""The domain operations of the ideas kind: submit, support, vote, comment, report, moderate,
answer with a status, merge duplicates; and the citizen x idea vote matrix.

Services take and return models and values, flush but never commit, and raise IdeaError (with a
translatable message) when a rule refuses the operation, having changed nothing. Counters on
ideas (supports, comments) are changed only by atomic `UPDATE ... SET n = n + 1` statements run
when the row they count was really inserted or deleted, so simultaneous requests never lose or
double a count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from engage.accounts.models import User
from engage.core import audit, search, uploads
from engage.core.db import upsert, utcnow
from engage.core.signals import contribution_moderated
from engage.extensions import db
from engage.ideas.models import (
    BODY_MAX,
    CHANNELS,
    COMMENT_MAX,
    EXPLANATION_MAX,
    MAX_PHOTOS,
    PLACE_TEXT_MAX,
    PROGRESS_STATUSES,
    REPORT_NOTE_MAX,
    REPORT_REASONS,
    TITLE_MAX,
    VOTE_VALUES,
    VOTING_MODES,
    Comment,
    Idea,
    IdeaPhoto,
    IdeasSettings,
    IdeaStatusChange,
    Report,
    Support,
    Vote,
)
from engage.ideas.permissions import can_moderate_idea
from engage.processes.models import Contribution, Process

COMMENT_EDIT_WINDOW = timedelta(minutes=15)
SEARCH_KIND = "idea"

# action -> (statuses it applies to, resulting status)
MODERATION_ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "hide": (("published",), "hidden"),
    "restore": (("hidden",), "published"),
    "approve": (("pending",), "published"),
    "reject": (("pending",), "rejected"),
}
# Decisions the author is told about need a reason.
ACTIONS_NEEDING_REASON = ("hide", "reject")


class IdeaError(Exception):
    """A business rule refused the operation; nothing was changed.

    `message` is translatable (lazy), `field` names the form field it concerns (None: the
    operation as a whole) and `category` is the flash category a route should use.
    """

    def __init__(self, message: Any, field: str | None = None, category: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.category = category


@dataclass(frozen=True)
class Place:
    """Where an idea applies: a point on the map, a typed neighbourhood or address, or both."""

    lat: float | None = None
    lon: float | None = None
    text: str = ""


# ---------------------------------------------------------------- settings


def settings_for(process: Process) -> IdeasSettings:
    """The ideas settings of `process`; an unsaved default row when it has none. Read once per
    request (a missing row would otherwise be looked for again at every call)."""
    cache = g.setdefault("ideas_settings", {}) if has_app_context() else {}
    settings = cache.get(process.id)
    if settings is None:
        settings = db.session.get(IdeasSettings, process.id) or IdeasSettings(
            process_id=process.id, voting_mode="support", support_limit=None)
        cache[process.id] = settings
    return settings


def save_settings(process: Process, voting_mode: str, support_limit: int | None) -> IdeasSettings:
    """Set how citizens vote in `process` and how many ideas each may support (None: no
    limit)."""
    if voting_mode not in VOTING_MODES:
        raise IdeaError(_l("Choose a voting mode from the list."), field="voting_mode")
    if support_limit is not None and (not isinstance(support_limit, int) or support_limit < 1):
        raise IdeaError(
            _l("The limit must be a whole number of at least 1, or empty for no limit."),
            field="support_limit",
        )
    settings = db.session.get(IdeasSettings, process.id)
    current_mode = settings.voting_mode if settings is not None else "support"
    if voting_mode != current_mode and _has_votes(process):
        raise IdeaError(
            _l("The voting mode cannot change once people have supported or voted on ideas."),
            field="voting_mode",
        )
    if settings is None:
        settings = IdeasSettings(process_id=process.id)
        db.session.add(settings)
    settings.voting_mode = voting_mode
    settings.support_limit = support_limit
    db.session.flush()
    if has_app_context():
        g.setdefault("ideas_settings", {})[process.id] = settings
    return settings


def _has_votes(process: Process) -> bool:
    ideas = select(Idea.id).where(Idea.process_id == process.id)
    return bool(db.session.scalar(
        select(
            select(Support.idea_id).where(Support.idea_id.in_(ideas)).exists()
            | select(Vote.idea_id).where(Vote.idea_id.in_(ideas)).exists()
        )
    ))


# ---------------------------------------------------------------- submitting


def _checked_text(value: Any, maximum: int, field: str, required: bool) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        raise IdeaError(_l("Enter text."), field=field)
    if required and not value:
        raise IdeaError(_l("This field is required."), field=field)
    if len(value) > maximum:
        raise IdeaError(_l("At most %(max)s characters.", max=maximum), field=field)
    return value


def _checked_place(place: Place | None) -> tuple[float | None, float | None, str]:
    if place is None:
        return None, None, ""
    text = _checked_text(place.text, PLACE_TEXT_MAX, "place_text", required=False)
    lat, lon = place.lat, place.lon
    if (lat is None) != (lon is None):
        raise IdeaError(_l("Pick a point on the map, or leave it empty."), field="place")
    if lat is not None:
        try:
            lat, lon = float(lat), float(lon)  # type: ignore[arg-type]
        except (TypeError, ValueError) as error:
            raise IdeaError(_l("The point on the map is not valid."), field="place") from error
        if not (math.isfinite(lat) and math.isfinite(lon)
                and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise IdeaError(_l("The point on the map is not valid."), field="place")
    return lat, lon, text


def _check_ideas_process(process: Process) -> None:
    if process.kind != "ideas":
        raise IdeaError(_l("This process does not collect ideas."))


def _new_idea(process: Process, *, author: Any, added_by: Any, title: Any, body: Any,
              theme: Any, language: Any, place: Place | None, channel: str,
              status: str) -> Idea:
    title = _checked_text(title, TITLE_MAX, "title", required=True)
    body = _checked_text(body, BODY_MAX, "body", required=False)
    if theme not in (process.themes or ()):
        raise IdeaError(_l("Choose one of this process's themes."), field="theme")
    if language not in current_app.config["LANGUAGES"]:
        raise IdeaError(_l("Choose a language from the list."), field="language")
    lat, lon, place_text = _checked_place(place)
    author_id = getattr(author, "id", None)
    contribution = Contribution(
        kind="idea",
        process_id=process.id,
        city_id=process.city_id,
        author_id=author_id,
        language=language,
        text=f"{title}\n\n{body}".strip(),
        status=status,
    )
    idea = Idea(
        process=process,
        city_id=process.city_id,
        contribution=contribution,
        author_id=author_id,
        added_by_id=getattr(added_by, "id", None),
        channel=channel,
        title=title,
        body=body,
        theme=theme,
        language=language,
        place_lat=lat,
        place_lon=lon,
        place_text=place_text,
        status="new",
        support_count=0,
        comment_count=0,
    )
    db.session.add_all([contribution, idea])
    db.session.flush()
    search.index(SEARCH_KIND, idea.id, process.id, title, body, language)
    return idea


def submit_idea(process: Process, author: Any, title: Any, body: Any, theme: Any,
                language: Any, place: Place | None = None, channel: str = "online") -> Idea:
    """A citizen's new idea in an open ideas process: pending under pre-moderation (visible to
    the author and the moderators only), published at once under post-moderation."""
    _check_ideas_process(process)
    if not process.is_open:
        raise IdeaError(_l("This process is not open for new ideas."))
    if author is None or getattr(author, "id", None) is None:
        raise IdeaError(_l("Please log in to submit an idea."))
    if channel != "online":
        raise IdeaError(_l("Choose a channel from the list."), field="channel")
    status = "pending" if process.moderation_mode == "pre" else "published"
    return _new_idea(process, author=author, added_by=None, title=title, body=body,
                     theme=theme, language=language, place=place, channel=channel,
                     status=status)


def add_workshop_idea(process: Process, organiser: Any, title: Any, body: Any, theme: Any,
                      language: Any, place: Place | None = None,
                      channel: str = "workshop") -> Idea:
    """An idea collected in a workshop or on paper, typed in by an organiser: credited to the
    workshop's participants (no author account) and published at once. Allowed while the
    process is published or closed, since paper input often arrives after the last meeting."""
    _check_ideas_process(process)
    if process.status not in ("published", "closed"):
        raise IdeaError(_l("Ideas can be added only to a published or closed process."))
    if channel not in CHANNELS or channel == "online":
        raise IdeaError(_l("Choose workshop or paper as the channel."), field="channel")
    return _new_idea(process, author=None, added_by=organiser, title=title, body=body,
                     theme=theme, language=language, place=place, channel=channel,
                     status="published")


def attach_photos(idea: Idea, files: list[bytes], storage: Any = None) -> list[IdeaPhoto]:
    """Re-encode and store up to MAX_PHOTOS photos of `idea` (see core.uploads: metadata
    stripped, resized, thumbnails made, bombs and fake files refused). On a refusal nothing is
    kept: the photos already stored by this call are removed and IdeaError names the photo."""
    files = [data for data in files if data]
    existing = db.session.scalar(
        select(func.count()).select_from(IdeaPhoto).where(IdeaPhoto.idea_id == idea.id)
    ) or 0
    if existing + len(files) > MAX_PHOTOS:
        raise IdeaError(_l("At most %(max)s photos per idea.", max=MAX_PHOTOS), field="photos")
    stored: list[uploads.StoredPhoto] = []
    try:
        for number, data in enumerate(files, start=1):
            try:
                stored.append(uploads.save_photo(data, storage))
            except uploads.UploadError as error:
                raise IdeaError(
                    _l("Photo %(number)s: %(problem)s", number=number, problem=error.message),
                    field="photos",
                ) from error
    except BaseException:
        for photo in stored:
            uploads.delete_photo(photo.key, photo.thumb_key, storage)
        raise
    rows = [
        IdeaPhoto(idea_id=idea.id, position=existing + n, key=photo.key,
                  thumb_key=photo.thumb_key, width=photo.width, height=photo.height,
                  thumb_width=photo.thumb_width, thumb_height=photo.thumb_height)
        for n, photo in enumerate(stored)
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows


# ---------------------------------------------------------------- supports


def _check_open_published(idea: Idea, message: Any) -> None:
    if idea.merged_into_id is not None:
        raise IdeaError(_l("This idea was merged into another idea; please support that one."))
    if not idea.is_published:
        raise IdeaError(message)
    if idea.process.kind != "ideas" or not idea.process.is_open:
        raise IdeaError(_l("This process is closed; its ideas can no longer be supported."))


def _check_support(user: Any, idea: Idea, voting_mode: str) -> None:
    if user is None or getattr(user, "id", None) is None:
        raise IdeaError(_l("Please log in to support ideas."))
    _check_open_published(idea, _l("Only published ideas can be supported."))
    if settings_for(idea.process).voting_mode != voting_mode:
        if voting_mode == "support":
            raise IdeaError(_l("In this process you agree or disagree instead of supporting."))
        raise IdeaError(_l("In this process you support ideas instead of voting on them."))


def supports_used(user: Any, process: Process) -> int:
    """How many ideas of `process` `user` supports."""
    return db.session.scalar(
        select(func.count())
        .select_from(Support)
        .join(Idea, Idea.id == Support.idea_id)
        .where(Support.user_id == user.id, Idea.process_id == process.id)
    ) or 0


def supports_left(user: Any, process: Process) -> int | None:
    """How many more ideas `user` may support in `process`; None when there is no limit."""
    limit = settings_for(process).support_limit
    if limit is None:
        return None
    return max(0, limit - supports_used(user, process))


def _is_supported(user: Any, idea: Idea) -> bool:
    return db.session.scalar(
        select(func.count()).select_from(Support)
        .where(Support.idea_id == idea.id, Support.user_id == user.id)
    ) > 0


def _refresh_count(idea: Idea, name: str) -> int:
    db.session.refresh(idea, attribute_names=[name])
    return getattr(idea, name)


class _MergedMeanwhile(Exception):
    """Raised inside a savepoint to undo a support on an idea merged in the meantime."""


def support(user: Any, idea: Idea) -> bool:
    """`user` supports `idea`; True if this call added the support, False if it was there
    already (a double click, or two tabs). Refused beyond the process's support limit."""
    _check_support(user, idea, "support")
    limit = settings_for(idea.process).support_limit
    if limit is not None:
        # One citizen's simultaneous supports must not slip past the limit together: take a lock
        # on the citizen's row first (PostgreSQL; SQLite writers are serialised anyway).
        db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
        if _is_supported(user, idea):
            return False
        if supports_used(user, idea.process) >= limit:
            raise IdeaError(
                _l("You have used all %(limit)s of your supports in this process. Withdraw a "
                   "support to give it to another idea.", limit=limit)
            )
    try:
        # The unique (idea, user) key decides between simultaneous requests; a duplicate undoes
        # only this savepoint. The counter moves in the same savepoint, and only while the idea
        # is not merged (a merge committed meanwhile undoes the support).
        with db.session.begin_nested():
            db.session.execute(
                insert(Support).values(idea_id=idea.id, user_id=user.id, created_at=utcnow())
            )
            counted = db.session.execute(
                update(Idea)
                .where(Idea.id == idea.id, Idea.merged_into_id.is_(None))
                .values(support_count=Idea.support_count + 1)
                .execution_options(synchronize_session=False)
            )
            if counted.rowcount != 1:
                raise _MergedMeanwhile
    except IntegrityError:
        return False
    except _MergedMeanwhile as error:
        raise IdeaError(
            _l("This idea was merged into another idea; please support that one.")
        ) from error
    _refresh_count(idea, "support_count")
    return True


def unsupport(user: Any, idea: Idea) -> bool:
    """`user` withdraws the support of `idea`; True if this call removed it, False if there was
    none. Allowed only while supports are (the process open, the idea published)."""
    _check_support(user, idea, "support")
    removed = db.session.execute(
        delete(Support)
        .where(Support.idea_id == idea.id, Support.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    if removed.rowcount != 1:
        return False
    db.session.execute(
        update(Idea)
        .where(Idea.id == idea.id)
        .values(support_count=Idea.support_count - 1)
        .execution_options(synchronize_session=False)
    )
    _refresh_count(idea, "support_count")
    return True


def toggle_support(user: Any, idea: Idea) -> tuple[bool, int]:
    """Support `idea` if `user` does not yet, withdraw the support if they do.

    Returns (supported now, the idea's support count)."""
    _check_support(user, idea, "support")
    if _is_supported(user, idea):
        unsupport(user, idea)
        supported = False
    else:
        # Someone (this user in another tab) may have supported it in between: still supported.
        support(user, idea)
        supported = True
    return supported, _refresh_count(idea, "support_count")


def is_supported_by(user: Any, idea_ids: list[int]) -> set[int]:
    """The ids among `idea_ids` that `user` supports, in one query (for list pages)."""
    if not idea_ids or user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(db.session.scalars(
        select(Support.idea_id).where(Support.user_id == user.id, Support.idea_id.in_(idea_ids))
    ))


# ---------------------------------------------------------------- agree-mode votes


def cast_vote(user: Any, idea: Idea, value: Any) -> Vote:
    """`user` agrees (1), passes (0) or disagrees (-1) on `idea`; a later vote replaces the
    earlier one while the process is open."""
    _check_support(user, idea, "agree")
    if isinstance(value, bool) or value not in VOTE_VALUES:
        raise IdeaError(_l("Choose agree, disagree or pass."), field="value")
    # One statement: the same citizen's other tab voting at the same moment cannot fail on
    # the (idea, user) key; the later vote wins.
    upsert(Vote, {"idea_id": idea.id, "user_id": user.id}, {"value": value, "updated_at": utcnow()})
    vote = db.session.get(Vote, (idea.id, user.id))
    db.session.refresh(vote)
    return vote


def vote_matrix(process: Process) -> tuple[list[int], list[int], list[list[int | None]]]:
    """The agree-mode votes on the published ideas of `process`, read in one query.

    Returns (user_ids, idea_ids, rows): both id lists ascending, and rows[i][j] the vote of
    user_ids[i] on idea_ids[j] (1 agree, 0 pass, -1 disagree, None not voted).
    """
    votes = db.session.execute(
        select(Vote.user_id, Vote.idea_id, Vote.value)
        .join(Idea, Idea.id == Vote.idea_id)
        .join(Contribution, Contribution.id == Idea.contribution_id)
        .where(Idea.process_id == process.id, Contribution.status == "published")
    ).all()
    user_ids = sorted({user_id for user_id, _, _ in votes})
    idea_ids = sorted({idea_id for _, idea_id, _ in votes})
    row_of = {user_id: n for n, user_id in enumerate(user_ids)}
    column_of = {idea_id: n for n, idea_id in enumerate(idea_ids)}
    rows: list[list[int | None]] = [[None] * len(idea_ids) for _ in user_ids]
    for user_id, idea_id, value in votes:
        rows[row_of[user_id]][column_of[idea_id]] = value
    return user_ids, idea_ids, rows


# ---------------------------------------------------------------- comments


def _move_comment_count(idea_id: int, delta: int) -> None:
    db.session.execute(
        update(Idea)
        .where(Idea.id == idea_id)
        .values(comment_count=Idea.comment_count + delta)
        .execution_options(synchronize_session=False)
    )


def _set_status(contribution: Contribution, sources: tuple[str, ...], target: str) -> bool:
    """Move `contribution` from one of `sources` to `target` with a conditional UPDATE, so of
    two simultaneous decisions only one happens; True if this call changed it."""
    changed = db.session.execute(
        update(Contribution)
        .where(Contribution.id == contribution.id, Contribution.status.in_(sources))
        .values(status=target)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(contribution, attribute_names=["status"])
    return changed


def _comment_status_changed(comment: Comment, before: str, after: str) -> None:
    """Keep the idea's comment count (published comments) exact across a status change."""
    if before == after:
        return
    if after == "published":
        _move_comment_count(comment.idea_id, 1)
    elif before == "published":
        _move_comment_count(comment.idea_id, -1)


@contribution_moderated.connect
def _comment_moderated(contribution: Contribution, before: str, after: str) -> None:
    """A decision on the moderation desk about a comment: its idea's count stays exact."""
    if contribution.kind == "comment":
        comment = db.session.scalars(
            select(Comment).where(Comment.contribution_id == contribution.id)).first()
        if comment is not None:
            _comment_status_changed(comment, before, after)


def add_comment(user: Any, idea: Idea, body: Any, parent: Comment | None = None) -> Comment:
    """`user` comments on `idea`, or replies to a top-level comment of it (one level of
    replies). Pending under pre-moderation, published at once otherwise."""
    if user is None or getattr(user, "id", None) is None:
        raise IdeaError(_l("Please log in to comment."))
    if not idea.is_published or idea.merged_into_id is not None:
        raise IdeaError(_l("This idea cannot be commented on."))
    if idea.process.kind != "ideas" or not idea.process.is_open:
        raise IdeaError(_l("This process is closed; comments are no longer possible."))
    body = _checked_text(body, COMMENT_MAX, "body", required=True)
    if parent is not None:
        if parent.idea_id != idea.id:
            raise IdeaError(_l("You can reply only to a comment on this idea."))
        if parent.parent_id is not None:
            raise IdeaError(
                _l("Replies cannot be answered in turn. Please reply to the comment above it.")
            )
        if parent.is_deleted or parent.contribution.status != "published":
            raise IdeaError(_l("This comment can no longer be answered."))
    status = "pending" if idea.process.moderation_mode == "pre" else "published"
    contribution = Contribution(
        kind="comment",
        process_id=idea.process_id,
        city_id=idea.city_id,
        author_id=user.id,
        language=idea.language,
        text=body,
        status=status,
    )
    comment = Comment(
        idea_id=idea.id,
        contribution=contribution,
        author_id=user.id,
        parent_id=parent.id if parent is not None else None,
        body=body,
    )
    db.session.add_all([contribution, comment])
    db.session.flush()
    if status == "published":
        _move_comment_count(idea.id, 1)
        _refresh_count(idea, "comment_count")
    return comment


def edit_comment(user: Any, comment: Comment, body: Any, now: datetime | None = None) -> Comment:
    """The author corrects a comment within 15 minutes of writing it."""
    now = now or utcnow()
    if user is None or comment.author_id is None or comment.author_id != getattr(user, "id", None):
        raise IdeaError(_l("Only the author can edit this comment."))
    if comment.is_deleted:
        raise IdeaError(_l("This comment was deleted."))
    if now - comment.created_at > COMMENT_EDIT_WINDOW:
        raise IdeaError(_l("Comments can be edited only in the first 15 minutes."))
    body = _checked_text(body, COMMENT_MAX, "body", required=True)
    comment.body = body
    comment.contribution.text = body
    comment.edited_at = now
    db.session.flush()
    return comment


def delete_comment(user: Any, comment: Comment) -> Comment:
    """The author deletes a comment: it is kept for moderation and shown as deleted. Deleting
    an already deleted comment changes nothing."""
    if user is None or comment.author_id is None or comment.author_id != getattr(user, "id", None):
        raise IdeaError(_l("Only the author can delete this comment."))
    before = comment.contribution.status
    if comment.is_deleted or before == "deleted":
        return comment
    if not _set_status(comment.contribution, (before,), "deleted"):
        return comment
    comment.deleted_at = utcnow()
    _comment_status_changed(comment, before, "deleted")
    db.session.flush()
    return comment


# ---------------------------------------------------------------- reports


def report(user: Any, target: Idea | Comment, reason: Any, note: Any = "") -> Report:
    """`user` flags an idea or a comment for the moderators. A second report of the same target
    by the same person returns the first one instead of piling up."""
    if user is None or getattr(user, "id", None) is None:
        raise IdeaError(_l("Please log in to report content."))
    if not isinstance(target, Idea | Comment):
        raise IdeaError(_l("Only ideas and comments can be reported."))
    if reason not in REPORT_REASONS:
        raise IdeaError(_l("Choose a reason from the list."), field="reason")
    note = _checked_text(note, REPORT_NOTE_MAX, "note", required=False)
    contribution = target.contribution
    if contribution.status == "deleted":
        raise IdeaError(_l("This content was deleted."))

    def existing() -> Report | None:
        return db.session.scalars(
            select(Report).where(Report.reporter_id == user.id,
                                 Report.contribution_id == contribution.id)
        ).first()

    found = existing()
    if found is not None:
        return found
    entry = Report(
        contribution_id=contribution.id,
        process_id=contribution.process_id,
        city_id=contribution.city_id,
        reporter_id=user.id,
        reason=reason,
        note=note,
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        found = existing()
        if found is None:
            raise
        return found
    return entry


def open_reports(process: Process) -> list[Report]:
    """The unresolved reports of `process`, oldest first (the moderators' per-process list)."""
    return list(db.session.scalars(
        select(Report)
        .where(Report.process_id == process.id, Report.resolved_at.is_(None))
        .order_by(Report.created_at, Report.id)
    ))


# ---------------------------------------------------------------- moderation


def _target_city_id(target: Idea | Comment) -> int:
    return target.contribution.city_id


def _idea_of(target: Idea | Comment) -> Idea:
    return target if isinstance(target, Idea) else target.idea


def moderate(moderator: Any, target: Idea | Comment, action: str, reason: Any = "") -> Any:
    """Hide, restore, approve or reject an idea or a comment; the decision and its reason (shown
    to the author) go to the audit trail. Returns the target."""
    if action not in MODERATION_ACTIONS:
        raise IdeaError(_l("Unknown action."))
    if not isinstance(target, Idea | Comment):
        raise IdeaError(_l("Only ideas and comments can be moderated here."))
    if not can_moderate_idea(moderator, _idea_of(target)):
        raise IdeaError(_l("Only the city's moderators can do this."))
    reason = _checked_text(reason, REPORT_NOTE_MAX, "reason",
                           required=action in ACTIONS_NEEDING_REASON)
    sources, result = MODERATION_ACTIONS[action]
    contribution = target.contribution
    before = contribution.status
    if not _set_status(contribution, sources, result):
        if contribution.status == result:
            raise IdeaError(_l("This was already done."), category="warning")
        raise IdeaError(_l("This action does not apply to the content in its current state."))
    if isinstance(target, Comment):
        _comment_status_changed(target, before, result)
    audit.record(moderator, action, contribution.kind, target.id, _target_city_id(target), reason,
                 contribution_id=contribution.id, before=before, after=result)
    _resolve_reports(contribution)
    return target


def _resolve_reports(contribution: Contribution) -> int:
    """Close the open reports on `contribution`: a moderator has decided about it."""
    return db.session.execute(
        update(Report)
        .where(Report.contribution_id == contribution.id, Report.resolved_at.is_(None))
        .values(resolved_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


def dismiss_reports(moderator: Any, target: Idea | Comment, reason: Any = "") -> int:
    """A moderator keeps reported content as it is: its open reports are closed, and the
    decision recorded. Returns how many reports were closed."""
    if not isinstance(target, Idea | Comment):
        raise IdeaError(_l("Only ideas and comments can be moderated here."))
    if not can_moderate_idea(moderator, _idea_of(target)):
        raise IdeaError(_l("Only the city's moderators can do this."))
    reason = _checked_text(reason, REPORT_NOTE_MAX, "reason", required=False)
    closed = _resolve_reports(target.contribution)
    if closed == 0:
        raise IdeaError(_l("There are no open reports on this content."), category="warning")
    audit.record(moderator, "dismiss_reports", target.contribution.kind, target.id,
                 _target_city_id(target), reason, contribution_id=target.contribution_id)
    return closed


def change_progress(actor: Any, idea: Idea, status: str, explanation: Any,
                    language: str | None = None) -> IdeaStatusChange:
    """Tell people what became of an idea: a new progress status with a public explanation,
    added to the idea's history."""
    if not can_moderate_idea(actor, idea):
        raise IdeaError(_l("Only the city's organisers and moderators can do this."))
    if status not in PROGRESS_STATUSES or status == "new":
        raise IdeaError(_l("Choose a status from the list."), field="status")
    explanation = _checked_text(explanation, EXPLANATION_MAX, "explanation", required=True)
    language = language or getattr(actor, "language", None) or "ro"
    if language not in current_app.config["LANGUAGES"]:
        raise IdeaError(_l("Choose a language from the list."), field="language")
    if idea.status == status:
        raise IdeaError(_l("The idea already has this status."), field="status",
                        category="warning")
    change = IdeaStatusChange(idea_id=idea.id, status=status, explanation=explanation,
                              language=language, actor_id=getattr(actor, "id", None))
    idea.status = status
    db.session.add(change)
    db.session.flush()
    # Followers are told by a job after the request commits; called outside a request (the
    # command line, tests), the caller's transaction does it at once.
    from engage.core.tasks import after_commit

    if not after_commit("notify_idea_status", change.id):
        from engage.ideas import notifications

        notifications.idea_status_changed(idea, change)
    return change


def status_history(idea: Idea) -> list[IdeaStatusChange]:
    """The idea's "you said, we did" trail, oldest first."""
    return list(db.session.scalars(
        select(IdeaStatusChange)
        .where(IdeaStatusChange.idea_id == idea.id)
        .order_by(IdeaStatusChange.created_at, IdeaStatusChange.id)
    ))


def merge_ideas(actor: Any, source: Idea, target: Idea, reason: Any = "") -> Idea:
    """Merge duplicate `source` into `target`: source's supporters and agree-mode voters count
    for target, once each (target's own support or vote wins), source is hidden and points to
    target. Returns target."""
    if not can_moderate_idea(actor, source):
        raise IdeaError(_l("Only the city's moderators can do this."))
    if source.id == target.id:
        raise IdeaError(_l("An idea cannot be merged into itself."), field="target")
    if source.process_id != target.process_id:
        raise IdeaError(_l("Only ideas of the same process can be merged."), field="target")
    if target.merged_into_id is not None or target.contribution.status != "published":
        raise IdeaError(_l("Merge into a published idea that is not merged itself."),
                        field="target")
    reason = _checked_text(reason, REPORT_NOTE_MAX, "reason", required=False)
    # Mark the source first: this conditional UPDATE locks its row, so supports arriving
    # meanwhile wait and then see it merged (see `support`), and a second merge finds it done.
    marked = db.session.execute(
        update(Idea)
        .where(Idea.id == source.id, Idea.merged_into_id.is_(None))
        .values(merged_into_id=target.id, support_count=0, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:
        raise IdeaError(_l("This idea was already merged."), category="warning")
    for model in (Support, Vote):
        on_target = select(model.user_id).where(model.idea_id == target.id).scalar_subquery()
        db.session.execute(
            delete(model)
            .where(model.idea_id == source.id, model.user_id.in_(on_target))
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(model)
            .where(model.idea_id == source.id)
            .values(idea_id=target.id)
            .execution_options(synchronize_session=False)
        )
    recount = (
        select(func.count()).select_from(Support).where(Support.idea_id == target.id)
        .scalar_subquery()
    )
    db.session.execute(
        update(Idea)
        .where(Idea.id == target.id)
        .values(support_count=recount)
        .execution_options(synchronize_session=False)
    )
    _set_status(source.contribution, ("pending", "published", "hidden", "rejected"), "hidden")
    db.session.refresh(source)
    db.session.refresh(target)
    audit.record(actor, "merge", "idea", source.id, source.city_id,
                 reason or f"merged into idea {target.id}")
    from engage.ideas import notifications

    notifications.idea_merged(source, target, actor)
    return target
