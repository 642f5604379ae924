"""engage: the citizen-engagement platform of Romania's M100 hub. `create_app` builds the app."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g

from engage.config import PROJECT_ROOT, Config


def create_app(test_config: Config | Mapping[str, Any] | None = None) -> Flask:
    """Create the application; `test_config` (a Config object or a mapping) replaces the
    environment-derived settings."""
    instance_path = os.environ.get("ENGAGE_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    if isinstance(test_config, Config):
        instance_path = str(test_config.instance_path)
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if isinstance(test_config, Config):
        app.config.from_mapping(test_config.as_dict())
    else:
        app.config.from_mapping(Config(app.instance_path).as_dict())
        if test_config:
            app.config.from_mapping(test_config)

    _init_extensions(app)
    _register_features(app)
    _init_request_transaction(app)
    return app


def _init_extensions(app: Flask) -> None:
    from engage.core import db as core_db
    from engage.core import errors, i18n, markdown, memory, pagecache, security, uploads
    from engage.extensions import babel, csrf, db, htmx, limiter, login_manager

    db.init_app(app)
    core_db.init_app(app)
    _init_migrations(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.slim_locale_data(app.config["LANGUAGES"])
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    htmx.init_app(app)
    i18n.init_app(app)
    markdown.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    uploads.init_app(app)
    pagecache.init_app(app)
    memory.init_app(app)


def _init_migrations(app: Flask) -> None:
    """Flask-Migrate (and Alembic) only where migrations are run — the `flask` command and the
    tests — so web workers do not carry them in memory."""
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true" and not app.config.get("TESTING"):
        return
    from flask_migrate import Migrate

    from engage.extensions import db

    Migrate(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)


def _register_features(app: Flask) -> None:
    import engage.core.audit  # noqa: F401
    from engage import (
        accounts,
        api,
        cities,
        cli,
        consultations,
        exports,
        ideas,
        livinglabs,
        moderation,
        processes,
        science,
        synthesis,
    )

    accounts.init_app(app)
    cities.init_app(app)
    processes.init_app(app)
    ideas.init_app(app)
    consultations.init_app(app)
    science.init_app(app)
    livinglabs.init_app(app)
    moderation.init_app(app)
    synthesis.init_app(app)
    exports.init_app(app)
    api.init_app(app)
    cli.init_app(app)


def _init_request_transaction(app: Flask) -> None:
    """One transaction per request: committed after a successful handler, rolled back on any
    error response or exception. Mail queued by the request is handed to the worker only after
    the commit, so a rolled-back request sends nothing."""
    from engage.core.tasks import enqueue, forget_after_commit, run_after_commit
    from engage.extensions import db

    @app.after_request
    def commit_request(response):  # noqa: ANN001, ANN202
        if response.status_code < 400:
            db.session.commit()
            if g.pop("outbox_pending", False):
                enqueue("send_outbox")
            run_after_commit()
        else:
            db.session.rollback()
            g.pop("outbox_pending", None)
            forget_after_commit()
        return response
