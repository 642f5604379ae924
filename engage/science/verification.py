"""Verifying a campaign's observations: the verifiers' decisions (accepted, needs checking,
rejected — with a reason the observer sees — or back to not checked), one at a time or in bulk,
the verification queue with its filters, and the counts by status and by automatic flag.

The automatic flags are computed at capture (`observations`); here they are only read. Every
decision is a conditional UPDATE on the observation's id and the status the verifier saw, so of
a double click or two verifiers deciding at once exactly one decision happens and the other is
told why not; each decision is recorded in the audit trail (`core.audit`) as
`verify:<before>><after>` with its reason, and raises the campaign's data version (the public
map, charts and exports show accepted observations by default).

Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, case, cast, exists, func, select, update
from sqlalchemy.orm import selectinload

from engage.core import audit
from engage.core.db import utcnow
from engage.core.pagination import DEFAULT_PER_PAGE, Page, paginate
from engage.extensions import db
from engage.science.models import (
    FLAGS,
    STATUSES,
    Field,
    FieldOption,
    Observation,
    ObservationPhoto,
    ObservationValue,
    ScienceSettings,
)
from engage.science.permissions import can_verify
from engage.science.versions import data_changed

REASON_MAX = 1000
# The decisions that must say why (the observer sees the reason).
NEEDS_REASON = ("needs_checking", "rejected")
AUDIT_PREFIX = "verify:"
AUDIT_TARGET = "observation"
BULK_MAX = 100


class VerificationError(Exception):
    """A refused decision: `message` (lazy, shown to the verifier) and the form `field` at
    fault, if any."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def clean_reason(reason: Any) -> str:
    """The reason as plain text: a string, trimmed, control characters (but line breaks)
    removed. It is stored as typed and always escaped when shown."""
    if not isinstance(reason, str):
        return ""
    kept = "".join(ch for ch in reason if ch in "\n\t" or ch.isprintable())
    return kept.replace("\r", "").strip()


def _check_decision(user: Any, observation: Observation, status: Any, reason: Any) -> str:
    if not isinstance(status, str) or status not in STATUSES:
        raise VerificationError(_l("Choose accepted, needs checking or rejected."),
                                field="status")
    if not can_verify(user, observation.process):
        raise VerificationError(_l("Only this campaign's verifiers can do this."))
    reason = clean_reason(reason)
    if len(reason) > REASON_MAX:
        raise VerificationError(_l("At most %(max)s characters.", max=REASON_MAX),
                                field="reason")
    if status in NEEDS_REASON and not reason:
        raise VerificationError(_l("Give a reason: the observer will see it."),
                                field="reason")
    return reason


def verify(user: Any, observation: Observation, status: Any, reason: Any = "",
           seen: str | None = None) -> Observation:
    """Decide on one observation: `status` one of STATUSES (pending puts it back among the
    unchecked), `reason` required for needs checking and rejected (≤ REASON_MAX characters of
    plain text). `seen` is the status the verifier saw (default: the loaded one); if the
    observation is no longer in it — someone else decided meanwhile — nothing changes and a
    VerificationError says so. Recorded in the audit trail; raises the data version."""
    reason = _check_decision(user, observation, status, reason)
    before = seen if seen in STATUSES else observation.status
    if status == before and reason == (observation.reason or "") \
            and observation.status == before:
        raise VerificationError(
            _l("This observation is already “%(status)s”.", status=STATUSES[status]))
    decided = status != "pending"
    changed = db.session.execute(
        update(Observation)
        .where(Observation.id == observation.id, Observation.status == before)
        .values(status=status, reason=reason,
                verified_by_id=user.id if decided else None,
                verified_at=utcnow() if decided else None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(observation, attribute_names=[
        "status", "reason", "verified_by_id", "verified_at", "updated_at"])
    if not changed:
        raise VerificationError(_l(
            "This observation was decided meanwhile (perhaps by another verifier): it is now "
            "“%(status)s”. Nothing was changed.",
            status=STATUSES.get(observation.status, observation.status)))
    data_changed(observation.process_id)
    audit.record(user, f"{AUDIT_PREFIX}{before}>{status}", AUDIT_TARGET, observation.id,
                 observation.city_id, reason)
    return observation


@dataclass
class Outcome:
    """One observation's result in a bulk decision: `error` is None when it was decided."""

    observation: Observation
    error: Any = None

    @property
    def done(self) -> bool:
        return self.error is None


def verify_many(user: Any, observations: Iterable[Observation], status: Any,
                reason: Any = "", seen: str | None = None) -> list[Outcome]:
    """The same decision on several observations (at most BULK_MAX), each on its own: one
    already decided by someone else is reported, not overwritten, and does not stop the
    others."""
    observations = list(observations)
    if len(observations) > BULK_MAX:
        raise VerificationError(_l("At most %(max)s observations at once.", max=BULK_MAX))
    outcomes = []
    for observation in observations:
        try:
            verify(user, observation, status, reason, seen=seen)
        except VerificationError as error:
            outcomes.append(Outcome(observation, error.message))
        else:
            outcomes.append(Outcome(observation))
    return outcomes


# ---------------------------------------------------------------- the queue


def _flag_condition(flag: str):  # noqa: ANN202
    # The flags are a JSON list of known codes; its text holds each as "code" on both
    # databases, so a LIKE over one campaign's rows finds them without JSON functions.
    return cast(Observation.flags, String).contains(f'"{flag}"', autoescape=True)


@dataclass
class Queue:
    """A page of observations with everything to show them, loaded in bulk: their values by
    observation id, photos by observation id, the campaign's fields (with options) in order,
    options by id, the settings (for pseudonyms)."""

    page: Page
    fields: list[Field]
    settings: ScienceSettings | None
    values: dict[int, list[ObservationValue]] = field(default_factory=dict)
    photos: dict[int, list[ObservationPhoto]] = field(default_factory=dict)
    options: dict[int, FieldOption] = field(default_factory=dict)


def queue_statement(process: Any, status: str | None = None, flag: str | None = None,
                    field_id: int | None = None, option_id: int | None = None,
                    since: datetime | None = None, until: datetime | None = None):  # noqa: ANN201
    """The campaign's observations matching the filters, oldest first (unknown status or
    flag codes are ignored)."""
    statement = select(Observation).where(Observation.process_id == process.id)
    if status in STATUSES:
        statement = statement.where(Observation.status == status)
    if flag in FLAGS:
        statement = statement.where(_flag_condition(flag))
    if field_id is not None:
        conditions = [ObservationValue.observation_id == Observation.id,
                      ObservationValue.field_id == field_id]
        if option_id is not None:
            conditions.append(ObservationValue.option_id == option_id)
        statement = statement.where(exists().where(and_(*conditions)))
    if since is not None:
        statement = statement.where(Observation.observed_at >= since)
    if until is not None:
        statement = statement.where(Observation.observed_at < until)
    return statement.order_by(Observation.observed_at, Observation.id)


def details(process: Any, observations: list[Observation],
            page: Page | None = None) -> Queue:
    """`observations` with everything to show them, in five statements whatever their
    number: fields, options, settings, values, photos."""
    ids = [observation.id for observation in observations]
    fields = list(db.session.scalars(
        select(Field).where(Field.process_id == process.id)
        .options(selectinload(Field.options)).order_by(Field.position, Field.id)))
    if page is None:
        page = Page(items=list(observations), number=1, per_page=max(len(ids), 1),
                    total=len(ids))
    result = Queue(page=page, fields=fields,
                   settings=db.session.get(ScienceSettings, process.id))
    result.options = {option.id: option for f in fields for option in f.options}
    if ids:
        for value in db.session.scalars(
            select(ObservationValue).where(ObservationValue.observation_id.in_(ids))
            .order_by(ObservationValue.id)
        ):
            result.values.setdefault(value.observation_id, []).append(value)
        for photo in db.session.scalars(
            select(ObservationPhoto).where(ObservationPhoto.observation_id.in_(ids))
            .order_by(ObservationPhoto.observation_id, ObservationPhoto.position)
        ):
            result.photos.setdefault(photo.observation_id, []).append(photo)
    return result


def queue(process: Any, status: str | None = None, flag: str | None = None,
          field_id: int | None = None, option_id: int | None = None,
          since: datetime | None = None, until: datetime | None = None, page: int = 1,
          per_page: int = DEFAULT_PER_PAGE) -> Queue:
    """One page of the verification queue, in a constant number of statements whatever the
    page holds: count, page, then `details`."""
    found = paginate(queue_statement(process, status, flag, field_id, option_id, since, until),
                     page, per_page)
    return details(process, found.items, found)


def counts(process: Any, status: str | None = None) -> dict[str, dict[str, int]]:
    """{"status": {status: n}} over the whole campaign and {"flags": {flag: n}} among the
    observations of `status` (all when None): two statements."""
    by_status = dict.fromkeys(STATUSES, 0)
    for found, number in db.session.execute(
        select(Observation.status, func.count()).where(Observation.process_id == process.id)
        .group_by(Observation.status)
    ):
        by_status[found] = number
    statement = select(*[
        func.coalesce(func.sum(case((_flag_condition(flag), 1), else_=0)), 0)
        for flag in FLAGS
    ]).where(Observation.process_id == process.id)
    if status in STATUSES:
        statement = statement.where(Observation.status == status)
    row = db.session.execute(statement).one()
    return {"status": by_status,
            "flags": {flag: int(number or 0) for flag, number in zip(FLAGS, row, strict=True)}}


def history(observation: Observation) -> list[audit.ModerationAction]:
    """The observation's audit entries (its decisions), oldest first."""
    return list(db.session.scalars(
        select(audit.ModerationAction)
        .where(audit.ModerationAction.target_type == AUDIT_TARGET,
               audit.ModerationAction.target_id == observation.id,
               audit.ModerationAction.city_id == observation.city_id)
        .order_by(audit.ModerationAction.created_at, audit.ModerationAction.id)))


def describe_action(action: str) -> tuple[str, str] | None:
    """(before, after) of a `verify:` audit action, or None for another kind of action."""
    if not action.startswith(AUDIT_PREFIX) or ">" not in action:
        return None
    before, _, after = action[len(AUDIT_PREFIX):].partition(">")
    return before, after
