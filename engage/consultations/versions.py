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

The mechanism (raised once per transaction, just before the commit; nothing on a rollback; a
settings row created with the defaults `services.settings_for` shows anyway) is
`core.versions`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from engage.consultations.models import (
    ConsultationSettings,
    Option,
    Question,
    Response,
    Section,
)
from engage.core.signals import contribution_moderated
from engage.core.versions import Version
from engage.processes.models import Contribution


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


RESULTS = Version("consultation_results", ConsultationSettings, "results_version", _process_of)


def results_changed(process_id: int, session: Session | None = None) -> None:
    """Note that `process_id`'s results change in the current transaction."""
    RESULTS.changed(process_id, session)


@contribution_moderated.connect
def _answer_moderated(contribution: Contribution, before: str, after: str) -> None:
    """A decision on the moderation desk shows or hides a free-text answer in the results."""
    if contribution.kind == "answer":
        results_changed(contribution.process_id)
