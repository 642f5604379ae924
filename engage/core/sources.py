"""What the synthesis reads from the process kinds without importing them: each kind registers,
from its own package at start-up, how to read its votes as a matrix and the supports its input
has gathered.

`register_votes(kind, reader)`: `reader(process)` returns the process's `Votes` (agree = 1,
pass = 0, disagree = -1, None unseen), or None when the process does not vote that way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Votes:
    participant_ids: list[int]
    idea_ids: list[int]
    rows: list[list[int | None]]
    labels: dict[int, str] = field(default_factory=dict)  # idea id → its title
    stakeholder_types: dict[int, str] = field(default_factory=dict)  # participant → type
    hidden_idea_ids: list[int] = field(default_factory=list)


_vote_readers: dict[str, Callable[[Any], Votes | None]] = {}


def register_votes(kind: str, reader: Callable[[Any], Votes | None]) -> None:
    _vote_readers[kind] = reader


def votes_of(process: Any) -> Votes | None:
    reader = _vote_readers.get(process.kind)
    return reader(process) if reader is not None else None


# The supports each piece of input has gathered (ideas), by contribution id, for the themes'
# "how many supports" — `reader(contribution_ids) -> {contribution id: supports}`.
_support_readers: dict[str, Callable[[list[int]], dict[int, int]]] = {}


def register_supports(kind: str, reader: Callable[[list[int]], dict[int, int]]) -> None:
    _support_readers[kind] = reader


def supports_of(contributions: list[tuple[int, str]]) -> dict[int, int]:
    """{contribution id: supports} for (contribution id, kind) pairs; kinds without supports
    are left out."""
    by_kind: dict[str, list[int]] = {}
    for contribution_id, kind in contributions:
        by_kind.setdefault(kind, []).append(contribution_id)
    found: dict[int, int] = {}
    for kind, ids in by_kind.items():
        reader = _support_readers.get(kind)
        if reader is not None:
            found.update(reader(ids))
    return found
