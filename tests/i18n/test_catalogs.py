"""Translations stay complete: every message the code and templates use is in the Romanian and
English catalogs, no Romanian entry is empty or fuzzy, Romanian uses comma-below ș ț, plural
forms are Romania's three, and no template shows text that was not marked for translation."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

pytestmark = pytest.mark.database_independent  # the PostgreSQL pass leaves it out

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "translations" / "{lang}" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):  # noqa: ANN001, ANN201
    """The messages the source uses now, extracted the way `make messages` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_ngettext:1,2", "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True,
    )
    with pot.open("rb") as handle:
        return read_po(handle)


def _catalog(lang: str):  # noqa: ANN202
    path = Path(str(CATALOG).format(lang=lang))
    assert path.exists(), f"missing catalog {path}; run `make messages`"
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def _key(message) -> str:  # noqa: ANN001
    return message.id[0] if isinstance(message.id, tuple) else message.id


@pytest.mark.parametrize("lang", ["ro", "en"])
def test_every_used_message_is_in_the_catalog(extracted, lang):
    catalog = _catalog(lang)
    present = {_key(m) for m in catalog if m.id}
    missing = sorted(_key(m) for m in extracted if m.id and _key(m) not in present)
    assert not missing, f"{len(missing)} messages missing from {lang}: {missing[:10]}"


def test_romanian_is_complete_and_not_fuzzy(extracted):
    catalog = _catalog("ro")
    used = {_key(m) for m in extracted if m.id}
    problems = []
    for message in catalog:
        if not message.id or _key(message) not in used:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(_key(message))
    assert not problems, f"{len(problems)} Romanian messages untranslated or fuzzy: {problems[:10]}"


def test_romanian_plural_forms_and_comma_below():
    catalog = _catalog("ro")
    assert catalog.num_plurals == 3
    assert "n%100" in catalog.plural_expr.replace(" ", "") or "n % 100" in catalog.plural_expr
    cedilla = [
        _key(m) for m in catalog if m.id and re.search(
            "[şţŞŢ]", " ".join(m.string if isinstance(m.string, tuple) else (m.string or "",))
        )
    ]
    assert not cedilla, f"cedilla ş/ţ instead of comma-below ș/ț in: {cedilla[:5]}"
    plurals = [m for m in catalog if m.id and isinstance(m.id, tuple)]
    for message in plurals:
        assert len(message.string) == 3, f"{message.id[0]!r} needs three Romanian plural forms"


# ------------------------------------------------------------- unmarked template text

# Text that is the same in every language: the product's name, language names in their own
# language, typographic symbols.
ALLOWED_TEXT = {"engage", "English", "Română", "◎", "·", "—", "–", "*", "→", "←", "(ro)", "(en)",
                # file formats keep their names in every language
                "GeoJSON", "CSV", "JSON", "XLSX", "PDF"}
TRANSLATED_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "data-confirm"}
JINJA = re.compile(
    r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S
)


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN201
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in TRANSLATED_ATTRIBUTES and value and re.search(r"[A-Za-zăâîșțĂÂÎȘȚ]", value):
                self.found.append(f'{name}="{value}"')

    def handle_endtag(self, tag):  # noqa: ANN001, ANN201
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):  # noqa: ANN001, ANN201
        text = data.strip()
        if self._skip or not text or all(word in ALLOWED_TEXT for word in text.split()):
            return
        if re.search(r"[A-Za-zăâîșțĂÂÎȘȚ]{2,}", text):
            self.found.append(text)


def _unmarked(source: str) -> list[str]:
    # Jinja expressions become a neutral placeholder so attribute values that are only
    # expressions don't count as literal text.
    stripped = JINJA.sub("", source)
    finder = _TextFinder()
    finder.feed(stripped)
    return finder.found


def test_the_unmarked_text_check_finds_unmarked_text():
    assert _unmarked("<p>Hello there</p>") == ["Hello there"]
    assert _unmarked('<a title="Open it">{{ x }}</a>') == ['title="Open it"']
    assert _unmarked("<p>{% trans %}Hello there{% endtrans %}</p>") == []
    assert _unmarked('<a title="{{ _(\'Open\') }}">{{ x }}</a>') == []


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(ROOT / "templates").as_posix()
                       for p in (ROOT / "templates").rglob("*.html")),
)

def test_template_text_is_marked_for_translation(template):
    source = (ROOT / "templates" / template).read_text(encoding="utf-8")
    assert _unmarked(source) == [], f"unmarked text in templates/{template}"
