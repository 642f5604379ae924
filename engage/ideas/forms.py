"""Forms of the ideas pages. They check what a person typed (lengths, formats, choices) and give
field errors; the services re-check every business rule whatever the caller."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from engage.cities.themes import theme_label
from engage.core.forms import strip
from engage.ideas.models import (
    BODY_MAX,
    CHANNELS,
    COMMENT_MAX,
    EXPLANATION_MAX,
    MAX_PHOTOS,
    PLACE_TEXT_MAX,
    PROGRESS_STATUSES,
    REPORT_NOTE_MAX,
    REPORT_REASONS,
    TITLE_MAX,
    VOTING_MODES,
)

LANGUAGE_NAMES = {"ro": _l("Romanian"), "en": _l("English")}


def _choices(items: Any) -> list[SelectChoice]:
    """Choices with labels translated when the form is drawn (lazy strings kept as they are)."""
    return [SelectChoice(code, label) for code, label in items]


def _coordinate(minimum: float, maximum: float) -> Any:
    def check(form: Any, field: Any) -> None:
        if not field.data:
            return
        try:
            value = float(field.data)
        except ValueError as error:
            raise ValidationError(_l("The point on the map is not valid.")) from error
        if not (minimum <= value <= maximum):
            raise ValidationError(_l("The point on the map is not valid."))

    return check


class IdeaForm(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[InputRequired(_l("Give your idea a title.")), Length(max=TITLE_MAX)],
        render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"},
    )
    body = TextAreaField(
        _l("Description"),
        filters=[strip],
        validators=[Optional(), Length(max=BODY_MAX)],
        render_kw={"maxlength": BODY_MAX, "rows": 8},
    )
    theme = SelectField(_l("Theme"), validators=[InputRequired(_l("Choose a theme."))])
    language = SelectField(
        _l("Language you write in"),
        choices=_choices(LANGUAGE_NAMES.items()),
    )
    place_text = StringField(
        _l("Neighbourhood or address"),
        filters=[strip],
        validators=[Optional(), Length(max=PLACE_TEXT_MAX)],
        render_kw={"maxlength": PLACE_TEXT_MAX, "autocomplete": "street-address"},
    )
    lat = StringField(_l("Latitude"), filters=[strip], validators=[_coordinate(-90, 90)],
                      render_kw={"inputmode": "decimal"})
    lon = StringField(_l("Longitude"), filters=[strip], validators=[_coordinate(-180, 180)],
                      render_kw={"inputmode": "decimal"})
    photos = MultipleFileField(
        _l("Photos"),
        render_kw={"accept": "image/jpeg,image/png,image/webp", "multiple": True},
    )

    def __init__(self, process: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.theme.choices = _choices(
            [("", _l("Choose a theme"))]
            + [(code, theme_label(code)) for code in process.themes or ()]
        )

    def validate_lon(self, field: Any) -> None:
        if bool(self.lat.data) != bool(field.data):
            raise ValidationError(_l("Pick a point on the map, or leave it empty."))

    def validate_photos(self, field: Any) -> None:
        files = [f for f in field.data or [] if getattr(f, "filename", "")]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_l("At most %(max)s photos per idea.", max=MAX_PHOTOS))

    def photo_files(self) -> list[bytes]:
        return [f.read() for f in self.photos.data or [] if getattr(f, "filename", "")]


class WorkshopIdeaForm(IdeaForm):
    channel = RadioField(
        _l("Where was this idea collected?"),
        choices=_choices((code, label) for code, label in CHANNELS.items() if code != "online"),
        default="workshop",
        validators=[InputRequired(_l("Choose where the idea was collected."))],
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        filters=[strip],
        validators=[InputRequired(_l("Write a comment first.")), Length(max=COMMENT_MAX)],
        render_kw={"maxlength": COMMENT_MAX, "rows": 3},
    )
    parent_id = HiddenField()


class CommentEditForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        filters=[strip],
        validators=[InputRequired(_l("Write a comment first.")), Length(max=COMMENT_MAX)],
        render_kw={"maxlength": COMMENT_MAX, "rows": 3},
    )


class ReportForm(FlaskForm):
    reason = RadioField(
        _l("What is wrong with it?"),
        choices=_choices(REPORT_REASONS.items()),
        validators=[InputRequired(_l("Choose a reason."))],
    )
    note = TextAreaField(
        _l("Anything the moderators should know (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=REPORT_NOTE_MAX)],
        render_kw={"maxlength": REPORT_NOTE_MAX, "rows": 3},
    )


class ModerationForm(FlaskForm):
    action = HiddenField(validators=[InputRequired()])
    reason = StringField(
        _l("Reason (shown to the author)"),
        filters=[strip],
        validators=[Optional(), Length(max=REPORT_NOTE_MAX)],
        render_kw={"maxlength": REPORT_NOTE_MAX},
    )


class ProgressForm(FlaskForm):
    status = SelectField(
        _l("New status"),
        choices=_choices((c, label) for c, label in PROGRESS_STATUSES.items() if c != "new"),
    )
    explanation = TextAreaField(
        _l("Public explanation"),
        filters=[strip],
        validators=[InputRequired(_l("Explain the decision to the public.")),
                    Length(max=EXPLANATION_MAX)],
        render_kw={"maxlength": EXPLANATION_MAX, "rows": 4},
    )
    language = SelectField(
        _l("Language of the explanation"),
        choices=_choices(LANGUAGE_NAMES.items()),
    )


class MergeForm(FlaskForm):
    target = IntegerField(
        _l("Number of the idea to keep"),
        validators=[InputRequired(_l("Enter the number of the idea to keep.")),
                    NumberRange(min=1, message=_l("Enter the number of the idea to keep."))],
    )
    reason = StringField(
        _l("Note (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=REPORT_NOTE_MAX)],
        render_kw={"maxlength": REPORT_NOTE_MAX},
    )


class SettingsForm(FlaskForm):
    voting_mode = RadioField(_l("How citizens respond to ideas"),
                             choices=_choices(VOTING_MODES.items()))
    support_limit = IntegerField(
        _l("Supports per citizen"),
        validators=[Optional(),
                    NumberRange(min=1, max=10_000,
                                message=_l("Enter a whole number from 1, or leave it empty."))],
    )
