"""The consultation kind: a questionnaire (sections of questions with options), its settings,
and the responses with their answers.

A questionnaire belongs to its process (one per consultation process). Texts are in both
languages (`*_ro`, `*_en`). A question's type-specific settings (selection limits, scale ends,
number range and unit, dropdown or radio, an "Other" field) live in `settings` (JSON), checked by
the services. Answers are stored one row per chosen option (or ranked item, or matrix cell), so
results are plain GROUP BY queries; free-text answers are also Contribution rows, so moderation
and the synthesis read them like any other citizen input.

Question `settings` by type (missing keys take the default):
- single: {"display": "radio" | "dropdown", "other": bool}
- multiple: {"min": int | None, "max": int | None, "other": bool}
- scale: {"min": 1 | 0, "max": 5 | 10, "label_min_ro", "label_min_en", "label_max_ro",
  "label_max_en"}
- ranking: {} (every option is ranked, 1 = first)
- short_text / long_text: {"max_length": int} (at most SHORT_TEXT_MAX / LONG_TEXT_MAX)
- number: {"min": float | None, "max": float | None, "decimals": int (0: whole numbers),
  "unit_ro", "unit_en"}
- yes_no: {}
- matrix: {} (its rows are Options with role "row", its shared scale the Options with role
  "option")
- info: {"consent": bool} (with consent, the respondent must tick "I agree")

Answers by type: single → one row with `option_id` (or `option_id` None and `text` for
"Other"); multiple → one row per chosen option (+ one "Other" row); scale, number → `number`;
yes_no → `number` 1 (yes) or 0 (no); ranking → one row per option with `rank` 1..N; short and
long text → `text` (+ its Contribution); matrix → one row per answered row: `row_id` and the
chosen column `option_id`; info with consent → `number` 1.

Conditions (on a section or a question): {"question": id, "options": [option ids]} — shown only
when that earlier single or multiple choice question has one of these options chosen.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import TimestampMixin, sql_values, utcnow
from engage.extensions import db
from engage.processes.models import Contribution, Process, ProcessScoped

QUESTION_TYPES = {
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
    "scale": _l("Rating scale"),
    "ranking": _l("Ranking"),
    "short_text": _l("Short text"),
    "long_text": _l("Long text"),
    "number": _l("Number"),
    "yes_no": _l("Yes or no"),
    "matrix": _l("Matrix of single choices"),
    "info": _l("Consent or information block"),
}
# Types whose answers are options of the question (conditions may test them).
CHOICE_TYPES = ("single", "multiple")
TEXT_TYPES = ("short_text", "long_text")
# Types with a fixed set of answers, which results can break down by.
CLOSED_TYPES = ("single", "multiple", "scale", "yes_no", "ranking", "matrix")

RESPONDENTS = {
    "signed_in": _l("Signed-in citizens, one response each"),
    "anyone": _l("Anyone, without an account (anonymous)"),
}
RESULTS_VISIBILITY = {
    "live": _l("Public while the consultation runs"),
    "after_close": _l("Public after the consultation closes"),
    "never": _l("Not public (organisers and moderators only)"),
}
PROFILE_QUESTIONS = {
    "age_band": _l("Age band"),
    "neighbourhood": _l("Neighbourhood"),
    "stakeholder_type": _l("Stakeholder type"),
}
AGE_BANDS = {
    "under_18": _l("Under 18"),
    "18_29": _l("18–29"),
    "30_44": _l("30–44"),
    "45_64": _l("45–64"),
    "65_plus": _l("65 or over"),
    "no_answer": _l("I prefer not to say"),
}
CHANNELS = {
    "online": _l("Online"),
    "paper": _l("Paper"),
    "stand": _l("Information stand"),
}
RESPONSE_STATUSES = ("draft", "submitted")
TEXT_MAX = 300
SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 5000


class ConsultationSettings(ProcessScoped, db.Model):
    """Who may answer a consultation process, and when its results are public."""

    __tablename__ = "consultation_settings"
    __table_args__ = (
        CheckConstraint(f"respondents IN ({sql_values(RESPONDENTS)})", name="respondents"),
        CheckConstraint(f"results_visibility IN ({sql_values(RESULTS_VISIBILITY)})",
                        name="results_visibility"),
    )

    process_id: Mapped[int] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), primary_key=True
    )
    respondents: Mapped[str] = mapped_column(String(20), default="signed_in")
    results_visibility: Mapped[str] = mapped_column(String(20), default="after_close")
    # Which of PROFILE_QUESTIONS the form asks (personal data, shown only in aggregate).
    profile_questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Neighbourhoods offered by the "neighbourhood" profile question, one per line.
    neighbourhoods: Mapped[str] = mapped_column(Text, default="")
    # Raised (in the committing transaction) whenever anything the results page shows changes:
    # responses, the questionnaire, these settings, a free-text answer's moderation. The
    # results page caches its rendering under it (see `results.results_changed`).
    results_version: Mapped[int] = mapped_column(default=0, server_default="0")

    process: Mapped[Process] = relationship()



class Section(ProcessScoped, db.Model):
    __tablename__ = "consultation_section"
    __table_args__ = (Index("ix_consultation_section_order", "process_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    title_ro: Mapped[str] = mapped_column(String(TEXT_MAX), default="")
    title_en: Mapped[str] = mapped_column(String(TEXT_MAX), default="")
    description_ro: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    # Shown only when an earlier choice question has one of these options chosen:
    # {"question": id, "options": [ids]}; None: always shown.
    condition: Mapped[dict | None] = mapped_column(JSON)

    process: Mapped[Process] = relationship()



class Question(ProcessScoped, db.Model):
    __tablename__ = "consultation_question"
    __table_args__ = (
        CheckConstraint(f"type IN ({sql_values(QUESTION_TYPES)})", name="type"),
        Index("ix_consultation_question_order", "section_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_section.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(default=0)
    type: Mapped[str] = mapped_column(String(20))
    text_ro: Mapped[str] = mapped_column(Text, default="")
    text_en: Mapped[str] = mapped_column(Text, default="")
    help_ro: Mapped[str] = mapped_column(Text, default="")
    help_en: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    condition: Mapped[dict | None] = mapped_column(JSON)

    section: Mapped[Section] = relationship()
    # Every option and (for a matrix) every row, in order; `choices` and `rows` split them.
    options: Mapped[list[Option]] = relationship(
        order_by="(Option.role, Option.position, Option.id)", cascade="all, delete-orphan",
        back_populates="question",
    )


    @property
    def type_label(self) -> str:
        return str(QUESTION_TYPES.get(self.type, self.type))

    @property
    def choices(self) -> list[Option]:
        return [option for option in self.options if option.role == "option"]

    @property
    def rows(self) -> list[Option]:
        return [option for option in self.options if option.role == "row"]


class Option(db.Model):
    """An answer option of a choice or ranking question; for a matrix, `role` says whether it
    is a row (a statement) or a column (a point of the shared scale)."""

    __tablename__ = "consultation_option"
    __table_args__ = (
        CheckConstraint("role IN ('option', 'row')", name="role"),
        Index("ix_consultation_option_order", "question_id", "role", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_question.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(10), default="option")
    position: Mapped[int] = mapped_column(default=0)
    label_ro: Mapped[str] = mapped_column(String(TEXT_MAX), default="")
    label_en: Mapped[str] = mapped_column(String(TEXT_MAX), default="")

    question: Mapped[Question] = relationship(back_populates="options")


class Response(TimestampMixin, db.Model):
    """One person's (or one paper form's) answers to a consultation."""

    __tablename__ = "consultation_response"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(RESPONSE_STATUSES)})", name="status"),
        CheckConstraint(f"channel IN ({sql_values(CHANNELS)})", name="channel"),
        # One response per signed-in person per consultation; paper and anonymous ones have no
        # user. A partial unique index on both databases.
        Index("uq_consultation_response_user", "process_id", "user_id", unique=True,
              sqlite_where=text("user_id IS NOT NULL"),
              postgresql_where=text("user_id IS NOT NULL")),
        Index("ix_consultation_response_submitted", "process_id", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"))
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # The organiser who typed in a paper or stand response.
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(10), default="online")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    language: Mapped[str] = mapped_column(String(5), default="ro")
    # An anonymous respondent's draft is found again by this random token (in their session).
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    profile: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None]

    process: Mapped[Process] = relationship()

    @property
    def is_submitted(self) -> bool:
        return self.status == "submitted"


class Answer(db.Model):
    """One stored piece of a response: a chosen option (with its rank, or its matrix row), a
    number, or a text (which is also a Contribution, for moderation and the synthesis)."""

    __tablename__ = "consultation_answer"
    __table_args__ = (
        Index("ix_consultation_answer_question", "question_id", "option_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_response.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_question.id", ondelete="CASCADE")
    )
    option_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_option.id", ondelete="CASCADE")
    )
    row_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_option.id", ondelete="CASCADE")
    )
    rank: Mapped[int | None] = mapped_column(SmallInteger)
    number: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)
    contribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("contribution.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contribution: Mapped[Contribution | None] = relationship()

