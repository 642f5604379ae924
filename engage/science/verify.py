"""The verifiers' pages of a citizen-science campaign: the verification queue (filtered by status —
not checked yet by default —, automatic flag and date; each observation with its values, photos,
true location, flags and the observer's pseudonym, never a name), the decision on one
observation (htmx: the decided item leaves the list; without JavaScript a plain POST and a
redirect), the bulk decision on the selected ones, and one observation's decision history.

Only `permissions.can_verify` may use them: the decorator lets the city's staff through, the
view then checks the campaign (an organiser not named as verifier gets 403).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, flash, g, render_template, request, url_for
from flask_babel import format_datetime, format_decimal, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from engage.accounts.models import User
from engage.cities.permissions import is_city_staff
from engage.core.auth import requires
from engage.core.htmx import redirect_after_post, wants_fragment
from engage.core.i18n import LOCAL_TIMEZONE, current_language
from engage.core.pagination import page_number
from engage.core.tenancy import city_query, get_in_city_or_404
from engage.core.uploads import photo_url
from engage.extensions import db
from engage.processes.loading import process_of_kind
from engage.processes.models import Process
from engage.science import verification
from engage.science.models import (
    FLAGS,
    LOCATION_SOURCES,
    STATUSES,
    Field,
    Observation,
    ObservationValue,
    pseudonym,
)
from engage.science.permissions import can_verify
from engage.science.verification import VerificationError

bp = Blueprint("science_verify", __name__)

DONE = {
    "accepted": _l("Observation %(number)s accepted."),
    "needs_checking": _l("Observation %(number)s marked as needing checking."),
    "rejected": _l("Observation %(number)s rejected."),
    "pending": _l("Observation %(number)s is back among those not checked yet."),
}
# The buttons of one observation, by the decision they make.
ACTIONS = {
    "accepted": _l("Accept"),
    "needs_checking": _l("Needs checking"),
    "rejected": _l("Reject"),
    "pending": _l("Back to not checked"),
}


# ---------------------------------------------------------------- loading and filters


def _campaign(process_slug: str) -> Process:
    """The URL's science process in the URL's city (404 otherwise), for its verifiers only."""
    return process_of_kind(process_slug, "science", allowed=can_verify)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TIMEZONE)


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def _filters(source: Any) -> dict[str, Any]:
    """The queue's filters from a query string or a form: unknown values are dropped, so a
    forged filter shows the default list rather than an error."""
    status = source.get("status", "pending")
    if status not in STATUSES and status != "all":
        status = "pending"
    flag = source.get("flag") or None
    field_id, option_id = _int(source.get("field")), _int(source.get("option"))
    value = source.get("value")
    if isinstance(value, str) and value.count("-") == 1:  # the filter form's "field-option"
        field_id, option_id = (_int(part) for part in value.split("-"))
    return {
        "status": status,
        "flag": flag if flag in FLAGS else None,
        "field": field_id,
        "option": option_id if field_id else None,
        "since": _day(source.get("since")),
        "until": _day(source.get("until")),
        "page": page_number(source.get("page")),
    }


def _query_args(filters: dict[str, Any], page: bool = True) -> dict[str, Any]:
    """The filters as URL arguments (the defaults left out)."""
    args = {
        "status": filters["status"] if filters["status"] != "pending" else None,
        "flag": filters["flag"],
        "field": filters["field"],
        "option": filters["option"] if filters["field"] else None,
        "since": filters["since"].isoformat() if filters["since"] else None,
        "until": filters["until"].isoformat() if filters["until"] else None,
        "page": filters["page"] if page and filters["page"] > 1 else None,
    }
    return {key: value for key, value in args.items() if value is not None}


def _queue_url(process: Process, filters: dict[str, Any], **changes: Any) -> str:
    args = _query_args(filters | changes) if changes else _query_args(filters)
    return url_for("science_verify.queue", city_slug=g.city.slug, process_slug=process.slug,
                   **args)


# ---------------------------------------------------------------- showing observations


def _label(obj: Any, language: str) -> str:
    return getattr(obj, f"label_{language}", "") or obj.label_ro or obj.label_en or ""


def _number(field: Field, value: float, language: str) -> str:
    settings = field.settings or {}
    decimals = settings.get("decimals") if field.type == "number" else 0
    decimals = decimals if isinstance(decimals, int) and 0 <= decimals <= 6 else 6
    shown = format_decimal(round(value, decimals), format="#,##0." + "#" * decimals
                           if decimals else "#,##0")
    unit = ((settings.get(f"unit_{language}") or settings.get("unit_ro") or "")
            if field.type == "number" else "")
    return f"{shown} {unit}".strip()


def _describe(field: Field, values: list[ObservationValue], options: dict[int, Any],
              language: str) -> str:
    first = values[0]
    if field.type in ("number", "count") and first.number is not None:
        return _number(field, first.number, language)
    if field.type == "yes_no" and first.number is not None:
        return gettext("Yes") if first.number else gettext("No")
    if field.type in ("single", "multiple"):
        return ", ".join(_label(options[v.option_id], language) for v in values
                         if v.option_id in options)
    if field.type == "text":
        return first.text or ""
    if field.type == "datetime" and first.moment is not None:
        return format_datetime(first.moment, "d MMM yyyy, HH:mm")
    return ""


def _shown(queue: verification.Queue, observation: Observation) -> dict[str, Any]:
    """What the template shows of one observation, computed from the bulk-loaded queue."""
    language = current_language()
    by_field: dict[int, list[ObservationValue]] = {}
    for value in queue.values.get(observation.id, []):
        by_field.setdefault(value.field_id, []).append(value)
    rows = []
    for field in queue.fields:
        values = by_field.get(field.id)
        if not values or field.type == "photo":
            continue
        rows.append({"label": _label(field, language), "text": _describe(
            field, values, queue.options, language)})
    photos = [{"thumb": photo_url(photo.thumb_key), "full": photo_url(photo.key),
               "width": photo.thumb_width, "height": photo.thumb_height}
              for photo in queue.photos.get(observation.id, [])]
    return {
        "observation": observation,
        "rows": rows,
        "photos": photos,
        "flags": [FLAGS[flag] for flag in observation.flags or [] if flag in FLAGS],
        "observer": (pseudonym(queue.settings, observation.user_id)
                     if queue.settings is not None else None),
        "source": LOCATION_SOURCES.get(observation.location_source or "", ""),
        "status_label": STATUSES.get(observation.status, observation.status),
    }


def _context(process: Process, queue: verification.Queue, filters: dict[str, Any],
             **extra: Any) -> dict[str, Any]:
    return {
        "city": g.city,
        "process": process,
        "queue": queue,
        "items": [_shown(queue, observation) for observation in queue.page.items],
        "filters": filters,
        "hidden_filters": _query_args(filters),
        "queue_url": lambda **changes: _queue_url(process, filters, **changes),
        "STATUSES": STATUSES,
        "FLAGS": FLAGS,
        "ACTIONS": ACTIONS,
        "REASON_MAX": verification.REASON_MAX,
        "choice_fields": [f for f in queue.fields if f.type in ("single", "multiple")],
        **extra,
    }


def _load_queue(process: Process, filters: dict[str, Any]) -> verification.Queue:
    return verification.queue(
        process,
        status=None if filters["status"] == "all" else filters["status"],
        flag=filters["flag"], field_id=filters["field"],
        option_id=filters["option"] if filters["field"] else None,
        since=_local_midnight(filters["since"]) if filters["since"] else None,
        until=_local_midnight(filters["until"] + timedelta(days=1))
        if filters["until"] else None,
        page=filters["page"])


# ---------------------------------------------------------------- views


@bp.get("/<city_slug>/manage/processes/<process_slug>/observations")
@requires(is_city_staff)
def queue(city_slug: str, process_slug: str):  # noqa: ANN201
    """The verification queue: oldest first, not checked yet by default."""
    process = _campaign(process_slug)
    filters = _filters(request.args)
    found = _load_queue(process, filters)
    counts = verification.counts(process, None if filters["status"] == "all"
                                 else filters["status"])
    context = _context(process, found, filters, counts=counts)
    if wants_fragment():
        return render_template("science/verify/_queue.html", **context)
    return render_template("science/verify/queue.html", **context)


def _observation(process: Process, observation_id: int) -> Observation:
    return get_in_city_or_404(Observation, Observation.id == observation_id,
                              Observation.process_id == process.id)


def _back(process: Process, observation: Observation, filters: dict[str, Any]) -> str:
    """Where a decision without htmx leads: the history page it was made on, or the queue."""
    if request.form.get("back") == "history":
        return url_for("science_verify.observation_history", city_slug=g.city.slug,
                       process_slug=process.slug, observation_id=observation.id)
    return _queue_url(process, filters)


@bp.post("/<city_slug>/manage/processes/<process_slug>/observations/<int:observation_id>/verify")
@requires(is_city_staff)
def verify_observation(city_slug: str, process_slug: str, observation_id: int):  # noqa: ANN201
    """One decision. htmx gets the item's replacement: nothing (it leaves the list) with the
    message and the new counts out of band, or the item again with its error."""
    process = _campaign(process_slug)
    observation = _observation(process, observation_id)
    filters = _filters(request.form)
    status = request.form.get("decision", "")
    try:
        verification.verify(current_user, observation, status, request.form.get("reason"),
                            seen=request.form.get("seen") or None)
    except VerificationError as error:
        if wants_fragment():
            found = verification.details(process, [observation])
            return render_template(
                "science/verify/_item.html",
                **_context(process, found, filters, item=_shown(found, observation),
                           error=error.message, error_field=error.field,
                           reason=request.form.get("reason", "")))
        flash(str(error.message), "error")
        return redirect_after_post(_back(process, observation, filters))
    message = DONE[status] % {"number": observation.id}
    if wants_fragment():
        counts = verification.counts(process, None if filters["status"] == "all"
                                     else filters["status"])
        return render_template("science/verify/_decided.html", city=g.city, process=process,
                               message=message, counts=counts, filters=filters,
                               queue_url=lambda **changes: _queue_url(process, filters,
                                                                      **changes),
                               STATUSES=STATUSES, FLAGS=FLAGS)
    flash(message, "success")
    return redirect_after_post(_back(process, observation, filters))


@bp.post("/<city_slug>/manage/processes/<process_slug>/observations/verify")
@requires(is_city_staff)
def verify_bulk(city_slug: str, process_slug: str):  # noqa: ANN201
    """The same decision on the selected observations (of this campaign only: other ids are
    ignored); says how many were decided and why the others were not."""
    process = _campaign(process_slug)
    filters = _filters(request.form)
    ids = sorted({number for number in map(_int, request.form.getlist("ids"))
                  if number is not None})
    back = _queue_url(process, filters)
    if not ids:
        flash(gettext("Select at least one observation."), "error")
        return redirect_after_post(back)
    if len(ids) > verification.BULK_MAX:
        flash(gettext("At most %(max)s observations at once.", max=verification.BULK_MAX),
              "error")
        return redirect_after_post(back)
    observations = list(db.session.scalars(
        city_query(Observation).where(Observation.process_id == process.id,
                                      Observation.id.in_(ids))
        .order_by(Observation.id)))
    seen = request.form.get("seen") or None
    try:
        outcomes = verification.verify_many(current_user, observations,
                                            request.form.get("decision", ""),
                                            request.form.get("reason"), seen=seen)
    except VerificationError as error:
        flash(str(error.message), "error")
        return redirect_after_post(back)
    done = sum(1 for outcome in outcomes if outcome.done)
    if done:
        flash(ngettext("%(num)d observation decided.", "%(num)d observations decided.", done),
              "success")
    refused = [outcome for outcome in outcomes if not outcome.done]
    for outcome in refused[:5]:
        flash(gettext("Observation %(number)s: %(why)s", number=outcome.observation.id,
                      why=outcome.error), "error")
    if len(refused) > 5:
        flash(ngettext("And %(num)d more was not decided.", "And %(num)d more were not decided.",
                       len(refused) - 5), "error")
    return redirect_after_post(back)


@bp.get("/<city_slug>/manage/processes/<process_slug>/observations/<int:observation_id>"
        "/history")
@requires(is_city_staff)
def observation_history(city_slug: str, process_slug: str, observation_id: int):  # noqa: ANN201
    """One observation as the queue shows it, with every decision made about it."""
    process = _campaign(process_slug)
    observation = _observation(process, observation_id)
    found = verification.details(process, [observation])
    entries = verification.history(observation)
    actor_ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    actors = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    rows = []
    for entry in entries:
        change = verification.describe_action(entry.action)
        rows.append({
            "entry": entry,
            "actor": actors.get(entry.actor_id),
            "before": STATUSES.get(change[0], change[0]) if change else None,
            "after": STATUSES.get(change[1], change[1]) if change else None,
            "action": entry.action,
        })
    filters = _filters({"status": "all"})
    return render_template(
        "science/verify/history.html",
        **_context(process, found, filters, item=_shown(found, observation), history=rows,
                   back=url_for("science_verify.queue", city_slug=g.city.slug,
                                process_slug=process.slug)))
