"""The synthesis' part of every process's workshop pack (`engage.exports.packs`): the themes
found in the process's text input, as the moderators named and merged them, with their
figures and a few published example texts; the published summaries (their newest published
version, citations as links with the input's title) with what each rests on; and, on the
poster, the largest themes and the summaries' titles.

Six queries whatever the number of themes and summaries: the themes (three, `themes_of`), the
summaries' public versions, what they rest on, and the cited input (one per cited kind).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from engage.cities.themes import theme_label
from engage.core import citations
from engage.core.i18n import localized
from engage.exports import packs
from engage.extensions import db
from engage.processes.models import Process
from engage.synthesis import summaries, workspace
from engage.synthesis.models import Summary, SummaryCitation, SummaryVersion

POSTER_THEMES = 6
EXAMPLES = 3


@dataclass
class PackTheme:
    title: str
    terms: list[str]
    items: int
    authors: int
    supports: int
    examples: list[str]


@dataclass
class PackSummary:
    title: str
    topic: str
    theme: str
    body: Markup
    published_at: Any
    items: int
    people: int
    supports: int


def pack_themes(process: Process) -> tuple[str | None, list[PackTheme]]:
    """(the method that found them, the active themes, largest first); examples are published
    texts only."""
    run, views = workspace.themes_of(process)
    if run is None:
        return None, []
    found = []
    for view in views:
        themes = [view.theme, *view.merged]
        examples = [citations.quote(c.text) for c in view.examples if c.status == "published"]
        found.append(PackTheme(
            title=view.theme.title, terms=list(view.theme.terms or [])[:8], items=view.n_items,
            authors=sum(t.n_authors for t in themes), supports=view.supports,
            examples=examples[:EXAMPLES]))
    return run.method, found


def pack_summaries(process: Process) -> list[PackSummary]:
    """The published summaries, each in its newest published version."""
    newest = (select(SummaryVersion.summary_id, func.max(SummaryVersion.number).label("number"))
              .join(Summary, Summary.id == SummaryVersion.summary_id)
              .where(Summary.process_id == process.id, Summary.status == "published",
                     SummaryVersion.published_at.is_not(None))
              .group_by(SummaryVersion.summary_id).subquery())
    rows = list(db.session.execute(
        select(Summary, SummaryVersion)
        .join(newest, newest.c.summary_id == Summary.id)
        .join(SummaryVersion, (SummaryVersion.summary_id == Summary.id)
              & (SummaryVersion.number == newest.c.number))
        .order_by(Summary.id)))
    if not rows:
        return []
    basis = {version_id: (items, people, int(supports or 0))
             for version_id, items, people, supports in db.session.execute(
                 select(SummaryCitation.version_id, func.count(),
                        func.count(func.distinct(SummaryCitation.author_id)),
                        func.sum(SummaryCitation.supports))
                 .where(SummaryCitation.version_id.in_([v.id for _s, v in rows]))
                 .group_by(SummaryCitation.version_id))}
    bodies = {version.id: localized(version, "body").text for _summary, version in rows}
    cited = citations.resolve({ref for body in bodies.values()
                               for ref in citations.references(body)})
    result = []
    for summary, version in rows:
        items, people, supports = basis.get(version.id, (0, 0, 0))
        result.append(PackSummary(
            title=localized(version, "title").text, topic=summary.topic,
            theme=theme_label(summary.theme) if summary.theme else "",
            body=summaries.render(bodies[version.id], cited),
            published_at=version.published_at, items=items, people=people, supports=supports))
    return result


def sections(process: Process, options: packs.PackOptions) -> list[packs.Section]:
    method, themes = pack_themes(process)
    published = pack_summaries(process)
    found: list[packs.Section] = []
    if options.document == "poster":
        if themes or published:
            found.append(packs.Section(
                "heard", str(_l("What we heard")), "synthesis/pack/_poster.html",
                {"themes": themes[:POSTER_THEMES], "summaries": published}, order=80,
                part="poster"))
        return found
    if themes:
        found.append(packs.Section("themes", str(_l("Themes in what people wrote")),
                                   "synthesis/pack/_themes.html",
                                   {"method": method, "themes": themes}, order=70))
    if published:
        found.append(packs.Section("summaries", str(_l("Summaries")),
                                   "synthesis/pack/_summaries.html",
                                   {"summaries": published}, order=80))
    return found


packs.register("*", sections)
