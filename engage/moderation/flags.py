"""The automatic flags: checks run whenever citizen input is written, whichever kind writes it.

The kinds call nothing (feature packages never import each other): this module listens to the
SQLAlchemy session. In `before_flush` it looks at

- each new Contribution, and each Contribution whose `text` changed (an edit), and raises a
  `Flag` per reason found: a blocked term of the city (`BlockedTerm.folded` matched as a whole
  word or phrase in the folded text — diacritics, the old cedilla letters and case removed by
  `core.search.fold` — for terms of language "any" or the input's own language); more links
  than the city's `max_links` (http(s):// and www. addresses, and Markdown links); the same
  folded text from the same author at least `repeat_count` times within `repeat_hours`
  (counting this one); more than `burst_count` posts from the same author within
  `burst_minutes` (new input only: an edit is not a post);
- each new Report, and when the input's open reports (this one included) reach the city's
  `report_threshold` (0: never) and the input is published, hides it until a moderator decides:
  status "hidden" (a conditional UPDATE, so of two simultaneous reports only one hides it), a
  "reports" flag, an audit row with no actor (the system), and, once the flush has written
  everything, `core.signals.contribution_moderated`, so the kinds keep their counts exact.

A flag by itself does not change the input's status: post-moderated input stays visible and
pre-moderated input stays pending; the flag puts it in the desk's queue ("flagged"), where a
moderator's decision resolves it. Only the report threshold hides.

One flag per reason per input (a unique key): an edit that finds a reason already flagged
updates that flag's detail and reopens it when what was found changed; an unchanged finding
that a moderator already dismissed stays dismissed.

Cost: the settings and the blocked terms of a city are read once per flush; per new input the
"repeated" and "burst" checks are one indexed query each on the author's recent input (never a
scan of all texts), skipped when off or the input has no author; the terms of a city are
compiled into one regular expression, cached by their content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session

from engage.core.audit import ModerationAction
from engage.core.db import utcnow
from engage.core.search import fold
from engage.core.signals import contribution_moderated
from engage.moderation.models import BlockedTerm, Flag, ModerationSettings
from engage.processes.models import Contribution, Report

# The "repeated" check compares the folded text with at most this many of the author's most
# recent inputs in the window: more than that in a day is a burst, flagged anyway.
REPEAT_SCAN = 200
# How many terms a flag's detail names.
DETAIL_TERMS = 10
_PENDING_SIGNALS = "moderation.flags.signals"

_WORD = re.compile(r"[^\W_]+")
# A Markdown link or image: [text](target) or ![alt](target).
_MARKDOWN_LINK = re.compile(r"!?\[[^\]\n]*\]\([^)\s]*(?:\s+[^)]*)?\)")
# A bare address: http(s)://… or www.…
_BARE_LINK = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>()\[\]]+", re.IGNORECASE)


def _defaults() -> dict[str, int]:
    columns = ModerationSettings.__table__.c
    return {name: columns[name].default.arg for name in
            ("report_threshold", "max_links", "repeat_count", "repeat_hours", "burst_count",
             "burst_minutes")}


DEFAULTS = _defaults()


def settings_for(city_id: int, session: Session | None = None) -> ModerationSettings:
    """The city's settings: its row, or (not added to any session) the defaults."""
    if session is None:
        from engage.extensions import db

        session = db.session()
    found = session.get(ModerationSettings, city_id)
    return found if found is not None else ModerationSettings(city_id=city_id, **DEFAULTS)


# ---------------------------------------------------------------- the checks (pure)


def normalised(text: str | None) -> str:
    """The text as the checks compare it: folded, white space collapsed."""
    return " ".join(fold(text or "").split())


def fold_term(term: str) -> str:
    """A blocked term as stored in `BlockedTerm.folded`."""
    return normalised(term)


def count_links(text: str | None) -> int:
    """Markdown links (each once, whatever its target) plus bare http(s):// and www. addresses
    outside them."""
    text = text or ""
    markdown = len(_MARKDOWN_LINK.findall(text))
    rest = _MARKDOWN_LINK.sub(" ", text)
    return markdown + len(_BARE_LINK.findall(rest))


@lru_cache(maxsize=256)
def _term_pattern(folded_terms: tuple[str, ...]) -> re.Pattern[str] | None:
    # One alternation, longest first, each term in its own group (`lastindex` names it). A
    # term is its words (letters and digits); in the text they may be separated by any run of
    # spaces or punctuation ("du-te" finds "du te"); a term never matches inside a longer word
    # ("rost" is not in "prost").
    order = _terms_pattern_order(folded_terms)
    if not order:
        return None
    groups = "|".join(
        "(" + r"[\W_]+".join(re.escape(word) for word in _WORD.findall(term)) + ")"
        for term in order)
    return re.compile(rf"(?<![^\W_])(?:{groups})(?![^\W_])")


def _terms_pattern_order(folded_terms: tuple[str, ...]) -> list[str]:
    return sorted((t for t in folded_terms if _WORD.search(t)), key=lambda t: (-len(t), t))


def find_terms(folded_text: str, folded_terms: tuple[str, ...]) -> list[str]:
    """The blocked terms found in `folded_text` (already `normalised`), in order of first
    appearance, each once."""
    pattern = _term_pattern(folded_terms)
    if pattern is None:
        return []
    order = _terms_pattern_order(folded_terms)
    found: list[str] = []
    for match in pattern.finditer(folded_text):
        term = order[(match.lastindex or 1) - 1]
        if term not in found:
            found.append(term)
    return found


# ---------------------------------------------------------------- one flush


@dataclass
class _Flush:
    """What one flush has read already: each city's settings and terms, and the new input of
    each author (not in the database yet, so the queries cannot see it)."""

    session: Session
    settings: dict[int, ModerationSettings] = field(default_factory=dict)
    terms: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)
    new_by_author: dict[int, list[tuple[datetime, str]]] = field(default_factory=dict)

    def settings_of(self, city_id: int) -> ModerationSettings:
        if city_id not in self.settings:
            self.settings[city_id] = settings_for(city_id, self.session)
        return self.settings[city_id]

    def terms_of(self, city_id: int, language: str) -> tuple[str, ...]:
        if city_id not in self.terms:
            self.terms[city_id] = list(self.session.execute(
                select(BlockedTerm.folded, BlockedTerm.language, BlockedTerm.term)
                .where(BlockedTerm.city_id == city_id)).all())
        return tuple(sorted({folded for folded, term_language, _ in self.terms[city_id]
                             if term_language in ("any", language)}))


def _city_id(contribution: Contribution) -> int | None:
    if contribution.city_id is not None:
        return contribution.city_id
    process = contribution.process
    return process.city_id if process is not None else None


def _findings(state: _Flush, contribution: Contribution, city_id: int, *, new: bool,
              now: datetime) -> dict[str, str]:
    """reason → detail, for every reason this input is flagged for."""
    settings = state.settings_of(city_id)
    session = state.session
    text = normalised(contribution.text)
    found: dict[str, str] = {}

    terms = find_terms(text, state.terms_of(city_id, contribution.language or ""))
    if terms:
        found["blocked_term"] = ", ".join(terms[:DETAIL_TERMS]) + (
            " …" if len(terms) > DETAIL_TERMS else "")

    links = count_links(contribution.text)
    if links > settings.max_links:
        found["links"] = f"{links} > {settings.max_links}"

    # Observations come in series (a walk along a street, a phone's queue synced at once) and
    # are checked by their campaign's own quality flags: repeats and bursts are not theirs.
    author_id = contribution.author_id if contribution.kind != "observation" else None
    earlier_new = state.new_by_author.get(author_id, []) if author_id is not None else []
    if author_id is not None and settings.repeat_count > 0 and text:
        since = now - timedelta(hours=settings.repeat_hours)
        query = (select(Contribution.text)
                 .where(Contribution.author_id == author_id, Contribution.created_at >= since)
                 .order_by(Contribution.created_at.desc()).limit(REPEAT_SCAN))
        if contribution.id is not None:
            query = query.where(Contribution.id != contribution.id)
        same = sum(1 for other in session.scalars(query) if normalised(other) == text)
        same += sum(1 for at, other in earlier_new if at >= since and other == text)
        if same + 1 >= settings.repeat_count:
            found["repeated"] = f"{same + 1} × {settings.repeat_hours} h"

    if new and author_id is not None and settings.burst_count > 0:
        since = now - timedelta(minutes=settings.burst_minutes)
        posts = session.scalar(
            select(func.count()).select_from(Contribution)
            .where(Contribution.author_id == author_id, Contribution.created_at >= since)) or 0
        posts += 1 + sum(1 for at, _ in earlier_new if at >= since)
        if posts > settings.burst_count:
            found["burst"] = f"{posts} / {settings.burst_minutes} min"

    if author_id is not None and new:
        state.new_by_author.setdefault(author_id, []).append((now, text))
    return found


def _raise_flags(session: Session, contribution: Contribution, city_id: int,
                 found: dict[str, str], *, new: bool) -> None:
    existing: dict[str, Flag] = {}
    if not new and contribution.id is not None:
        existing = {flag.reason: flag for flag in session.scalars(
            select(Flag).where(Flag.contribution_id == contribution.id))}
    for reason, detail in found.items():
        flag = existing.get(reason)
        if flag is None:
            session.add(Flag(contribution=contribution, city_id=city_id, reason=reason,
                             detail=detail))
        elif flag.detail != detail:
            # What was found changed: the moderators look again.
            flag.detail = detail
            flag.resolved_at = None


def _text_edited(contribution: Contribution) -> bool:
    history = inspect(contribution).attrs.text.history
    if not history.has_changes():
        return False
    before = history.deleted[0] if history.deleted else None
    return before is None or normalised(before) != normalised(contribution.text)


def _check_contributions(state: _Flush) -> None:
    session = state.session
    new = [obj for obj in session.new if isinstance(obj, Contribution)]
    # Oldest first, so "repeated" and "burst" count the earlier ones of the same flush.
    new.sort(key=lambda c: (c.created_at or utcnow(),))
    edited = [obj for obj in session.dirty
              if isinstance(obj, Contribution) and _text_edited(obj)]
    for contribution, is_new in [*((c, True) for c in new), *((c, False) for c in edited)]:
        city_id = _city_id(contribution)
        if city_id is None:
            continue
        now = (contribution.created_at or utcnow()) if is_new else utcnow()
        found = _findings(state, contribution, city_id, new=is_new, now=now)
        if found:
            _raise_flags(session, contribution, city_id, found, new=is_new)


def _check_reports(state: _Flush) -> None:
    session = state.session
    added: dict[int, list[Any]] = {}  # contribution id → [city id, new open reports]
    # A report on input written in the same flush (no id yet) waits for the next report.
    for obj in session.new:
        if isinstance(obj, Report) and obj.resolved_at is None and obj.contribution_id:
            entry = added.setdefault(obj.contribution_id, [obj.city_id, 0])
            entry[1] += 1
    for contribution_id, (city_id, new_reports) in sorted(added.items()):
        if city_id is None:
            found = session.get(Contribution, contribution_id)
            city_id = found.city_id if found is not None else None
        if city_id is None or state.settings_of(city_id).report_threshold <= 0:
            continue
        threshold = state.settings_of(city_id).report_threshold
        # The input's row locked first (PostgreSQL; SQLite writers are serialised anyway), so
        # reports sent at the same moment are counted one after the other: none misses the
        # others' and the threshold is never skipped over.
        contribution = session.scalars(
            select(Contribution).where(Contribution.id == contribution_id)
            .with_for_update()).first()
        if contribution is None:
            continue
        open_reports = new_reports + (session.scalar(
            select(func.count()).select_from(Report)
            .where(Report.contribution_id == contribution_id,
                   Report.resolved_at.is_(None))) or 0)
        if open_reports >= threshold:
            _hide(session, contribution, open_reports)


def _hide(session: Session, contribution: Contribution, open_reports: int) -> None:
    hidden = session.execute(
        update(Contribution)
        .where(Contribution.id == contribution.id, Contribution.status == "published")
        .values(status="hidden")
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not hidden:
        return  # not published (pending, already hidden, …), or hidden by someone else now
    # Read again on next access: "hidden" once this flush is written, "published" if it fails.
    session.expire(contribution, ["status"])
    detail = f"{open_reports} reports"
    reopened = session.execute(
        update(Flag)
        .where(Flag.contribution_id == contribution.id, Flag.reason == "reports")
        .values(resolved_at=None, detail=detail)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not reopened:
        session.add(Flag(contribution=contribution, city_id=contribution.city_id,
                         reason="reports", detail=detail))
    # `audit.record` flushes, which a flush cannot do: the same row, written by this flush.
    session.add(ModerationAction(
        actor_id=None, city_id=contribution.city_id, action="auto_hide",
        target_type="contribution", target_id=contribution.id,
        contribution_id=contribution.id, reason_code="reported", reason="",
        status_before="published", status_after="hidden"))
    session.info.setdefault(_PENDING_SIGNALS, []).append(contribution)


# ---------------------------------------------------------------- the listeners


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    session.info.pop(_PENDING_SIGNALS, None)  # left by a flush that failed
    if not any(isinstance(obj, Contribution | Report) for obj in session.new) and not any(
            isinstance(obj, Contribution) for obj in session.dirty):
        return
    state = _Flush(session)
    with session.no_autoflush:
        _check_contributions(state)
        _check_reports(state)


@event.listens_for(Session, "after_flush_postexec")
def _after_flush(session: Session, _context: Any) -> None:
    # The status change is written: the kinds may now recount (an idea's comment count).
    for contribution in session.info.pop(_PENDING_SIGNALS, None) or ():
        contribution_moderated.send(contribution, before="published", after="hidden")


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING_SIGNALS, None)
