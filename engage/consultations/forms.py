"""Forms of the questionnaire builder (sections, questions, settings). They check what an
organiser typed (lengths, numbers, choices) and give field errors; the services re-check every
rule whatever the caller.

Options and matrix rows are typed in a text area, one per line, "Romanian | English" (the
English part optional): usable on a laptop and on a phone, without JavaScript. A question's
type-specific settings are fields named `<type>_<key>` (e.g. `multiple_max`, `scale_min`); the
form of one type keeps only that type's fields.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from engage.consultations.models import (
    LONG_TEXT_MAX,
    PROFILE_QUESTIONS,
    RESPONDENTS,
    RESULTS_VISIBILITY,
    SHORT_TEXT_MAX,
    TEXT_MAX,
    Option,
    Question,
    Section,
)
from engage.core.forms import MultiCheckboxField, strip

QUESTION_TEXT_MAX = 2000
HELP_MAX = 2000
DESCRIPTION_MAX = 5000
UNIT_MAX = 30
OPTIONS_TEXT_MAX = 20_000
NEIGHBOURHOODS_TEXT_MAX = 25_000
OPTION_TYPES = ("single", "multiple", "ranking", "matrix")

# Form field of each settings key, by question type.
SETTINGS_FIELDS: dict[str, dict[str, str]] = {
    "single": {"display": "single_display", "other": "single_other"},
    "multiple": {"min": "multiple_min", "max": "multiple_max", "other": "multiple_other"},
    "scale": {"min": "scale_min", "max": "scale_max", "label_min_ro": "scale_label_min_ro",
              "label_min_en": "scale_label_min_en", "label_max_ro": "scale_label_max_ro",
              "label_max_en": "scale_label_max_en"},
    "ranking": {},
    "short_text": {"max_length": "short_text_max_length"},
    "long_text": {"max_length": "long_text_max_length"},
    "number": {"min": "number_min", "max": "number_max", "decimals": "number_decimals",
               "unit_ro": "number_unit_ro", "unit_en": "number_unit_en"},
    "yes_no": {},
    "matrix": {},
    "info": {"consent": "info_consent"},
}
ALL_SETTINGS_FIELDS = {name for fields in SETTINGS_FIELDS.values() for name in fields.values()}
# Settings that may be empty (no limit); the others take their default when left empty.
NULLABLE_SETTINGS = {"multiple_min", "multiple_max", "number_min", "number_max"}
# Settings that are texts, still editable once people have answered.
TEXT_SETTINGS_FIELDS = {"scale_label_min_ro", "scale_label_min_en", "scale_label_max_ro",
                        "scale_label_max_en", "number_unit_ro", "number_unit_en"}


def _choices(items: Any) -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in items]


def option_lines(options: list[Option]) -> str:
    """Options as the text area shows them: "Romanian | English", one per line."""
    return "\n".join(
        f"{option.label_ro} | {option.label_en}" if option.label_en else option.label_ro
        for option in options
    )


def parse_option_lines(text: str | None) -> list[tuple[str, str]]:
    """(label_ro, label_en) pairs from the text area; blank lines are skipped."""
    pairs = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        label_ro, _bar, label_en = line.partition("|")
        pairs.append((" ".join(label_ro.split()), " ".join(label_en.split())))
    return pairs


def _option_lines_valid(form: Any, field: Any) -> None:
    for label_ro, label_en in parse_option_lines(field.data):
        if not label_ro:
            raise ValidationError(_l("Each line starts with the Romanian text: "
                                     "Romanian | English."))
        if len(label_ro) > TEXT_MAX or len(label_en) > TEXT_MAX:
            raise ValidationError(_l("An option has at most %(max)s characters in each "
                                     "language.", max=TEXT_MAX))


def parse_number(value: Any) -> float | int | None:
    """A number typed with a decimal point or a decimal comma (2,5); None when empty."""
    if value is None or value == "":
        return None
    text = str(value).strip().replace(" ", "").replace(",", ".")
    number = float(text)
    return int(number) if number.is_integer() and "." not in text else number


def _number_valid(form: Any, field: Any) -> None:
    try:
        number = parse_number(field.data)
    except ValueError as error:
        raise ValidationError(_l("Enter a number, such as 12 or 2,5.")) from error
    if number is not None and not (-1e12 <= number <= 1e12):
        raise ValidationError(_l("Enter a number, such as 12 or 2,5."))


def _text_field(label: Any, maximum: int, required: bool = False, area: bool = False,
                rows: int = 3) -> Any:
    validators: list[Any] = [Length(max=maximum)]
    validators.insert(0, InputRequired(_l("Write the Romanian text; the English one is "
                                          "optional.")) if required else Optional())
    render_kw: dict[str, Any] = {"maxlength": maximum}
    if area:
        render_kw["rows"] = rows
        return TextAreaField(label, filters=[strip], validators=validators, render_kw=render_kw)
    return StringField(label, filters=[strip], validators=validators, render_kw=render_kw)


def _condition_choices(questions: list[Question]) -> list[SelectChoice]:
    return [SelectChoice(option.id, option.label_ro)
            for question in questions for option in question.choices]


class SectionForm(FlaskForm):
    title_ro = _text_field(_l("Title in Romanian"), TEXT_MAX, required=True)
    title_en = _text_field(_l("Title in English"), TEXT_MAX)
    description_ro = _text_field(_l("Introduction in Romanian (optional)"), DESCRIPTION_MAX,
                                 area=True, rows=4)
    description_en = _text_field(_l("Introduction in English (optional)"), DESCRIPTION_MAX,
                                 area=True, rows=4)
    condition = MultiCheckboxField(_l("Show this section"), coerce=int)

    def __init__(self, condition_questions: list[Question], *args: Any, locked: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locked = locked
        self.condition_questions = condition_questions
        self.condition.choices = _condition_choices(condition_questions)
        if locked:
            del self["condition"]

    def texts(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in
                ("title_ro", "title_en", "description_ro", "description_en")}


def section_data(section: Section) -> dict[str, Any]:
    """What the section form shows for an existing section."""
    return {
        "title_ro": section.title_ro, "title_en": section.title_en,
        "description_ro": section.description_ro, "description_en": section.description_en,
        "condition": list((section.condition or {}).get("options") or ()),
    }


class QuestionForm(FlaskForm):
    type = HiddenField()
    text_ro = _text_field(_l("Question in Romanian"), QUESTION_TEXT_MAX, required=True,
                          area=True, rows=2)
    text_en = _text_field(_l("Question in English"), QUESTION_TEXT_MAX, area=True, rows=2)
    help_ro = _text_field(_l("Help text in Romanian (optional)"), HELP_MAX, area=True, rows=2)
    help_en = _text_field(_l("Help text in English (optional)"), HELP_MAX, area=True, rows=2)
    required = BooleanField(_l("An answer is required"))
    options = TextAreaField(
        _l("Options"), filters=[strip],
        validators=[Length(max=OPTIONS_TEXT_MAX), _option_lines_valid],
        render_kw={"rows": 6, "maxlength": OPTIONS_TEXT_MAX},
    )
    rows = TextAreaField(
        _l("Rows (the statements to rate)"), filters=[strip],
        validators=[Length(max=OPTIONS_TEXT_MAX), _option_lines_valid],
        render_kw={"rows": 5, "maxlength": OPTIONS_TEXT_MAX},
    )
    single_display = RadioField(
        _l("Show the options as"), default="radio",
        choices=_choices([("radio", _l("Radio buttons (best up to about 7 options)")),
                          ("dropdown", _l("A drop-down list"))]),
    )
    single_other = BooleanField(_l("Add “Other:” with a text field"))
    multiple_min = IntegerField(
        _l("Fewest selections (optional)"),
        validators=[Optional(), NumberRange(min=1, max=50, message=_l(
            "Enter a whole number from 1, or leave it empty."))],
    )
    multiple_max = IntegerField(
        _l("Most selections (optional)"),
        validators=[Optional(), NumberRange(min=1, max=51, message=_l(
            "Enter a whole number from 1, or leave it empty."))],
    )
    multiple_other = BooleanField(_l("Add “Other:” with a text field"))
    scale_min = RadioField(_l("Scale starts at"), coerce=int, default=1,
                           choices=[SelectChoice(1, "1"), SelectChoice(0, "0")])
    scale_max = RadioField(_l("Scale ends at"), coerce=int, default=5,
                           choices=[SelectChoice(5, "5"), SelectChoice(10, "10")])
    scale_label_min_ro = _text_field(_l("Label of the lowest point, in Romanian (optional)"),
                                     TEXT_MAX)
    scale_label_min_en = _text_field(_l("Label of the lowest point, in English (optional)"),
                                     TEXT_MAX)
    scale_label_max_ro = _text_field(_l("Label of the highest point, in Romanian (optional)"),
                                     TEXT_MAX)
    scale_label_max_en = _text_field(_l("Label of the highest point, in English (optional)"),
                                     TEXT_MAX)
    short_text_max_length = IntegerField(
        _l("Longest answer, in characters"), default=SHORT_TEXT_MAX,
        validators=[Optional(), NumberRange(min=1, max=SHORT_TEXT_MAX, message=_l(
            "Enter a whole number from 1 to %(max)s.", max=SHORT_TEXT_MAX))],
    )
    long_text_max_length = IntegerField(
        _l("Longest answer, in characters"), default=LONG_TEXT_MAX,
        validators=[Optional(), NumberRange(min=1, max=LONG_TEXT_MAX, message=_l(
            "Enter a whole number from 1 to %(max)s.", max=LONG_TEXT_MAX))],
    )
    number_min = StringField(_l("Smallest value (optional)"), filters=[strip],
                             validators=[_number_valid],
                             render_kw={"inputmode": "decimal", "maxlength": 20})
    number_max = StringField(_l("Largest value (optional)"), filters=[strip],
                             validators=[_number_valid],
                             render_kw={"inputmode": "decimal", "maxlength": 20})
    number_decimals = IntegerField(
        _l("Decimal places allowed"), default=0,
        validators=[Optional(), NumberRange(min=0, max=4, message=_l(
            "Enter a whole number from 0 to %(max)s.", max=4))],
    )
    number_unit_ro = _text_field(_l("Unit in Romanian (optional), e.g. km"), UNIT_MAX)
    number_unit_en = _text_field(_l("Unit in English (optional)"), UNIT_MAX)
    info_consent = BooleanField(_l("The respondent must tick “I agree” to continue"))
    condition = MultiCheckboxField(_l("Show this question"), coerce=int)

    def __init__(self, question_type: str, condition_questions: list[Question], *args: Any,
                 locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question_type = question_type
        self.locked = locked
        self.condition_questions = condition_questions
        self.condition.choices = _condition_choices(condition_questions)
        keep = set(SETTINGS_FIELDS.get(question_type, {}).values())
        for name in ALL_SETTINGS_FIELDS - keep:
            del self[name]
        if question_type not in OPTION_TYPES:
            del self["options"]
        if question_type != "matrix":
            del self["rows"]
        if question_type == "info":
            del self["required"]
            self.text_ro.label.text = _l("Text in Romanian")
            self.text_en.label.text = _l("Text in English")
        if locked:
            # Once people have answered, only texts are offered (the route keeps the rest).
            for name in list(keep - TEXT_SETTINGS_FIELDS) + ["required", "condition"]:
                if name in self:
                    del self[name]
        if "options" in self:
            self.options.label.text = {
                "ranking": _l("Items to rank"),
                "matrix": _l("Scale shared by every row (the columns)"),
            }.get(question_type, _l("Options"))
            self.options.flags.required = True
        if "rows" in self:
            self.rows.flags.required = True

    @property
    def settings_field_names(self) -> list[str]:
        """The type's settings fields this form shows, in order."""
        return [name for name in SETTINGS_FIELDS.get(self.question_type, {}).values()
                if name in self]

    def option_pairs(self) -> list[tuple[str, str]]:
        return parse_option_lines(self.options.data) if "options" in self else []

    def row_pairs(self) -> list[tuple[str, str]]:
        return parse_option_lines(self.rows.data) if "rows" in self else []

    def texts(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in
                ("text_ro", "text_en", "help_ro", "help_en")}

    def settings(self) -> dict[str, Any]:
        """The settings this form holds (only those it shows), keyed as in models.py."""
        values: dict[str, Any] = {}
        for key, name in SETTINGS_FIELDS.get(self.question_type, {}).items():
            if name not in self:
                continue
            value = self[name].data
            if name in ("number_min", "number_max"):
                value = parse_number(value)
            if value is None and name not in NULLABLE_SETTINGS:
                continue
            if isinstance(value, str):
                value = value.strip()
            values[key] = value
        return values


def question_data(question: Question, question_type: str | None = None) -> dict[str, Any]:
    """What the question form shows for an existing question (as a `question_type` one, when
    the organiser is changing its type: the texts and options carry over)."""
    question_type = question_type or question.type
    data: dict[str, Any] = {
        "type": question_type,
        "text_ro": question.text_ro, "text_en": question.text_en,
        "help_ro": question.help_ro, "help_en": question.help_en,
        "required": question.required,
        "options": option_lines(question.choices),
        "rows": option_lines(question.rows),
        "condition": list((question.condition or {}).get("options") or ()),
    }
    if question_type == question.type:
        for key, name in SETTINGS_FIELDS.get(question.type, {}).items():
            if key in (question.settings or {}):
                value = question.settings[key]
                if name in ("number_min", "number_max") and value is not None:
                    value = str(value)
                data[name] = value
    return data


class SettingsForm(FlaskForm):
    respondents = RadioField(_l("Who may answer"), choices=_choices(RESPONDENTS.items()),
                             validators=[InputRequired(_l("Choose who may answer."))])
    results_visibility = RadioField(
        _l("When the results are public"), choices=_choices(RESULTS_VISIBILITY.items()),
        validators=[InputRequired(_l("Choose when the results are public."))],
    )
    profile_questions = MultiCheckboxField(_l("Profile questions (personal data)"),
                                           choices=_choices(PROFILE_QUESTIONS.items()))
    neighbourhoods = TextAreaField(
        _l("Neighbourhoods to choose from"), filters=[strip],
        validators=[Optional(), Length(max=NEIGHBOURHOODS_TEXT_MAX)],
        render_kw={"rows": 8, "maxlength": NEIGHBOURHOODS_TEXT_MAX},
    )

    def __init__(self, *args: Any, locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if locked:
            del self["respondents"]
            del self["profile_questions"]
