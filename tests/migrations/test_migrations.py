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
