"""What an ideas process adds to its workshop pack (`engage.exports.packs`): who took part by
stakeholder type (wrote ideas, supported or voted, commented, and all of these together), the top
ideas and the ideas by theme in the pack, the idea cards (A6, four to an A4 sheet, each with a QR
code to the idea's page) and the poster's top ideas.

Only published ideas that were not merged into another and published comments on them count,
and no person is named: a pack is handed out in a room. Each figure is one statement whatever
the number of ideas; the QR codes are drawn, not read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, literal_column, select, union_all
from sqlalchemy.orm import aliased

from engage.accounts.models import User
from engage.cities.themes import theme_label
from engage.core.markdown import stored_or_rendered
from engage.exports import packs
from engage.exports.packs import PackOptions, Participation, Section
from engage.extensions import db
from engage.ideas import queries
from engage.ideas.models import PROGRESS_STATUSES, Comment, Idea, Support, Vote
from engage.ideas.queries import published_condition
from engage.ideas.services import settings_for
from engage.processes.models import Contribution, Process

TOP_IDEAS = 10
POSTER_IDEAS = 5
EXCERPT_CHARS = 300
CARD_TEXT_CHARS = 700  # about what an A6 card holds below a long title, above its QR code
# The QR code's SVG has a fixed size and no viewBox, so it is drawn no larger than its 24 mm box
# on a card (2 px a module: a URL of up to 106 characters fits).
CARD_QR_SCALE = 2

WAYS = {
    "wrote": _l("Wrote ideas"),
    "supported": _l("Supported or voted"),
    "commented": _l("Commented"),
    "any": _l("Took part"),
}


# ---------------------------------------------------------------- participation


def _published_idea(process: Process) -> Any:
    return and_(Idea.process_id == process.id, published_condition())


def participation(process: Process) -> list[Participation]:
    """The distinct people who wrote a published idea, supported or voted on one, or wrote a
    published comment on one, by stakeholder type; "Took part" counts each of them once. One
    statement: the ways as a union of (person, way), counted per way and over all ways."""
    wrote = (select(Idea.author_id.label("user_id"), literal_column("'wrote'").label("way"))
             .join(Contribution, Contribution.id == Idea.contribution_id)
             .where(_published_idea(process), Idea.author_id.is_not(None)))
    supported = (select(Support.user_id, literal_column("'supported'"))
                 .join(Idea, Idea.id == Support.idea_id)
                 .join(Contribution, Contribution.id == Idea.contribution_id)
                 .where(_published_idea(process)))
    voted = (select(Vote.user_id, literal_column("'supported'"))
             .join(Idea, Idea.id == Vote.idea_id)
             .join(Contribution, Contribution.id == Idea.contribution_id)
             .where(_published_idea(process)))
    comment_contribution = aliased(Contribution)
    commented = (select(Comment.author_id, literal_column("'commented'"))
                 .join(comment_contribution, comment_contribution.id == Comment.contribution_id)
                 .join(Idea, Idea.id == Comment.idea_id)
                 .join(Contribution, Contribution.id == Idea.contribution_id)
                 .where(_published_idea(process), comment_contribution.status == "published",
                        Comment.deleted_at.is_(None), Comment.author_id.is_not(None)))
    people = union_all(wrote, supported, voted, commented).cte("pack_people")
    people_count = func.count(func.distinct(people.c.user_id))
    by_way = (select(people.c.way, User.stakeholder_type, people_count)
              .join(User, User.id == people.c.user_id)
              .group_by(people.c.way, User.stakeholder_type))
    over_all = (select(literal_column("'any'"), User.stakeholder_type, people_count)
                .join(User, User.id == people.c.user_id)
                .group_by(User.stakeholder_type))
    counts: dict[str, dict[str, int]] = {way: {} for way in WAYS}
    for way, stakeholder_type, number in db.session.execute(union_all(by_way, over_all)):
        counts[way][stakeholder_type or "unknown"] = int(number)
    return [Participation(str(label), counts[way], main=way == "any")
            for way, label in WAYS.items()]


# ---------------------------------------------------------------- ideas


@dataclass
class PackIdea:
    """An idea as a pack shows it: plain values, its text as plain words."""

    id: int
    title: str
    text: str
    theme: str
    theme_label: str
    status_label: str
    supports: int
    comments: int
    agree: int = 0
    disagree: int = 0
    passes: int = 0
    url: str = ""


def excerpt(text: str, length: int) -> str:
    """`text` on one line, cut to at most `length` characters at a word with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= length:
        return text
    cut = text[:length - 1]
    space = cut.rfind(" ")
    if space > length * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–") + "…"


def agree_mode(process: Process) -> bool:
    return settings_for(process).voting_mode == "agree"


def top_ideas(process: Process, limit: int, *, theme: str | None = None,
              text_chars: int = EXCERPT_CHARS, agree: bool = False,
              with_urls: bool = False) -> list[PackIdea]:
    """The process's published ideas, most supported first (in agree mode, then most agreed
    with), older first among equals: one statement. `with_urls` adds each idea's public page
    (needs a request context, as any absolute URL does)."""
    query = (select(Idea.id, Idea.title, Idea.body_html, Idea.body, Idea.theme, Idea.status,
                    Idea.support_count, Idea.comment_count)
             .join(Contribution, Contribution.id == Idea.contribution_id)
             .where(_published_idea(process)))
    order: list[Any] = [Idea.support_count.desc()]
    if agree:
        votes = queries.vote_counts(process)
        agreed = func.coalesce(votes.c.agree, 0)
        query = (query.add_columns(agreed, func.coalesce(votes.c.disagree, 0),
                                   func.coalesce(votes.c.passes, 0))
                 .outerjoin(votes, votes.c.idea_id == Idea.id))
        order.append(agreed.desc())
    if theme:
        query = query.where(Idea.theme == theme)
    query = query.order_by(*order, Idea.created_at, Idea.id).limit(limit)
    city_slug = process.city.slug if with_urls else ""
    ideas = []
    for row in db.session.execute(query):
        number, title, html, body, code, status, supports, comments, *votes_cast = row
        text = stored_or_rendered(html, body).striptags()
        idea = PackIdea(
            id=number, title=title, text=excerpt(text, text_chars), theme=code,
            theme_label=theme_label(code),
            status_label=str(PROGRESS_STATUSES.get(status, status)),
            supports=int(supports or 0), comments=int(comments or 0))
        if votes_cast:
            idea.agree, idea.disagree, idea.passes = (int(value or 0) for value in votes_cast)
        if with_urls:
            idea.url = url_for("ideas.idea", city_slug=city_slug, idea_id=number,
                               _external=True)
        ideas.append(idea)
    return ideas


@dataclass
class ThemeRow:
    code: str
    label: str
    ideas: int
    supports: int
    comments: int


def ideas_by_theme(process: Process) -> list[ThemeRow]:
    """Published ideas, their supports and comments per theme of the process (each of its
    themes, even without ideas; a theme since removed from the process after them): one
    statement."""
    rows = db.session.execute(
        select(Idea.theme, func.count(), func.sum(Idea.support_count),
               func.sum(Idea.comment_count))
        .join(Contribution, Contribution.id == Idea.contribution_id)
        .where(_published_idea(process))
        .group_by(Idea.theme))
    found = {code: (int(ideas), int(supports or 0), int(comments or 0))
             for code, ideas, supports, comments in rows}
    codes = list(process.themes or ())
    codes += sorted(code for code in found if code not in codes)
    return [ThemeRow(code, theme_label(code), *found.get(code, (0, 0, 0))) for code in codes]


# ---------------------------------------------------------------- the sections


def _theme_chart(rows: list[ThemeRow]) -> Any:
    from engage.core.charts import hbar_chart

    if not any(row.ideas for row in rows):
        return None
    return hbar_chart([(row.label, row.ideas, str(row.ideas)) for row in rows], scale=None)


def sections(process: Process, options: PackOptions) -> list[Section]:
    """The ideas' sections of the document asked for; only those are read."""
    agree = agree_mode(process)
    found: list[Section] = []
    if options.document == "pack":
        found.append(Section(
            "ideas-top", _("Top ideas"), "ideas/pack/top.html", order=20,
            context={"ideas": top_ideas(process, TOP_IDEAS, agree=agree), "agree": agree}))
        rows = ideas_by_theme(process)
        found.append(Section(
            "ideas-themes", _("Ideas by theme"), "ideas/pack/themes.html", order=22,
            context={"rows": rows, "chart": _theme_chart(rows)}))
    if options.document in ("pack", "cards"):
        theme = options.theme or None
        found.append(Section(
            "ideas-cards", _("Idea cards"), "ideas/pack/cards.html", order=90, part="cards",
            context={"cards": top_ideas(process, options.cards, theme=theme,
                                        text_chars=CARD_TEXT_CHARS, agree=agree,
                                        with_urls=True),
                     "agree": agree, "theme": theme_label(theme) if theme else None,
                     "qr_scale": CARD_QR_SCALE}))
    if options.document == "poster":
        found.append(Section(
            "ideas-top", _("Top ideas"), "ideas/pack/poster.html", order=20, part="poster",
            context={"ideas": top_ideas(process, POSTER_IDEAS, agree=agree), "agree": agree}))
    return found


packs.register("ideas", sections)
packs.register_participation("ideas", participation)
