"""The synthesis forms: a summary (topic, theme, title and text in Romanian and English)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from engage.cities.themes import theme_label
from engage.core.forms import strip
from engage.synthesis.models import BODY_MAX, TITLE_MAX, TOPIC_MAX

CITATION_HINT = _l("Cite input with the picker, or type [[idea:12]], [[comment:45]], "
                   "[[answer:678]], [[observation:9]] or [[session:3]]: each becomes a link "
                   "with the quoted text. Only published input can be cited.")


class SummaryForm(FlaskForm):
    topic = StringField(_l("Topic (a theme or a question)"), filters=[strip],
                        validators=[Optional(), Length(max=TOPIC_MAX)])
    theme = SelectField(_l("Theme of the Climate City Contract"), choices=[],
                        validators=[Optional()])
    title_ro = StringField(_l("Title (Romanian)"), filters=[strip],
                           validators=[Optional(), Length(max=TITLE_MAX)])
    title_en = StringField(_l("Title (English)"), filters=[strip],
                           validators=[Optional(), Length(max=TITLE_MAX)])
    body_ro = TextAreaField(_l("Summary (Romanian, Markdown)"), filters=[strip],
                            validators=[Optional(), Length(max=BODY_MAX)])
    body_en = TextAreaField(_l("Summary (English, Markdown)"), filters=[strip],
                            validators=[Optional(), Length(max=BODY_MAX)])

    def set_themes(self, themes: list[str]) -> None:
        self.theme.choices = [("", _l("No theme"))] + [(t, theme_label(t)) for t in themes]

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name).data or "" for name in
                ("topic", "theme", "title_ro", "title_en", "body_ro", "body_en")}
