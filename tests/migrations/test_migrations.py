"""The migrations build exactly the models' schema, and undo it completely."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from engage.core.search import include_name
from engage.extensions import db
from tests.conftest import make_test_app, temporary_database

pytestmark = pytest.mark.no_transaction


def test_upgrade_matches_models_and_downgrade_to_base(tmp_path):
    with temporary_database(tmp_path) as url:
        app = make_test_app(tmp_path, url)
        with app.app_context():
            try:
                upgrade()
                with db.engine.connect() as connection:
                    context = MigrationContext.configure(
                        connection, opts={"compare_type": True, "include_name": include_name}
                    )
                    drift = compare_metadata(context, db.metadata)
                assert drift == [], f"models and migrations differ: {drift}"

                tables = set(inspect(db.engine).get_table_names())
                assert set(db.metadata.tables) <= tables
                assert "search_index" in tables  # the full-text index, not a model

                downgrade(revision="base")
                left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
                assert left == set()
            finally:
                db.session.remove()
                db.engine.dispose()


def test_ideas_written_before_html_was_kept_get_it_from_the_migration(tmp_path):
    """The migration that adds the stored HTML renders the rows already there (sanitised)."""
    from sqlalchemy import text

    with temporary_database(tmp_path) as url:
        app = make_test_app(tmp_path, url)
        with app.app_context():
            try:
                upgrade(revision="66990cbd8a74")
                with db.engine.begin() as connection:
                    connection.execute(text(
                        "INSERT INTO city (id, slug, kind, name_ro, name_en, county,"
                        " is_mission_city, description_ro, description_en, created_at,"
                        " updated_at) VALUES (1, 'c', 'city', 'C', 'C', '', false, '', '',"
                        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
                    connection.execute(text(
                        "INSERT INTO process (id, city_id, kind, slug, title_ro, title_en,"
                        " description_ro, description_en, themes, opens_at, status,"
                        " moderation_mode, created_at, updated_at) VALUES (1, 1, 'ideas', 'p',"
                        " 'P', 'P', '', '', '[]', CURRENT_TIMESTAMP, 'published', 'post',"
                        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
                    connection.execute(text(
                        "INSERT INTO contribution (id, kind, process_id, city_id, language,"
                        " text, status, created_at) VALUES (1, 'idea', 1, 1, 'ro', 'x',"
                        " 'published', CURRENT_TIMESTAMP)"))
                    connection.execute(text(
                        "INSERT INTO idea (id, process_id, city_id, contribution_id, channel,"
                        " title, body, theme, language, place_text, status, support_count,"
                        " comment_count, created_at, updated_at) VALUES (1, 1, 1, 1, 'online',"
                        " 'T', '**Mai** multe <script>alert(1)</script> copaci', 'nature',"
                        " 'ro', '', 'new', 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
                upgrade()
                with db.engine.connect() as connection:
                    html = connection.execute(text("SELECT body_html FROM idea")).scalar()
                assert "<strong>Mai</strong>" in html and "<script" not in html
            finally:
                db.session.remove()
                db.engine.dispose()
