"""Summaries' services: writing a draft, publishing it (every published version kept), the
citations checked, the basis a summary rests on, the difference between two versions, the text
rendered with its citations as links, and "cited in" for the cited input's pages.

Citations (`[[idea:N]]`, … see `core.citations`) must name input of the summary's own city that
may be cited — published, in a public process: anything else (hidden, rejected, unknown, another
city's) is refused with the list of what is wrong, and nothing is saved. They are checked when a
draft is saved and again when it is published (input can be hidden in between).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from engage.cities.permissions import is_city_staff
from engage.core import citations
from engage.core.citations import CITATION, Cited, CitedIn
from engage.core.db import utcnow
from engage.core.markdown import render_markdown
from engage.core.refusal import Refusal
from engage.extensions import db
from engage.processes.models import PUBLIC_STATUSES, Process
from engage.synthesis.models import (
    BODY_MAX,
    TITLE_MAX,
    TOPIC_MAX,
    Summary,
    SummaryCitation,
    SummaryVersion,
)


class SummaryError(Refusal):
    """A summary refused: the message, the form field, and the citations at fault."""

    def __init__(self, message: object, field: str | None = None,
                 problems: list[Any] | None = None) -> None:
        super().__init__(message, field)
        self.problems = problems or []


@dataclass
class Basis:
    """What a summary rests on: the input cited, the people behind it, their supports."""

    items: int = 0
    people: int = 0
    supports: int = 0


@dataclass
class DiffLine:
    op: str  # " " kept, "-" removed, "+" added
    text: str


@dataclass
class VersionDiff:
    title_ro: list[DiffLine] = field(default_factory=list)
    title_en: list[DiffLine] = field(default_factory=list)
    body_ro: list[DiffLine] = field(default_factory=list)
    body_en: list[DiffLine] = field(default_factory=list)


def can_write_summaries(user: Any, process: Process) -> bool:
    """The city's moderators and organisers (and admins) write and publish summaries."""
    return is_city_staff(user, process.city)


# ---------------------------------------------------------------- writing


def _texts(values: dict[str, Any]) -> dict[str, str]:
    texts = {name: str(values.get(name) or "").strip()
             for name in ("title_ro", "title_en", "body_ro", "body_en")}
    for name in ("title_ro", "title_en"):
        if len(texts[name]) > TITLE_MAX:
            raise SummaryError(_l("The title is too long (at most %(limit)s characters).",
                                  limit=TITLE_MAX), name)
    for name in ("body_ro", "body_en"):
        if len(texts[name]) > BODY_MAX:
            raise SummaryError(_l("The text is too long (at most %(limit)s characters).",
                                  limit=BODY_MAX), name)
    if not (texts["title_ro"] or texts["title_en"]):
        raise SummaryError(_l("Give the summary a title in Romanian or in English."),
                           "title_ro")
    if not (texts["body_ro"] or texts["body_en"]):
        raise SummaryError(_l("Write the summary in Romanian or in English."), "body_ro")
    return texts


def check_citations(process: Process, texts: dict[str, str]) -> dict[tuple[str, int], Cited]:
    """The citations of `texts`, each one input of the process's city that may be cited;
    otherwise SummaryError listing every problem."""
    refs = citations.references("\n".join(texts.get(n, "") for n in ("body_ro", "body_en")))
    found = citations.resolve(refs)
    problems = []
    for kind, number in refs:
        cited = found.get((kind, number))
        tag = f"[[{kind}:{number}]]"
        if cited is None or cited.city_id != process.city_id:
            problems.append(_l("%(tag)s: there is no such input in this city.", tag=tag))
        elif not cited.citable:
            problems.append(_l("%(tag)s: this input is not public (hidden, rejected or "
                               "awaiting approval) and cannot be cited.", tag=tag))
    if problems:
        raise SummaryError(_l("Some citations cannot be used."), "body_ro", problems)
    return {ref: found[ref] for ref in refs}


def _store_citations(version: SummaryVersion, cited: dict[tuple[str, int], Cited]) -> None:
    version.citations.clear()
    db.session.flush()
    for (kind, number), item in cited.items():
        version.citations.append(SummaryCitation(
            kind=kind, target_id=number, contribution_id=item.contribution_id,
            author_id=item.author_id, supports=item.supports))


def create_summary(process: Process, actor: Any, values: dict[str, Any]) -> Summary:
    """A new summary of `process` with its first draft (`values`: topic, theme, title_ro/en,
    body_ro/en)."""
    if not can_write_summaries(actor, process):
        raise SummaryError(_l("Only the city's moderators and organisers write summaries."))
    topic = str(values.get("topic") or "").strip()
    if len(topic) > TOPIC_MAX:
        raise SummaryError(_l("The topic is too long (at most %(limit)s characters).",
                              limit=TOPIC_MAX), "topic")
    theme = str(values.get("theme") or "")
    if theme and theme not in (process.themes or []):
        raise SummaryError(_l("Choose one of the process's themes."), "theme")
    texts = _texts(values)
    cited = check_citations(process, texts)
    summary = Summary(process_id=process.id, city_id=process.city_id, topic=topic, theme=theme,
                      created_by_id=actor.id)
    version = SummaryVersion(number=1, created_by_id=actor.id, **texts)
    summary.versions.append(version)
    db.session.add(summary)
    db.session.flush()
    _store_citations(version, cited)
    db.session.flush()
    return summary


def save_draft(summary: Summary, actor: Any, values: dict[str, Any]) -> SummaryVersion:
    """Edit the summary: its draft is changed, or — if the newest version is published — a new
    draft is started from the values, leaving the published version as it was."""
    process = summary.process
    if not can_write_summaries(actor, process):
        raise SummaryError(_l("Only the city's moderators and organisers write summaries."))
    texts = _texts(values)
    cited = check_citations(process, texts)
    topic = str(values.get("topic", summary.topic) or "").strip()
    if len(topic) > TOPIC_MAX:
        raise SummaryError(_l("The topic is too long (at most %(limit)s characters).",
                              limit=TOPIC_MAX), "topic")
    summary.topic = topic
    version = summary.draft
    if version is None:
        version = SummaryVersion(number=(summary.latest.number + 1) if summary.latest else 1,
                                 created_by_id=actor.id)
        summary.versions.append(version)
    for name, text in texts.items():
        setattr(version, name, text)
    db.session.flush()
    _store_citations(version, cited)
    db.session.flush()
    return version


def publish(summary: Summary, actor: Any) -> SummaryVersion:
    """Publish the draft: it becomes the public version and is never changed again. The
    citations are checked once more (input may have been hidden since the draft was saved)."""
    if not can_write_summaries(actor, summary.process):
        raise SummaryError(_l("Only the city's moderators and organisers publish summaries."))
    if summary.process.status not in PUBLIC_STATUSES:
        raise SummaryError(_l("Publish the process before its summaries."))
    version = summary.draft
    if version is None:
        raise SummaryError(_l("There is no draft to publish: edit the summary first."))
    check_citations(summary.process, {"body_ro": version.body_ro, "body_en": version.body_en})
    version.published_at = utcnow()
    version.published_by_id = actor.id
    summary.status = "published"
    db.session.flush()
    return version


# ---------------------------------------------------------------- reading


def basis(version: SummaryVersion | None) -> Basis:
    """How many items the version cites, how many distinct people wrote them, and the supports
    of the cited ideas: one query."""
    if version is None or version.id is None:
        return Basis()
    items, people, supports = db.session.execute(
        select(func.count(), func.count(func.distinct(SummaryCitation.author_id)),
               func.coalesce(func.sum(SummaryCitation.supports), 0))
        .where(SummaryCitation.version_id == version.id)).one()
    return Basis(items=items, people=people, supports=int(supports))


def _lines(old: str, new: str) -> list[DiffLine]:
    lines = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line.startswith("? "):
            continue  # ndiff's intraline hints
        lines.append(DiffLine(op=line[0], text=line[2:]))
    return lines


def diff(old: SummaryVersion, new: SummaryVersion) -> VersionDiff:
    """What changed from `old` to `new`, line by line, in each of the four texts."""
    return VersionDiff(**{name: _lines(getattr(old, name) or "", getattr(new, name) or "")
                          for name in ("title_ro", "title_en", "body_ro", "body_en")})


def render(text: str | None, cited: dict[tuple[str, int], Cited] | None = None) -> Markup:
    """The summary's Markdown as HTML, each citation a link to the input with its quote as the
    link's title (shown on hover, and read by screen readers); a citation that no longer
    resolves (the input was deleted since) is shown as plain text."""
    text = text or ""
    if cited is None:
        cited = citations.resolve(citations.references(text))

    def link(match: re.Match[str]) -> str:
        ref = (match.group(1), int(match.group(2)))
        item = cited.get(ref)
        if item is None or not item.citable:
            return f"[{match.group(1)} {match.group(2)}]"
        label = item.title.replace("[", "(").replace("]", ")").replace("\n", " ")
        quote = item.quote.replace('"', "'").replace("\n", " ")
        return f'[{label}]({item.url} "{quote}")'

    return render_markdown(CITATION.sub(link, text))


def public_summaries(process: Process) -> list[Summary]:
    return list(db.session.scalars(
        select(Summary).where(Summary.process_id == process.id, Summary.status == "published")
        .order_by(Summary.id)))


def all_summaries(process: Process) -> list[Summary]:
    return list(db.session.scalars(
        select(Summary).where(Summary.process_id == process.id).order_by(Summary.id)))


def _cited_in(kind: str, ids: list[int]) -> dict[int, list[CitedIn]]:
    """Published summaries of public processes whose public (newest published) version cites
    these inputs: two queries."""
    newest = (select(SummaryVersion.summary_id,
                     func.max(SummaryVersion.number).label("number"))
              .where(SummaryVersion.published_at.is_not(None))
              .group_by(SummaryVersion.summary_id).subquery())
    rows = db.session.execute(
        select(SummaryCitation.target_id, Summary, SummaryVersion)
        .join(SummaryVersion, SummaryVersion.id == SummaryCitation.version_id)
        .join(newest, (newest.c.summary_id == SummaryVersion.summary_id)
              & (newest.c.number == SummaryVersion.number))
        .join(Summary, Summary.id == SummaryVersion.summary_id)
        .join(Process, Process.id == Summary.process_id)
        .where(SummaryCitation.kind == kind, SummaryCitation.target_id.in_(ids),
               Process.status.in_(PUBLIC_STATUSES))
        .order_by(Summary.id)).all()
    found: dict[int, list[CitedIn]] = {}
    for target_id, summary, version in rows:
        found.setdefault(target_id, []).append(CitedIn(
            title=version.title_ro or version.title_en, url=summary_url(summary)))
    return found


def summary_url(summary: Summary) -> str:
    return url_for("synthesis.summary_page", city_slug=summary.process.city.slug,
                   summary_id=summary.id)


citations.register_citer(_cited_in)
