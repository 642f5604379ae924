"""Citations of citizen input: `[[idea:123]]`, `[[comment:45]]`, `[[answer:678]]`,
`[[observation:9]]`, `[[session:3]]` written in a summary's Markdown.

Each kind registers how to resolve its ids (`register(kind, resolver)`, from its own package at
start-up), so the synthesis reads citations without importing the kinds. A resolver takes ids
and returns, for each one it finds, a `Cited`: where the input lives (city, process), a short
title and the quote shown on hover or tap, its page, whether it may be cited (published input of
a public process) and what it rests on (author, supports).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

CITATION = re.compile(r"\[\[(idea|comment|answer|observation|session):(\d{1,12})\]\]")
QUOTE_MAX = 280


@dataclass(frozen=True)
class Cited:
    kind: str
    id: int
    city_id: int
    process_id: int
    title: str
    quote: str
    endpoint: str  # its page: url_for(endpoint, **args), built when asked (in a request)
    args: dict = field(default_factory=dict)
    citable: bool = False  # published input of a public process
    contribution_id: int | None = None
    author_id: int | None = None
    supports: int = 0

    @property
    def url(self) -> str:
        from flask import url_for

        return url_for(self.endpoint, **self.args)


Resolver = Callable[[list[int]], dict[int, Cited]]
_resolvers: dict[str, Resolver] = {}


@dataclass(frozen=True)
class CitedIn:
    """Where a piece of input is cited: a published summary (and, later, a contract section)."""

    title: str
    url: str


# The synthesis registers who cites what, so a kind's page can say "cited in" without
# importing it.
_citers: list[tuple[int, Callable[[str, list[int]], dict[int, list[CitedIn]]]]] = []


def register_citer(citer: Callable[[str, list[int]], dict[int, list[CitedIn]]],
                   order: int = 0) -> None:
    """Add who cites; "cited in" lists places by `order` (summaries before the contract)."""
    _citers.append((order, citer))
    _citers.sort(key=lambda entry: entry[0])


def cited_in(kind: str, ids: Iterable[int]) -> dict[int, list[CitedIn]]:
    """For each of the `kind` input `ids` that is cited in public: where."""
    wanted = sorted(set(ids))
    found: dict[int, list[CitedIn]] = {}
    if not wanted:
        return found
    for _, citer in _citers:
        for number, places in citer(kind, wanted).items():
            found.setdefault(number, []).extend(places)
    return found


def register(kind: str, resolver: Resolver) -> None:
    _resolvers[kind] = resolver


# Each kind whose input has a spine row says which of its ids a Contribution is, so a picker
# that searches the spine can offer the right citation tag.
_by_contribution: dict[str, Callable[[list[int]], dict[int, int]]] = {}


def register_by_contribution(kind: str, finder: Callable[[list[int]], dict[int, int]]) -> None:
    _by_contribution[kind] = finder


def tags_for(contributions: Iterable[tuple[int, str]]) -> dict[int, str]:
    """{contribution id: its citation tag "[[kind:id]]"} for (contribution id, kind) pairs, one
    query per kind."""
    by_kind: dict[str, list[int]] = {}
    for contribution_id, kind in contributions:
        by_kind.setdefault(kind, []).append(contribution_id)
    tags: dict[int, str] = {}
    for kind, ids in by_kind.items():
        finder = _by_contribution.get(kind)
        if finder is not None:
            for contribution_id, number in finder(ids).items():
                tags[contribution_id] = f"[[{kind}:{number}]]"
    return tags


def references(text: str | None) -> list[tuple[str, int]]:
    """The citations written in `text`, in order, each once."""
    seen: dict[tuple[str, int], None] = {}
    for kind, number in CITATION.findall(text or ""):
        seen.setdefault((kind, int(number)), None)
    return list(seen)


def resolve(refs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Cited]:
    """The cited input found, one query per kind; a reference to nothing is left out."""
    by_kind: dict[str, list[int]] = {}
    for kind, number in refs:
        by_kind.setdefault(kind, []).append(number)
    found: dict[tuple[str, int], Cited] = {}
    for kind, ids in by_kind.items():
        resolver = _resolvers.get(kind)
        if resolver is None:
            continue
        for number, cited in resolver(sorted(set(ids))).items():
            found[(kind, number)] = cited
    return found


def quote(text: str | None) -> str:
    """A citation's quote: the text's first QUOTE_MAX characters, on one line."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= QUOTE_MAX else flat[:QUOTE_MAX - 1].rstrip() + "…"
