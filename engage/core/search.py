"""Full-text search shared by every feature: one index, the database's own search engine.

Features index their objects as documents keyed by (kind, object_id) — e.g. ("idea", 12) — with
a scope (e.g. the process id), a title, a body and the language they were written in, and later
ask for the object ids that match a visitor's query, best first, or for a SQL condition to put
in a larger select (so a list page filters, sorts and paginates in one query).

Two backends behind the same functions, chosen by the engine's dialect:

- SQLite: an FTS5 virtual table `search_index` (tokenizer `unicode61 remove_diacritics 2`) over
  an ordinary table `search_index_document` that holds the keys (external content; triggers keep
  the two in step). Upserts and removals go through the document table's unique key instead of
  scanning the FTS table's unindexed columns.
- PostgreSQL: a table `search_index` with a `tsvector` column under a GIN index, built with the
  `simple` configuration (no stemming, no stop words — the same matching as FTS5's unicode61).

Romanian text comes with comma-below ș ț, the old cedilla ş ţ, or no diacritics at all. `fold()`
removes every diacritic and case in Python, on both the indexed text and the query, so the two
databases match the same way and PostgreSQL needs no `unaccent` extension. Queries are never
passed through as search syntax: they are cut into words, each quoted, the last one a prefix, so
quotes, `*`, `NEAR(`, `OR` or SQL fragments are only words to look for.

The tables are not SQLAlchemy models (FTS5 is a virtual table with shadow tables): migrations
create them with raw SQL, `ensure_search_schema()` creates them for tests and scripts, and
`include_name()` keeps them out of Alembic's autogenerate comparison.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Integer, bindparam, false, text
from sqlalchemy.engine import Connection, Engine

from engage.extensions import db

TABLE = "search_index"
# Bounds that keep a hostile or pasted query cheap: enough words for any real search.
MAX_TERMS = 12
MAX_TERM_LENGTH = 64
MAX_LIMIT = 500
# Title words weigh more than body words in the ranking.
TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0

# Letters and digits (any script), without the underscore that `\w` also accepts.
_WORD_RE = re.compile(r"[^\W_]+")

SQLITE_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS search_index_document (
        id INTEGER PRIMARY KEY,
        kind VARCHAR(40) NOT NULL,
        object_id INTEGER NOT NULL,
        scope_id INTEGER,
        language VARCHAR(8) NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (kind, object_id)
    )""",
    """CREATE INDEX IF NOT EXISTS search_index_document_scope
        ON search_index_document (kind, scope_id)""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5(
        title, body,
        content='search_index_document', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_index_document_ai
        AFTER INSERT ON search_index_document BEGIN
        INSERT INTO search_index (rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_index_document_ad
        AFTER DELETE ON search_index_document BEGIN
        INSERT INTO search_index (search_index, rowid, title, body)
            VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_index_document_au
        AFTER UPDATE ON search_index_document BEGIN
        INSERT INTO search_index (search_index, rowid, title, body)
            VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO search_index (rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
)

POSTGRESQL_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS search_index (
        kind VARCHAR(40) NOT NULL,
        object_id INTEGER NOT NULL,
        scope_id INTEGER,
        language VARCHAR(8) NOT NULL,
        document TSVECTOR NOT NULL,
        CONSTRAINT pk_search_index PRIMARY KEY (kind, object_id)
    )""",
    "CREATE INDEX IF NOT EXISTS search_index_document ON search_index USING GIN (document)",
    "CREATE INDEX IF NOT EXISTS search_index_scope ON search_index (kind, scope_id)",
)


# ---------------------------------------------------------------- text


def fold(value: str) -> str:
    """`value` without diacritics or case: "Școală", "Şcoală" and "scoala" all give "scoala".

    NFKD splits ș (comma below) and ş (cedilla) alike into s + a combining mark, and ă, â, î, ț,
    ţ the same way; dropping the marks and case-folding leaves the bare letters.
    """
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare).casefold()


def terms(query: str | None) -> list[str]:
    """The words of a query, folded: letters and digits only, bounded in number and length."""
    if not query:
        return []
    words = _WORD_RE.findall(fold(query))
    return [word[:MAX_TERM_LENGTH] for word in words[:MAX_TERMS]]


def _fts5_match(words: list[str]) -> str:
    # Each word quoted (so no word is ever an operator), implicit AND, the last one a prefix
    # so that a query typed halfway ("tramv") already finds ("tramvaie").
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def _tsquery(words: list[str]) -> str:
    quoted = [f"'{word}'" for word in words]
    quoted[-1] += ":*"
    return " & ".join(quoted)


# ---------------------------------------------------------------- schema


def _dialect(bind: Any = None) -> str:
    bind = bind if bind is not None else db.session.get_bind()
    return bind.dialect.name


def schema_statements(dialect: str) -> tuple[str, ...]:
    """The DDL that creates the search tables on `dialect` (idempotent)."""
    if dialect == "sqlite":
        return SQLITE_SCHEMA
    if dialect == "postgresql":
        return POSTGRESQL_SCHEMA
    raise ValueError(f"no full-text search for the {dialect!r} database")


def ensure_search_schema(bind: Engine | Connection) -> None:
    """Create the search tables if they are missing: for `db.create_all()` users (tests,
    scripts). Production databases get them from the migrations."""
    statements = schema_statements(bind.dialect.name)
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    else:
        for statement in statements:
            bind.exec_driver_sql(statement)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic `include_name` hook: leave the search tables (and FTS5's shadow tables
    search_index_data, _idx, _docsize, _config) out of autogenerate, as they are no models."""
    return not (type_ == "table" and name is not None and name.startswith(TABLE))


# ---------------------------------------------------------------- writing


def index(kind: str, object_id: int, scope_id: int | None, title: str, body: str,
          language: str) -> None:
    """Put an object into the index, or replace what was indexed for it."""
    values = {
        "kind": kind,
        "object_id": object_id,
        "scope_id": scope_id,
        "language": language,
        "title": fold(title or ""),
        "body": fold(body or ""),
    }
    if _dialect() == "sqlite":
        statement = text(
            "INSERT INTO search_index_document (kind, object_id, scope_id, language, title, body)"
            " VALUES (:kind, :object_id, :scope_id, :language, :title, :body)"
            " ON CONFLICT (kind, object_id) DO UPDATE SET scope_id = excluded.scope_id,"
            " language = excluded.language, title = excluded.title, body = excluded.body"
        )
    else:
        statement = text(
            "INSERT INTO search_index (kind, object_id, scope_id, language, document)"
            " VALUES (:kind, :object_id, :scope_id, :language,"
            " setweight(to_tsvector('simple', :title), 'A')"
            " || setweight(to_tsvector('simple', :body), 'B'))"
            " ON CONFLICT (kind, object_id) DO UPDATE SET scope_id = excluded.scope_id,"
            " language = excluded.language, document = excluded.document"
        )
    db.session.execute(statement, values)


def remove(kind: str, object_id: int) -> None:
    """Take an object out of the index (nothing happens if it was not in)."""
    table = "search_index_document" if _dialect() == "sqlite" else "search_index"
    db.session.execute(
        text(f"DELETE FROM {table} WHERE kind = :kind AND object_id = :object_id"),
        {"kind": kind, "object_id": object_id},
    )


# ---------------------------------------------------------------- reading


def search(kind: str, query: str | None, scope_id: int | None = None,
           limit: int = 50) -> list[int]:
    """The ids of the `kind` objects that contain every word of `query` (the last one as a
    prefix), best match first; [] for a query without words. One statement."""
    words = terms(query)
    if not words:
        return []
    limit = max(1, min(int(limit), MAX_LIMIT))
    scoped = " AND d.scope_id = :scope_id" if scope_id is not None else ""
    if _dialect() == "sqlite":
        sql = (
            "SELECT d.object_id FROM search_index"
            " JOIN search_index_document AS d ON d.id = search_index.rowid"
            f" WHERE search_index MATCH :match AND d.kind = :kind{scoped}"
            f" ORDER BY bm25(search_index, {TITLE_WEIGHT}, {BODY_WEIGHT}), d.object_id"
            " LIMIT :limit"
        )
        params: dict[str, Any] = {"match": _fts5_match(words)}
    else:
        sql = (
            "SELECT d.object_id FROM search_index AS d"
            " WHERE d.document @@ to_tsquery('simple', :tsquery) AND d.kind = :kind"
            f"{scoped}"
            " ORDER BY ts_rank(d.document, to_tsquery('simple', :tsquery)) DESC, d.object_id"
            " LIMIT :limit"
        )
        params = {"tsquery": _tsquery(words)}
    params.update(kind=kind, limit=limit)
    if scope_id is not None:
        params["scope_id"] = scope_id
    return list(db.session.scalars(text(sql), params))


def search_condition(kind: str, query: str | None, id_column: ColumnElement[Any],
                     scope_id: int | None = None) -> ColumnElement[bool]:
    """`id_column IN (ids of the matching kind objects)`, to combine with other filters and any
    order in one select. A query without words matches nothing."""
    words = terms(query)
    if not words:
        return false()
    scoped = " AND d.scope_id = :scope_id" if scope_id is not None else ""
    if _dialect() == "sqlite":
        sql = (
            "SELECT d.object_id FROM search_index"
            " JOIN search_index_document AS d ON d.id = search_index.rowid"
            f" WHERE search_index MATCH :match AND d.kind = :kind{scoped}"
        )
        params: dict[str, Any] = {"match": _fts5_match(words)}
    else:
        sql = (
            "SELECT d.object_id FROM search_index AS d"
            " WHERE d.document @@ to_tsquery('simple', :tsquery) AND d.kind = :kind"
            f"{scoped}"
        )
        params = {"tsquery": _tsquery(words)}
    params["kind"] = kind
    if scope_id is not None:
        params["scope_id"] = scope_id
    # Unique bind names, so that two search conditions can share one statement.
    subquery = text(sql).bindparams(*_unique_binds(params)).columns(object_id=Integer)
    return id_column.in_(subquery)


def _unique_binds(params: dict[str, Any]) -> Iterable[Any]:
    return [bindparam(key, value, unique=True) for key, value in params.items()]
