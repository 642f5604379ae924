"""Declarative base, column types and mixins shared by every model.

Times are stored as naive UTC in the database (portable between SQLite and PostgreSQL) and come
back as timezone-aware UTC datetimes.
"""

from __future__ import annotations

import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A datetime stored as naive UTC and returned as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a timezone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    # One registry carries both, because Flask-SQLAlchemy subclasses this base.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def is_sqlite_connection(dbapi_connection: Any) -> bool:
    """Whether a new DB-API connection is SQLite's. Without importing sqlite3: a process that
    never loaded it (a PostgreSQL worker) cannot hold one, and the module costs ~1 MiB."""
    sqlite3 = sys.modules.get("sqlite3")
    return sqlite3 is not None and isinstance(dbapi_connection, sqlite3.Connection)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):  # noqa: ANN001
    """SQLite: WAL, foreign keys, a busy timeout, and transactions SQLAlchemy controls."""
    if not is_sqlite_connection(dbapi_connection):
        return
    # Let SQLAlchemy emit BEGIN itself (see `_sqlite_on_begin`), so SAVEPOINT works.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


# Whether work outside a request (CLI commands, jobs) may write; requests are decided by their
# method in `_writes`.
write_intent: ContextVar[bool] = ContextVar("engage_write_intent", default=True)


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection):  # noqa: ANN001
    """SQLite: writers start with BEGIN IMMEDIATE, readers with a deferred BEGIN.

    In WAL mode a deferred transaction that has read cannot write once another connection
    committed in between: SQLite answers "database is locked" at once, busy timeout or not.
    Taking the write lock at the start makes concurrent writers wait their turn instead, while
    readers (GET requests) never wait for anyone.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writes() else "BEGIN")


def _writes() -> bool:
    """Whether the current unit of work may write: a request by its method (decided here, as
    the first query of a GET can run before any `before_request` hook, in URL preprocessors),
    anything else (commands, jobs) by `write_intent`."""
    from flask import current_app, has_request_context, request

    if has_request_context():
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            return True
        view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
        return bool(getattr(view, "writes_on_get", False))
    return write_intent.get()


def writes_on_get(view: Any) -> Any:
    """Mark a GET view that writes — a link followed from an e-mail (confirming an address or a
    registration) — so that on SQLite its transaction takes the write lock at the start, as a
    POST's does, instead of failing with "database is locked" beside a concurrent writer. Put
    it right under the route decorator."""
    view.writes_on_get = True
    return view


def init_app(app) -> None:  # noqa: ANN001
    """Nothing to attach: requests declare their write intent by their method (`_writes`)."""


def sql_values(values: Any) -> str:
    """The quoted, comma-separated SQL list of `values` (e.g. a dict's keys), for a CHECK
    constraint `column IN (...)`; the values are our own constants, never user input."""
    return ", ".join(f"'{value}'" for value in values)


def _insert_for(model: type, session: Any = None):  # noqa: ANN202
    from sqlalchemy.dialects import postgresql, sqlite

    from engage.extensions import db

    dialect = (session or db.session).get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def upsert(model: type, key: dict[str, Any], values: dict[str, Any]) -> None:
    """Insert the row `key | values`, or update `values` on the row with that primary key: one
    `INSERT ... ON CONFLICT DO UPDATE` (PostgreSQL and SQLite), so two simultaneous calls never
    fail on the unique key; the later one wins."""
    from engage.extensions import db

    statement = _insert_for(model).values(**key, **values)
    db.session.execute(statement.on_conflict_do_update(index_elements=list(key), set_=values))


def increment(model: type, key: dict[str, Any], column: str, session: Any = None,
              also: dict[str, Any] | None = None) -> None:
    """Add one to `column` of the row with primary key `key`, or insert that row with `column`
    at 1 and the model's defaults elsewhere: one `INSERT ... ON CONFLICT DO UPDATE`, so
    simultaneous calls never lose a count nor fail on the key. `also`: other columns set to
    these values either way. In `session` if given, else in the application's."""
    from engage.extensions import db

    also = also or {}
    statement = _insert_for(model, session).values(**key, **{column: 1}, **also)
    current = model.__table__.c[column]
    (session or db.session).execute(statement.on_conflict_do_update(
        index_elements=list(key), set_={column: current + 1, **also}))


def insert_ignoring_duplicates(model: type, rows: list[dict[str, Any]]) -> None:
    """`INSERT ... ON CONFLICT DO NOTHING` of `rows`, on PostgreSQL and SQLite alike."""
    from engage.extensions import db

    if rows:
        db.session.execute(_insert_for(model).values(rows).on_conflict_do_nothing())
