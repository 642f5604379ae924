"""The synthesis workspace's computed views, computed by background jobs (numpy and
scikit-learn never load in a web worker) and kept: the opinion groups of an agree/disagree ideas
process (`OpinionRun`, the newest run), and the themes of a process's text input (`ThemeRun`,
`FoundTheme`), whose names and merges by moderators survive a rerun."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from engage.core import sources
from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.synthesis.models import FoundTheme, OpinionRun, ThemeRun


def compute_opinions(process: Process) -> OpinionRun | None:
    """Compute and keep the process's opinion groups (in a job); None when the process does
    not vote agree/disagree."""
    from engage.synthesis.opinions import OpinionState, compute_opinion_groups

    votes = sources.votes_of(process)
    if votes is None:
        return None
    run = db.session.get(OpinionRun, process.id)
    previous = None
    if run is not None and run.result:
        stored = json.loads(run.result)
        if stored.get("state"):
            previous = OpinionState.from_json(stored["state"])
    result = compute_opinion_groups(
        votes.participant_ids, votes.idea_ids, votes.rows,
        hidden_idea_ids=votes.hidden_idea_ids, stakeholder_types=votes.stakeholder_types,
        previous=previous)
    payload = result.to_json()
    payload["labels"] = {str(k): v for k, v in votes.labels.items()}
    if run is None:
        run = OpinionRun(process_id=process.id)
        db.session.add(run)
    run.computed_at = utcnow()
    run.votes = sum(1 for row in votes.rows for value in row if value is not None)
    run.result = json.dumps(payload, ensure_ascii=False)
    db.session.flush()
    return run


def latest_opinions(process: Process) -> tuple[OpinionRun | None, Any, dict[int, str]]:
    """(the newest run, its OpinionResult, the ideas' titles), or (None, None, {})."""
    from engage.synthesis.opinions import OpinionResult

    run = db.session.get(OpinionRun, process.id)
    if run is None or not run.result:
        return None, None, {}
    payload = json.loads(run.result)
    labels = {int(k): v for k, v in payload.pop("labels", {}).items()}
    return run, OpinionResult.from_json(payload), labels


# ---------------------------------------------------------------- themes

THEMED_KINDS = ("idea", "comment", "answer", "observation")
THEMES_MAX_ITEMS = 20_000


def _theme_items(process: Process) -> list[dict[str, Any]]:
    """The process's published text input, as `themes.find_themes` takes it."""
    rows = db.session.execute(
        select(Contribution.id, Contribution.kind, Contribution.text, Contribution.language,
               Contribution.author_id)
        .where(Contribution.process_id == process.id, Contribution.status == "published",
               Contribution.kind.in_(THEMED_KINDS), Contribution.text != "")
        .order_by(Contribution.id).limit(THEMES_MAX_ITEMS)).all()
    supports = sources.supports_of([(row.id, row.kind) for row in rows])
    return [{"id": row.id, "text": row.text, "language": row.language or "ro",
             "author_id": row.author_id, "supports": supports.get(row.id, 0)} for row in rows]


def compute_themes(process: Process) -> ThemeRun:
    """Find the themes of the process's input (in a job) and keep them, carrying over what the
    moderators did: a new theme matched with an earlier one keeps its row, name and merge; an
    earlier theme no longer found stays, inactive."""
    from engage.synthesis.themes import PreviousTheme, find_themes, match_themes

    items = _theme_items(process)
    result = find_themes(items)
    earlier = list(db.session.scalars(select(FoundTheme).where(
        FoundTheme.process_id == process.id)))
    by_id = {theme.id: theme for theme in earlier}
    previous = [PreviousTheme(id=t.id, name=t.name, item_ids=frozenset(t.item_ids),
                              term_keys=tuple(t.term_keys)) for t in earlier if t.active]
    matches = {m.theme_key: m for m in match_themes(result, previous)} if previous else {}
    kept = set()
    for theme in result.themes:
        match = matches.get(theme.key)
        row = by_id.get(match.previous_id) if match is not None and match.previous_id else None
        if row is None:
            row = FoundTheme(process_id=process.id)
            db.session.add(row)
        row.label = theme.label[:200]
        row.terms = list(theme.terms)
        row.term_keys = list(theme.term_keys)
        row.item_ids = list(theme.item_ids)
        row.examples = list(theme.examples)
        row.n_items, row.n_authors, row.supports = theme.n_items, theme.n_authors, theme.supports
        row.active = True
        db.session.flush()
        kept.add(row.id)
    for row in earlier:
        if row.id not in kept:
            row.active = False
    run = db.session.get(ThemeRun, process.id)
    if run is None:
        run = ThemeRun(process_id=process.id)
        db.session.add(run)
    run.computed_at = utcnow()
    run.method = result.method
    run.items = len(items)
    run.unassigned = list(result.unassigned)
    run.duplicates = [list(group) for group in result.duplicates]
    db.session.flush()
    return run


@dataclass
class ThemeView:
    """A theme as the workspace shows it: with the themes merged into it."""

    theme: FoundTheme
    merged: list[FoundTheme] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)
    examples: list[Contribution] = field(default_factory=list)
    n_items: int = 0
    supports: int = 0


def themes_of(process: Process) -> tuple[ThemeRun | None, list[ThemeView]]:
    """The process's active themes, each with what was merged into it and its example texts;
    three queries."""
    run = db.session.get(ThemeRun, process.id)
    rows = list(db.session.scalars(select(FoundTheme).where(
        FoundTheme.process_id == process.id, FoundTheme.active).order_by(FoundTheme.id)))
    views = {t.id: ThemeView(theme=t) for t in rows if t.merged_into_id is None}
    for t in rows:
        target = views.get(t.merged_into_id) if t.merged_into_id else views.get(t.id)
        if target is None:  # merged into a theme no longer found: shown on its own
            target = views.setdefault(t.id, ThemeView(theme=t))
        if target.theme is not t:
            target.merged.append(t)
        target.item_ids = sorted(set(target.item_ids) | set(t.item_ids))
        target.supports += t.supports
    wanted = {cid for view in views.values()
              for cid in [*view.theme.examples, *(e for m in view.merged for e in m.examples)]}
    texts = {c.id: c for c in db.session.scalars(
        select(Contribution).where(Contribution.id.in_(wanted)))} if wanted else {}
    for view in views.values():
        examples = [*view.theme.examples, *(e for m in view.merged for e in m.examples)]
        view.examples = [texts[cid] for cid in examples[:3] if cid in texts]
        view.n_items = len(view.item_ids)
    ordered = sorted(views.values(), key=lambda v: (-v.n_items, v.theme.id))
    return run, ordered


class ThemeError(ValueError):
    def __init__(self, message: object) -> None:
        super().__init__(message)
        self.message = message


def _theme(process: Process, theme_id: int) -> FoundTheme:
    theme = db.session.get(FoundTheme, theme_id)
    if theme is None or theme.process_id != process.id:
        raise ThemeError(_l("There is no such theme in this process."))
    return theme


def rename_theme(process: Process, theme_id: int, name: str) -> FoundTheme:
    theme = _theme(process, theme_id)
    name = (name or "").strip()
    if len(name) > 200:
        raise ThemeError(_l("The name is too long (at most 200 characters)."))
    theme.name = name  # empty: back to the found label
    db.session.flush()
    return theme


def merge_theme(process: Process, theme_id: int, into_id: int | None) -> FoundTheme:
    """Merge a theme into another of the process (None: undo the merge). A theme that holds
    merged ones cannot itself be merged (one level)."""
    theme = _theme(process, theme_id)
    if into_id is None:
        theme.merged_into_id = None
    else:
        target = _theme(process, into_id)
        if target.id == theme.id or target.merged_into_id is not None:
            raise ThemeError(_l("Choose another theme to merge into."))
        holds = db.session.scalar(select(FoundTheme.id).where(
            FoundTheme.merged_into_id == theme.id).limit(1))
        if holds is not None:
            raise ThemeError(_l("Other themes are merged into this one: undo those first."))
        theme.merged_into_id = target.id
    db.session.flush()
    return theme
