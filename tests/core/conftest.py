"""Fixtures for the shared mechanisms: a throw-away application with routes made for the tests
(writes that succeed or fail, mail queued before an error), on a database of its own.

The session application cannot get new routes once it has served a request, and its per-test
savepoint would hide what a real commit or rollback does; this application commits for real.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Blueprint, abort, request
from jinja2 import ChoiceLoader, DictLoader

from engage.core.auth import public
from engage.extensions import db
from tests.conftest import empty_database, standalone_app

# A mail template of the tests' own: first line the subject, then the body.
MAIL_TEMPLATES = {
    "mail/core_test.txt": (
        "Subject in {{ current_language() }} for {{ name }}\n"
        "Hello {{ name }}, this message is in {{ current_language() }}.\n"
    ),
}


def use_test_mail_templates(app, monkeypatch=None) -> None:  # noqa: ANN001
    """Let `app` render the tests' mail templates besides its own."""
    loader = ChoiceLoader([DictLoader(MAIL_TEMPLATES), app.jinja_env.loader])
    if monkeypatch is None:
        app.jinja_env.loader = loader
    else:
        monkeypatch.setattr(app.jinja_env, "loader", loader)


def _test_blueprint() -> Blueprint:
    from engage.cities.models import City
    from engage.core.mail import queue_mail

    bp = Blueprint("core_test", __name__, url_prefix="/_test")

    def add_city() -> City:
        slug = request.form["slug"]
        city = City(slug=slug, name_ro=slug, name_en=slug, county="Test")
        db.session.add(city)
        db.session.flush()  # the row exists inside the transaction before the failure
        return city

    @bp.post("/write")
    @public
    def write():  # noqa: ANN202
        add_city()
        return "written"

    @bp.post("/write-then-raise")
    @public
    def write_then_raise():  # noqa: ANN202
        add_city()
        raise RuntimeError("failure after the write")

    @bp.post("/write-then-forbid")
    @public
    def write_then_forbid():  # noqa: ANN202
        add_city()
        abort(403)

    @bp.post("/mail")
    @public
    def mail():  # noqa: ANN202
        queue_mail(request.form["to"], "core_test", request.form.get("lang", "ro"), name="Ana")
        return "queued"

    @bp.post("/mail-then-raise")
    @public
    def mail_then_raise():  # noqa: ANN202
        queue_mail(request.form["to"], "core_test", "ro", name="Ana")
        raise RuntimeError("failure after queueing")

    return bp


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory):  # noqa: ANN001, ANN201
    """An application on a fresh database (PostgreSQL when configured), with the test routes;
    exceptions become 500 pages as in production."""
    tmp = tmp_path_factory.mktemp("fresh")

    def prepare(app):  # noqa: ANN001, ANN202
        app.register_blueprint(_test_blueprint())
        use_test_mail_templates(app)

    with standalone_app(tmp, prepare, WTF_CSRF_ENABLED=False, PROPAGATE_EXCEPTIONS=False,
                        MAIL_DIRECTORY=str(tmp / "mail")) as app:
        yield app


@pytest.fixture
def fresh(fresh_app):  # noqa: ANN001, ANN201
    """The fresh application, emptied of rows and mail after each test."""
    yield fresh_app
    empty_database(fresh_app)
    for path in Path(fresh_app.config["MAIL_DIRECTORY"]).glob("*.eml"):
        path.unlink()
