"""Language choice, bilingual content and the Jinja helpers that show it.

The language of a request: an explicit switch (kept in the `lang` cookie and, for a signed-in
person, in the profile) → the browser's Accept-Language → Romanian.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app, g, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

LANG_COOKIE = "lang"
# Times are stored in UTC and shown, typed and compared as dates in Romania's local time.
LOCAL_TIMEZONE = ZoneInfo("Europe/Bucharest")
LANGUAGE_NAMES = {"ro": "Română", "en": "English"}


# Parts of Babel's CLDR data that engage never reads: names of units, currencies, languages,
# territories, scripts and time zones, relative-date fields, compact number formats. Together
# they are most of the data; loaded, they cost each worker about 3 MiB for ro + en.
UNUSED_LOCALE_DATA = (
    "unit_patterns", "compound_unit_patterns", "unit_display_names", "currency_names",
    "currency_names_plural", "currency_symbols", "compact_decimal_formats",
    "compact_currency_formats", "languages", "territories", "scripts", "variants",
    "time_zones", "meta_zones", "zone_formats", "date_fields",
)
# Babel's territory-wide tables (its global.dat) that engage never reads: likely subtags (used
# only to guess a locale Babel lacks; ours are "ro" and "en"), languages and currencies per
# territory, time-zone names and mappings. About 2 MiB per worker loaded. Babel answers an
# empty table for a key it no longer has, so a lookup would degrade, not fail.
UNUSED_GLOBAL_DATA = (
    "likely_subtags", "territory_languages", "territory_currencies", "all_currencies",
    "meta_zones", "zone_territories", "territory_zones", "windows_zone_mapping",
)


def slim_locale_data(languages: tuple[str, ...] | list[str]) -> None:
    """Load Babel's data for `languages` (and the root it inherits from) now, without the parts
    listed in UNUSED_LOCALE_DATA, and its global tables without UNUSED_GLOBAL_DATA. Babel keeps
    one merged dictionary per locale for the whole process, so this happens once per worker;
    the test suite runs with it, so a formatting function that needed a dropped part would fail
    there, not in production."""
    from babel import core, localedata

    for name in ("root", *languages):
        data = localedata.load(name)
        for key in UNUSED_LOCALE_DATA:
            data.pop(key, None)
    core.get_global("parent_exceptions")  # loads the global tables once
    for key in UNUSED_GLOBAL_DATA:
        (core._global_data or {}).pop(key, None)


def _number_symbols() -> tuple[str, str]:
    """The request's decimal and group separators (read from Babel once per request)."""
    cached = g.get("_number_symbols") if has_request_context() else None
    if cached is None:
        locale = get_locale() if has_request_context() else None
        symbols = locale.number_symbols.get("latn", {}) if locale else {}
        cached = (symbols.get("decimal", "."), symbols.get("group", ","))
        if has_request_context():
            g._number_symbols = cached
    return cached


def format_number(value: float | None, decimals: int = 2) -> str:
    """`value` with at most `decimals` decimals (trailing zeros dropped) and thousands grouped,
    in the request's locale ("1.234,5" in Romanian); "–" for None. Babel's formatting, once
    per number, was a third of the consultation results page's time: the separators are read
    once."""
    if value is None:
        return "–"
    text = f"{value:,.{min(max(decimals, 0), 6)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "−0"):
        text = "0"
    decimal, group = _number_symbols()
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", group)


def format_percent(value: float | None) -> str:
    """A percentage (0–100) with one decimal at most: "66,7%" in Romanian; "–" for None."""
    return "–" if value is None else format_number(value, 1) + "%"


def supported_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    languages = supported_languages()
    forced = getattr(g, "forced_language", None)
    if forced in languages:
        return forced
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return cookie
    if current_user and current_user.is_authenticated:
        preferred = getattr(current_user, "language", None)
        if preferred in languages:
            return preferred
    best = request.accept_languages.best_match(languages)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "ro"


@dataclass(frozen=True)
class LocalizedText:
    """A bilingual field's text in the wanted language, or the other one as a fallback."""

    text: str
    language: str
    is_fallback: bool

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)


def localized(obj: object, field: str, language: str | None = None) -> LocalizedText:
    """`obj.<field>_<lang>` in `language` (default: the request's), else the other language."""
    language = language or current_language()
    order = [language] + [lang for lang in ("ro", "en") if lang != language]
    for position, lang in enumerate(order):
        value = getattr(obj, f"{field}_{lang}", None)
        if value:
            return LocalizedText(value, lang, position > 0)
    return LocalizedText("", language, False)


def fallback_mark(text: LocalizedText) -> Markup:
    """The visible "(ro)"/"(en)" mark after a text shown in the other language."""
    if not text.is_fallback:
        return Markup("")
    return Markup(' <span class="lang-mark" lang="{0}">({0})</span>').format(text.language)


def bilingual(obj: object, field: str) -> Markup:
    """Jinja filter: the escaped field in the page's language, marked when it falls back."""
    text = localized(obj, field)
    if text.is_fallback:
        return Markup('<span lang="{0}">{1}</span>').format(text.language, text.text) + (
            fallback_mark(text)
        )
    return escape(text.text)


def init_app(app) -> None:  # noqa: ANN001
    # Match babel.cfg's `trimmed = true`: multi-line {% trans %} blocks find their msgids.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters["bi"] = bilingual
    app.jinja_env.globals.update(
        localized=localized,
        fallback_mark=fallback_mark,
        current_language=current_language,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
    )
