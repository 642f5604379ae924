"""The account forms: sign-up, log-in, verification and reset requests, profile, password, e-mail.

The limits come from the model (`EMAIL_MAX`, `DISPLAY_NAME_MAX`, `PASSWORD_MIN`/`PASSWORD_MAX`),
so a form never accepts what the database cannot hold. Passwords are never filtered: spaces at
either end are part of the password.
"""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    PasswordField,
    RadioField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError

from engage.accounts.models import (
    DISPLAY_NAME_MAX,
    EMAIL_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    STAKEHOLDER_TYPES,
)
from engage.core.forms import lower_strip, normalised_email, strip
from engage.core.i18n import LANGUAGE_NAMES

REQUIRED = _l("Please fill in this field.")
TOO_LONG = _l("Please use at most %(max)d characters.")
EMAIL_INVALID = _l("Please enter a valid e-mail address, like name@example.org.")

# Characters that have no business in a name: C0/C1 controls, line breaks, and the bidirectional
# overrides that can make a name display as something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def language_choices() -> list[SelectChoice]:
    # Each language is named in itself, so a person finds their own whatever the page language.
    return [SelectChoice(value=code, label=name) for code, name in LANGUAGE_NAMES.items()]


def stakeholder_choices() -> list[SelectChoice]:
    return [SelectChoice(value=key, label=label) for key, label in STAKEHOLDER_TYPES.items()]


def email_syntax(form: FlaskForm, field: Field) -> None:
    """A syntactically valid address (no DNS look-up), stored normalised and lower-cased."""
    if not field.data:
        return
    normalised = normalised_email(field.data)
    if normalised is None:
        raise ValidationError(str(EMAIL_INVALID))
    if len(normalised) > EMAIL_MAX:
        raise ValidationError(str(TOO_LONG) % {"max": EMAIL_MAX})
    field.data = normalised


def no_control_characters(form: FlaskForm, field: Field) -> None:
    for char in field.data or "":
        if (
            unicodedata.category(char) in ("Cc", "Zl", "Zp")
            or char in _BIDI_CONTROLS
        ):
            raise ValidationError(str(_l("Please remove the invisible or control characters.")))


def _email_field(label: object = None, strict: bool = False, **kwargs: object) -> EmailField:
    validators: list = [DataRequired(REQUIRED), Length(max=EMAIL_MAX, message=TOO_LONG)]
    if strict:
        # New addresses are checked strictly; log-in and the request forms accept any address
        # an existing account may hold (demo accounts use reserved domains such as .localhost).
        validators.append(email_syntax)
    return EmailField(
        label or _l("E-mail address"),
        filters=[lower_strip],
        validators=validators,
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"},
        **kwargs,
    )


def _display_name_field() -> StringField:
    return StringField(
        _l("Display name"),
        filters=[strip],
        validators=[
            DataRequired(REQUIRED),
            Length(min=1, max=DISPLAY_NAME_MAX, message=TOO_LONG),
            no_control_characters,
        ],
        description=_l("Shown next to what you write. It does not have to be your full name."),
        render_kw={"autocomplete": "name"},
    )


def _new_password_field(label: object) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(REQUIRED),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=_l("The password must have between %(min)d and %(max)d characters."),
            ),
        ],
        description=_l(
            "At least %(min)d characters. A few unrelated words make a good password.",
            min=PASSWORD_MIN,
        ),
        render_kw={"autocomplete": "new-password"},
    )


def _password_confirm_field(label: object) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(REQUIRED),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _current_password_field() -> PasswordField:
    return PasswordField(
        _l("Current password"),
        validators=[InputRequired(REQUIRED), Length(max=PASSWORD_MAX, message=TOO_LONG)],
        render_kw={"autocomplete": "current-password"},
    )


class NewPasswordForm(FlaskForm):
    """A new password typed twice; it may not be the account's e-mail address."""

    password = _new_password_field(_l("New password"))
    password_confirm = _password_confirm_field(_l("Repeat the new password"))

    # The address of the account; set by the view (sign-up reads it from its own field).
    owner_email: str | None = None

    def _address_for_password_check(self) -> str | None:
        return self.owner_email

    def validate_password(self, field: Field) -> None:
        address = self._address_for_password_check()
        if address and field.data and field.data.strip().lower() == address.strip().lower():
            raise ValidationError(str(_l("Please do not use your e-mail address as password.")))


class SignupForm(NewPasswordForm):
    email = _email_field(strict=True)
    display_name = _display_name_field()
    password = _new_password_field(_l("Password"))
    password_confirm = _password_confirm_field(_l("Repeat the password"))
    language = RadioField(_l("Preferred language"), choices=language_choices(),
                          validators=[InputRequired(REQUIRED)])
    stakeholder_type = RadioField(
        _l("I take part as"), choices=stakeholder_choices(), default="citizen",
        validators=[InputRequired(REQUIRED)],
    )
    # Honeypot: hidden from sight by CSS; people leave it empty, form-filling robots do not.
    website = StringField(
        _l("Leave this field empty"),
        render_kw={"tabindex": "-1", "autocomplete": "off"},
    )

    def _address_for_password_check(self) -> str | None:
        return self.email.data

    @property
    def is_robot(self) -> bool:
        return bool((self.website.data or "").strip())


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(REQUIRED), Length(max=PASSWORD_MAX, message=TOO_LONG)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class ResendVerificationForm(FlaskForm):
    # Its own id: this form shares pages with the log-in form, whose field is also "email".
    email = _email_field(id="resend-email")


class ResetRequestForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(NewPasswordForm):
    pass


class ProfileForm(FlaskForm):
    display_name = _display_name_field()
    language = RadioField(_l("Preferred language"), choices=language_choices(),
                          validators=[InputRequired(REQUIRED)])
    stakeholder_type = RadioField(_l("I take part as"), choices=stakeholder_choices(),
                                  validators=[InputRequired(REQUIRED)])


class ChangePasswordForm(NewPasswordForm):
    current_password = _current_password_field()


class ChangeEmailForm(FlaskForm):
    new_email = _email_field(_l("New e-mail address"), strict=True)
    current_password = _current_password_field()
