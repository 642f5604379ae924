"""Small WTForms helpers shared by every feature's forms."""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, ValidationError, widgets


def strip(value: object) -> object:
    """Trim surrounding white space and normalise to NFC (one form for ș, ț, ă, â, î)."""
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value.strip())
        # Old cedilla letters are a different character; everything we store uses comma-below.
        value = value.translate(CEDILLA_TO_COMMA)
    return value


CEDILLA_TO_COMMA = str.maketrans({"ş": "ș", "Ş": "Ș", "ţ": "ț", "Ţ": "Ț"})


def lower_strip(value: object) -> object:
    value = strip(value)
    return value.lower() if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes (the `field` macro draws them in a fieldset)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        allowed = {str(choice.value) for choice in self.choices}
        if any(str(value) not in allowed for value in self.data or []):
            raise ValidationError(_l("Choose among the options listed."))


def show_refusal(form: Any, field: str | None, message: Any) -> None:
    """A service's refusal on `form`: under the field `field` when the form shows it (not a
    hidden input), else above the form; the form keeps what was typed."""
    if field and field in form and form[field].type != "HiddenField":
        form[field].errors = [*form[field].errors, str(message)]
    else:
        form.form_errors.append(str(message))


def form_status() -> int:
    """The status of a form page: 422 when it is shown again after a POST (the POST was
    refused and nothing was kept), else 200."""
    from flask import request

    return 422 if request.method == "POST" else 200


def normalised_email(value: str) -> str | None:
    """`value` as a syntactically valid e-mail address (no DNS look-up), normalised and lower
    case; None when it is not one. email_validator is imported on first use, so web workers
    that never read an address do not carry it."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None
