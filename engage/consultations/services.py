"""The structure of a consultation's questionnaire (sections, questions, options, conditions)
and its settings: reading it in a few queries, and the organisers' operations on it.

Reading: `questionnaire(process)` returns a `Structure` — the ordered sections, each with its
ordered questions, each with its options loaded — in at most three queries, whatever its size.
The answering, results and import code read the questionnaire through it.

Writing: services take and return models and values, flush but never commit, and raise
ConsultationError (with a translatable message) when a rule refuses the operation, having
changed nothing: every check runs before the first change.

Texts are bilingual: the Romanian text is required, the English one optional (shown with the
Romanian text as a fallback, like every bilingual text of the app). Options and matrix rows are
given as lists of (label_ro, label_en) pairs.

Integrity after the first answer (`has_answers`): the questionnaire's structure is then locked.
Only texts may still be corrected — section titles and descriptions, question texts and help
texts, option and row labels (in place, same number, same order), the scale's end labels and a
number's unit. Everything else is refused: adding, deleting, moving or duplicating sections and
questions; changing a type, the required flag, a condition or a setting that changes what an
answer means (selection limits, scale range, number range and decimals, text length, "Other",
dropdown or radio, consent); adding, removing or reordering options and rows. In the settings,
who may answer and the profile questions are locked too, and neighbourhoods may only be added:
earlier responses were given under those rules. When results are public stays editable.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from engage.consultations.models import (
    CHOICE_TYPES,
    LONG_TEXT_MAX,
    PROFILE_QUESTIONS,
    QUESTION_TYPES,
    RESPONDENTS,
    RESULTS_VISIBILITY,
    SHORT_TEXT_MAX,
    TEXT_MAX,
    Answer,
    ConsultationSettings,
    Option,
    Question,
    Response,
    Section,
)
from engage.core.i18n import current_language, localized
from engage.extensions import db
from engage.processes.models import Process

QUESTION_TEXT_MAX = 2000
HELP_MAX = 2000
DESCRIPTION_MAX = 5000
UNIT_MAX = 30
NEIGHBOURHOOD_MAX = 100
MAX_NEIGHBOURHOODS = 200
MAX_SECTIONS = 50
MAX_QUESTIONS = 200
# Largest magnitude of a number question's bounds.
NUMBER_LIMIT = 1e12
DECIMALS_MAX = 4
SCALE_MINIMUMS = (0, 1)
SCALE_MAXIMUMS = (5, 10)
# Types whose answers are among its options, and (fewest, most) options each takes.
OPTION_LIMITS = {"single": (2, 50), "multiple": (2, 50), "ranking": (2, 10), "matrix": (2, 11)}
ROW_LIMITS = {"matrix": (1, 30)}
OPTION_TYPES = tuple(OPTION_LIMITS)
DIRECTIONS = ("up", "down")

# Every key of a question's `settings` by type, with its default (see models.py).
SETTING_DEFAULTS: dict[str, dict[str, Any]] = {
    "single": {"display": "radio", "other": False},
    "multiple": {"min": None, "max": None, "other": False},
    "scale": {"min": 1, "max": 5, "label_min_ro": "", "label_min_en": "", "label_max_ro": "",
              "label_max_en": ""},
    "ranking": {},
    "short_text": {"max_length": SHORT_TEXT_MAX},
    "long_text": {"max_length": LONG_TEXT_MAX},
    "number": {"min": None, "max": None, "decimals": 0, "unit_ro": "", "unit_en": ""},
    "yes_no": {},
    "matrix": {},
    "info": {"consent": False},
}
# Settings that are texts: corrections stay allowed once people have answered.
TEXT_SETTINGS = frozenset(
    {"label_min_ro", "label_min_en", "label_max_ro", "label_max_en", "unit_ro", "unit_en"}
)
DISPLAYS = ("radio", "dropdown")

LOCKED = _l(
    "People have already answered this consultation, so its structure is locked: only texts "
    "can still be corrected."
)


class ConsultationError(Exception):
    """A business rule refused the operation; nothing was changed.

    `message` is translatable (lazy), `field` names the form field it concerns (None: the
    operation as a whole; `settings.<key>` for a key of a question's settings) and `category`
    is the flash category a route should use.
    """

    def __init__(self, message: Any, field: str | None = None, category: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.category = category


# ---------------------------------------------------------------- reading the structure


@dataclass
class SectionView:
    """One section of a questionnaire and its questions in order (each with `options`
    loaded: `question.choices` are the answer options, `question.rows` a matrix's rows)."""

    section: Section
    questions: list[Question]
    index: int  # 0-based place among the sections

    @property
    def id(self) -> int:
        return self.section.id

    @property
    def number(self) -> int:
        """1-based: "page 2 of 3"."""
        return self.index + 1


@dataclass
class Structure:
    """A whole questionnaire, read by `questionnaire(process)`.

    `sections`: the SectionViews in order. Lookups by id (`question(id)`, `option(id)`,
    `section(id)`) return None for ids that are not of this questionnaire, so a forged id from
    a form is simply not found.
    """

    process: Process
    sections: list[SectionView]
    _questions: dict[int, Question] = field(init=False, repr=False)
    _options: dict[int, Option] = field(init=False, repr=False)
    _places: dict[int, tuple[int, int]] = field(init=False, repr=False)
    _sections: dict[int, SectionView] = field(init=False, repr=False)
    _numbers: dict[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._questions, self._options, self._places, self._sections = {}, {}, {}, {}
        self._numbers = {}
        for view in self.sections:
            self._sections[view.section.id] = view
            for position, question in enumerate(view.questions):
                self._questions[question.id] = question
                self._numbers[question.id] = len(self._numbers) + 1
                self._places[question.id] = (view.index, position)
                for option in question.options:
                    self._options[option.id] = option

    @property
    def questions(self) -> list[Question]:
        """Every question, in the order a respondent meets them."""
        return [question for view in self.sections for question in view.questions]

    @property
    def is_empty(self) -> bool:
        return not self._questions

    def section(self, section_id: Any) -> SectionView | None:
        return self._sections.get(section_id) if isinstance(section_id, int) else None

    def question(self, question_id: Any) -> Question | None:
        return self._questions.get(question_id) if isinstance(question_id, int) else None

    def option(self, option_id: Any) -> Option | None:
        return self._options.get(option_id) if isinstance(option_id, int) else None

    def place(self, question: Question) -> tuple[int, int]:
        """(section index, question index in its section): earlier places compare smaller."""
        return self._places[question.id]

    def number(self, question: Question) -> int:
        """1-based number of the question in the whole questionnaire."""
        return self._numbers[question.id]

    def choice_questions_before(self, section_index: int,
                                question_index: int | None = None) -> list[Question]:
        """The single and multiple choice questions a condition at this place may test: those
        of earlier sections, and (for a question, `question_index` given) the earlier ones of
        its own section."""
        limit = (section_index, question_index if question_index is not None else -1)
        return [question for question in self.questions
                if question.type in CHOICE_TYPES and self.place(question) < limit]

    def condition_parts(self, condition: dict | None) -> tuple[Question, list[Option]] | None:
        """The question and options a condition tests (None: no condition, or a stale one)."""
        if not condition:
            return None
        question = self.question(condition.get("question"))
        if question is None:
            return None
        wanted = set(condition.get("options") or ())
        return question, [option for option in question.choices if option.id in wanted]

    def dependants(self, question_ids: Iterable[int]) -> list[Section | Question]:
        """Sections and questions whose condition tests one of these questions."""
        ids = set(question_ids)
        found: list[Section | Question] = []
        for view in self.sections:
            if view.section.condition and view.section.condition.get("question") in ids:
                found.append(view.section)
            found.extend(question for question in view.questions
                         if question.condition and question.condition.get("question") in ids)
        return found


def questionnaire(process: Process) -> Structure:
    """The questionnaire of `process`, in order, in at most three queries (sections, questions,
    options). Sections are ordered by `position`, questions by section then `position`, options
    by role, `position` (see Question.options)."""
    sections = list(db.session.scalars(
        select(Section).where(Section.process_id == process.id)
        .order_by(Section.position, Section.id)
    ))
    questions = db.session.scalars(
        select(Question).where(Question.process_id == process.id)
        .options(selectinload(Question.options))
        .order_by(Question.position, Question.id)
    )
    by_section: dict[int, list[Question]] = {section.id: [] for section in sections}
    for question in questions:
        by_section.setdefault(question.section_id, []).append(question)
    return Structure(process, [
        SectionView(section, by_section[section.id], index)
        for index, section in enumerate(sections)
    ])


def has_answers(process: Process) -> bool:
    """Has anybody answered: a submitted response, or a draft with at least one answer?"""
    responses = select(Response.id).where(Response.process_id == process.id)
    return bool(db.session.scalar(select(
        responses.where(Response.status == "submitted").exists()
        | select(Answer.id).where(Answer.response_id.in_(responses)).exists()
    )))


def condition_for_options(structure: Structure, option_ids: Iterable[Any]) -> dict | None:
    """The condition "one of these options was chosen", from option ids ticked in a form (they
    must all be options of one question); None when none is ticked."""
    ids = set(option_ids or ())
    if not ids:
        return None
    options = [structure.option(option_id) for option_id in ids]
    if any(option is None or option.role != "option" for option in options):
        raise ConsultationError(_l("Choose among the options listed."), field="condition")
    questions = {option.question_id for option in options}  # type: ignore[union-attr]
    if len(questions) > 1:
        raise ConsultationError(
            _l("A condition tests one question: tick options of a single question."),
            field="condition",
        )
    return {"question": questions.pop(), "options": sorted(ids)}


# ---------------------------------------------------------------- settings


def settings_for(process: Process) -> ConsultationSettings:
    """The consultation settings of `process`; an unsaved default row when it has none."""
    settings = db.session.get(ConsultationSettings, process.id)
    if settings is None:
        settings = ConsultationSettings(
            process_id=process.id, respondents="signed_in", results_visibility="after_close",
            profile_questions=[], neighbourhoods="",
        )
    return settings


def neighbourhoods_of(settings: ConsultationSettings) -> list[str]:
    """The neighbourhoods the "neighbourhood" profile question offers, in order."""
    return [line.strip() for line in (settings.neighbourhoods or "").splitlines()
            if line.strip()]


def save_settings(process: Process, respondents: str, results_visibility: str,
                  profile_questions: Iterable[str], neighbourhoods: str | Iterable[str],
                  ) -> ConsultationSettings:
    """Set who may answer, when results are public, which profile questions are asked and the
    neighbourhoods offered (a text with one per line, or a list)."""
    _check_consultation(process)
    if respondents not in RESPONDENTS:
        raise ConsultationError(_l("Choose who may answer from the list."), field="respondents")
    if results_visibility not in RESULTS_VISIBILITY:
        raise ConsultationError(_l("Choose when results are public from the list."),
                                field="results_visibility")
    chosen = set(profile_questions or ())
    if not chosen <= set(PROFILE_QUESTIONS):
        raise ConsultationError(_l("Choose profile questions from the list."),
                                field="profile_questions")
    profile = [code for code in PROFILE_QUESTIONS if code in chosen]
    places = _checked_neighbourhoods(neighbourhoods)
    if "neighbourhood" in profile and not places:
        raise ConsultationError(
            _l("List the neighbourhoods to choose from, one per line, or do not ask for one."),
            field="neighbourhoods",
        )
    current = settings_for(process)
    if has_answers(process):
        if respondents != current.respondents:
            raise ConsultationError(
                _l("Who may answer cannot change once people have answered."),
                field="respondents",
            )
        if set(profile) != set(current.profile_questions or ()):
            raise ConsultationError(
                _l("The profile questions cannot change once people have answered."),
                field="profile_questions",
            )
        kept = {place.casefold() for place in places}
        if any(place.casefold() not in kept for place in neighbourhoods_of(current)):
            raise ConsultationError(
                _l("Neighbourhoods that people could already choose cannot be removed or "
                   "renamed; you may add new ones."),
                field="neighbourhoods",
            )
    settings = db.session.get(ConsultationSettings, process.id)
    if settings is None:
        settings = ConsultationSettings(process_id=process.id)
        db.session.add(settings)
    settings.respondents = respondents
    settings.results_visibility = results_visibility
    settings.profile_questions = profile
    settings.neighbourhoods = "\n".join(places)
    db.session.flush()
    return settings


def _checked_neighbourhoods(value: str | Iterable[str]) -> list[str]:
    lines = value.splitlines() if isinstance(value, str) else list(value or ())
    places: list[str] = []
    seen: set[str] = set()
    for line in lines:
        if not isinstance(line, str):
            raise ConsultationError(_l("Enter text."), field="neighbourhoods")
        place = " ".join(line.split())
        if not place or place.casefold() in seen:
            continue
        if len(place) > NEIGHBOURHOOD_MAX:
            raise ConsultationError(
                _l("A neighbourhood's name has at most %(max)s characters.",
                   max=NEIGHBOURHOOD_MAX),
                field="neighbourhoods",
            )
        seen.add(place.casefold())
        places.append(place)
    if len(places) > MAX_NEIGHBOURHOODS:
        raise ConsultationError(_l("At most %(max)s neighbourhoods.", max=MAX_NEIGHBOURHOODS),
                                field="neighbourhoods")
    return places


# ---------------------------------------------------------------- sections


def add_section(process: Process, *, title_ro: str, title_en: str = "",
                description_ro: str = "", description_en: str = "",
                condition: dict | None = None) -> Section:
    """A new section at the end of the questionnaire."""
    _check_consultation(process)
    _refuse_if_locked(process)
    structure = questionnaire(process)
    if len(structure.sections) >= MAX_SECTIONS:
        raise ConsultationError(_l("A questionnaire has at most %(max)s sections.",
                                   max=MAX_SECTIONS))
    texts = _section_texts(title_ro, title_en, description_ro, description_en)
    condition = _checked_condition(structure, condition, (len(structure.sections), -1))
    section = Section(process_id=process.id, condition=condition, **texts)
    db.session.add(section)
    db.session.flush()
    _apply_order([(view.section, view.questions) for view in structure.sections]
                 + [(section, [])])
    return section


def update_section(section: Section, *, title_ro: str, title_en: str, description_ro: str,
                   description_en: str, condition: dict | None) -> Section:
    """New texts and condition (once people have answered: the texts only)."""
    process = _process_of(section)
    structure = questionnaire(process)
    view = _section_view(structure, section)
    texts = _section_texts(title_ro, title_en, description_ro, description_en)
    condition = _checked_condition(structure, condition, (view.index, -1))
    if not _same_condition(condition, section.condition) and has_answers(process):
        raise ConsultationError(LOCKED, field="condition")
    for name, value in texts.items():
        setattr(section, name, value)
    if not _same_condition(condition, section.condition):
        section.condition = condition
    db.session.flush()
    return section


def delete_section(section: Section) -> None:
    """Delete a section with its questions. Refused while a question or section elsewhere
    depends on one of its questions."""
    process = _process_of(section)
    _refuse_if_locked(process)
    structure = questionnaire(process)
    view = _section_view(structure, section)
    order = [(other.section, other.questions) for other in structure.sections
             if other.section.id != section.id]
    _check_order(order, deleted={question.id for question in view.questions})
    for question in view.questions:
        db.session.delete(question)
    db.session.delete(section)
    db.session.flush()
    _apply_order(order)


def move_section(section: Section, direction: str) -> None:
    """Swap a section with the one before ("up") or after ("down") it."""
    process = _process_of(section)
    _refuse_if_locked(process)
    structure = questionnaire(process)
    view = _section_view(structure, section)
    target = view.index + _step(direction)
    if not 0 <= target < len(structure.sections):
        raise ConsultationError(
            _l("This section is already the first.") if direction == "up"
            else _l("This section is already the last.")
        )
    order = [(other.section, other.questions) for other in structure.sections]
    order[view.index], order[target] = order[target], order[view.index]
    _check_order(order)
    _apply_order(order)


def duplicate_section(section: Section) -> Section:
    """A copy of a section and its questions, right after it. Conditions between questions of
    the section are pointed at the copies; other conditions are kept as they are."""
    process = _process_of(section)
    _refuse_if_locked(process)
    structure = questionnaire(process)
    view = _section_view(structure, section)
    if len(structure.sections) >= MAX_SECTIONS:
        raise ConsultationError(_l("A questionnaire has at most %(max)s sections.",
                                   max=MAX_SECTIONS))
    _check_question_count(structure, len(view.questions))
    copy_ = Section(
        process_id=process.id, title_ro=section.title_ro, title_en=section.title_en,
        description_ro=section.description_ro, description_en=section.description_en,
        condition=copy.deepcopy(section.condition),
    )
    db.session.add(copy_)
    db.session.flush()
    question_ids: dict[int, int] = {}
    option_ids: dict[int, int] = {}
    copies = []
    for question in view.questions:
        duplicate = _copy_question(question, copy_.id)
        copies.append(duplicate)
        question_ids[question.id] = duplicate.id
        for old, new in zip(question.options, duplicate.options, strict=True):
            option_ids[old.id] = new.id
    for duplicate in copies:
        condition = duplicate.condition
        if condition and condition.get("question") in question_ids:
            duplicate.condition = {
                "question": question_ids[condition["question"]],
                "options": [option_ids.get(option, option) for option in condition["options"]],
            }
    order = [(other.section, other.questions) for other in structure.sections]
    order.insert(view.index + 1, (copy_, copies))
    _apply_order(order)
    return copy_


# ---------------------------------------------------------------- questions


def add_question(section: Section, question_type: str, *, text_ro: str, text_en: str = "",
                 help_ro: str = "", help_en: str = "", required: bool = False,
                 settings: dict | None = None, options: Sequence[tuple[str, str]] = (),
                 rows: Sequence[tuple[str, str]] = (), condition: dict | None = None,
                 ) -> Question:
    """A new question at the end of `section`. `options` are the answer options (a matrix's
    columns), `rows` a matrix's rows; both lists of (label_ro, label_en)."""
    process = _process_of(section)
    _refuse_if_locked(process)
    structure = questionnaire(process)
    view = _section_view(structure, section)
    _check_question_count(structure, 1)
    data = _checked_question(question_type, text_ro, text_en, help_ro, help_en, required,
                             settings, options, rows)
    condition = _checked_condition(structure, condition, (view.index, len(view.questions)))
    question = Question(
        process_id=process.id, section_id=section.id, position=len(view.questions),
        type=question_type, condition=condition, **data["fields"],
    )
    for role, pairs in (("option", data["options"]), ("row", data["rows"])):
        for position, (label_ro, label_en) in enumerate(pairs):
            question.options.append(Option(role=role, position=position, label_ro=label_ro,
                                           label_en=label_en))
    db.session.add(question)
    db.session.flush()
    _apply_order([(other.section, other.questions) for other in structure.sections])
    return question


def update_question(question: Question, *, text_ro: str, text_en: str, help_ro: str,
                    help_en: str, required: bool, settings: dict | None,
                    options: Sequence[tuple[str, str]], rows: Sequence[tuple[str, str]],
                    condition: dict | None, question_type: str | None = None) -> Question:
    """Replace a question's content (its type too, when `question_type` is given).

    Options keep their ids: a given label equal to an existing option's Romanian label keeps
    that option, the others take the remaining options in order, new ones are added and the
    rest removed. Once people have answered, options and rows are updated in place (the same
    number, in the same order) and only texts may change (see the module's docstring)."""
    process = _process_of(question)
    question_type = question_type if question_type is not None else question.type
    structure = questionnaire(process)
    if structure.question(question.id) is None:
        raise ConsultationError(_l("This question is not part of the questionnaire."))
    data = _checked_question(question_type, text_ro, text_en, help_ro, help_en, required,
                             settings, options, rows)
    condition = _checked_condition(structure, condition, structure.place(question))
    existing = {"option": question.choices, "row": question.rows}
    if has_answers(process):
        _check_locked_question(question, question_type, data, condition)
        plans = {role: (list(existing[role]), []) for role in existing}
    else:
        plans = {role: _match_options(existing[role], data[role + "s"]) for role in existing}
        dependants = structure.dependants([question.id])
        if dependants and question_type not in CHOICE_TYPES:
            raise ConsultationError(
                _l("Other questions or sections depend on the answers to this one (%(names)s): "
                   "change their conditions before changing its type.",
                   names=_names(dependants)),
                field="type",
            )
        removed = {option.id for option in plans["option"][1]}
        tested = [item for item in dependants
                  if removed & set(item.condition.get("options") or ())]
        if tested:
            raise ConsultationError(
                _l("An option you removed is tested by the condition of %(names)s: change that "
                   "condition first.", names=_names(tested)),
                field="options",
            )
    question.type = question_type
    for name, value in data["fields"].items():
        setattr(question, name, value)
    if not _same_condition(condition, question.condition):
        question.condition = condition
    for role, (matched, removed_options) in plans.items():
        for position, ((label_ro, label_en), option) in enumerate(
            zip(data[role + "s"], matched, strict=True)
        ):
            if option is None:
                question.options.append(Option(role=role, position=position,
                                               label_ro=label_ro, label_en=label_en))
                continue
            option.position, option.label_ro, option.label_en = position, label_ro, label_en
        for option in removed_options:
            question.options.remove(option)
    db.session.flush()
    # The collection's order follows the new positions from the next read on.
    db.session.expire(question, ["options"])
    return question


def delete_question(question: Question) -> None:
    """Delete a question. Refused while a condition tests it."""
    process = _process_of(question)
    _refuse_if_locked(process)
    structure = questionnaire(process)
    if structure.question(question.id) is None:
        raise ConsultationError(_l("This question is not part of the questionnaire."))
    order = [(view.section, [other for other in view.questions if other.id != question.id])
             for view in structure.sections]
    _check_order(order, deleted={question.id})
    db.session.delete(question)
    db.session.flush()
    _apply_order(order)


def move_question(question: Question, direction: str) -> None:
    """Move a question one place up or down; from the top of its section "up" takes it to the
    end of the previous section, from the bottom "down" to the start of the next one."""
    process = _process_of(question)
    _refuse_if_locked(process)
    structure = questionnaire(process)
    if structure.question(question.id) is None:
        raise ConsultationError(_l("This question is not part of the questionnaire."))
    step = _step(direction)
    section_index, position = structure.place(question)
    order = [(view.section, list(view.questions)) for view in structure.sections]
    questions = order[section_index][1]
    if 0 <= position + step < len(questions):
        questions[position], questions[position + step] = (questions[position + step],
                                                           questions[position])
    elif 0 <= section_index + step < len(order):
        questions.pop(position)
        target = order[section_index + step][1]
        if step < 0:
            target.append(question)
        else:
            target.insert(0, question)
    else:
        raise ConsultationError(
            _l("This question is already the first.") if step < 0
            else _l("This question is already the last.")
        )
    _check_order(order)
    _apply_order(order)


def move_question_to_section(question: Question, section: Section) -> None:
    """Move a question to the end of another section."""
    process = _process_of(question)
    _refuse_if_locked(process)
    structure = questionnaire(process)
    target = structure.section(section.id)
    if target is None or structure.question(question.id) is None:
        raise ConsultationError(_l("Choose a section of this questionnaire."), field="section")
    if question.section_id == section.id:
        raise ConsultationError(_l("The question is already in this section."),
                                field="section")
    order = [(view.section, [other for other in view.questions if other.id != question.id])
             for view in structure.sections]
    order[target.index][1].append(question)
    _check_order(order)
    question.section_id = section.id
    _apply_order(order)


def duplicate_question(question: Question) -> Question:
    """A copy of a question (with its options and condition), right after it."""
    process = _process_of(question)
    _refuse_if_locked(process)
    structure = questionnaire(process)
    if structure.question(question.id) is None:
        raise ConsultationError(_l("This question is not part of the questionnaire."))
    _check_question_count(structure, 1)
    duplicate = _copy_question(question, question.section_id)
    section_index, position = structure.place(question)
    order = [(view.section, list(view.questions)) for view in structure.sections]
    order[section_index][1].insert(position + 1, duplicate)
    _apply_order(order)
    return duplicate


# ---------------------------------------------------------------- checks


def _check_consultation(process: Process) -> None:
    if process.kind != "consultation":
        raise ConsultationError(_l("This process is not a consultation."))


def _process_of(item: Section | Question) -> Process:
    process = db.session.get(Process, item.process_id)
    if process is None:
        raise ConsultationError(_l("This process is not a consultation."))
    _check_consultation(process)
    return process


def _refuse_if_locked(process: Process) -> None:
    if has_answers(process):
        raise ConsultationError(LOCKED)


def _section_view(structure: Structure, section: Section) -> SectionView:
    view = structure.section(section.id)
    if view is None:
        raise ConsultationError(_l("Choose a section of this questionnaire."), field="section")
    return view


def _step(direction: str) -> int:
    if direction not in DIRECTIONS:
        raise ConsultationError(_l("Move a section or question up or down."))
    return -1 if direction == "up" else 1


def _check_question_count(structure: Structure, adding: int) -> None:
    if len(structure.questions) + adding > MAX_QUESTIONS:
        raise ConsultationError(_l("A questionnaire has at most %(max)s questions.",
                                   max=MAX_QUESTIONS))


def _text(value: Any, maximum: int, field: str, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ConsultationError(_l("Enter text."), field=field)
    value = value.strip()
    if required and not value:
        raise ConsultationError(_l("Write the Romanian text; the English one is optional."),
                                field=field)
    if len(value) > maximum:
        raise ConsultationError(_l("At most %(max)s characters.", max=maximum), field=field)
    return value


def _section_texts(title_ro: Any, title_en: Any, description_ro: Any,
                   description_en: Any) -> dict[str, str]:
    return {
        "title_ro": _text(title_ro, TEXT_MAX, "title_ro", required=True),
        "title_en": _text(title_en, TEXT_MAX, "title_en"),
        "description_ro": _text(description_ro, DESCRIPTION_MAX, "description_ro"),
        "description_en": _text(description_en, DESCRIPTION_MAX, "description_en"),
    }


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _labels(pairs: Any, field: str, limits: tuple[int, int] | None) -> list[tuple[str, str]]:
    pairs = list(pairs or ())
    if limits is None:
        if pairs:
            raise ConsultationError(
                _l("This type of question has no options.") if field == "options"
                else _l("Only a matrix has rows."),
                field=field,
            )
        return []
    fewest, most = limits
    if not fewest <= len(pairs) <= most:
        raise ConsultationError(
            _l("Give between %(min)s and %(max)s options, one per line.", min=fewest, max=most)
            if field == "options"
            else _l("Give between %(min)s and %(max)s rows, one per line.", min=fewest,
                    max=most),
            field=field,
        )
    labels: list[tuple[str, str]] = []
    seen: set[str] = set()
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ConsultationError(_l("Enter text."), field=field)
        label_ro = _text(pair[0], TEXT_MAX, field, required=True)
        label_en = _text(pair[1], TEXT_MAX, field)
        if label_ro.casefold() in seen:
            raise ConsultationError(_l("“%(label)s” is listed twice.", label=label_ro),
                                    field=field)
        seen.add(label_ro.casefold())
        labels.append((label_ro, label_en))
    return labels


def _checked_question(question_type: Any, text_ro: Any, text_en: Any, help_ro: Any,
                      help_en: Any, required: Any, settings: Any, options: Any,
                      rows: Any) -> dict[str, Any]:
    if question_type not in QUESTION_TYPES:
        raise ConsultationError(_l("Choose a type of question from the list."), field="type")
    if not isinstance(required, bool):
        raise ConsultationError(_l("Say whether an answer is required."), field="required")
    option_labels = _labels(options, "options", OPTION_LIMITS.get(question_type))
    row_labels = _labels(rows, "rows", ROW_LIMITS.get(question_type))
    clean = clean_settings(question_type, settings, len(option_labels))
    if question_type == "info":
        # An information block needs no answer; with consent, ticking "I agree" is required.
        required = clean["consent"]
    return {
        "fields": {
            "text_ro": _text(text_ro, QUESTION_TEXT_MAX, "text_ro", required=True),
            "text_en": _text(text_en, QUESTION_TEXT_MAX, "text_en"),
            "help_ro": _text(help_ro, HELP_MAX, "help_ro"),
            "help_en": _text(help_en, HELP_MAX, "help_en"),
            "required": required,
            "settings": clean,
        },
        "options": option_labels,
        "rows": row_labels,
    }


def clean_settings(question_type: str, settings: dict | None, option_count: int = 0) -> dict:
    """`settings` for a question of `question_type` checked and completed with the defaults:
    exactly the keys documented in models.py. `option_count` is its number of options (for a
    multiple choice's limits)."""
    if question_type not in SETTING_DEFAULTS:
        raise ConsultationError(_l("Choose a type of question from the list."), field="type")
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise ConsultationError(_l("These settings are not valid."), field="settings")
    defaults = SETTING_DEFAULTS[question_type]
    unknown = sorted(set(settings) - set(defaults))
    if unknown:
        raise ConsultationError(_l("Unknown setting: %(name)s.", name=unknown[0]),
                                field="settings")
    values = {**defaults, **settings}

    def fail(key: str, message: Any) -> ConsultationError:
        return ConsultationError(message, field=f"settings.{key}")

    for key in values:
        if key in TEXT_SETTINGS:
            maximum = UNIT_MAX if key.startswith("unit") else TEXT_MAX
            values[key] = _text(values[key], maximum, f"settings.{key}")
        elif key in ("other", "consent") and not isinstance(values[key], bool):
            raise fail(key, _l("Tick the box or leave it empty."))
    if question_type == "single" and values["display"] not in DISPLAYS:
        raise fail("display", _l("Choose radio buttons or a drop-down list."))
    elif question_type == "multiple":
        most = option_count + (1 if values["other"] else 0)
        for key in ("min", "max"):
            value = values[key]
            if value is not None and (not _is_int(value) or not 1 <= value <= most):
                raise fail(key, _l("Enter a whole number from 1 to %(max)s (the number of "
                                   "options), or leave it empty.", max=most))
        if values["min"] is not None and values["max"] is not None \
                and values["min"] > values["max"]:
            raise fail("max", _l("The most selections cannot be fewer than the fewest."))
    elif question_type == "scale":
        if values["min"] not in SCALE_MINIMUMS or not _is_int(values["min"]):
            raise fail("min", _l("A scale starts at 0 or 1."))
        if values["max"] not in SCALE_MAXIMUMS or not _is_int(values["max"]):
            raise fail("max", _l("A scale ends at 5 or 10."))
    elif question_type in ("short_text", "long_text"):
        most = SHORT_TEXT_MAX if question_type == "short_text" else LONG_TEXT_MAX
        if not _is_int(values["max_length"]) or not 1 <= values["max_length"] <= most:
            raise fail("max_length", _l("Enter a whole number from 1 to %(max)s.", max=most))
    elif question_type == "number":
        for key in ("min", "max"):
            value = values[key]
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or abs(value) > NUMBER_LIMIT:
                raise fail(key, _l("Enter a number, or leave it empty."))
        if values["min"] is not None and values["max"] is not None \
                and values["min"] >= values["max"]:
            raise fail("max", _l("The largest value must be more than the smallest."))
        if not _is_int(values["decimals"]) or not 0 <= values["decimals"] <= DECIMALS_MAX:
            raise fail("decimals", _l("Enter a whole number from 0 to %(max)s.",
                                      max=DECIMALS_MAX))
    return values


def _check_locked_question(question: Question, question_type: str, data: dict[str, Any],
                           condition: dict | None) -> None:
    """Once people have answered: only texts may differ from the stored question."""
    if question_type != question.type:
        raise ConsultationError(LOCKED, field="type")
    fields = data["fields"]
    if fields["required"] != question.required and question.type != "info":
        raise ConsultationError(LOCKED, field="required")
    if not _same_condition(condition, question.condition):
        raise ConsultationError(LOCKED, field="condition")
    old = clean_settings(question.type, question.settings, len(question.choices))
    for key, value in fields["settings"].items():
        if key not in TEXT_SETTINGS and value != old.get(key):
            raise ConsultationError(LOCKED, field=f"settings.{key}")
    for role, field_name in (("option", "options"), ("row", "rows")):
        existing = question.choices if role == "option" else question.rows
        if len(data[field_name]) != len(existing):
            raise ConsultationError(
                _l("Options and rows cannot be added or removed once people have answered; "
                   "you may correct their labels, in the same order."),
                field=field_name,
            )
        # A label moved to another place would give earlier answers another meaning.
        places = {option.label_ro.casefold(): index for index, option in enumerate(existing)}
        for index, (label_ro, _label_en) in enumerate(data[field_name]):
            if places.get(label_ro.casefold(), index) != index:
                raise ConsultationError(
                    _l("Options and rows cannot be reordered once people have answered; you "
                       "may correct their labels, in the same order."),
                    field=field_name,
                )


def _match_options(existing: list[Option], pairs: list[tuple[str, str]],
                   ) -> tuple[list[Option | None], list[Option]]:
    """Which existing option each new label keeps (None: a new option), and the options left
    over (to remove). Same Romanian label first, then the remaining ones in order, so fixing a
    typo or reordering keeps the ids that conditions refer to."""
    matched: list[Option | None] = [None] * len(pairs)
    free = list(existing)
    for index, (label_ro, _label_en) in enumerate(pairs):
        for option in free:
            if option.label_ro.casefold() == label_ro.casefold():
                matched[index] = option
                free.remove(option)
                break
    for index in range(len(pairs)):
        if matched[index] is None and free:
            matched[index] = free.pop(0)
    return matched, free


def _checked_condition(structure: Structure, condition: Any,
                       place: tuple[int, int]) -> dict | None:
    """A condition for something at `place` (a section: (index, -1)): it may test only an
    earlier single or multiple choice question, with options of that question."""
    if condition is None or condition == {}:
        return None
    if not isinstance(condition, dict) or set(condition) != {"question", "options"}:
        raise ConsultationError(_l("This condition is not valid."), field="condition")
    options = condition["options"]
    if not _is_int(condition["question"]) or not isinstance(options, (list, tuple)) \
            or not options or not all(_is_int(option) for option in options):
        raise ConsultationError(_l("This condition is not valid."), field="condition")
    question = structure.question(condition["question"])
    if question is None:
        raise ConsultationError(_l("A condition tests a question of this questionnaire."),
                                field="condition")
    if question.type not in CHOICE_TYPES:
        raise ConsultationError(
            _l("A condition can only test a single or multiple choice question."),
            field="condition",
        )
    if structure.place(question) >= place:
        raise ConsultationError(
            _l("A condition can only test a question that comes earlier."), field="condition"
        )
    valid = {option.id for option in question.choices}
    if not set(options) <= valid:
        raise ConsultationError(_l("Choose options of the question the condition tests."),
                                field="condition")
    return {"question": question.id, "options": sorted(set(options))}


def _same_condition(one: dict | None, other: dict | None) -> bool:
    if not one or not other:
        return not one and not other
    return one.get("question") == other.get("question") \
        and set(one.get("options") or ()) == set(other.get("options") or ())


def _label(item: Section | Question) -> str:
    language = current_language() if has_request_context() else "ro"
    text = str(localized(item, "title" if isinstance(item, Section) else "text", language))
    return text if len(text) <= 60 else text[:59] + "…"


def _names(items: Iterable[Section | Question]) -> str:
    return ", ".join(f"“{_label(item)}”" for item in items)


def _check_order(order: list[tuple[Section, list[Question]]],
                 deleted: Iterable[int] = ()) -> None:
    """Every condition in this (proposed) order must test a question that comes before it."""
    deleted = set(deleted)
    places = {question.id: (index, position)
              for index, (_section, questions) in enumerate(order)
              for position, question in enumerate(questions)}
    names = {question.id: question for _section, questions in order for question in questions}
    for index, (section, questions) in enumerate(order):
        items: list[tuple[Section | Question, tuple[int, int]]] = [(section, (index, -1))]
        items += [(question, (index, position)) for position, question in enumerate(questions)]
        for item, place in items:
            tested = (item.condition or {}).get("question")
            if tested is None:
                continue
            if tested in deleted:
                raise ConsultationError(
                    _l("%(names)s is shown only after certain answers to what you are "
                       "deleting: change or remove that condition first.",
                       names=_names([item])),
                )
            if tested not in places:
                continue  # A stale condition elsewhere does not block this change.
            if places[tested] >= place:
                raise ConsultationError(
                    _l("%(names)s is shown only after certain answers to “%(question)s”, which "
                       "must come before it: change or remove that condition first.",
                       names=_names([item]), question=_label(names[tested])),
                )


def _apply_order(order: list[tuple[Section, list[Question]]]) -> None:
    """Number sections and questions 0, 1, 2… in this order (only what changed is written)."""
    for index, (section, questions) in enumerate(order):
        if section.position != index:
            section.position = index
        for position, question in enumerate(questions):
            if question.position != position:
                question.position = position
            if question.section_id != section.id:
                question.section_id = section.id
    db.session.flush()


def _copy_question(question: Question, section_id: int) -> Question:
    duplicate = Question(
        process_id=question.process_id, section_id=section_id, position=question.position,
        type=question.type, text_ro=question.text_ro, text_en=question.text_en,
        help_ro=question.help_ro, help_en=question.help_en, required=question.required,
        settings=copy.deepcopy(question.settings or {}),
        condition=copy.deepcopy(question.condition),
    )
    for option in question.options:
        duplicate.options.append(Option(role=option.role, position=option.position,
                                        label_ro=option.label_ro, label_en=option.label_en))
    db.session.add(duplicate)
    db.session.flush()
    return duplicate
