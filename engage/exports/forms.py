"""The export form (which tables, the format, the separator, the language, personal data) and
the workshop pack's form (which document, its language, which idea cards, HTML or PDF)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from engage.cities.themes import theme_label
from engage.core.forms import MultiCheckboxField, strip
from engage.exports.packs import CARDS_DEFAULT, CARDS_MAX, DOCUMENTS

REASON_MAX = 500
FORMATS = {"xlsx": _l("Excel workbook (XLSX): one sheet per table"),
           "csv": _l("CSV: one table per file"),
           "json": _l("JSON: every chosen table")}
DELIMITERS = {";": _l("Semicolon (;), for spreadsheets in Romanian"), ",": _l("Comma (,)")}
LANGUAGES = {"ro": _l("Romanian"), "en": _l("English")}
PACK_FORMATS = {"pdf": _l("PDF, to print or share"),
                "html": _l("A web page, to read or print from the browser")}


class ExportForm(FlaskForm):
    tables = MultiCheckboxField(_l("Tables"), validators=[
        InputRequired(message=_l("Choose at least one table."))])
    format = RadioField(_l("Format"), default="xlsx", validators=[InputRequired()])
    delimiter = RadioField(_l("CSV separator"), default=";", validators=[InputRequired()])
    language = RadioField(_l("Language of the column names and labels"), default="ro",
                          validators=[InputRequired()])
    personal = BooleanField(_l("Include personal data (names, e-mail addresses)"))
    reason = TextAreaField(_l("Why do you need personal data?"), filters=[strip],
                           validators=[Length(max=REASON_MAX)])

    def __init__(self, table_choices: list[tuple[str, str]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tables.choices = [SelectChoice(code, label) for code, label in table_choices]
        self.format.choices = _choices(FORMATS)
        self.delimiter.choices = _choices(DELIMITERS)
        self.language.choices = _choices(LANGUAGES)


def _choices(labels: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(code, str(label)) for code, label in labels.items()]


class PackForm(FlaskForm):
    """The workshop pack's choices, sent with GET: a document is read, never changes anything."""

    class Meta:
        csrf = False

    document = RadioField(_l("Document"), default="pack", validators=[InputRequired()])
    language = RadioField(_l("Language"), default="ro", validators=[InputRequired()])
    theme = SelectField(_l("Idea cards of one theme only"), default="")
    cards = IntegerField(_l("How many idea cards (the most supported first)"),
                         default=CARDS_DEFAULT, validators=[
                             Optional(),
                             NumberRange(min=1, max=CARDS_MAX, message=_l(
                                 "Between %(min)s and %(max)s idea cards."))])
    format = RadioField(_l("Format"), default="pdf", validators=[InputRequired()])

    def __init__(self, themes: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.document.choices = _choices(DOCUMENTS)
        self.language.choices = _choices(LANGUAGES)
        self.theme.choices = [SelectChoice("", str(_l("Every theme")))] + [
            SelectChoice(code, theme_label(code)) for code in themes]
        self.format.choices = _choices(PACK_FORMATS)
