"""The moderation desk's pages: a city's queue of input waiting for a moderator (every kind:
pending, reported, flagged — filters by process, kind, why and age, oldest first), one decision
on an item (htmx: the item leaves the list, the counts and a status message are updated out of
band; without JavaScript a redirect back to the same filtered queue), the same decision on a
selection, and one item's page with its reports, flags and history.

Every view is for the URL city's moderators and organisers (and admins): `requires(can_moderate)`
on `g.city`; the item is loaded inside that city (another city's id is a 404) and the services
check the moderator against the input's own city again. Refusals change nothing and answer 422.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from engage.accounts.models import User
from engage.cities.permissions import can_moderate
from engage.core.auth import requires
from engage.core.htmx import wants_fragment
from engage.core.i18n import LANGUAGE_NAMES
from engage.core.pagination import page_number
from engage.core.tenancy import get_in_city_or_404
from engage.extensions import db
from engage.moderation import services
from engage.moderation.models import FLAG_REASONS, Flag
from engage.moderation.services import (
    ACTION_LABELS,
    ACTIONS,
    AGES,
    CHOOSABLE_REASONS,
    HISTORY_LABELS,
    KIND_LABELS,
    NEEDS_REASON,
    NOTE_MAX,
    QUEUE_REASONS,
    ModerationError,
    QueueItem,
)
from engage.processes.models import REPORT_REASONS, Contribution, Process, Report

bp = Blueprint("moderation", __name__)

DONE = {
    "approve": _l("Item %(number)s approved: it is now public."),
    "hide": _l("Item %(number)s hidden. Its author sees your reason."),
    "reject": _l("Item %(number)s rejected. Its author sees your reason."),
    "restore": _l("Item %(number)s is public again."),
    "dismiss": _l("Item %(number)s kept as it is: its reports and flags are closed."),
}
AGE_LABELS = {
    "1": _l("Older than a day"),
    "7": _l("Older than a week"),
    "30": _l("Older than 30 days"),
}
STATUS_LABELS = {
    "pending": _l("Waiting for approval"),
    "published": _l("Public"),
    "hidden": _l("Hidden"),
    "rejected": _l("Rejected"),
    "deleted": _l("Deleted by its author"),
}
FLAG_PREFIX = "flag-"
# The filters kept through a decision, in the order of the filter form.
FILTER_KEYS = ("process", "kind", "why", "age", "page")


# ---------------------------------------------------------------- filters


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def _filters(source: Any, processes: list[Process]) -> dict[str, Any]:
    """The queue's filters from a query string or a form: an unknown value is dropped, so a
    forged filter shows the whole queue rather than an error."""
    process_id = _int(source.get("process"))
    kind = source.get("kind") or ""
    why = source.get("why") or ""
    age = source.get("age") or ""
    flag_ok = why.startswith(FLAG_PREFIX) and why[len(FLAG_PREFIX):] in FLAG_REASONS
    return {
        "process": process_id if process_id in {p.id for p in processes} else None,
        "kind": kind if kind in KIND_LABELS else "",
        "why": why if why in QUEUE_REASONS or flag_ok else "",
        "age": age if age in AGES else "",
        "page": page_number(source.get("page")),
    }


def _query_args(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters as URL arguments, the empty ones and page 1 left out."""
    return {key: filters[key] for key in FILTER_KEYS
            if filters.get(key) and not (key == "page" and filters[key] == 1)}


def _queue_url(filters: dict[str, Any], **changes: Any) -> str:
    return url_for("moderation.queue", city_slug=g.city.slug,
                   **_query_args({**filters, **changes}))


def _city_processes() -> list[Process]:
    return list(db.session.scalars(
        select(Process).where(Process.city_id == g.city.id)
        .order_by(Process.created_at.desc(), Process.id.desc())))


def _load_queue(filters: dict[str, Any]) -> services.QueuePage:
    why = filters["why"]
    flag_reason = why[len(FLAG_PREFIX):] if why.startswith(FLAG_PREFIX) else None
    return services.queue(g.city, process_id=filters["process"], kind=filters["kind"] or None,
                          why="flagged" if flag_reason else (why or None),
                          flag_reason=flag_reason, age=filters["age"] or None,
                          page=filters["page"])


def _people(ids: set[int | None]) -> dict[int, User]:
    """The named accounts in one query (authors of a page, moderators of a history)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {user.id: user for user in db.session.scalars(select(User).where(
        User.id.in_(wanted)))}


# ---------------------------------------------------------------- context


def actions_for(contribution: Contribution, open_items: int) -> list[str]:
    """The decisions that apply to the input as it is: by its status, and "keep as it is"
    while it has open reports or flags."""
    codes = [code for code, (sources, _after) in ACTIONS.items()
             if contribution.status in sources]
    if open_items:
        codes.append("dismiss")
    return codes


def _common(filters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "city": g.city,
        "filters": filters,
        "hidden_filters": _query_args(filters),
        "queue_url": lambda **changes: _queue_url(filters, **changes),
        "ACTION_LABELS": ACTION_LABELS,
        "NEEDS_REASON": NEEDS_REASON,
        "REASONS": CHOOSABLE_REASONS,
        "HISTORY_LABELS": HISTORY_LABELS,
        "REPORT_REASONS": REPORT_REASONS,
        "FLAG_REASONS": FLAG_REASONS,
        "KIND_LABELS": KIND_LABELS,
        "QUEUE_REASONS": QUEUE_REASONS,
        "STATUS_LABELS": STATUS_LABELS,
        "LANGUAGE_NAMES": LANGUAGE_NAMES,
        "NOTE_MAX": NOTE_MAX,
        "FLAG_PREFIX": FLAG_PREFIX,
        "actions_for": actions_for,
        **extra,
    }


def _queue_context(filters: dict[str, Any], processes: list[Process],
                   **extra: Any) -> dict[str, Any]:
    found = _load_queue(filters)
    filters = {**filters, "page": found.page}
    authors = _people({item.contribution.author_id for item in found.items})
    return _common(filters, queue=found, processes=processes, authors=authors,
                   counts=services.queue_counts(g.city), AGE_LABELS=AGE_LABELS,
                   first=(found.page - 1) * services.PAGE_SIZE + 1, **extra)


def _item_of(contribution: Contribution, reports: list[Report] | None = None,
             flags: list[Flag] | None = None) -> QueueItem:
    """One input as a queue row, with its open reports and flags (for a re-rendered item)."""
    item = QueueItem(contribution=contribution, process=contribution.process)
    for report in services.reports_of(contribution) if reports is None else reports:
        if report.resolved_at is None:
            item.report_reasons[report.reason] = item.report_reasons.get(report.reason, 0) + 1
            item.reports += 1
    item.flags = [flag for flag in (services.flags_of(contribution) if flags is None else flags)
                  if flag.resolved_at is None]
    return item


# ---------------------------------------------------------------- the queue


@bp.get("/<city_slug>/moderation/")
@requires(can_moderate)
def queue(city_slug: str):  # noqa: ANN201
    """The city's input waiting for a moderator, oldest first, 25 a page."""
    processes = _city_processes()
    filters = _filters(request.args, processes)
    return render_template("moderation/queue.html", **_queue_context(filters, processes))


def _contribution(contribution_id: int) -> Contribution:
    return get_in_city_or_404(Contribution, Contribution.id == contribution_id)


def _decided_fragment(message: str, filters: dict[str, Any], *, item: QueueItem | None = None,
                      refusal: dict[str, Any] | None = None, removed: list[int] | None = None,
                      status: int = 200, category: str = "success"):  # noqa: ANN202
    """htmx: the item's replacement (nothing: it leaves the list; or the item again, with the
    refusal), the removed items of a bulk decision, and out of band the counts and the status
    message."""
    context = _common(filters, message=message, category=category, item=item,
                      refusal=refusal, removed=removed or [],
                      counts=services.queue_counts(g.city))
    if item is not None:
        context["authors"] = _people({item.contribution.author_id})
    return make_response(render_template("moderation/_decided.html", **context), status)


@bp.post("/<city_slug>/moderation/items/<int:contribution_id>/decide")
@requires(can_moderate)
def decide(city_slug: str, contribution_id: int):  # noqa: ANN201
    """One decision (approve, hide, reject, restore, or keep as it is) with its reason."""
    contribution = _contribution(contribution_id)
    processes = _city_processes()
    filters = _filters(request.form, processes)
    action = request.form.get("action", "")
    reason_code = request.form.get("reason_code", "")
    note = request.form.get("note", "")
    from_item_page = request.form.get("back") == "item"
    try:
        if action == "dismiss":
            services.dismiss(current_user, contribution, note)
        else:
            services.decide(current_user, contribution, action, reason_code, note)
    except ModerationError as error:
        message = str(error.message)
        typed = {"reason_code": reason_code, "note": note, "field": error.field}
        refusal = {"id": contribution.id, "message": message, **typed}
        if wants_fragment() and not from_item_page:
            return _decided_fragment(message, filters, item=_item_of(contribution),
                                     refusal=refusal, status=422, category="error")
        if from_item_page:
            return render_template("moderation/item.html",
                                   **_item_context(contribution, refusal=refusal)), 422
        return render_template("moderation/queue.html", **_queue_context(
            filters, processes, refusal=refusal)), 422
    message = str(DONE[action] % {"number": contribution.id})
    if wants_fragment() and not from_item_page:
        # Kept as it is while still pending: it stays in the list, without its reports.
        still = _item_of(contribution) if contribution.status == "pending" else None
        return _decided_fragment(message, filters, item=still)
    flash(message, "success")
    if from_item_page:
        target = url_for(".item", city_slug=g.city.slug, contribution_id=contribution.id)
    else:
        target = _queue_url(filters)
    return _see_other(target)


def _see_other(target: str):  # noqa: ANN202
    return redirect(target, code=303)


@bp.post("/<city_slug>/moderation/bulk")
@requires(can_moderate)
def decide_bulk(city_slug: str):  # noqa: ANN201
    """The same decision on the selected items of the city (other ids are never found)."""
    processes = _city_processes()
    filters = _filters(request.form, processes)
    ids = [number for number in map(_int, request.form.getlist("ids")) if number is not None]
    action = request.form.get("action", "")
    try:
        decisions, skipped = services.decide_many(
            current_user, g.city, ids, action, request.form.get("reason_code", ""),
            request.form.get("note", ""))
    except ModerationError as error:
        message = str(error.message)
        if wants_fragment():
            return _decided_fragment(message, filters, status=422, category="error")
        return render_template("moderation/queue.html", **_queue_context(
            filters, processes, bulk_error=message,
            bulk_typed={"action": action, "reason_code": request.form.get("reason_code", ""),
                        "note": request.form.get("note", ""), "ids": set(ids)})), 422
    message = gettext("%(decided)s, %(skipped)s.", decided=ngettext(
        "%(num)d decided", "%(num)d decided", len(decisions)), skipped=ngettext(
        "%(num)d skipped", "%(num)d skipped", skipped))
    if wants_fragment():
        removed = [d.contribution.id for d in decisions if d.contribution.status != "pending"]
        return _decided_fragment(message, filters, removed=removed)
    flash(message, "success" if decisions else "warning")
    return _see_other(_queue_url(filters))


# ---------------------------------------------------------------- one item


def _item_context(contribution: Contribution, **extra: Any) -> dict[str, Any]:
    entries = services.history(contribution)
    reports = services.reports_of(contribution)
    flags = services.flags_of(contribution)
    people = _people({contribution.author_id} | {e.actor_id for e in entries})
    item = _item_of(contribution, reports, flags)
    return _common(
        {}, contribution=contribution, process=contribution.process, item=item,
        author=people.get(contribution.author_id) if contribution.author_id else None,
        authors=people, history=entries, actors=people, reports=reports, flags=flags,
        back=url_for(".queue", city_slug=g.city.slug), **extra)


@bp.get("/<city_slug>/moderation/items/<int:contribution_id>")
@requires(can_moderate)
def item(city_slug: str, contribution_id: int):  # noqa: ANN201
    """One input in full: its process, kind and status, every report and flag, its history
    (read-only: the log is never edited) and the decisions that apply."""
    contribution = _contribution(contribution_id)
    return render_template("moderation/item.html", **_item_context(contribution))


# ---------------------------------------------------------------- the link on the dashboard


@bp.app_template_global()
def moderation_waiting(city: Any) -> dict[str, int]:
    """How many items of `city` wait on its desk, by why (for the staff's dashboard link)."""
    return services.queue_counts(city)
