"""Data versions: a counter column per process, raised once in every committed transaction that
changes what some cached rendering shows, so each worker can check its cache with a row the
request reads anyway instead of aggregating on every request (consultation results, the science
map and charts).

A feature declares a `Version` (the settings model whose row holds the counter, keyed by
`process_id`, the counter's column, and optionally a column stamped with the time of each raise,
for the open data's Last-Modified) and a `process_of(session, obj, deleted)` function that
says which process a new, changed or deleted ORM object concerns (None: not this version's
business). Changes that go around the unit of work (UPDATE/DELETE statements) must call
`version.changed(process_id)` themselves.

The raise is one `INSERT ... ON CONFLICT DO UPDATE` per changed process, run in `before_commit`
after a last flush, so several changes in one transaction raise it once, a rolled-back
transaction raises nothing, and a process without a settings row gets one with the defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from engage.core.db import increment, utcnow

ProcessOf = Callable[[Session, Any, bool], "int | None"]
_VERSIONS: list[Version] = []


class Version:
    def __init__(self, name: str, model: type, column: str, process_of: ProcessOf,
                 changed_at: str | None = None) -> None:
        self.name = name
        self.model = model
        self.column = column
        self.process_of = process_of
        self.changed_at = changed_at  # a column stamped with the time of each raise, if any
        self._key = f"version:{name}"
        _VERSIONS.append(self)

    def changed(self, process_id: int, session: Session | None = None) -> None:
        """Note that `process_id`'s data changes in the current transaction."""
        if session is None:
            from engage.extensions import db

            session = db.session()
        session.info.setdefault(self._key, set()).add(process_id)

    def _raise(self, session: Session) -> None:
        also = {self.changed_at: utcnow()} if self.changed_at else None
        for process_id in sorted(session.info.pop(self._key, None) or ()):
            increment(self.model, {"process_id": process_id}, self.column, session=session,
                      also=also)

    def _forget(self, session: Session) -> None:
        session.info.pop(self._key, None)


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context: Any) -> None:
    if not _VERSIONS:
        return
    deleted = set(session.deleted)
    for obj in chain(session.new, session.dirty, deleted):
        if obj in session.dirty and not session.is_modified(obj):
            continue
        for version in _VERSIONS:
            process_id = version.process_of(session, obj, obj in deleted)
            if process_id is not None:
                version.changed(process_id, session)


@event.listens_for(Session, "before_commit")
def _raise_versions(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()
    for version in _VERSIONS:
        version._raise(session)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    for version in _VERSIONS:
        version._forget(session)
