"""Forms of the Process base: the process form (create and edit) and the status-change form.

The form checks what a person typed (lengths, formats, required fields) and gives field errors;
the services re-check the business rules (unique slug, locked fields) whatever the caller.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from engage.cities.themes import THEMES
from engage.core.forms import MultiCheckboxField, lower_strip, strip
from engage.core.i18n import LOCAL_TIMEZONE
from engage.processes.models import KINDS, MODERATION_MODES

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# The first format is what the form renders: the one `<input type="datetime-local">` reads.
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

ACTION_LABELS = {
    "publish": _l("Publish"),
    "close": _l("Close"),
    "reopen": _l("Reopen"),
    "archive": _l("Archive"),
}
# i18n: asked in the browser before a status change that visitors will notice.
ACTION_CONFIRMATIONS = {
    "close": _l("Close this process? Nobody will be able to take part any more."),
    "archive": _l("Archive this process? It stays visible but can no longer be reopened."),
}


class AtLeastOne:
    """InputRequired for a group of checkboxes. It sets no `required` flag, because WTForms
    hands a field's validators to each of its checkboxes and a `required` attribute on every
    box would ask for all of them to be ticked."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            field.errors[:] = []
            raise StopValidation(str(self.message))


def _choices(labels: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(code, str(label)) for code, label in labels.items()]


def _datetime_field(label: Any, *validators: Any) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        validators=list(validators),
        format=DATETIME_LOCAL_FORMATS,
        # The browser sends wall-clock time without a zone: it is Romania's.
        tz=LOCAL_TIMEZONE,
        invalid_value_message=_l("Enter a valid date and time, for example 2027-03-12 10:00."),
    )


class ProcessForm(FlaskForm):
    kind = SelectField(_l("Kind of process"), validators=[InputRequired()])
    slug = StringField(
        _l("Short address"),
        filters=[lower_strip],
        validators=[
            InputRequired(),
            Length(min=2, max=80),
            Regexp(
                SLUG_PATTERN,
                message=_l(
                    "Use only lowercase letters a-z, digits and single hyphens between them."
                ),
            ),
        ],
    )
    title_ro = StringField(_l("Title in Romanian"), filters=[strip], validators=[Length(max=200)])
    title_en = StringField(_l("Title in English"), filters=[strip], validators=[Length(max=200)])
    description_ro = TextAreaField(
        _l("Description in Romanian"), filters=[strip], validators=[Length(max=20_000)]
    )
    description_en = TextAreaField(
        _l("Description in English"), filters=[strip], validators=[Length(max=20_000)]
    )
    themes = MultiCheckboxField(
        _l("Themes"), validators=[AtLeastOne(_l("Choose at least one theme."))]
    )
    opens_at = _datetime_field(
        _l("Opens"), InputRequired(message=_l("Enter the opening date and time."))
    )
    closes_at = _datetime_field(_l("Closes"), Optional())
    moderation_mode = RadioField(_l("Moderation"), default="post", validators=[InputRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(KINDS)
        self.themes.choices = _choices(THEMES)
        self.moderation_mode.choices = _choices(MODERATION_MODES)
        # Marks the group's legend as required; the boxes themselves stay optional.
        self.themes.flags.required = True

    def validate_closes_at(self, field: DateTimeLocalField) -> None:
        opens_at = self.opens_at.data
        if field.data is not None and opens_at is not None and field.data <= opens_at:
            raise ValidationError(_l("The closing time must be after the opening time."))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.title_ro.data or self.title_en.data):
            self.title_ro.errors.append(
                str(_l("Enter a title in Romanian or in English (at least one)."))
            )
            valid = False
        return valid

    def values(self) -> dict[str, Any]:
        """The submitted values, by the names the services use (fields removed from the form,
        such as the slug of a published process, are left out)."""
        return {field.name: field.data for field in self if field.name != "csrf_token"}


class StatusForm(FlaskForm):
    action = StringField(validators=[InputRequired()])
