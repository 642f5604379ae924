"""Process operations: listing, figures, create, edit and status changes.

The business rules of the Process base live here: which status changes are allowed (the
`TRANSITIONS` table), that kind and slug are fixed once a process has been published (links to
it are out), that a slug is unique within its city, and how the wall-clock times organisers type
become UTC. A refused operation raises `ProcessError` with a translatable message; the routes
turn it into a field error or a flash message. Services flush, never commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from engage.cities.themes import THEMES
from engage.core.db import utcnow
from engage.core.i18n import LOCAL_TIMEZONE
from engage.extensions import db
from engage.processes.models import (
    KINDS,
    MODERATION_MODES,
    STATUSES,
    Contribution,
    Process,
)

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MIN = 2
SLUG_MAX = 80
TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
# Dates outside this window are typing mistakes (year 20277, year 1), not plans.
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100

EDITABLE_FIELDS = (
    "kind",
    "slug",
    "title_ro",
    "title_en",
    "description_ro",
    "description_en",
    "themes",
    "opens_at",
    "closes_at",
    "moderation_mode",
)
# What a new process gets for the fields a caller leaves out (the others are required).
NEW_PROCESS_DEFAULTS: dict[str, Any] = {
    "title_ro": "",
    "title_en": "",
    "description_ro": "",
    "description_en": "",
    "closes_at": None,
    "moderation_mode": "post",
}
# Published links and the kind's own data depend on these; they are fixed after publishing.
LOCKED_AFTER_PUBLISHING = ("kind", "slug")

# action -> (from status, to status)
TRANSITIONS: dict[str, tuple[str, str]] = {
    "publish": ("draft", "published"),
    "close": ("published", "closed"),
    "reopen": ("closed", "published"),
    "archive": ("closed", "archived"),
}
_WRONG_SOURCE = {
    "publish": _l("Only a draft can be published."),
    "close": _l("Only a published process can be closed."),
    "reopen": _l("Only a closed process can be reopened."),
    "archive": _l("Only a closed process can be archived."),
}
_ALREADY_DONE = {
    "publish": _l("This process is already published."),
    "close": _l("This process is already closed."),
    "reopen": _l("This process is already published."),
    "archive": _l("This process is already archived."),
}


class ProcessError(Exception):
    """A business rule refused the operation; nothing was changed.

    `message` is translatable (lazy), `field` names the form field it concerns (None: the
    operation as a whole) and `category` is the flash category a route should use.
    """

    def __init__(self, message: Any, field: str | None = None, category: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.category = category


# ---------------------------------------------------------------- times


def to_utc(value: datetime) -> datetime:
    """A naive datetime is wall-clock time in Europe/Bucharest; an aware one keeps its instant.

    In the spring-forward gap (03:00-04:00 on the last Sunday of March) a time that never
    happens is read with the winter offset, as zoneinfo does with fold=0.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TIMEZONE)
    return value.astimezone(UTC)


def to_local(value: datetime) -> datetime:
    """An aware datetime as wall-clock time in Europe/Bucharest."""
    return value.astimezone(LOCAL_TIMEZONE)


def _checked_time(value: Any, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise ProcessError(_l("Enter a date and time."), field=field)
    if not EARLIEST_YEAR <= value.year < LATEST_YEAR:
        raise ProcessError(
            _l(
                "Enter a date between the years %(start)s and %(end)s.",
                start=EARLIEST_YEAR,
                end=LATEST_YEAR - 1,
            ),
            field=field,
        )
    return to_utc(value)


# ---------------------------------------------------------------- reading


def list_city_processes(city: Any, status: str | None = None) -> list[Process]:
    """Every process of `city`, drafts included (for its staff), latest opening first."""
    query = select(Process).where(Process.city_id == city.id)
    if status is not None:
        query = query.where(Process.status == status)
    return list(db.session.scalars(query.order_by(Process.opens_at.desc(), Process.id.desc())))


def status_counts(city: Any) -> dict[str, int]:
    """{status: number of processes} for `city`, every status present (zero when none)."""
    counts = dict(
        db.session.execute(
            select(Process.status, func.count())
            .where(Process.city_id == city.id)
            .group_by(Process.status)
        ).all()
    )
    return {status: counts.get(status, 0) for status in STATUSES}


def public_processes(city: Any) -> list[Process]:
    """The processes of `city` the public may see (never drafts), latest opening first."""
    query = (
        select(Process)
        .where(Process.city_id == city.id, Process.is_public)
        .order_by(Process.opens_at.desc(), Process.id.desc())
    )
    return list(db.session.scalars(query))


def available_actions(process: Process) -> list[str]:
    """The status actions that apply to `process` now, in the order of TRANSITIONS."""
    return [action for action, (source, _) in TRANSITIONS.items() if source == process.status]


def editable_data(process: Process) -> dict[str, Any]:
    """The editable values of `process`, to fill its form (times stay aware UTC)."""
    return {name: getattr(process, name) for name in EDITABLE_FIELDS}


# ---------------------------------------------------------------- writing


def _slug_taken(city_id: int, slug: str, exclude_id: int | None = None) -> bool:
    query = select(Process.id).where(Process.city_id == city_id, Process.slug == slug)
    if exclude_id is not None:
        query = query.where(Process.id != exclude_id)
    return db.session.scalars(query.limit(1)).first() is not None


def _slug_taken_error() -> ProcessError:
    return ProcessError(
        _l("Another process of this city already uses this address. Please choose another."),
        field="slug",
    )


def _clean(data: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The values of `data` that are editable, checked and normalised.

    `current` holds the values the process has now (empty for a new one), so rules that look at
    several fields (a title in at least one language; closing after opening) see the result.
    """
    values: dict[str, Any] = {name: data[name] for name in EDITABLE_FIELDS if name in data}

    if "kind" in values and values["kind"] not in KINDS:
        raise ProcessError(_l("Choose a kind of process from the list."), field="kind")
    if "slug" in values:
        slug = values["slug"]
        if not isinstance(slug, str) or not SLUG_MIN <= len(slug) <= SLUG_MAX:
            raise ProcessError(
                _l(
                    "The address must be %(min)s to %(max)s characters long.",
                    min=SLUG_MIN,
                    max=SLUG_MAX,
                ),
                field="slug",
            )
        if not SLUG_RE.match(slug):
            raise ProcessError(
                _l("Use only lowercase letters a-z, digits and single hyphens between them."),
                field="slug",
            )
    for name in ("title_ro", "title_en"):
        if name in values:
            values[name] = (values[name] or "").strip()
            if len(values[name]) > TITLE_MAX:
                raise ProcessError(
                    _l("At most %(max)s characters.", max=TITLE_MAX), field=name
                )
    if "title_ro" in values or "title_en" in values:
        if not any({**current, **values}.get(name) for name in ("title_ro", "title_en")):
            raise ProcessError(
                _l("Enter a title in Romanian or in English (at least one)."), field="title_ro"
            )
    for name in ("description_ro", "description_en"):
        if name in values:
            values[name] = values[name] or ""
            if len(values[name]) > DESCRIPTION_MAX:
                raise ProcessError(
                    _l("At most %(max)s characters.", max=DESCRIPTION_MAX), field=name
                )
    if "themes" in values:
        themes = list(dict.fromkeys(values["themes"] or ()))
        if not themes:
            raise ProcessError(_l("Choose at least one theme."), field="themes")
        if any(theme not in THEMES for theme in themes):
            raise ProcessError(_l("Choose themes from the list."), field="themes")
        values["themes"] = themes
    if "opens_at" in values:
        values["opens_at"] = _checked_time(values["opens_at"], "opens_at")
    if "closes_at" in values and values["closes_at"] is not None:
        values["closes_at"] = _checked_time(values["closes_at"], "closes_at")
    if "opens_at" in values or "closes_at" in values:
        opens_at = values.get("opens_at", current.get("opens_at"))
        closes_at = values.get("closes_at", current.get("closes_at"))
        if opens_at is None:
            raise ProcessError(_l("Enter a date and time."), field="opens_at")
        if closes_at is not None and closes_at <= opens_at:
            raise ProcessError(
                _l("The closing time must be after the opening time."), field="closes_at"
            )
    if "moderation_mode" in values and values["moderation_mode"] not in MODERATION_MODES:
        raise ProcessError(_l("Choose a moderation mode from the list."), field="moderation_mode")
    return values


def create_process(city: Any, author: Any, data: Mapping[str, Any]) -> Process:
    """A new draft process of `city` from `data` (the EDITABLE_FIELDS; times naive local or
    aware). Raises ProcessError on a broken rule, including a slug another process holds."""
    data = {**NEW_PROCESS_DEFAULTS, **data}
    for name in EDITABLE_FIELDS:
        if name not in data:
            raise ProcessError(_l("This field is required."), field=name)
    values = _clean(data, {})
    if _slug_taken(city.id, values["slug"]):
        raise _slug_taken_error()
    process = Process(
        city_id=city.id,
        created_by_id=getattr(author, "id", None),
        status="draft",
        **values,
    )
    # Two organisers may pick the same slug at the same moment: the unique constraint decides,
    # and only this savepoint is undone, not the request's transaction.
    try:
        with db.session.begin_nested():
            db.session.add(process)
    except IntegrityError as error:
        raise _slug_taken_error() from error
    return process


def update_process(process: Process, data: Mapping[str, Any]) -> Process:
    """Apply `data` (any of the EDITABLE_FIELDS) to `process`; kind and slug stay as they are
    once it has been published. Nothing changes when a rule is broken."""
    current = editable_data(process)
    if process.status != "draft":
        for name in LOCKED_AFTER_PUBLISHING:
            if name in data and data[name] != current[name]:
                message = (
                    _l("The address cannot change once the process is published: links to it "
                       "are already out.")
                    if name == "slug"
                    else _l("The kind cannot change once the process is published.")
                )
                raise ProcessError(message, field=name)
    values = _clean(data, current)
    if "slug" in values and values["slug"] != process.slug:
        if _slug_taken(process.city_id, values["slug"], exclude_id=process.id):
            raise _slug_taken_error()
    try:
        with db.session.begin_nested():
            for name, value in values.items():
                setattr(process, name, value)
    except IntegrityError as error:
        raise _slug_taken_error() from error
    return process


def _refusal(process: Process, action: str, now: datetime) -> ProcessError | None:
    """Why `action` cannot apply to `process` now, or None when it can."""
    if action not in TRANSITIONS:
        return ProcessError(_l("Unknown action."))
    source, target = TRANSITIONS[action]
    if process.status != source:
        if process.status == target:
            # A second click on the same button, or two organisers at once: say so kindly.
            return ProcessError(_ALREADY_DONE[action], category="warning")
        return ProcessError(_WRONG_SOURCE[action])
    if action == "reopen" and process.closes_at is not None and process.closes_at <= now:
        return ProcessError(
            _l("The closing date of this process has passed. Edit the process and set a later "
               "closing date (or none), then reopen it.")
        )
    return None


def change_status(process: Process, action: str, now: datetime | None = None) -> Process:
    """Publish, close, reopen or archive `process` according to TRANSITIONS.

    The status is changed with a conditional UPDATE (`WHERE status = <from>`), so of two
    simultaneous requests only one succeeds; the other gets the "already" message.
    """
    now = now or utcnow()
    refusal = _refusal(process, action, now)
    if refusal is not None:
        raise refusal
    source, target = TRANSITIONS[action]
    values: dict[str, Any] = {"status": target}
    if action == "publish":
        values["published_at"] = now
    result = db.session.execute(
        update(Process)
        .where(Process.id == process.id, Process.status == source)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(process)
        raise _refusal(process, action, now) or ProcessError(
            _ALREADY_DONE[action], category="warning"
        )
    db.session.refresh(process)
    return process


# ---------------------------------------------------------------- figures


@dataclass(frozen=True)
class Participation:
    """A city's participation figures."""

    open_processes: int = 0
    contributions: int = 0
    participants: int = 0


def participation_figures(city_ids: Iterable[int]) -> dict[int, Participation]:
    """{city_id: Participation} in three grouped queries, whatever the number of cities."""
    ids = list(city_ids)
    if not ids:
        return {}
    open_counts = dict(
        db.session.execute(
            select(Process.city_id, func.count())
            .where(Process.city_id.in_(ids), Process.is_open)
            .group_by(Process.city_id)
        ).all()
    )
    published = Contribution.status == "published"
    contribution_counts = dict(
        db.session.execute(
            select(Contribution.city_id, func.count())
            .where(Contribution.city_id.in_(ids), published)
            .group_by(Contribution.city_id)
        ).all()
    )
    participant_counts = dict(
        db.session.execute(
            select(Contribution.city_id, func.count(func.distinct(Contribution.author_id)))
            .where(Contribution.city_id.in_(ids), published)
            .group_by(Contribution.city_id)
        ).all()
    )
    return {
        city_id: Participation(
            open_counts.get(city_id, 0),
            contribution_counts.get(city_id, 0),
            participant_counts.get(city_id, 0),
        )
        for city_id in ids
    }


def current_processes_by_city(city_ids: Iterable[int]) -> dict[int, list[Process]]:
    """{city_id: [open and upcoming published processes]} in one query, soonest closing first."""
    ids = list(city_ids)
    result: dict[int, list[Process]] = {city_id: [] for city_id in ids}
    if not ids:
        return result
    now = utcnow()
    query = (
        select(Process)
        .where(
            Process.city_id.in_(ids),
            Process.status == "published",
            (Process.closes_at.is_(None)) | (Process.closes_at > now),
        )
        .order_by(Process.closes_at.is_(None), Process.closes_at, Process.id)
    )
    for process in db.session.scalars(query):
        result[process.city_id].append(process)
    return result


# ---------------------------------------------------------------- what became of my input

INPUT_PAGE_SIZE = 30
INPUT_KINDS = {
    "idea": _l("Idea"),
    "comment": _l("Comment"),
    "answer": _l("Answer"),
    "observation": _l("Observation"),
}


@dataclass
class InputEntry:
    """One piece of a person's input, with what became of it."""

    contribution: Contribution
    process: Process
    citation: str | None  # its citation tag, when it can be cited
    decision: Any  # the latest moderation decision (core.audit.ModerationAction) or None
    cited_in: list[Any]  # core.citations.CitedIn


def input_of(user: Any, page: int = 1) -> tuple[list[InputEntry], int]:
    """A person's input, newest first, one page (and the number of pages): its status, the
    reason of the last moderation decision, and the published summaries that cite it. A
    constant number of queries per page."""
    from engage.core import citations
    from engage.core.audit import ModerationAction

    conditions = (Contribution.author_id == user.id, Contribution.status != "deleted")
    total = db.session.scalar(select(func.count()).select_from(Contribution)
                              .where(*conditions)) or 0
    pages = max((total + INPUT_PAGE_SIZE - 1) // INPUT_PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        select(Contribution, Process).join(Process, Process.id == Contribution.process_id)
        .where(*conditions).order_by(Contribution.created_at.desc(), Contribution.id.desc())
        .limit(INPUT_PAGE_SIZE).offset((page - 1) * INPUT_PAGE_SIZE)).all()
    ids = [contribution.id for contribution, _ in rows]
    tags = citations.tags_for((c.id, c.kind) for c, _ in rows)
    latest = (select(func.max(ModerationAction.id))
              .where(ModerationAction.contribution_id.in_(ids),
                     ModerationAction.status_after != "")
              .group_by(ModerationAction.contribution_id))
    decisions = {action.contribution_id: action for action in db.session.scalars(
        select(ModerationAction).where(ModerationAction.id.in_(latest)))} if ids else {}
    cited: dict[int, list[Any]] = {}
    by_kind: dict[str, dict[int, int]] = {}
    for contribution_id, tag in tags.items():
        kind, number = tag.strip("[]").split(":")
        by_kind.setdefault(kind, {})[int(number)] = contribution_id
    for kind, numbers in by_kind.items():
        for number, places in citations.cited_in(kind, numbers).items():
            cited[numbers[number]] = places
    return [InputEntry(contribution=c, process=p, citation=tags.get(c.id),
                       decision=decisions.get(c.id), cited_in=cited.get(c.id, []))
            for c, p in rows], pages
