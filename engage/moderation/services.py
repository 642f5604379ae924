"""The moderation desk's services: decisions on citizen input of every kind, the queue, and each
item's history.

A decision moves a Contribution's status with a conditional UPDATE (of two moderators deciding
at once, only one decision happens; the other is told), writes the audit row (who, what, when,
why — a listed reason and free text — and the status before and after), closes the item's open
reports and flags, and sends `core.signals.contribution_moderated`, so the kind keeps what it
derives from the status exact (an idea's comment count, a consultation's results, a campaign's
data). Services flush, never commit.

The queue of a city holds its input that waits for a moderator: pending (pre-moderation),
reported (open reports, grouped and counted) and flagged (open automatic flags), oldest first,
filterable by process, kind, reason and age; it reads the Contribution spine only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select, update

from engage.core import audit
from engage.core.audit import REASONS, ModerationAction
from engage.core.db import utcnow
from engage.core.refusal import Refusal
from engage.core.signals import contribution_moderated
from engage.extensions import db
from engage.moderation.models import FLAG_REASONS, Flag
from engage.moderation.permissions import can_use_desk
from engage.processes.models import REPORT_REASONS, Contribution, Process, Report

NOTE_MAX = 1000
BULK_MAX = 100
PAGE_SIZE = 25

# action: (the statuses it applies to, the status it leaves)
ACTIONS = {
    "approve": (("pending",), "published"),
    "hide": (("published",), "hidden"),
    "reject": (("pending",), "rejected"),
    "restore": (("hidden", "rejected"), "published"),
}
ACTION_LABELS = {
    "approve": _l("Approve"),
    "hide": _l("Hide"),
    "reject": _l("Reject"),
    "restore": _l("Restore"),
    "dismiss": _l("Keep as it is"),
}
# How the history of an item names every recorded action, the desk's and the others'.
HISTORY_LABELS = {
    **ACTION_LABELS,
    "auto_hide": _l("Hidden automatically"),
    "dismiss_reports": _l("Reports dismissed"),
    "merge": _l("Merged into another idea"),
}
# The reasons a moderator chooses from ("reported" is the automatic flags' own).
CHOOSABLE_REASONS = {code: label for code, label in REASONS.items() if code != "reported"}
# Hiding or rejecting tells the author why: a listed reason is required.
NEEDS_REASON = {"hide", "reject"}
KIND_LABELS = {
    "idea": _l("Idea"),
    "comment": _l("Comment"),
    "answer": _l("Free-text answer"),
    "observation": _l("Observation"),
}
# The queue's "why is it here" filter.
QUEUE_REASONS = {
    "pending": _l("Waiting for approval"),
    "reported": _l("Reported"),
    "flagged": _l("Flagged automatically"),
}
AGES = {"1": timedelta(days=1), "7": timedelta(days=7), "30": timedelta(days=30)}


class ModerationError(Refusal):
    """A decision refused, with the message for the moderator (and the form field)."""


@dataclass
class Decision:
    contribution: Contribution
    action: str
    before: str
    after: str


@dataclass
class QueueItem:
    """One row of the queue: the input, why it is there, and what the desk knows of it."""

    contribution: Contribution
    process: Process
    reports: int = 0
    report_reasons: dict[str, int] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)

    @property
    def waits_since(self) -> datetime:
        return self.contribution.created_at

    @property
    def why(self) -> list[str]:
        reasons = []
        if self.contribution.status == "pending":
            reasons.append("pending")
        if self.reports:
            reasons.append("reported")
        if self.flags:
            reasons.append("flagged")
        return reasons


@dataclass
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    pages: int


def _check_note(action: str, reason_code: str, note: Any) -> str:
    note = str(note or "").strip()
    if len(note) > NOTE_MAX:
        raise ModerationError(_l("The explanation is too long (at most %(limit)s characters).",
                                 limit=NOTE_MAX), "note")
    if reason_code and reason_code not in CHOOSABLE_REASONS:
        raise ModerationError(_l("Choose a reason from the list."), "reason_code")
    if action in NEEDS_REASON and not reason_code:
        raise ModerationError(_l("Choose the reason the author will be shown."), "reason_code")
    if reason_code == "other" and not note:
        raise ModerationError(_l("Say in a few words why: the author will read it."), "note")
    return note


def _close_reports_and_flags(contribution_id: int) -> None:
    now = utcnow()
    for model, column in ((Report, Report.contribution_id), (Flag, Flag.contribution_id)):
        db.session.execute(
            update(model).where(column == contribution_id, model.resolved_at.is_(None))
            .values(resolved_at=now).execution_options(synchronize_session=False))


def decide(moderator: Any, contribution: Contribution, action: str, reason_code: str = "",
           note: Any = "") -> Decision:
    """Approve, hide, reject or restore one piece of input; the author is shown the reason.
    Refused: another city's input, an action that does not apply to the input's status (or
    was just taken by someone else), a missing or unknown reason."""
    if action not in ACTIONS:
        raise ModerationError(_l("Unknown action."))
    if not can_use_desk(moderator, contribution.process.city):
        raise ModerationError(_l("Only the city's moderators can do this."))
    note = _check_note(action, reason_code, note)
    sources, after = ACTIONS[action]
    before = contribution.status
    changed = db.session.execute(
        update(Contribution)
        .where(Contribution.id == contribution.id, Contribution.status.in_(sources))
        .values(status=after)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(contribution, attribute_names=["status"])
    if not changed:
        if contribution.status == after:
            raise ModerationError(_l("This was already done."))
        raise ModerationError(_l("This action does not apply to the input in its current "
                                 "state."))
    audit.record(moderator, action, "contribution", contribution.id, contribution.city_id,
                 note, contribution_id=contribution.id, reason_code=reason_code,
                 before=before, after=after)
    _close_reports_and_flags(contribution.id)
    contribution_moderated.send(contribution, before=before, after=after)
    return Decision(contribution, action, before, after)


def dismiss(moderator: Any, contribution: Contribution, note: Any = "") -> int:
    """Keep reported or flagged input as it is: its open reports and flags are closed and the
    decision recorded. Returns how many reports and flags were closed."""
    if not can_use_desk(moderator, contribution.process.city):
        raise ModerationError(_l("Only the city's moderators can do this."))
    note = _check_note("dismiss", "", note)
    open_count = sum(db.session.scalar(
        select(func.count()).select_from(model)
        .where(column == contribution.id, model.resolved_at.is_(None))) or 0
        for model, column in ((Report, Report.contribution_id), (Flag, Flag.contribution_id)))
    if not open_count:
        raise ModerationError(_l("There are no open reports or flags on this input."))
    _close_reports_and_flags(contribution.id)
    audit.record(moderator, "dismiss", "contribution", contribution.id, contribution.city_id,
                 note, contribution_id=contribution.id, before=contribution.status,
                 after=contribution.status)
    return open_count


def decide_many(moderator: Any, city: Any, contribution_ids: list[int], action: str,
                reason_code: str = "", note: Any = "") -> tuple[list[Decision], int]:
    """The same decision on a selection of the city's input (at most BULK_MAX): returns the
    decisions taken and how many items it did not apply to (already decided, another state).
    Ids of other cities' input are not found, so never decided."""
    ids = sorted({int(i) for i in contribution_ids})
    if not ids:
        raise ModerationError(_l("Select at least one item."))
    if len(ids) > BULK_MAX:
        raise ModerationError(_l("Select at most %(limit)s items at once.", limit=BULK_MAX))
    if action not in ACTIONS and action != "dismiss":
        raise ModerationError(_l("Unknown action."))
    if not can_use_desk(moderator, city):
        raise ModerationError(_l("Only the city's moderators can do this."))
    note = _check_note(action, reason_code, note)
    found = db.session.scalars(select(Contribution).where(
        Contribution.id.in_(ids), Contribution.city_id == city.id)).all()
    decisions, skipped = [], len(ids) - len(found)
    for contribution in found:
        try:
            if action == "dismiss":
                dismiss(moderator, contribution, note)
                decisions.append(Decision(contribution, action, contribution.status,
                                          contribution.status))
            else:
                decisions.append(decide(moderator, contribution, action, reason_code, note))
        except ModerationError:
            skipped += 1
    return decisions, skipped


# ---------------------------------------------------------------- the queue


def _open_reports():  # noqa: ANN202
    return exists().where(Report.contribution_id == Contribution.id,
                          Report.resolved_at.is_(None))


def _open_flags(reason: str | None = None):  # noqa: ANN202
    condition = [Flag.contribution_id == Contribution.id, Flag.resolved_at.is_(None)]
    if reason:
        condition.append(Flag.reason == reason)
    return exists().where(*condition)


def queue(city: Any, *, process_id: int | None = None, kind: str | None = None,
          why: str | None = None, flag_reason: str | None = None, age: str | None = None,
          page: int = 1, now: datetime | None = None) -> QueuePage:
    """The city's input waiting for a moderator, oldest first, one page; a constant number of
    queries whatever the queue's length (the page, its reports counted by reason, its flags)."""
    conditions: list[Any] = [Contribution.city_id == city.id,
                             Contribution.status != "deleted"]
    waiting = {
        "pending": Contribution.status == "pending",
        "reported": and_(Contribution.status.in_(("pending", "published", "hidden")),
                         _open_reports()),
        "flagged": and_(Contribution.status.in_(("pending", "published", "hidden")),
                        _open_flags(flag_reason)),
    }
    if why in waiting:
        conditions.append(waiting[why])
    elif flag_reason:
        conditions.append(waiting["flagged"])
    else:
        conditions.append(or_(*waiting.values()))
    if process_id:
        conditions.append(Contribution.process_id == process_id)
    if kind in KIND_LABELS:
        conditions.append(Contribution.kind == kind)
    if age in AGES:
        conditions.append(Contribution.created_at <= (now or utcnow()) - AGES[age])
    total = db.session.scalar(select(func.count()).select_from(Contribution)
                              .where(*conditions)) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        select(Contribution, Process).join(Process, Process.id == Contribution.process_id)
        .where(*conditions)
        .order_by(Contribution.created_at, Contribution.id)
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    items = {c.id: QueueItem(contribution=c, process=p) for c, p in rows}
    if items:
        for contribution_id, reason, count in db.session.execute(
                select(Report.contribution_id, Report.reason, func.count())
                .where(Report.contribution_id.in_(list(items)), Report.resolved_at.is_(None))
                .group_by(Report.contribution_id, Report.reason)):
            item = items[contribution_id]
            item.report_reasons[reason] = count
            item.reports += count
        for flag in db.session.scalars(
                select(Flag).where(Flag.contribution_id.in_(list(items)),
                                   Flag.resolved_at.is_(None)).order_by(Flag.id)):
            items[flag.contribution_id].flags.append(flag)
    return QueuePage(items=list(items.values()), total=total, page=page, pages=pages)


def queue_counts(city: Any) -> dict[str, int]:
    """How many items wait, by why they wait (an item may wait for several reasons)."""
    base = [Contribution.city_id == city.id]
    active = Contribution.status.in_(("pending", "published", "hidden"))
    return {
        "pending": db.session.scalar(select(func.count()).select_from(Contribution).where(
            *base, Contribution.status == "pending")) or 0,
        "reported": db.session.scalar(select(func.count()).select_from(Contribution).where(
            *base, active, _open_reports())) or 0,
        "flagged": db.session.scalar(select(func.count()).select_from(Contribution).where(
            *base, active, _open_flags())) or 0,
    }


def history(contribution: Contribution) -> list[ModerationAction]:
    """Every recorded decision about one piece of input, oldest first, whichever page it was
    taken on."""
    return list(db.session.scalars(
        select(ModerationAction)
        .where(ModerationAction.contribution_id == contribution.id,
               ModerationAction.city_id == contribution.city_id)
        .order_by(ModerationAction.created_at, ModerationAction.id)))


def reports_of(contribution: Contribution) -> list[Report]:
    """Every report on the input (open and closed), newest first."""
    return list(db.session.scalars(
        select(Report).where(Report.contribution_id == contribution.id)
        .order_by(Report.created_at.desc(), Report.id.desc())))


def flags_of(contribution: Contribution) -> list[Flag]:
    return list(db.session.scalars(
        select(Flag).where(Flag.contribution_id == contribution.id).order_by(Flag.id)))


__all__ = ["ACTIONS", "ACTION_LABELS", "CHOOSABLE_REASONS", "FLAG_REASONS", "HISTORY_LABELS",
           "KIND_LABELS", "QUEUE_REASONS", "REASONS", "REPORT_REASONS", "Decision",
           "ModerationError", "QueueItem", "QueuePage", "decide", "decide_many", "dismiss",
           "flags_of", "history", "queue", "queue_counts", "reports_of"]
