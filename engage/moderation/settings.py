"""Services of a city's automatic-flag settings and blocked terms (the pages are in `manage`).

Each change is checked here (the ranges of the model's CHECK constraints, a term's length and
language, duplicates after folding, the number of terms) and recorded in the audit log with the
person who made it (target "city"). Services flush, never commit.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engage.core import audit
from engage.core.refusal import Refusal
from engage.extensions import db
from engage.moderation.flags import DEFAULTS, fold_term
from engage.moderation.flags import settings_for as _settings_for
from engage.moderation.models import (
    MAX_TERMS,
    TERM_LANGUAGES,
    TERM_MAX,
    BlockedTerm,
    ModerationSettings,
)
from engage.moderation.permissions import can_manage_flags


def _ranges() -> dict[str, tuple[int, int]]:
    # Read from the model's CHECK constraints, so the form and the database never disagree.
    found = {}
    for constraint in ModerationSettings.__table__.constraints:
        sqltext = str(getattr(constraint, "sqltext", ""))
        match = re.fullmatch(r"\s*(\w+) BETWEEN (\d+) AND (\d+)\s*", sqltext)
        if match:
            found[match.group(1)] = (int(match.group(2)), int(match.group(3)))
    return found


RANGES = _ranges()
SETTINGS = tuple(DEFAULTS)
assert set(RANGES) == set(SETTINGS), "every setting has its range"


class SettingsError(Refusal):
    """A change refused, with the message for the moderator (and the form field)."""


def _check_access(actor: Any, city: Any) -> None:
    if not can_manage_flags(actor, city):
        raise SettingsError(_l("Only the city's moderators can do this."))


def settings_for(city: Any) -> ModerationSettings:
    """The city's settings: its row, or the defaults (a row not added to the session)."""
    return _settings_for(city.id, db.session())


def save_settings(actor: Any, city: Any, **values: Any) -> ModerationSettings:
    """Save the city's numbers (every one of SETTINGS; each a whole number in its range).
    Nothing is saved when one is refused."""
    _check_access(actor, city)
    checked: dict[str, int] = {}
    for name in SETTINGS:
        value = values.get(name)
        low, high = RANGES[name]
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                value = int(str(value).strip())
            except (TypeError, ValueError):
                raise SettingsError(_l("Type a whole number from %(low)s to %(high)s.",
                                       low=low, high=high), name) from None
        if not low <= value <= high:
            raise SettingsError(_l("Type a whole number from %(low)s to %(high)s.",
                                   low=low, high=high), name)
        checked[name] = value
    row = db.session.get(ModerationSettings, city.id)
    before = {name: getattr(row, name) if row is not None else DEFAULTS[name]
              for name in SETTINGS}
    if row is None:
        row = ModerationSettings(city_id=city.id, **DEFAULTS)
        db.session.add(row)
    for name, value in checked.items():
        setattr(row, name, value)
    db.session.flush()
    changes = [f"{name}: {before[name]} → {checked[name]}" for name in SETTINGS
               if before[name] != checked[name]]
    if changes:
        audit.record(actor, "flag_settings", "city", city.id, city.id, "; ".join(changes))
    return row


def terms_of(city: Any) -> list[BlockedTerm]:
    """The city's blocked terms, alphabetically by their folded form."""
    return list(db.session.scalars(
        select(BlockedTerm).where(BlockedTerm.city_id == city.id)
        .order_by(BlockedTerm.folded, BlockedTerm.id)))


def add_term(actor: Any, city: Any, term: Any, language: Any = "any") -> BlockedTerm:
    """Add a word or phrase to the city's blocked terms. Refused: empty, longer than TERM_MAX,
    without a letter or digit, an unknown language, a term already there (after folding:
    "Prost" and "proșt" are the same term), more than MAX_TERMS terms."""
    _check_access(actor, city)
    term = " ".join(str(term or "").split())
    if not term:
        raise SettingsError(_l("Type a word or a phrase."), "term")
    if len(term) > TERM_MAX:
        raise SettingsError(_l("At most %(max)s characters.", max=TERM_MAX), "term")
    folded = fold_term(term)
    if not any(ch.isalnum() for ch in folded):
        raise SettingsError(_l("A term needs at least one letter or digit."), "term")
    if len(folded) > TERM_MAX:
        raise SettingsError(_l("At most %(max)s characters.", max=TERM_MAX), "term")
    if language not in TERM_LANGUAGES:
        raise SettingsError(_l("Choose a language from the list."), "language")
    if db.session.scalar(select(BlockedTerm.id).where(
            BlockedTerm.city_id == city.id, BlockedTerm.folded == folded)) is not None:
        raise SettingsError(_l("“%(term)s” is already in the list (letters with or without "
                               "diacritics and capitals count as the same).", term=term), "term")
    if (db.session.scalar(select(func.count()).select_from(BlockedTerm)
                          .where(BlockedTerm.city_id == city.id)) or 0) >= MAX_TERMS:
        raise SettingsError(_l("The list holds at most %(max)s terms. Delete some first.",
                               max=MAX_TERMS), "term")
    entry = BlockedTerm(city_id=city.id, term=term, folded=folded, language=language,
                        created_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        # The same term added at the same moment by someone else.
        raise SettingsError(_l("“%(term)s” is already in the list (letters with or without "
                               "diacritics and capitals count as the same).", term=term),
                            "term") from None
    audit.record(actor, "add_term", "city", city.id, city.id,
                 f"{term} ({language})")
    return entry


def delete_term(actor: Any, city: Any, entry: BlockedTerm) -> None:
    """Remove a term from the city's list (flags it raised stay, with their detail)."""
    _check_access(actor, city)
    if entry.city_id != city.id:
        raise SettingsError(_l("This term belongs to another city."))
    audit.record(actor, "delete_term", "city", city.id, city.id,
                 f"{entry.term} ({entry.language})")
    db.session.delete(entry)
    db.session.flush()
