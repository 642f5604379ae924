"""The participants' form: registering for a session, with an account or as a guest.

The form checks what a person typed (lengths, the e-mail's form, the choice of group, the
consent that must come with accessibility needs) and says so under each field; the services
check every rule again (window, group, capacity, one registration per person) whatever the
caller. Only the session's own optional questions are on the form.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from engage.accounts.models import EMAIL_MAX, STAKEHOLDER_TYPES
from engage.core.forms import normalised_email, strip
from engage.livinglabs.models import ACCESSIBILITY_MAX, ANSWER_MAX, NAME_MAX, QUESTIONS

# The questions drawn as fields, in the order the form shows them.
QUESTION_FIELDS = ("organisation", "dietary", "accessibility", "photo_consent")


class RegistrationForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        filters=[strip],
        validators=[
            InputRequired(_l("Please give your name.")),
            Length(max=NAME_MAX, message=_l("The name is too long (at most %(max)d "
                                            "characters).")),
        ],
        render_kw={"maxlength": NAME_MAX, "autocomplete": "name"},
    )
    email = EmailField(
        _l("E-mail address"),
        filters=[strip],
        validators=[
            InputRequired(_l("Please give your e-mail address.")),
            Length(max=EMAIL_MAX, message=_l("This e-mail address is too long.")),
        ],
        render_kw={"maxlength": EMAIL_MAX, "autocomplete": "email"},
    )
    stakeholder_type = SelectField(
        _l("You take part as"),
        choices=[SelectChoice(key, label) for key, label in STAKEHOLDER_TYPES.items()],
        validators=[InputRequired(_l("Choose who you take part as."))],
    )
    organisation = StringField(
        QUESTIONS["organisation"],
        filters=[strip],
        validators=[Optional(), Length(max=ANSWER_MAX, message=_l(
            "This answer is too long (at most %(max)d characters)."))],
        render_kw={"maxlength": ANSWER_MAX, "autocomplete": "organization"},
    )
    dietary = StringField(
        QUESTIONS["dietary"],
        filters=[strip],
        validators=[Optional(), Length(max=ANSWER_MAX, message=_l(
            "This answer is too long (at most %(max)d characters)."))],
        render_kw={"maxlength": ANSWER_MAX},
    )
    accessibility = TextAreaField(
        QUESTIONS["accessibility"],
        filters=[strip],
        validators=[Optional(), Length(max=ACCESSIBILITY_MAX, message=_l(
            "This answer is too long (at most %(max)d characters)."))],
        render_kw={"maxlength": ACCESSIBILITY_MAX, "rows": 3},
    )
    # The label says for how long; it is set per living lab in __init__.
    accessibility_consent = BooleanField()
    photo_consent = BooleanField(_l("I agree to be photographed during the session"))
    # A trap for scripts (hidden from people, labelled for screen readers): guests only.
    website = StringField(
        _l("Leave this field empty"),
        render_kw={"tabindex": "-1", "autocomplete": "off"},
    )

    def __init__(self, *args: Any, questions: list[str] | tuple[str, ...] = (),
                 guest: bool = False, retention_days: int = 30, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        asked = set(questions or ())
        for key in QUESTION_FIELDS:
            if key not in asked:
                delattr(self, key)
        if "accessibility" not in asked:
            delattr(self, "accessibility_consent")
        else:
            self.accessibility_consent.label.text = _(
                "I agree that this information is kept only until %(days)s days after the "
                "session and shown only to the organisers.", days=retention_days)
        if not guest:
            delattr(self, "email")
            delattr(self, "website")
        self.guest = guest
        self.normalised_email: str | None = None

    def validate_email(self, field: Any) -> None:
        self.normalised_email = normalised_email(field.data or "")
        if self.normalised_email is None:
            raise ValidationError(_l("Please give a valid e-mail address, such as "
                                     "name@example.org."))

    def validate_accessibility_consent(self, field: Any) -> None:
        if "accessibility" in self and self.accessibility.data and not field.data:
            raise ValidationError(_l(
                "To tell us about accessibility needs, please agree that we keep this "
                "information until after the session."))

    @property
    def is_robot(self) -> bool:
        return self.guest and bool((self.website.data or "").strip())

    def answers(self) -> dict[str, Any]:
        """The answers to the session's questions, as `services.register` takes them."""
        return {key: self[key].data for key in QUESTION_FIELDS if key in self}

    @property
    def consent(self) -> bool:
        return "accessibility_consent" in self and bool(self.accessibility_consent.data)
