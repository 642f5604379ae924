"""Forms of the admin pages: a city, a role grant, a funding call."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
    URLField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)

from engage.accounts.models import EMAIL_MAX
from engage.cities.models import RESERVED_SLUGS, ROLES
from engage.cities.themes import THEMES
from engage.core.forms import MultiCheckboxField, lower_strip, strip

SLUG_MIN, SLUG_MAX = 2, 60
NAME_MAX = 120
COUNTY_MAX = 60
DESCRIPTION_MAX = 20_000
CODE_MAX = 80
TITLE_MAX = 300
PROGRAMME_MAX = 120
URL_MAX = 500
EARLIEST_DEADLINE, LATEST_DEADLINE = date(2000, 1, 1), date(2100, 12, 31)

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CODE_PATTERN = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
HUB_SLUG = "hub"


def choices(labels: dict[str, Any]) -> list[SelectChoice]:
    """Choices from a {code: lazy label} mapping; the labels are translated when rendered."""
    return [SelectChoice(code, label) for code, label in labels.items()]


def upper_strip(value: object) -> object:
    value = strip(value)
    return value.upper() if isinstance(value, str) else value


class LocalDateField(DateField):
    """A date typed as YYYY-MM-DD (what `<input type=date>` sends), with a message people
    understand; an empty value is left to the DataRequired validator."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not " ".join(valuelist).strip():
            self.data = None
            return
        try:
            super().process_formdata([" ".join(valuelist).strip()])
        except ValueError as error:
            self.data = None
            raise ValueError(_l("Enter the date as YYYY-MM-DD, for example 2027-03-12.")) from error


class DateRequired:
    """A date must be given; a date that could not be read keeps its own, clearer message
    (DataRequired would replace it with "required")."""

    field_flags = {"required": True}

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: Any, field: DateField) -> None:
        if field.data is None and not field.process_errors:
            raise StopValidation(self.message)


# ---------------------------------------------------------------- cities


class CityForm(FlaskForm):
    slug = StringField(
        _l("Address"),
        filters=[lower_strip],
        validators=[
            DataRequired(_l("Enter the address of the city's page.")),
            Length(
                min=SLUG_MIN,
                max=SLUG_MAX,
                message=_l("The address must have between 2 and 60 characters."),
            ),
            Regexp(
                SLUG_PATTERN,
                message=_l(
                    "Use only lower-case letters a-z, digits and single hyphens, "
                    "not at the start or the end."
                ),
            ),
        ],
    )
    kind = RadioField(
        _l("Kind"),
        choices=choices(
            {"city": _l("City"), "hub": _l("National hub (national working meetings)")}
        ),
        default="city",
        validators=[DataRequired(_l("Choose the kind."))],
    )
    name_ro = StringField(
        _l("Name in Romanian"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter the name in Romanian.")),
            Length(max=NAME_MAX, message=_l("The name may have at most 120 characters.")),
        ],
    )
    name_en = StringField(
        _l("Name in English"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=NAME_MAX, message=_l("The name may have at most 120 characters.")),
        ],
    )
    county = StringField(
        _l("County"),
        filters=[strip],
        validators=[Length(max=COUNTY_MAX, message=_l("At most 60 characters."))],
    )
    is_mission_city = BooleanField(_l("Mission city (selected for the EU Mission)"))
    description_ro = TextAreaField(
        _l("Description in Romanian"),
        filters=[strip],
        validators=[
            Length(max=DESCRIPTION_MAX, message=_l("At most 20,000 characters."))
        ],
    )
    description_en = TextAreaField(
        _l("Description in English"),
        filters=[strip],
        validators=[
            Length(max=DESCRIPTION_MAX, message=_l("At most 20,000 characters."))
        ],
    )

    guest_data_retention_days = IntegerField(
        _l("Days to keep guests' personal data after a living lab closes"),
        description=_l("Guests' e-mail addresses and names are deleted this many days after "
                       "their living lab's process closes (0 to 3650)."),
        default=30,
        validators=[
            Optional(),  # left empty: the city keeps its current setting (30 for a new one)
            NumberRange(min=0, max=3650, message=_l("Enter a number of days from 0 to 3650.")),
        ],
    )

    def validate_slug(self, field: StringField) -> None:
        # "hub" is the national hub's own address (/hub/ leads to the home page); every other
        # reserved word belongs to the application's pages.
        if field.data == HUB_SLUG and self.kind.data == "hub":
            return
        if field.data in RESERVED_SLUGS:
            raise ValidationError(_l("This address is reserved. Please choose another one."))

    def validate_is_mission_city(self, field: BooleanField) -> None:
        if field.data and self.kind.data == "hub":
            raise ValidationError(_l("The national hub cannot be a mission city."))

    def values(self) -> dict[str, Any]:
        data = {
            "slug": self.slug.data,
            "kind": self.kind.data,
            "name_ro": self.name_ro.data,
            "name_en": self.name_en.data or "",
            "county": self.county.data or "",
            "is_mission_city": bool(self.is_mission_city.data),
            "description_ro": self.description_ro.data or "",
            "description_en": self.description_en.data or "",
        }
        if self.guest_data_retention_days.data is not None:
            data["guest_data_retention_days"] = self.guest_data_retention_days.data
        return data


# ---------------------------------------------------------------- roles


class GrantRoleForm(FlaskForm):
    email = StringField(
        _l("E-mail address of the person's account"),
        filters=[lower_strip],
        validators=[
            DataRequired(_l("Enter an e-mail address.")),
            Length(max=EMAIL_MAX, message=_l("This e-mail address is too long.")),
            Email(message=_l("Enter a valid e-mail address.")),
        ],
    )
    role = RadioField(
        _l("Role"),
        choices=choices(ROLES),
        default="moderator",
        validators=[DataRequired(_l("Choose a role."))],
    )


# ---------------------------------------------------------------- funding calls


class FundingCallForm(FlaskForm):
    code = StringField(
        _l("Call code"),
        filters=[upper_strip],
        validators=[
            DataRequired(_l("Enter the call's code.")),
            Length(max=CODE_MAX, message=_l("The code may have at most 80 characters.")),
            Regexp(
                CODE_PATTERN,
                message=_l("Use only letters, digits and single hyphens, as in the call's code."),
            ),
        ],
    )
    title_ro = StringField(
        _l("Title in Romanian"),
        filters=[strip],
        validators=[Length(max=TITLE_MAX, message=_l("At most 300 characters."))],
    )
    title_en = StringField(
        _l("Title in English"),
        filters=[strip],
        validators=[Length(max=TITLE_MAX, message=_l("At most 300 characters."))],
    )
    programme = StringField(
        _l("Programme"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter the programme, for example Horizon Europe.")),
            Length(max=PROGRAMME_MAX, message=_l("At most 120 characters.")),
        ],
    )
    deadline = LocalDateField(_l("Deadline"), validators=[DateRequired(_l("Enter the deadline."))])
    url = URLField(
        _l("Link to the call"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter the link to the call.")),
            Length(max=URL_MAX, message=_l("The link may have at most 500 characters.")),
        ],
    )
    themes = MultiCheckboxField(_l("Themes"), choices=choices(THEMES))

    def validate_title_ro(self, field: StringField) -> None:
        if not field.data and not self.title_en.data:
            raise ValidationError(_l("Enter the title in Romanian, in English or in both."))

    def validate_deadline(self, field: LocalDateField) -> None:
        if field.data is not None and not EARLIEST_DEADLINE <= field.data <= LATEST_DEADLINE:
            raise ValidationError(_l("Enter a date between the years 2000 and 2100."))

    def validate_url(self, field: URLField) -> None:
        # Only web links: a javascript: or data: "link" on the public hub would run script.
        value = field.data or ""
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme.lower() not in ("http", "https")
            or not parts.hostname
            or any(char.isspace() or ord(char) < 32 for char in value)
        ):
            raise ValidationError(
                _l("Enter a web address that starts with http:// or https://.")
            )

    def values(self) -> dict[str, Any]:
        return {
            "code": self.code.data,
            "title_ro": self.title_ro.data or "",
            "title_en": self.title_en.data or "",
            "programme": self.programme.data,
            "deadline": self.deadline.data,
            "url": self.url.data,
            "themes": list(self.themes.data or []),
        }
