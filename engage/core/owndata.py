"""People's own data (GDPR articles 15, 17 and 20) and retention purges, across every kind.

The accounts package must gather, or erase, everything one person contributed, but feature
packages never import each other (DESIGN §3). So each kind registers here, from its own
`owndata.py` imported at start-up (as with `core.citations`):

- `collect(user) -> dict`: the person's own rows of that kind, as JSON-ready values — only
  theirs, never anybody else's (not others' comments on their idea, not others' supports);
- `erase(user, keep)`: before the account is anonymised, remove the personal data the kind
  holds about the person; `keep` True keeps their contributions, attributed to the anonymised
  account ("former participant"), False deletes their content. Counts of supports, votes and
  seats must stay right either way;
- `purge(now) -> int` (optional, `register_purger`): delete personal data past its retention;
  returns how many rows it changed.

`purge(dry_run=True)` runs every purger inside a savepoint and rolls it back, so its counts are
exactly what a real run would change and nothing is changed. A purger that removes stored files
names them with `remove_file(key)` instead of deleting them: they are deleted once the purge's
savepoint is kept, never in a dry run.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engage.core.db import utcnow
from engage.extensions import db

Collector = Callable[[Any], dict[str, Any]]
Eraser = Callable[[Any, bool], None]
Purger = Callable[[datetime], int]


@dataclass(frozen=True)
class _Kind:
    name: str
    collect: Collector
    erase: Eraser
    order: int


_kinds: dict[str, _Kind] = {}
_purgers: dict[str, Purger] = {}
_files: ContextVar[list[str] | None] = ContextVar("purged_files", default=None)


def register(name: str, collect: Collector, erase: Eraser, order: int = 50) -> None:
    """Add a kind's own-data functions; erasers run by `order` (lower first), so that, say,
    registrations are cancelled (which mails the person) before anything else is erased."""
    _kinds[name] = _Kind(name, collect, erase, order)


def register_purger(name: str, purger: Purger) -> None:
    _purgers[name] = purger


def remove_file(key: str) -> None:
    """Within a purger: delete this stored file (`core.uploads` storage) if the purge is kept."""
    files = _files.get()
    if files is None:
        raise RuntimeError("remove_file() is for purgers, within purge()")
    files.append(key)


def kinds() -> list[str]:
    return sorted(_kinds, key=lambda name: (_kinds[name].order, name))


def collect(user: Any) -> dict[str, dict[str, Any]]:
    """Everything the registered kinds hold about `user`: {kind: its collect(user)}."""
    return {name: _kinds[name].collect(user) for name in kinds()}


def erase(user: Any, keep: bool) -> None:
    """Every kind erases what it holds about `user` (see the module docstring)."""
    for name in kinds():
        _kinds[name].erase(user, keep)
    db.session.flush()


def purge(dry_run: bool = False, now: datetime | None = None) -> dict[str, int]:
    """Run every retention purger; {purger name: rows changed}. A dry run changes nothing."""
    from engage.core.uploads import get_storage

    now = now or utcnow()
    counts: dict[str, int] = {}
    files: list[str] = []
    token = _files.set(files)
    nested = db.session.begin_nested()
    try:
        for name in sorted(_purgers):
            counts[name] = _purgers[name](now)
        db.session.flush()
    except BaseException:
        nested.rollback()
        raise
    finally:
        _files.reset(token)
    if dry_run:
        nested.rollback()
        return counts
    nested.commit()
    storage = get_storage()
    for key in files:
        try:
            storage.delete(key)
        except (ValueError, OSError):
            pass  # already gone
    return counts


def iso(moment: datetime | None) -> str | None:
    """A stored UTC time as ISO 8601 for the download."""
    return moment.isoformat() if moment is not None else None
