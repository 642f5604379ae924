"""Answering a consultation: reading a section's answers from a form, checking them on the
server (every rule the browser may also check, and the ones it cannot), evaluating the
conditions, saving drafts page by page, submitting, and paper responses typed in by organisers.

Values, by question type, once read and checked (`parse_section`):
single → (option id or None, "Other" text or None); multiple → (list of option ids, "Other"
text or None); scale → int; number → float; yes_no → bool; ranking → option ids, first to
last; short_text / long_text → str; matrix → {row id: option id}; info (consent) → True.

Form fields: `q<id>` (single, multiple, scale, number, yes_no, texts, info), `q<id>_other`
(the "Other" text), `q<id>_r<option id>` (the rank given to an option), `q<id>_row<row id>`
(a matrix row's column). Fields of questions not on the page, or hidden by a condition, are
never read, so a forged or hidden answer is never stored.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from engage.consultations.models import (
    LONG_TEXT_MAX,
    SHORT_TEXT_MAX,
    TEXT_TYPES,
    Answer,
    Question,
    Response,
    Section,
)
from engage.consultations.versions import results_changed
from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Contribution, Process


class ResponseError(Exception):
    """An answer or a response was refused; nothing was changed."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Page:
    """One section of the questionnaire with its questions (options loaded)."""

    section: Section
    questions: list[Question]


@dataclass
class Parsed:
    values: dict[int, Any] = field(default_factory=dict)
    errors: dict[int, Any] = field(default_factory=dict)  # translatable messages


# ---------------------------------------------------------------- structure and conditions


def pages(process: Process) -> list[Page]:
    """The questionnaire's sections in order, each with its questions in order and their
    options: three queries."""
    from engage.consultations.services import questionnaire

    return [Page(view.section, list(view.questions)) for view in questionnaire(process).sections]


def _chosen(value: Any, question: Question) -> set[int]:
    if value is None:
        return set()
    if question.type == "single":
        return {value[0]} if value[0] is not None else set()
    if question.type == "multiple":
        return set(value[0])
    return set()


def _met(condition: Mapping | None, values: Mapping[int, Any],
         questions: Mapping[int, Question], visible: set[int]) -> bool:
    if not condition:
        return True
    source = condition.get("question")
    if source not in visible or source not in questions:
        return False
    wanted = set(condition.get("options") or ())
    return bool(_chosen(values.get(source), questions[source]) & wanted)


def visibility(structure: list[Page], values: Mapping[int, Any]) -> tuple[set[int], set[int]]:
    """(visible section ids, visible question ids) given the answers so far: a condition holds
    when its (earlier, itself visible) question has one of its options chosen."""
    questions = {q.id: q for page in structure for q in page.questions}
    sections: set[int] = set()
    visible: set[int] = set()
    for page in structure:
        if not _met(page.section.condition, values, questions, visible):
            continue
        sections.add(page.section.id)
        for question in page.questions:
            if _met(question.condition, values, questions, visible):
                visible.add(question.id)
    return sections, visible


# ---------------------------------------------------------------- reading one section


MSG_REQUIRED = _l("Please answer this question.")
MSG_OPTION = _l("Choose one of the options listed.")


def _text(form: Mapping, name: str) -> str:
    value = form.get(name) or ""
    return value.strip() if isinstance(value, str) else ""


def _option_ids(question: Question, role: str = "option") -> dict[int, Any]:
    return {o.id: o for o in question.options if o.role == role}


def _as_id(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _read(question: Question, form: Any) -> tuple[Any, Any]:
    """(value or None when unanswered, error message or None) for one question."""
    name = f"q{question.id}"
    settings = question.settings or {}
    kind = question.type
    if kind == "single":
        raw = _text(form, name)
        other = _text(form, f"{name}_other") if settings.get("other") else ""
        if raw in ("", None) and not other:
            return None, None
        if raw == "other" and settings.get("other"):
            if not other:
                return None, _l("Please say what “Other” is.")
            return (None, other[:SHORT_TEXT_MAX]), None
        option = _as_id(raw)
        if option not in _option_ids(question):
            return None, MSG_OPTION
        return (option, None), None
    if kind == "multiple":
        raws = [r for r in form.getlist(name) if r != "other"] if hasattr(form, "getlist") else []
        other_ticked = hasattr(form, "getlist") and "other" in form.getlist(name)
        other = _text(form, f"{name}_other") if settings.get("other") else ""
        ids = [_as_id(r) for r in raws]
        allowed = _option_ids(question)
        if any(i not in allowed for i in ids) or len(set(ids)) != len(ids):
            return None, MSG_OPTION
        if other_ticked and settings.get("other") and not other:
            return None, _l("Please say what “Other” is.")
        count = len(ids) + (1 if other else 0)
        if count == 0:
            return None, None
        low, high = settings.get("min"), settings.get("max")
        if high and count > high:
            return None, _l("Choose at most %(max)s options.", max=high)
        if low and count < low:
            return None, _l("Choose at least %(min)s options.", min=low)
        return (ids, other[:SHORT_TEXT_MAX] or None), None
    if kind == "scale":
        raw = _text(form, name)
        if raw == "":
            return None, None
        value = _as_id(raw)
        low, high = settings.get("min", 1), settings.get("max", 5)
        if value is None or not low <= value <= high:
            return None, _l("Choose a value from %(min)s to %(max)s.", min=low, max=high)
        return value, None
    if kind == "number":
        raw = _text(form, name).replace(",", ".")
        if raw == "":
            return None, None
        try:
            value = float(raw)
        except ValueError:
            return None, _l("Enter a number.")
        if not math.isfinite(value):
            return None, _l("Enter a number.")
        decimals = int(settings.get("decimals") or 0)
        if round(value, decimals) != value:
            if decimals == 0:
                return None, _l("Enter a whole number.")
            return None, _l("Use at most %(decimals)s decimals.", decimals=decimals)
        low, high = settings.get("min"), settings.get("max")
        if low is not None and value < low or high is not None and value > high:
            if low is not None and high is not None:
                return None, _l("Enter a number from %(min)s to %(max)s.",
                                min=_number(low), max=_number(high))
            if low is not None:
                return None, _l("Enter a number of at least %(min)s.", min=_number(low))
            return None, _l("Enter a number of at most %(max)s.", max=_number(high))
        return value, None
    if kind == "yes_no":
        raw = _text(form, name)
        if raw == "":
            return None, None
        if raw not in ("yes", "no"):
            return None, MSG_OPTION
        return raw == "yes", None
    if kind in TEXT_TYPES:
        value = _text(form, name)
        if not value:
            return None, None
        limit = min(int(settings.get("max_length") or 0) or
                    (SHORT_TEXT_MAX if kind == "short_text" else LONG_TEXT_MAX),
                    SHORT_TEXT_MAX if kind == "short_text" else LONG_TEXT_MAX)
        if len(value) > limit:
            return None, _l("At most %(max)s characters.", max=limit)
        return value, None
    if kind == "ranking":
        options = _option_ids(question)
        ranks: dict[int, int] = {}
        for option_id in options:
            raw = _text(form, f"{name}_r{option_id}")
            if raw:
                rank = _as_id(raw)
                if rank is None or not 1 <= rank <= len(options):
                    return None, _l("Give each item a different place from 1 to %(n)s.",
                                    n=len(options))
                ranks[option_id] = rank
        if not ranks:
            return None, None
        if len(ranks) != len(options) or len(set(ranks.values())) != len(options):
            return None, _l("Give each item a different place from 1 to %(n)s.", n=len(options))
        return [option for option, _ in sorted(ranks.items(), key=lambda item: item[1])], None
    if kind == "matrix":
        rows, columns = _option_ids(question, "row"), _option_ids(question)
        chosen: dict[int, int] = {}
        for row_id in rows:
            raw = _text(form, f"{name}_row{row_id}")
            if raw:
                column = _as_id(raw)
                if column not in columns:
                    return None, MSG_OPTION
                chosen[row_id] = column
        if not chosen:
            return None, None
        if question.required and len(chosen) != len(rows):
            return None, _l("Please answer every row.")
        return chosen, None
    if kind == "info":
        if not (question.settings or {}).get("consent"):
            return None, None
        return (True, None) if _text(form, name) == "agree" else (None, None)
    return None, None


def _number(value: float) -> str:
    return f"{value:g}"


def parse_section(structure: list[Page], page: Page, form: Any,
                  earlier: Mapping[int, Any]) -> Parsed:
    """Read and check the answers to `page` from `form`, given the answers to the other
    sections (`earlier`): only questions visible with these answers are read; a required one
    left empty is an error (consent blocks need "I agree")."""
    parsed = Parsed()
    values = dict(earlier)
    for question in page.questions:
        values.pop(question.id, None)
    # Read in order, so a condition on an earlier question of the same page sees its answer.
    for question in page.questions:
        value, error = _read(question, form)
        if value is not None:
            values[question.id] = value
    _, visible = visibility(structure, values)
    for question in page.questions:
        if question.id not in visible or question.type == "info" and not (
                question.settings or {}).get("consent"):
            continue
        value, error = _read(question, form)
        if error:
            parsed.errors[question.id] = error
        elif value is None:
            if question.required or question.type == "info":
                parsed.errors[question.id] = (
                    _l("Please tick “I agree” to continue.") if question.type == "info"
                    else MSG_REQUIRED)
        else:
            parsed.values[question.id] = value
    return parsed


# ---------------------------------------------------------------- stored answers


def _rows_for(question: Question, value: Any) -> list[dict[str, Any]]:
    kind = question.type
    if kind == "single":
        option, other = value
        return [{"option_id": option, "text": other}]
    if kind == "multiple":
        ids, other = value
        rows = [{"option_id": option} for option in ids]
        if other:
            rows.append({"option_id": None, "text": other})
        return rows
    if kind in ("scale", "number"):
        return [{"number": float(value)}]
    if kind == "yes_no":
        return [{"number": 1.0 if value else 0.0}]
    if kind == "ranking":
        return [{"option_id": option, "rank": n} for n, option in enumerate(value, start=1)]
    if kind in TEXT_TYPES:
        return [{"text": value}]
    if kind == "matrix":
        return [{"row_id": row, "option_id": column} for row, column in value.items()]
    if kind == "info":
        return [{"number": 1.0}]
    return []


def stored_values(structure: list[Page], response: Response) -> dict[int, Any]:
    """The response's answers as values (the same shapes `parse_section` gives): one query."""
    questions = {q.id: q for page in structure for q in page.questions}
    grouped: dict[int, list[Answer]] = {}
    for answer in db.session.scalars(
        select(Answer).where(Answer.response_id == response.id).order_by(Answer.id)
    ):
        grouped.setdefault(answer.question_id, []).append(answer)
    values: dict[int, Any] = {}
    for question_id, answers in grouped.items():
        question = questions.get(question_id)
        if question is None:
            continue
        kind = question.type
        if kind == "single":
            first = answers[0]
            values[question_id] = (first.option_id, first.text)
        elif kind == "multiple":
            other = next((a.text for a in answers if a.option_id is None), None)
            values[question_id] = ([a.option_id for a in answers if a.option_id is not None],
                                   other)
        elif kind == "scale":
            values[question_id] = int(answers[0].number)
        elif kind == "number":
            values[question_id] = answers[0].number
        elif kind == "yes_no":
            values[question_id] = bool(answers[0].number)
        elif kind == "ranking":
            values[question_id] = [a.option_id for a in sorted(answers, key=lambda a: a.rank)]
        elif kind in TEXT_TYPES:
            values[question_id] = answers[0].text
        elif kind == "matrix":
            values[question_id] = {a.row_id: a.option_id for a in answers}
        elif kind == "info":
            values[question_id] = True
    return values


def _replace_answers(response: Response, questions: Iterable[Question],
                     values: Mapping[int, Any]) -> None:
    ids = [q.id for q in questions]
    if ids:
        replaced = (Answer.response_id == response.id, Answer.question_id.in_(ids))
        # A replaced free text leaves moderation and the synthesis with it: its Contribution
        # is marked deleted (kept, like every deleted contribution), the new text gets its own.
        db.session.execute(
            update(Contribution)
            .where(Contribution.id.in_(select(Answer.contribution_id).where(*replaced)))
            .values(status="deleted")
            .execution_options(synchronize_session=False)
        )
        db.session.execute(delete(Answer).where(*replaced))
    rows = [
        {"response_id": response.id, "question_id": q.id, **row}
        for q in questions if q.id in values for row in _rows_for(q, values[q.id])
    ]
    if rows:
        db.session.execute(Answer.__table__.insert(), [
            {"option_id": None, "row_id": None, "rank": None, "number": None, "text": None,
             "contribution_id": None, "created_at": utcnow(), **row}
            for row in rows
        ])


def save_section(structure: list[Page], response: Response, page: Page,
                 values: Mapping[int, Any]) -> dict[int, Any]:
    """Store a checked page of answers (replacing that page's earlier ones) and drop answers
    that the new answers hid through a condition. Returns all the response's values."""
    if response.is_submitted and not response.process.is_open:
        raise ResponseError(_l("This consultation is closed; answers can no longer change."))
    everything = stored_values(structure, response)
    for question in page.questions:
        everything.pop(question.id, None)
    everything.update(values)
    _, visible = visibility(structure, everything)
    hidden = [q for p in structure for q in p.questions
              if q.id in everything and q.id not in visible]
    _replace_answers(response, page.questions + hidden, {
        qid: value for qid, value in everything.items() if qid in visible
    })
    if response.is_submitted:
        _sync_texts(structure, response)
    response.updated_at = utcnow()
    db.session.flush()
    return {qid: value for qid, value in everything.items() if qid in visible}


def missing_required(structure: list[Page], values: Mapping[int, Any]) -> list[Question]:
    """The visible required questions (and consent blocks) still unanswered, in order."""
    _, visible = visibility(structure, values)
    return [
        q for page in structure for q in page.questions
        if q.id in visible and q.id not in values
        and (q.required or q.type == "info" and (q.settings or {}).get("consent"))
    ]


# ---------------------------------------------------------------- responses


def new_token() -> str:
    return secrets.token_urlsafe(32)


def find_response(process: Process, user: Any = None, token: str | None = None
                  ) -> Response | None:
    """The response of a signed-in person, or of an anonymous visitor by their token."""
    if user is not None and getattr(user, "is_authenticated", False):
        return db.session.scalars(
            select(Response).where(Response.process_id == process.id,
                                   Response.user_id == user.id)
        ).first()
    if token:
        return db.session.scalars(
            select(Response).where(Response.process_id == process.id, Response.token == token,
                                   Response.user_id.is_(None))
        ).first()
    return None


def start_response(process: Process, user: Any = None, language: str = "ro") -> Response:
    """A new draft for `user` (or an anonymous one with a fresh token); a signed-in person's
    existing response is returned instead of a second one, even when two tabs start at once."""
    if not process.is_open:
        raise ResponseError(_l("This consultation is not open."))
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    response = Response(
        process_id=process.id, city_id=process.city_id,
        user_id=user.id if signed_in else None, channel="online", status="draft",
        language=language if language in current_app.config["LANGUAGES"] else "ro",
        token=None if signed_in else new_token(), profile={},
    )
    if signed_in:
        from sqlalchemy.exc import IntegrityError

        try:
            with db.session.begin_nested():
                db.session.add(response)
        except IntegrityError:
            existing = find_response(process, user)
            if existing is None:
                raise
            return existing
    else:
        db.session.add(response)
    db.session.flush()
    return response


def _sync_texts(structure: list[Page], response: Response) -> None:
    """Free-text answers of a submitted response are Contribution rows (moderation, synthesis):
    create them for new text answers; a changed text goes back through moderation."""
    process = response.process
    status = "pending" if process.moderation_mode == "pre" else "published"
    texts = db.session.scalars(
        select(Answer).join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id == response.id, Question.type.in_(TEXT_TYPES),
               Answer.contribution_id.is_(None))
    ).all()
    for answer in texts:
        contribution = Contribution(
            kind="answer", process_id=process.id, city_id=process.city_id,
            author_id=response.user_id, language=response.language, text=answer.text or "",
            status=status,
        )
        db.session.add(contribution)
        db.session.flush()
        answer.contribution_id = contribution.id
    db.session.flush()


def profile_choices(process: Process) -> dict[str, list[tuple[str, str]]]:
    """The profile questions the consultation asks, each with its (value, label) choices."""
    from engage.accounts.models import STAKEHOLDER_TYPES
    from engage.consultations.models import AGE_BANDS
    from engage.consultations.services import settings_for

    settings = settings_for(process)
    lists = {
        "age_band": [(code, str(label)) for code, label in AGE_BANDS.items()],
        "stakeholder_type": [(code, str(label)) for code, label in STAKEHOLDER_TYPES.items()],
        "neighbourhood": [(line.strip(), line.strip())
                          for line in (settings.neighbourhoods or "").splitlines()
                          if line.strip()],
    }
    return {key: lists[key] for key in settings.profile_questions or () if key in lists}


def check_profile(process: Process, profile: Mapping[str, Any]) -> dict[str, str]:
    """The profile answers the consultation asks for, checked against their allowed values
    (the choices `profile_choices` offers)."""
    cleaned: dict[str, str] = {}
    for key, choices in profile_choices(process).items():
        value = (profile.get(key) or "").strip()
        if not value:
            continue
        if value not in {code for code, _ in choices}:
            raise ResponseError(MSG_OPTION, field=f"profile_{key}")
        cleaned[key] = value
    return cleaned


def submit(structure: list[Page], response: Response) -> str:
    """Submit the response once every visible required question is answered. Returns
    "submitted" (first time), "changed" (answers changed since the last submission, which
    counts as the new one) or "unchanged" (a double click: nothing happens). Raises
    ResponseError naming the first unanswered question."""
    if not response.process.is_open:
        raise ResponseError(_l("This consultation is closed; answers can no longer change."))
    values = stored_values(structure, response)
    missing = missing_required(structure, values)
    if missing:
        raise ResponseError(_l("Please answer every required question first."),
                            field=f"q{missing[0].id}")
    now = utcnow()
    first = db.session.execute(
        update(Response)
        .where(Response.id == response.id, Response.status == "draft")
        .values(status="submitted", submitted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    changed = not first and db.session.execute(
        update(Response)
        .where(Response.id == response.id, Response.status == "submitted",
               Response.updated_at > Response.submitted_at)
        .values(submitted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(response)
    _sync_texts(structure, response)
    if first or changed:
        results_changed(response.process_id)
    return "submitted" if first else "changed" if changed else "unchanged"


# ---------------------------------------------------------------- paper responses


def enter_paper_response(structure: list[Page], process: Process, organiser: Any,
                         form: Any, channel: str = "paper",
                         profile: Mapping[str, Any] | None = None) -> tuple[Response | None,
                                                                               dict[int, str]]:
    """A response collected on paper or at a stand, typed in by an organiser in one form: every
    section is read and checked like a citizen's; with any error nothing is stored and the
    errors are returned by question id."""
    from engage.consultations.models import CHANNELS

    if channel not in CHANNELS or channel == "online":
        raise ResponseError(_l("Choose paper or information stand."), field="channel")
    if process.status not in ("published", "closed"):
        raise ResponseError(_l("Responses can be added only to a published or closed "
                               "consultation."))
    values: dict[int, Any] = {}
    errors: dict[int, str] = {}
    for page in structure:
        parsed = parse_section(structure, page, form, values)
        values.update(parsed.values)
        errors.update(parsed.errors)
    sections, _ = visibility(structure, values)
    errors = {
        qid: message for qid, message in errors.items()
        if any(p.section.id in sections and any(q.id == qid for q in p.questions)
               for p in structure)
    }
    if errors:
        return None, errors
    cleaned_profile = check_profile(process, profile or {})
    now = utcnow()
    response = Response(
        process_id=process.id, city_id=process.city_id, user_id=None,
        entered_by_id=getattr(organiser, "id", None), channel=channel, status="submitted",
        language="ro", token=None, profile=cleaned_profile, submitted_at=now,
    )
    db.session.add(response)
    db.session.flush()
    _, visible = visibility(structure, values)
    questions = [q for page in structure for q in page.questions]
    _replace_answers(response, questions, {k: v for k, v in values.items() if k in visible})
    _sync_texts(structure, response)
    return response, {}


# ---------------------------------------------------------------- showing answers


def describe(question: Question, value: Any) -> str:
    """An answer in words, in the current language (review page, receipt, e-mail)."""
    from flask_babel import gettext

    from engage.core.i18n import localized

    if value is None:
        return ""
    labels = {o.id: str(localized(o, "label")) for o in question.options}
    kind = question.type
    if kind == "single":
        option, other = value
        return labels.get(option, "") if option is not None else f"{gettext('Other')}: {other}"
    if kind == "multiple":
        ids, other = value
        words = [labels.get(i, "") for i in ids]
        if other:
            words.append(f"{gettext('Other')}: {other}")
        return "; ".join(words)
    if kind == "scale":
        settings = question.settings or {}
        return gettext("%(value)s (from %(min)s to %(max)s)", value=value,
                       min=settings.get("min", 1), max=settings.get("max", 5))
    if kind == "number":
        unit = str(localized(settings_view(question.settings), "unit"))
        return f"{value:g} {unit}".strip()
    if kind == "yes_no":
        return gettext("Yes") if value else gettext("No")
    if kind == "ranking":
        return "; ".join(f"{n}. {labels.get(i, '')}" for n, i in enumerate(value, start=1))
    if kind in TEXT_TYPES:
        return str(value)
    if kind == "matrix":
        return "; ".join(f"{labels.get(row, '')}: {labels.get(column, '')}"
                         for row, column in value.items())
    if kind == "info":
        return gettext("I agree")
    return ""


def settings_view(settings: Mapping[str, Any] | None) -> Any:
    """A question's settings as attributes, so `localized(view, "unit")` reads `unit_ro` and
    `unit_en` (and the scale's `label_min_*` / `label_max_*`) like any bilingual field."""
    from types import SimpleNamespace

    return SimpleNamespace(**(settings or {}))


# ---------------------------------------------------------------- moderating free texts


# action -> (statuses it applies to, resulting status); the reason is required where the
# author is refused.
TEXT_MODERATION = {
    "approve": (("pending",), "published"),
    "reject": (("pending",), "rejected"),
    "hide": (("published",), "hidden"),
    "restore": (("hidden", "rejected"), "published"),
}


def moderate_text(moderator: Any, contribution: Contribution, action: str,
                  reason: Any = "") -> Contribution:
    """Approve, reject, hide or restore a free-text answer; recorded in the audit trail. Of two
    simultaneous decisions only one happens (a conditional UPDATE)."""
    from engage.cities.permissions import can_moderate
    from engage.core import audit

    if action not in TEXT_MODERATION:
        raise ResponseError(_l("Unknown action."))
    if contribution.kind != "answer":
        raise ResponseError(_l("Only free-text answers can be moderated here."))
    if not can_moderate(moderator, contribution.process.city):
        raise ResponseError(_l("Only the city's moderators can do this."))
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if len(reason) > 1000:
        raise ResponseError(_l("At most %(max)s characters.", max=1000), field="reason")
    if action in ("reject", "hide") and not reason:
        raise ResponseError(_l("Give a reason: it is kept in the audit log."), field="reason")
    sources, target = TEXT_MODERATION[action]
    before = contribution.status
    changed = db.session.execute(
        update(Contribution)
        .where(Contribution.id == contribution.id, Contribution.status.in_(sources))
        .values(status=target)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(contribution, attribute_names=["status"])
    if not changed:
        raise ResponseError(_l("This action does not apply to the answer in its current "
                               "state."))
    results_changed(contribution.process_id)
    audit.record(moderator, action, "answer", contribution.id, contribution.city_id, reason,
                 contribution_id=contribution.id, before=before, after=target)
    return contribution
