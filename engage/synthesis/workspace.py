"""The synthesis workspace's computed views, computed by background jobs (numpy and
scikit-learn never load in a web worker) and kept: the opinion groups of an agree/disagree ideas
process (`OpinionRun`, the newest run), and the themes of a process's text input (`ThemeRun`,
`FoundTheme`), whose names, merges and splits by moderators survive a rerun.

A moderator's edits of the themes, and how each survives finding the themes again
(`compute_themes`, which pairs the new themes with the earlier active ones by
`themes.match_themes`):

- rename (`rename_theme`): the name stays on the row; a new theme matched with it keeps the row,
  so the name;
- merge (`merge_theme`, one level): `merged_into_id` stays on the row of the merged theme;
- split (`split_theme`): the moderator moves some of a theme's texts into a new theme, a row with
  `split_from_id` = the original; the original keeps the rest. A split can be split again (a
  family: the original and every theme split from it, at any depth). When the themes are found
  again, the new themes matched with any theme of a family give their texts to the family (the
  pool), which divides them again (`_keep_splits`): a text that was in one of the family's
  themes before goes back to that theme; a new text goes to the family's theme whose words it
  shares most — each theme's profile is its 20 most distinctive stem keys over its earlier
  texts (document frequency × log(1 + pool size / pool document frequency), the same keys as
  `themes._Prepared`, glossary on) plus its stored top terms; a tie goes to the original. Each
  theme of the family then gets its words, label, examples and counts from its own texts.
  A family no new theme is matched with is not found any more: its themes go inactive, like
  any theme not found;
- undo a split (`unsplit_theme`): the split-off theme's texts go back to the theme it was split
  from, its own split-offs and merged themes move to that theme, and its row is deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from engage.core import sources
from engage.core.db import utcnow
from engage.core.refusal import Refusal
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


def theme_texts_query(process: Process):  # noqa: ANN201
    """The select of the process's published text input (id, kind, text, language, author),
    the texts themes are found in (and `embeddings.ensure_embeddings` embeds)."""
    return (select(Contribution.id, Contribution.kind, Contribution.text, Contribution.language,
                   Contribution.author_id)
            .where(Contribution.process_id == process.id, Contribution.status == "published",
                   Contribution.kind.in_(THEMED_KINDS), Contribution.text != "")
            .order_by(Contribution.id).limit(THEMES_MAX_ITEMS))


def _theme_items(process: Process) -> list[dict[str, Any]]:
    """The process's published text input, as `themes.find_themes` takes it."""
    rows = db.session.execute(theme_texts_query(process)).all()
    supports = sources.supports_of([(row.id, row.kind) for row in rows])
    return [{"id": row.id, "text": row.text, "language": row.language or "ro",
             "author_id": row.author_id, "supports": supports.get(row.id, 0)} for row in rows]


def _find_themes(items: list[dict[str, Any]]):  # noqa: ANN202
    """By the stored sentence embeddings when the `engage[embeddings]` extra is installed and
    every item has its current vector (the job computes them first:
    `embeddings.ensure_embeddings`); otherwise by TF-IDF + NMF. `ThemeResult.method` tells
    which."""
    from engage.synthesis import embeddings
    from engage.synthesis.themes import find_themes, find_themes_from_embeddings

    if items and embeddings.available():
        vectors = embeddings.load_vectors([item["id"] for item in items],
                                          {item["id"]: item["text"] for item in items})
        if len(vectors) == len(items) and len({v.shape[0] for v in vectors.values()}) == 1:
            import numpy as np

            return find_themes_from_embeddings(
                items, np.vstack([vectors[item["id"]] for item in items]))
    return find_themes(items)


def compute_themes(process: Process) -> ThemeRun:
    """Find the themes of the process's input (in a job) and keep them, carrying over what the
    moderators did: a new theme matched with an earlier one keeps its row, name and merge; an
    earlier theme no longer found stays, inactive."""
    from engage.synthesis.themes import PreviousTheme, match_themes

    items = _theme_items(process)
    result = _find_themes(items)
    earlier = list(db.session.scalars(select(FoundTheme).where(
        FoundTheme.process_id == process.id)))
    by_id = {theme.id: theme for theme in earlier}
    previous = [PreviousTheme(id=t.id, name=t.name, item_ids=frozenset(t.item_ids),
                              term_keys=tuple(t.term_keys)) for t in earlier if t.active]
    matches = {m.theme_key: m for m in match_themes(result, previous)} if previous else {}
    families = _split_families(earlier)  # moderators' splits, kept below
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
    _keep_splits(families, items)
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
    split_from: FoundTheme | None = None  # the theme it was split from, when active
    split_into: list[FoundTheme] = field(default_factory=list)  # themes split from it
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
    by_id = {t.id: t for t in rows}
    for view in views.values():
        view.split_from = by_id.get(view.theme.split_from_id)
        view.split_into = [t for t in rows if t.split_from_id == view.theme.id]
    ordered = sorted(views.values(), key=lambda v: (-v.n_items, v.theme.id))
    return run, ordered


class ThemeError(Refusal):
    """See `engage.core.refusal.Refusal`."""


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


# ---------------------------------------------------------------- splits

SPLIT_PROFILE_KEYS = 20  # distinctive stem keys per theme, to place a new text (docstring)
SPLIT_TERMS = 10


def _texts_of(item_ids: list[int]) -> dict[int, dict[str, Any]]:
    """{id: item as `themes.find_themes` takes it} for the given contributions."""
    if not item_ids:
        return {}
    rows = db.session.execute(
        select(Contribution.id, Contribution.kind, Contribution.text, Contribution.language,
               Contribution.author_id).where(Contribution.id.in_(item_ids))).all()
    supports = sources.supports_of([(row.id, row.kind) for row in rows])
    return {row.id: {"id": row.id, "text": row.text, "language": row.language or "ro",
                     "author_id": row.author_id, "supports": supports.get(row.id, 0)}
            for row in rows}


class _Keys:
    """Stem keys (unigrams and bigrams, glossary on) of a pool of texts, and each key's document
    frequency in the pool."""

    def __init__(self, items: list[dict[str, Any]]):
        from engage.synthesis.themes import _coerce, _Prepared

        self.prepared = _Prepared(_coerce(items), bilingual=True)
        self.keys = {item["id"]: set(doc) for item, doc in zip(items, self.prepared.docs,
                                                                  strict=True)}
        self.df: dict[str, int] = {}
        for keys in self.keys.values():
            for key in keys:
                self.df[key] = self.df.get(key, 0) + 1

    def distinctive(self, ids: list[int], count: int) -> list[str]:
        import math

        df: dict[str, int] = {}
        for cid in ids:
            for key in self.keys.get(cid, ()):
                df[key] = df.get(key, 0) + 1
        least = 2 if len(ids) >= 4 else 1
        n = max(len(self.keys), 1)
        scored = sorted(((-f * math.log(1 + n / self.df[k]), k) for k, f in df.items()
                         if f >= least), key=lambda pair: pair)
        return [key for _, key in scored[:count]]


def texts_using(contributions: list[Contribution], term_key: str) -> set[int]:
    """The ids of the contributions whose text has a theme's term (a stem key, or two)."""
    keys = _Keys([{"id": c.id, "text": c.text, "language": c.language or "ro"}
                  for c in contributions])
    return {cid for cid, found in keys.keys.items() if term_key in found}


def _describe(theme: FoundTheme, ids: list[int], texts: dict[int, dict[str, Any]],
              keys: _Keys) -> None:
    """Set a theme's texts, words, label, examples and counts from `ids` (in pool order)."""
    theme.item_ids = list(ids)
    term_keys = keys.distinctive(ids, SPLIT_TERMS)
    if term_keys:
        theme.term_keys = term_keys
        theme.terms = [keys.prepared.readable(key) for key in term_keys]
        theme.label = ", ".join(theme.terms[:3])[:200]
    chosen = set(ids)
    examples = [cid for cid in (theme.examples or []) if cid in chosen]
    theme.examples = (examples + [cid for cid in ids if cid not in examples])[:3]
    theme.n_items = len(ids)
    theme.n_authors = len({texts[cid]["author_id"] for cid in ids
                           if cid in texts and texts[cid]["author_id"] is not None})
    theme.supports = sum(texts[cid]["supports"] for cid in ids if cid in texts)


def _split_families(earlier: list[FoundTheme]) -> list[tuple[list[FoundTheme], dict]]:
    """Before a rerun: each family of split themes (its original first, then the themes split
    from it at any depth, by id) with each theme's texts and stored top terms then."""
    by_id = {t.id: t for t in earlier}

    def root(theme: FoundTheme) -> FoundTheme:
        seen = set()
        while theme.split_from_id in by_id and theme.id not in seen:
            seen.add(theme.id)
            theme = by_id[theme.split_from_id]
        return theme

    families: dict[int, list[FoundTheme]] = {}
    for theme in earlier:
        if theme.split_from_id is not None and theme.split_from_id in by_id:
            families.setdefault(root(theme).id, [])
    for theme in earlier:
        top = root(theme)
        if top.id in families:
            families[top.id].append(theme)
    out = []
    for top_id, members in sorted(families.items()):
        members.sort(key=lambda t: (t.id != top_id, t.id))
        before = {t.id: (frozenset(t.item_ids or ()), tuple(t.term_keys or ())) for t in members}
        out.append((members, before))
    return out


def _keep_splits(families: list[tuple[list[FoundTheme], dict]],
                 items: list[dict[str, Any]]) -> None:
    """After a rerun: divide again the texts of the new themes matched with a family's themes
    (module docstring)."""
    texts = {item["id"]: item for item in items}
    for members, before in families:
        found = [t for t in members if t.active]
        if not found:
            continue
        pool = sorted({cid for t in found for cid in t.item_ids if cid in texts})
        keys = _Keys([texts[cid] for cid in pool])
        owner = {}
        for theme in members:
            for cid in before[theme.id][0]:
                owner.setdefault(cid, theme.id)
        profiles = {}
        for theme in members:
            earlier_ids = [cid for cid in before[theme.id][0] if cid in keys.keys]
            profiles[theme.id] = (set(keys.distinctive(earlier_ids, SPLIT_PROFILE_KEYS))
                                  | set(before[theme.id][1]))
        shares: dict[int, list[int]] = {theme.id: [] for theme in members}
        for cid in pool:
            home = owner.get(cid)
            if home is None:  # a new text: the theme whose words it shares most, else the root
                doc = keys.keys[cid]
                home = max(members, key=lambda t: len(doc & profiles[t.id])).id
            shares[home].append(cid)
        for theme in members:
            _describe(theme, shares[theme.id], texts, keys)
            theme.active = bool(shares[theme.id])
    db.session.flush()


def split_theme(process: Process, theme_id: int, item_ids: list[int],
                name: str = "") -> FoundTheme:
    """Move the chosen texts of a theme into a new theme split from it (named `name`, or by its
    words); the theme keeps the rest. Refused: no text chosen, a text not in the theme, every
    text chosen, a theme merged into another or holding merged ones."""
    theme = _theme(process, theme_id)
    name = (name or "").strip()
    if not theme.active:
        raise ThemeError(_l("This theme is no longer found: find the themes again first."))
    if theme.merged_into_id is not None:
        raise ThemeError(_l("This theme is merged into another: undo the merge first."))
    holds = db.session.scalar(select(FoundTheme.id).where(
        FoundTheme.merged_into_id == theme.id).limit(1))
    if holds is not None:
        raise ThemeError(_l("Other themes are merged into this one: undo those first."))
    if len(name) > 200:
        raise ThemeError(_l("The name is too long (at most 200 characters)."))
    chosen = set(item_ids)
    current = list(theme.item_ids or [])
    if not chosen:
        raise ThemeError(_l("Choose the texts to move into the new theme."))
    if not chosen <= set(current):
        raise ThemeError(_l("Some of the chosen texts are not in this theme."))
    if chosen >= set(current):
        raise ThemeError(_l("Leave at least one text in this theme: choose fewer texts."))
    texts = _texts_of(current)
    keys = _Keys([texts[cid] for cid in current if cid in texts])
    child = FoundTheme(process_id=process.id, split_from_id=theme.id, name=name, active=True,
                       label=theme.label, terms=list(theme.terms or []),
                       term_keys=list(theme.term_keys or []), examples=[])
    db.session.add(child)
    _describe(child, [cid for cid in current if cid in chosen], texts, keys)
    _describe(theme, [cid for cid in current if cid not in chosen], texts, keys)
    db.session.flush()
    return child


def unsplit_theme(process: Process, theme_id: int) -> FoundTheme:
    """Undo a split: the split-off theme's texts go back to the theme it was split from, which
    also takes its split-offs and the themes merged into it; the split-off row is deleted.
    Returns the theme it was split from."""
    theme = _theme(process, theme_id)
    if theme.split_from_id is None:
        raise ThemeError(_l("This theme was not split from another."))
    parent = _theme(process, theme.split_from_id)
    ids = list(dict.fromkeys([*(parent.item_ids or []), *(theme.item_ids or [])]))
    for other in db.session.scalars(select(FoundTheme).where(
            (FoundTheme.split_from_id == theme.id) | (FoundTheme.merged_into_id == theme.id))):
        if other.split_from_id == theme.id:
            other.split_from_id = parent.id
        if other.merged_into_id == theme.id:
            other.merged_into_id = parent.id if parent.merged_into_id is None else None
    texts = _texts_of(ids)
    present = [cid for cid in ids if cid in texts]
    _describe(parent, present, texts, _Keys([texts[cid] for cid in present]))
    parent.active = True
    db.session.delete(theme)
    db.session.flush()
    return parent
