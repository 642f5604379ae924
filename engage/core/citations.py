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
from dataclasses import dataclass

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
    url: str
    citable: bool  # published input of a public process
    contribution_id: int | None = None
    author_id: int | None = None
    supports: int = 0


Resolver = Callable[[list[int]], dict[int, Cited]]
_resolvers: dict[str, Resolver] = {}


def register(kind: str, resolver: Resolver) -> None:
    _resolvers[kind] = resolver


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
