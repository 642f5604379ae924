"""The export form: which tables, the format, the separator, the language, personal data."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length

from engage.core.forms import MultiCheckboxField, strip

REASON_MAX = 500
FORMATS = {"xlsx": _l("Excel workbook (XLSX): one sheet per table"),
           "csv": _l("CSV: one table per file"),
           "json": _l("JSON: every chosen table")}
DELIMITERS = {";": _l("Semicolon (;), for spreadsheets in Romanian"), ",": _l("Comma (,)")}
LANGUAGES = {"ro": _l("Romanian"), "en": _l("English")}


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
