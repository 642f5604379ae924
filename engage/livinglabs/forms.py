"""The living lab's forms: the participants' registration (with an account or as a guest) and
the organisers' forms — a session (create and edit), cancelling a session, the attendee export
(why, and whether with personal data), a message to the participants, the outcome and its
attachments, and the living lab's settings.

The forms check what was typed (lengths, the e-mail's form, numbers, choices, the consent that
must come with accessibility needs) and say so under each field; the services (`services`,
`sessions`) check every rule again (window, group, capacity, one registration per person)
whatever the caller. A registration form carries only the session's own optional questions.
Times are typed in Romania's wall-clock time (`<input type="datetime-local">`) and reach the
services as aware datetimes, which store them in UTC — the process form's approach
(`engage.processes.forms`).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    FloatField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from engage.accounts.models import EMAIL_MAX, STAKEHOLDER_TYPES
from engage.core.forms import MultiCheckboxField, normalised_email, strip
from engage.livinglabs.models import (
    ACCESSIBILITY_MAX,
    ADDRESS_MAX,
    ANSWER_MAX,
    CAPACITY_MAX,
    FORMATS,
    LAB_PHASES,
    LANGUAGES,
    NAME_MAX,
    QUESTIONS,
    TITLE_MAX,
    URL_MAX,
    LabSession,
)
from engage.livinglabs.sessions import (
    CONFIRMATION_HOURS_MAX,
    CONFIRMATION_HOURS_MIN,
    DESCRIPTION_MAX,
    RETENTION_DAYS_MAX,
)
from engage.processes.forms import _datetime_field as datetime_field

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


# ---------------------------------------------------------------- the organisers' forms

REASON_MAX = 500
SUBJECT_MAX = 200
BODY_MAX = 5000
OUTCOME_MAX = 20_000
CANCEL_REASON_MAX = 2000

DELIMITERS = {";": _l("Semicolon (;), for spreadsheets in Romanian"),
              ",": _l("Comma (,)")}
MESSAGE_AUDIENCES = {"confirmed": _l("Everyone confirmed"),
                     "waitlisted": _l("Everyone on the waitlist")}


def _choices(labels: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(code, str(label)) for code, label in labels.items()]


def _number_message() -> Any:
    return _l("Enter a whole number.")


class SessionForm(FlaskForm):
    title_ro = StringField(_l("Title in Romanian"), filters=[strip],
                           validators=[Length(max=TITLE_MAX)])
    title_en = StringField(_l("Title in English"), filters=[strip],
                           validators=[Length(max=TITLE_MAX)])
    description_ro = TextAreaField(_l("Description in Romanian"), filters=[strip],
                                   validators=[Length(max=DESCRIPTION_MAX)])
    description_en = TextAreaField(_l("Description in English"), filters=[strip],
                                   validators=[Length(max=DESCRIPTION_MAX)])
    format = RadioField(_l("Format"), default="onsite", validators=[InputRequired()])
    address = StringField(_l("Address"), filters=[strip], validators=[Length(max=ADDRESS_MAX)])
    lat = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])
    online_url = StringField(_l("Online link"), filters=[strip],
                             validators=[Length(max=URL_MAX)])
    starts_at = datetime_field(_l("Starts"), InputRequired(
        message=_l("Enter the date and time the session starts.")))
    ends_at = datetime_field(_l("Ends"), InputRequired(
        message=_l("Enter the date and time the session ends.")))
    language = SelectField(_l("Language of the session"), default="ro",
                           validators=[InputRequired()])
    capacity = IntegerField(_l("Capacity (seats)"), default=30, validators=[
        InputRequired(message=_l("Enter the number of seats.")),
        NumberRange(1, CAPACITY_MAX)])
    registration_opens_at = datetime_field(_l("Registration opens"), Optional())
    registration_closes_at = datetime_field(_l("Registration closes"), Optional())
    stakeholder_groups = MultiCheckboxField(_l("For whom"))
    step_free_access = BooleanField(_l("Step-free access"))
    interpreting = BooleanField(_l("Interpreting (e.g. sign language)"))
    accessibility_ro = TextAreaField(_l("Accessibility information in Romanian"),
                                     filters=[strip], validators=[Length(max=ACCESSIBILITY_MAX)])
    accessibility_en = TextAreaField(_l("Accessibility information in English"),
                                     filters=[strip], validators=[Length(max=ACCESSIBILITY_MAX)])
    lab_phase = SelectField(_l("Living-lab phase"), default="co_create",
                            validators=[InputRequired()])
    questions = MultiCheckboxField(_l("Questions asked when registering"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.format.choices = _choices(FORMATS)
        self.language.choices = _choices(LANGUAGES)
        self.lab_phase.choices = _choices(LAB_PHASES)
        self.stakeholder_groups.choices = _choices(STAKEHOLDER_TYPES)
        self.questions.choices = _choices(QUESTIONS)

    def cap_fields(self) -> list[tuple[str, Any]]:
        """(stakeholder type, its cap field), in the types' order."""
        return [(group, self[f"cap_{group}"]) for group in STAKEHOLDER_TYPES]

    def values(self) -> dict[str, Any]:
        """The submitted values, by the names the services use."""
        values = {name: self[name].data for name in (
            "title_ro", "title_en", "description_ro", "description_en", "format", "address",
            "lat", "lon", "online_url", "starts_at", "ends_at", "language", "capacity",
            "registration_opens_at", "registration_closes_at", "stakeholder_groups",
            "step_free_access", "interpreting", "accessibility_ro", "accessibility_en",
            "lab_phase", "questions")}
        values["stakeholder_caps"] = {group: field.data for group, field in self.cap_fields()
                                      if field.data is not None}
        return values


# One optional cap field per stakeholder type (`cap_citizen`, …).
for _group, _label in STAKEHOLDER_TYPES.items():
    setattr(SessionForm, f"cap_{_group}", IntegerField(
        _label, validators=[Optional(), NumberRange(1, CAPACITY_MAX)]))


def session_data(session: LabSession) -> dict[str, Any]:
    """A session's values as the form's data (times stay aware: the field shows them in
    Romania's time)."""
    data = {name: getattr(session, name) for name in (
        "title_ro", "title_en", "description_ro", "description_en", "format", "address",
        "lat", "lon", "online_url", "starts_at", "ends_at", "language", "capacity",
        "registration_opens_at", "registration_closes_at", "stakeholder_groups",
        "step_free_access", "interpreting", "accessibility_ro", "accessibility_en",
        "lab_phase", "questions")}
    for group, cap in (session.stakeholder_caps or {}).items():
        data[f"cap_{group}"] = cap
    return data


class CancelSessionForm(FlaskForm):
    reason = TextAreaField(_l("Why is the session cancelled? (told to everyone registered)"),
                           filters=[strip], validators=[Length(max=CANCEL_REASON_MAX)])


class ExportForm(FlaskForm):
    reason = TextAreaField(_l("Why do you need this export?"), filters=[strip], validators=[
        InputRequired(message=_l("Say why you export the list: it is recorded.")),
        Length(max=REASON_MAX)])
    personal = BooleanField(_l("Include personal data (names, e-mail addresses, answers)"))
    delimiter = RadioField(_l("Separator"), default=";", validators=[InputRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delimiter.choices = _choices(DELIMITERS)


class MessageForm(FlaskForm):
    audience = RadioField(_l("To"), default="confirmed", validators=[InputRequired()])
    subject = StringField(_l("Subject"), filters=[strip], validators=[
        InputRequired(message=_l("Enter a subject.")), Length(max=SUBJECT_MAX)])
    body = TextAreaField(_l("Message (plain text)"), filters=[strip], validators=[
        InputRequired(message=_l("Write the message.")), Length(max=BODY_MAX)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audience.choices = _choices(MESSAGE_AUDIENCES)


class SettingsForm(FlaskForm):
    accessibility_retention_days = IntegerField(
        _l("Days to keep accessibility and dietary answers after a session"),
        validators=[InputRequired(message=_number_message()),
                    NumberRange(0, RETENTION_DAYS_MAX)])
    guest_confirmation_hours = IntegerField(
        _l("Hours a guest has to confirm the e-mail address"),
        validators=[InputRequired(message=_number_message()),
                    NumberRange(CONFIRMATION_HOURS_MIN, CONFIRMATION_HOURS_MAX)])


class OutcomeForm(FlaskForm):
    outcome_ro = TextAreaField(_l("Outcome in Romanian"), filters=[strip],
                               validators=[Length(max=OUTCOME_MAX)])
    outcome_en = TextAreaField(_l("Outcome in English"), filters=[strip],
                               validators=[Length(max=OUTCOME_MAX)])
    published = BooleanField(_l("Published on the session's page"))


class AttachmentForm(FlaskForm):
    title = StringField(_l("Title of the file"), filters=[strip], validators=[
        InputRequired(message=_l("Give the file a title.")), Length(max=TITLE_MAX)])
    file = FileField(_l("File (PDF, JPEG, PNG or WebP)"))
