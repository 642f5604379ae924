"""Forms of the organisers' protocol pages: a field (its texts, the required flag and its type's
settings), the campaign's settings, and naming a verifier. They check what was typed (lengths,
numbers, choices) and give field errors; `engage.science.protocol` re-checks every rule.

A field's type settings are form fields named `<type>_<key>` (e.g. `number_min`); the form of
one type keeps only that type's. A choice field's options are rows of three inputs repeated
with the same names (`option_id`, `option_ro`, `option_en`), so an existing option keeps its id
and the rows work without JavaScript; `option_rows` reads them back.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from engage.core.forms import strip
from engage.science.models import (
    CHOICE_TYPES,
    HELP_MAX,
    LICENCES,
    MAX_OPTIONS,
    PRECISIONS,
    TEXT_MAX,
    Field,
    ScienceSettings,
)
from engage.science.protocol import (
    DESCRIPTION_MAX,
    EMAIL_MAX,
    INSTRUCTIONS_MAX,
    RIGHTS_HOLDER_MAX,
    UNIT_MAX,
)

NUMBER_TEXT_MAX = 24
AREA_TEXT_MAX = 200_000
BLANK_OPTION_ROWS = 3

# Form field of each settings key, by field type.
SETTINGS_FIELDS: dict[str, dict[str, str]] = {
    "number": {"unit_ro": "number_unit_ro", "unit_en": "number_unit_en",
               "min": "number_min", "max": "number_max", "decimals": "number_decimals",
               "expected_min": "number_expected_min", "expected_max": "number_expected_max"},
    "count": {"max": "count_max", "expected_max": "count_expected_max"},
    "single": {},
    "multiple": {"min": "multiple_min", "max": "multiple_max"},
    "yes_no": {},
    "text": {"max_length": "text_max_length"},
    "datetime": {},
    "photo": {"max_photos": "photo_max_photos"},
}
ALL_SETTINGS_FIELDS = {name for fields in SETTINGS_FIELDS.values() for name in fields.values()}


def _text(label: Any, maximum: int, required: bool = False, area: bool = False,
          rows: int = 3, **render: Any) -> Any:
    validators: list[Any] = [
        InputRequired(_l("Write the Romanian text; the English one is optional."))
        if required else Optional(),
        Length(max=maximum, message=_l("At most %(max)s characters.", max=maximum)),
    ]
    render_kw: dict[str, Any] = {"maxlength": maximum, **render}
    if area:
        render_kw["rows"] = rows
        return TextAreaField(label, filters=[strip], validators=validators, render_kw=render_kw)
    return StringField(label, filters=[strip], validators=validators, render_kw=render_kw)


def _number(label: Any, whole: bool = False) -> StringField:
    # Typed as text so "2,5" works and an empty box means "no limit"; the service parses it.
    return StringField(label, filters=[strip], validators=[Optional(), Length(
        max=NUMBER_TEXT_MAX)], render_kw={"inputmode": "numeric" if whole else "decimal",
                                          "maxlength": NUMBER_TEXT_MAX})


class FieldForm(FlaskForm):
    label_ro = _text(_l("Label in Romanian"), TEXT_MAX, required=True)
    label_en = _text(_l("Label in English"), TEXT_MAX)
    help_ro = _text(_l("Help text in Romanian (optional)"), HELP_MAX, area=True, rows=2)
    help_en = _text(_l("Help text in English (optional)"), HELP_MAX, area=True, rows=2)
    required = BooleanField(_l("A value is required"))
    number_unit_ro = _text(_l("Unit in Romanian (optional), e.g. °C"), UNIT_MAX)
    number_unit_en = _text(_l("Unit in English (optional)"), UNIT_MAX)
    number_min = _number(_l("Smallest value accepted (optional)"))
    number_max = _number(_l("Largest value accepted (optional)"))
    number_decimals = _number(_l("Decimal places allowed"), whole=True)
    number_expected_min = _number(_l("Lowest expected value (optional)"))
    number_expected_max = _number(_l("Highest expected value (optional)"))
    count_max = _number(_l("Largest count accepted (optional)"), whole=True)
    count_expected_max = _number(_l("Highest expected count (optional)"), whole=True)
    multiple_min = _number(_l("Fewest selections (optional)"), whole=True)
    multiple_max = _number(_l("Most selections (optional)"), whole=True)
    text_max_length = _number(_l("Longest text, in characters"), whole=True)
    photo_max_photos = _number(_l("Most photos"), whole=True)

    def __init__(self, field_type: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.field_type = field_type
        keep = set(SETTINGS_FIELDS.get(field_type, {}).values())
        for name in ALL_SETTINGS_FIELDS - keep:
            del self[name]
        if field_type == "photo":
            self.required.label.text = _l("At least one photo is required")

    @property
    def settings_field_names(self) -> list[str]:
        return [name for name in SETTINGS_FIELDS.get(self.field_type, {}).values()
                if name in self]

    def texts(self) -> dict[str, Any]:
        return {name: self[name].data or "" for name in
                ("label_ro", "label_en", "help_ro", "help_en")}

    def settings(self) -> dict[str, Any]:
        """The type's settings keyed as in models.py, as typed (empty: None)."""
        return {key: (self[name].data or None)
                for key, name in SETTINGS_FIELDS.get(self.field_type, {}).items()}

    def form_field_of(self, error_field: str | None) -> str | None:
        """The form field a service error names (`settings.min` → `number_min`)."""
        if error_field and error_field.startswith("settings."):
            return SETTINGS_FIELDS.get(self.field_type, {}).get(error_field.split(".", 1)[1])
        return error_field


def field_data(field: Field) -> dict[str, Any]:
    """What the field form shows for an existing field."""
    data: dict[str, Any] = {"label_ro": field.label_ro, "label_en": field.label_en,
                            "help_ro": field.help_ro, "help_en": field.help_en,
                            "required": field.required}
    for key, name in SETTINGS_FIELDS.get(field.type, {}).items():
        value = (field.settings or {}).get(key)
        data[name] = "" if value is None else str(value)
    return data


def default_data(field_type: str) -> dict[str, Any]:
    from engage.science.protocol import SETTING_DEFAULTS

    return {name: "" if SETTING_DEFAULTS[field_type].get(key) is None
            else str(SETTING_DEFAULTS[field_type][key])
            for key, name in SETTINGS_FIELDS.get(field_type, {}).items()}


def option_rows(source: Any, field: Field | None = None, field_type: str = "") -> list[dict]:
    """The option rows a choice field's form shows: from the submitted form (`source`, a
    MultiDict) when there is one, else the field's active options; then a few blank rows."""
    rows: list[dict[str, Any]] = []
    if source is not None and "option_ro" in source:
        ids, ros, ens = (source.getlist(name) for name in ("option_id", "option_ro",
                                                            "option_en"))
        for index in range(min(len(ros), MAX_OPTIONS * 2)):
            rows.append({"id": ids[index] if index < len(ids) else "",
                         "label_ro": ros[index], "label_en": ens[index]
                         if index < len(ens) else ""})
    elif field is not None:
        rows = [{"id": str(option.id), "label_ro": option.label_ro,
                 "label_en": option.label_en} for option in field.choices]
    if field_type in CHOICE_TYPES or (field is not None and field.type in CHOICE_TYPES):
        blanks = sum(1 for row in rows if not row["id"] and not row["label_ro"].strip()
                     and not row["label_en"].strip())
        wanted = max(BLANK_OPTION_ROWS - blanks, 2 - len(rows), 0)
        rows += [{"id": "", "label_ro": "", "label_en": ""} for _ in range(wanted)]
    return rows


def submitted_options(source: Any) -> list[dict[str, Any]]:
    """The option rows posted, for `protocol.add_field` / `update_field` (ids as typed: the
    service refuses one that is not an option of the field)."""
    return [{"id": row["id"].strip() or None, "label_ro": row["label_ro"],
             "label_en": row["label_en"]} for row in option_rows(source)]


def _choices(items: Any) -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in items]


class SettingsForm(FlaskForm):
    instructions_ro = _text(_l("Instructions in Romanian"), INSTRUCTIONS_MAX, area=True, rows=8)
    instructions_en = _text(_l("Instructions in English"), INSTRUCTIONS_MAX, area=True, rows=8)
    licence = RadioField(_l("Licence of the data set"), choices=_choices(LICENCES.items()))
    dataset_title_ro = _text(_l("Title of the data set in Romanian"), TEXT_MAX)
    dataset_title_en = _text(_l("Title of the data set in English"), TEXT_MAX)
    dataset_description_ro = _text(_l("Description of the data set in Romanian"),
                                   DESCRIPTION_MAX, area=True, rows=4)
    dataset_description_en = _text(_l("Description of the data set in English"),
                                   DESCRIPTION_MAX, area=True, rows=4)
    method_ro = _text(_l("Method in Romanian (how observations are made)"), DESCRIPTION_MAX,
                      area=True, rows=3)
    method_en = _text(_l("Method in English"), DESCRIPTION_MAX, area=True, rows=3)
    rights_holder = _text(_l("Organiser (rights holder)"), RIGHTS_HOLDER_MAX)
    contact_email = _text(_l("Contact e-mail address"), EMAIL_MAX, type="email",
                          autocomplete="email")
    location_required = BooleanField(_l("A location is required"))
    min_accuracy_m = _number(_l("Least accuracy accepted, in metres (optional)"), whole=True)
    area = TextAreaField(
        _l("Area (optional)"), filters=[strip],
        validators=[Optional(), Length(max=AREA_TEXT_MAX)],
        render_kw={"rows": 4, "spellcheck": "false", "class": "science-area-text"},
    )
    public_precision = RadioField(_l("Precision of the locations shown in public"),
                                  choices=_choices(PRECISIONS.items()))
    burst_count = _number(_l("Observations by one person"), whole=True)
    burst_minutes = _number(_l("within minutes"), whole=True)

    TEXTS = ("instructions_ro", "instructions_en", "dataset_title_ro", "dataset_title_en",
             "dataset_description_ro", "dataset_description_en", "method_ro", "method_en",
             "rights_holder", "contact_email")

    def values(self) -> dict[str, Any]:
        """The settings for `protocol.save_settings`."""
        values = {name: self[name].data or "" for name in self.TEXTS}
        values |= {
            "licence": self.licence.data,
            "public_precision": self.public_precision.data,
            "location_required": bool(self.location_required.data),
            "min_accuracy_m": self.min_accuracy_m.data or None,
            "area": self.area.data or None,
            "burst_count": self.burst_count.data,
            "burst_minutes": self.burst_minutes.data,
        }
        return values


def settings_data(settings: ScienceSettings, area_text: str) -> dict[str, Any]:
    data = {name: getattr(settings, name) or "" for name in SettingsForm.TEXTS}
    data |= {
        "licence": settings.licence, "public_precision": settings.public_precision,
        "location_required": settings.location_required,
        "min_accuracy_m": "" if settings.min_accuracy_m is None else str(settings.min_accuracy_m),
        "area": area_text, "burst_count": str(settings.burst_count),
        "burst_minutes": str(settings.burst_minutes),
    }
    return data


class VerifierForm(FlaskForm):
    email = StringField(_l("E-mail address of an organiser of the city"), filters=[strip],
                        validators=[InputRequired(_l("Enter an e-mail address.")),
                                    Length(max=EMAIL_MAX)],
                        render_kw={"type": "email", "autocomplete": "off",
                                   "maxlength": EMAIL_MAX})
