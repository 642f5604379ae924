"""search index: FTS5 on SQLite, tsvector + GIN on PostgreSQL

The search tables are not models (see engage/core/search.py), so they are written here as raw
SQL per dialect; the statements mirror engage.core.search.SQLITE_SCHEMA / POSTGRESQL_SCHEMA
(migrations do not import the application, so they are repeated, not imported).

Revision ID: f1dbe1432bd8
Revises: a247ad9a8704
Create Date: 2026-11-23 19:40:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f1dbe1432bd8'
down_revision = 'a247ad9a8704'
branch_labels = None
depends_on = None


SQLITE_UPGRADE = (
    """CREATE TABLE search_index_document (
        id INTEGER PRIMARY KEY,
        kind VARCHAR(40) NOT NULL,
        object_id INTEGER NOT NULL,
        scope_id INTEGER,
        language VARCHAR(8) NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (kind, object_id)
    )""",
    """CREATE INDEX search_index_document_scope ON search_index_document (kind, scope_id)""",
    """CREATE VIRTUAL TABLE search_index USING fts5(
        title, body,
        content='search_index_document', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER search_index_document_ai
        AFTER INSERT ON search_index_document BEGIN
        INSERT INTO search_index (rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER search_index_document_ad
        AFTER DELETE ON search_index_document BEGIN
        INSERT INTO search_index (search_index, rowid, title, body)
            VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER search_index_document_au
        AFTER UPDATE ON search_index_document BEGIN
        INSERT INTO search_index (search_index, rowid, title, body)
            VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO search_index (rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
)

SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS search_index_document_au",
    "DROP TRIGGER IF EXISTS search_index_document_ad",
    "DROP TRIGGER IF EXISTS search_index_document_ai",
    # Dropping the virtual table drops its shadow tables (search_index_data, _idx, ...).
    "DROP TABLE IF EXISTS search_index",
    "DROP TABLE IF EXISTS search_index_document",
)

POSTGRESQL_UPGRADE = (
    """CREATE TABLE search_index (
        kind VARCHAR(40) NOT NULL,
        object_id INTEGER NOT NULL,
        scope_id INTEGER,
        language VARCHAR(8) NOT NULL,
        document TSVECTOR NOT NULL,
        CONSTRAINT pk_search_index PRIMARY KEY (kind, object_id)
    )""",
    "CREATE INDEX search_index_document ON search_index USING GIN (document)",
    "CREATE INDEX search_index_scope ON search_index (kind, scope_id)",
)

POSTGRESQL_DOWNGRADE = ("DROP TABLE IF EXISTS search_index",)


def _statements(upgrading):
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return SQLITE_UPGRADE if upgrading else SQLITE_DOWNGRADE
    if dialect == "postgresql":
        return POSTGRESQL_UPGRADE if upgrading else POSTGRESQL_DOWNGRADE
    raise RuntimeError(f"no full-text search for the {dialect!r} database")


def upgrade():
    for statement in _statements(True):
        op.execute(statement)


def downgrade():
    for statement in _statements(False):
        op.execute(statement)
