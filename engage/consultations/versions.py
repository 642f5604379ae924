"""The results version of a consultation: `ConsultationSettings.results_version`, raised once in
every committed transaction that changes anything the results page shows, so each worker's
cached rendering of the page (`results.cached_body`) can be checked with the settings row the
request reads anyway, instead of aggregating the responses on every request.

What raises it:

- the ORM unit of work, watched by `after_flush`: a new or deleted Response (a new draft changes
  the completion rate), a changed Response that is or was submitted, any new, changed or deleted
  Section, Question or Option, the settings themselves, and a free-text answer's Contribution;
- `results_changed(process_id)`, for the writes that go around the unit of work with an UPDATE
  or DELETE statement (submitting, moderating a free-text answer, the demo data). Code that
  changes responses, answers or their contributions with statements must call it.

The raise itself is one `INSERT ... ON CONFLICT DO UPDATE` per changed process, run in
`before_commit` (after a last flush), so several changes in one transaction raise the version
once and a rolled-back transaction raises nothing. A settings row is created for a consultation
that had none (with the defaults `services.settings_for` shows anyway).
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from engage.consultations.models import (
    ConsultationSettings,
    Option,
    Question,
    Response,
    Section,
)
from engage.core.db import increment
from engage.processes.models import Contribution

_CHANGED = "consultation_results_changed"


def results_changed(process_id: int, session: Session | None = None) -> None:
    """Note that `process_id`'s results change in the current transaction."""
    if session is None:
        from engage.extensions import db

        session = db.session()
    session.info.setdefault(_CHANGED, set()).add(process_id)


def _status_was_or_is_submitted(response: Response) -> bool:
    history = inspect(response).attrs.status.history
    return response.status == "submitted" or "submitted" in (history.deleted or ())


def _process_of(session: Session, obj: Any, deleted: bool) -> int | None:
    if isinstance(obj, Response):
        if deleted or obj in session.new or _status_was_or_is_submitted(obj):
            return obj.process_id
        return None
    if isinstance(obj, Section | Question | ConsultationSettings):
        return obj.process_id
    if isinstance(obj, Option):
        question = session.get(Question, obj.question_id) if obj.question_id else None
        return question.process_id if question is not None else None
    if isinstance(obj, Contribution) and obj.kind == "answer":
        return obj.process_id
    return None


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context: Any) -> None:
    deleted = set(session.deleted)
    for obj in chain(session.new, session.dirty, deleted):
        if obj in session.dirty and not session.is_modified(obj):
            continue
        process_id = _process_of(session, obj, obj in deleted)
        if process_id is not None:
            results_changed(process_id, session)


@event.listens_for(Session, "before_commit")
def _raise_versions(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()
    changed = session.info.pop(_CHANGED, None)
    if not changed:
        return
    for process_id in sorted(changed):
        increment(ConsultationSettings, {"process_id": process_id}, "results_version",
                  session=session)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)
