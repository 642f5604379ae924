"""What an export is made of: tables of typed columns whose rows come from a generator.

A kind's `exports.py` describes its tables (`Table`: a name used as sheet or file name, a title,
its `Column`s and `rows`, a callable returning an iterator of row tuples — read in batches from
the database, never a list of everything); the writers (`writers.py`) turn them into CSV, XLSX or
JSON. Columns flagged `personal` (names, e-mail addresses, free answers about a person) are
dropped unless the organiser asked for personal data and was allowed; authors are then shown as
a stable pseudonym per export ("participant 17", `Pseudonyms`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TYPES = ("text", "number", "date", "datetime", "bool")


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula: one starting with = + - @, a tab
    or a carriage return gets a leading apostrophe. Numbers, dates and None stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a lazy gettext string: translated when the export is written
    type: str = "text"
    personal: bool = False
    width: int = 16

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"unknown column type {self.type!r}")


@dataclass
class Table:
    name: str  # sheet and file name: ASCII letters, digits, '-' and '_'
    title: Any
    columns: list[Column]
    rows: Callable[[], Iterator[tuple]]
    # How many rows (one cheap query), for the tables that can grow large: an XLSX export over
    # EXPORT_BACKGROUND_CELLS cells is written in the background (`exports.background`).
    count: Callable[[], int] | None = None

    @property
    def has_personal(self) -> bool:
        return any(column.personal for column in self.columns)

    def kept(self, personal: bool) -> list[int]:
        """The indexes of the columns written: every one with personal data, else the others."""
        return [index for index, column in enumerate(self.columns)
                if personal or not column.personal]


class Pseudonyms:
    """Stable pseudonyms within one export: the same person is the same "participant N" in every
    table of it, numbered in order of appearance; nobody is named."""

    def __init__(self) -> None:
        self._names: dict[Any, str] = {}
        self._template: str | None = None

    def __call__(self, person_id: Any) -> str:
        if person_id is None:
            return ""
        name = self._names.get(person_id)
        if name is None:
            if self._template is None:  # translated once per export, not once per row
                self._template = _("participant %(num)s", num="\x00")
            name = self._names[person_id] = self._template.replace(
                "\x00", str(len(self._names) + 1))
        return name


@dataclass
class Options:
    """What the organiser asked for: personal data (allowed and asked) and the language."""

    personal: bool = False
    language: str = "ro"
    pseudonym: Pseudonyms = field(default_factory=Pseudonyms)

    def author(self, user_id: Any) -> str:
        return self.pseudonym(user_id)
