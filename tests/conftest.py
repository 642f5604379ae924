"""Shared fixtures: one application per session, each test inside a transaction rolled back at
its end (through a savepoint), factory fixtures that return callables, a `login_as` helper, a
client that knows the CSRF token, and a query counter. A module whose tests all start from the
same data may build it once (`shared_world`): its tests then run in savepoints of the module's
own transaction.

The database is SQLite in a temporary folder by default; set ENGAGE_TEST_DATABASE_URL to a
PostgreSQL server URL (e.g. postgresql://postgres@127.0.0.1/) to run the same suite there: a
database of its own is created for the session and dropped afterwards.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine, make_url

from engage import create_app
from engage.config import TestConfig, normalise_database_url
from engage.core.db import utcnow
from engage.core.search import ensure_search_schema
from engage.extensions import db, limiter

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


# ---------------------------------------------------------------- databases


def _server_url() -> str | None:
    url = os.environ.get("ENGAGE_TEST_DATABASE_URL")
    return normalise_database_url(url) if url else None


@contextmanager
def temporary_database(tmp_dir) -> Iterator[str]:  # noqa: ANN001
    """A fresh, empty database: a PostgreSQL database created and dropped, or a SQLite file."""
    server = _server_url()
    if server is None or server.startswith("sqlite"):
        yield f"sqlite:///{tmp_dir / f'engage-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    import psycopg

    name = f"engage_test_{uuid.uuid4().hex[:12]}"
    url = make_url(server)
    admin = url.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # A throw-away database: a commit need not wait for its WAL to reach the disk.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_test_app(tmp_dir, database_url: str, **overrides):  # noqa: ANN001, ANN201
    config = TestConfig(tmp_dir, database_url)
    for key, value in overrides.items():
        setattr(config, key, value)
    return create_app(config)


@contextmanager
def standalone_app(tmp_dir, prepare=None, **overrides) -> Iterator:  # noqa: ANN001, ANN003
    """An application on a fresh database of its own that commits for real (no per-test
    savepoint): for threads, live servers and end-to-end checks. `prepare(app)` runs before the
    schema is created (e.g. to register test routes)."""
    with temporary_database(tmp_dir) as url:
        # Flask-Limiter keeps one `enabled` flag for every app it is attached to: an app made
        # with RATELIMIT_ENABLED=False turns it off for all of them until it is done with.
        limiter_enabled = limiter.enabled
        application = make_test_app(tmp_dir, url, **overrides)
        if prepare is not None:
            prepare(application)
        with application.app_context():
            db.create_all()
            ensure_search_schema(db.engine)
        try:
            yield application
        finally:
            limiter.enabled = limiter_enabled
            with application.app_context():
                db.session.remove()
                db.engine.dispose()


def empty_database(application) -> None:  # noqa: ANN001
    """Delete every row of a standalone application's database."""
    from sqlalchemy import delete

    with application.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(delete(table))
        db.session.commit()


def count(model, *conditions) -> int:  # noqa: ANN001
    """How many rows of `model` (matching `conditions`) there are."""
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:  # noqa: ANN001
    with temporary_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def app(tmp_path_factory, database_url):  # noqa: ANN001, ANN201
    application = make_test_app(tmp_path_factory.mktemp("instance"), database_url)
    application.test_client_class = EngageClient
    with application.app_context():
        db.create_all()
        ensure_search_schema(db.engine)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request, app):  # noqa: ANN001, ANN202
    """Run each test inside a transaction that is rolled back afterwards.

    Flask-SQLAlchemy's engines are swapped for connections in an open transaction; the
    session joins them with `create_savepoint`, so code under test may commit freely.
    """
    if request.node.get_closest_marker("no_transaction"):
        if _shared:
            pytest.fail("a no_transaction test cannot run while its module's shared world is open")
        yield
        return
    if request.node.get_closest_marker("database_independent"):
        # The PostgreSQL pass leaves these out (the Makefile), so they must really not use
        # the database: any statement, from any engine in this process, fails the test.
        statements: list[str] = []

        def record(conn, cursor, statement, *args):  # noqa: ANN001, ANN002, ANN202
            statements.append(statement)

        event.listen(Engine, "before_cursor_execute", record)
        try:
            yield
        finally:
            event.remove(Engine, "before_cursor_execute", record)
        if statements:
            pytest.fail(f"marked database_independent, but it ran {len(statements)} "
                        f"statements, e.g. {statements[0][:200]!r}")
        return
    with app.app_context():
        if _shared:
            # The module's shared world is open (`shared_world`): a savepoint in its transaction.
            yield from _in_savepoint(_shared[-1])
            return
        engines = db.engines
        saved = dict(engines)
        opened = _open_transactions(engines)
        limiter.reset()
        try:
            yield
        finally:
            db.session.remove()
            _roll_back(opened)
            engines.update(saved)


def _open_transactions(engines: dict) -> list:
    """Swap each of Flask-SQLAlchemy's `engines` for a connection in an open transaction:
    [(connection, transaction)]."""
    opened = []
    for key, engine in list(engines.items()):
        connection = engine.connect()
        transaction = connection.begin()
        engines[key] = connection
        opened.append((connection, transaction))
    return opened


def _roll_back(opened: list) -> None:
    for connection, transaction in opened:
        if transaction.is_active:
            transaction.rollback()
        connection.close()


def _in_savepoint(opened: list) -> Iterator[None]:
    """Run the test in a savepoint of each of the shared world's open transactions, rolled back
    at its end: what the test writes goes, what the module built stays."""
    savepoints = [connection.begin_nested() for connection, _ in opened]
    limiter.reset()
    try:
        yield
    finally:
        db.session.remove()
        for savepoint in savepoints:
            if savepoint.is_active:
                savepoint.rollback()
        if not all(transaction.is_active for _, transaction in opened):
            pytest.fail("the test ended the shared world's transaction")


# The open transactions of the module's shared world, when there is one (`shared_world`).
_shared: list[list] = []


@pytest.fixture(scope="module")
def shared_world(app):  # noqa: ANN001, ANN201
    """For a module whose tests start from the same data: build it once, and each test runs in a
    savepoint (rolled back at its end) of a transaction that lasts the module (rolled back after
    it). `with shared_world() as make:` builds, committed at the end of the block, with
    `make.user`, `make.city`, `make.role`, `make.process`, `make.funding_call` (the factories of
    the same names; their counters run on through the module). A module-scoped fixture builds
    with it and returns ids; a function-scoped one loads the rows in the test's session.

    While it is open, every test of the module runs in it, so one that does not ask for the
    world still sees it; `no_transaction` tests cannot run then.
    """
    from types import SimpleNamespace

    with app.app_context():
        engines = db.engines
        saved = dict(engines)
        opened = _open_transactions(engines)
    _shared.append(opened)
    make = SimpleNamespace(user=user_factory(), city=city_factory(), role=role_factory(),
                           process=process_factory(), funding_call=funding_call_factory())

    @contextmanager
    def building() -> Iterator[SimpleNamespace]:
        with app.app_context():
            try:
                yield make
                db.session.commit()
            finally:
                db.session.remove()

    try:
        yield building
    finally:
        _shared.remove(opened)
        with app.app_context():
            db.session.remove()
            _roll_back(opened)
            db.engines.update(saved)


@pytest.fixture
def organiser(make_user, make_role, city):  # noqa: ANN001, ANN201
    """An organiser of the folder's or module's `city` (which may define its own `organiser`)."""
    user = make_user(display_name="Organiser Olga")
    make_role(user, city, "organiser")
    return user


@pytest.fixture(scope="module")
def demo(shared_world):  # noqa: ANN001, ANN201
    """The demo data, loaded once for the module (`shared_world`): a module whose tests read it
    says `pytestmark = pytest.mark.usefixtures("demo")`; loading it again in a test is the
    second load."""
    from engage.demo import load_demo_data

    with shared_world():
        load_demo_data()


def rows_by_name(model, ids: dict) -> dict:  # noqa: ANN001
    """{name: row} for {name: id} (a shared world's rows, in this test's session), one query."""
    rows = {row.id: row for row in db.session.scalars(
        select(model).where(model.id.in_(set(ids.values()))))}
    return {name: rows[id_] for name, id_ in ids.items()}


# ---------------------------------------------------------------- clients


class EngageClient(FlaskClient):
    """A test client that finds the CSRF token on a page and adds it to form posts."""

    _csrf: str | None = None

    def open(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        # Each request gets its own application context (and so its own `g` and session), as
        # in production; otherwise the test's context would carry the signed-in user, g.city
        # and cached roles from one request to the next.
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self, refresh: bool = False) -> str:
        if self._csrf is None or refresh:
            # Every page carries a token (the language switch is a form); the hub is one.
            # Signed-in pages carry a token in <body>; a visitor's pages carry none (they stay
            # cacheable), so for them the log-in form gives one.
            page = self.get("/").get_data(as_text=True)
            match = CSRF_RE.search(page) or CSRF_RE.search(
                self.get("/account/login").get_data(as_text=True))
            assert match, "no CSRF token on the hub page nor the log-in page"
            self._csrf = match.group(1)
        return self._csrf

    def post_form(self, url: str, data: dict | None = None, **kwargs):  # noqa: ANN003, ANN201
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)


@pytest.fixture
def client(app) -> EngageClient:  # noqa: ANN001
    """A client that has chosen English, the language the tests' assertions are written in.

    Tests of the Romanian default and of the language choice use `client_default_language`.
    """
    test_client = app.test_client()
    test_client.set_cookie("lang", "en")
    return test_client


@pytest.fixture
def client_default_language(app) -> EngageClient:  # noqa: ANN001
    """A client with no language chosen: Romanian unless the profile or browser says else."""
    return app.test_client()


@pytest.fixture
def login_as(app):  # noqa: ANN001, ANN201
    """`login_as(client, user)`: sign `user` in on `client` without going through the form."""

    def login(client: FlaskClient, user) -> FlaskClient:  # noqa: ANN001
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        return client

    return login


# ---------------------------------------------------------------- factories

DEFAULT_PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user():  # noqa: ANN201
    return user_factory()


def user_factory():  # noqa: ANN201
    from engage.accounts.models import User
    from engage.accounts.services import hash_password

    counter = iter(range(1, 10_000))

    def factory(email: str | None = None, password: str = DEFAULT_PASSWORD, *,
                verified: bool = True, admin: bool = False, **fields) -> User:  # noqa: ANN003
        number = next(counter)
        user = User(
            email=(email or f"user{number}-{uuid.uuid4().hex[:6]}@example.org").lower(),
            display_name=fields.pop("display_name", f"Person {number}"),
            password_hash=hash_password(password),
            language=fields.pop("language", "ro"),
            stakeholder_type=fields.pop("stakeholder_type", "citizen"),
            email_verified_at=utcnow() if verified else None,
            is_admin=admin,
            **fields,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_city():  # noqa: ANN201
    return city_factory()


def city_factory():  # noqa: ANN201
    from engage.cities.models import City

    def factory(slug: str | None = None, **fields) -> City:  # noqa: ANN003
        slug = slug or f"city-{uuid.uuid4().hex[:6]}"
        city = City(
            slug=slug,
            name_ro=fields.pop("name_ro", f"Orașul {slug}"),
            name_en=fields.pop("name_en", f"City of {slug}"),
            county=fields.pop("county", "Cluj"),
            **fields,
        )
        db.session.add(city)
        db.session.commit()
        return city

    return factory


@pytest.fixture
def make_role():  # noqa: ANN201
    return role_factory()


def role_factory():  # noqa: ANN201
    from engage.cities.models import CityRole

    def factory(user, city, role: str = "organiser") -> CityRole:  # noqa: ANN001
        grant = CityRole(user_id=user.id, city_id=city.id, role=role)
        db.session.add(grant)
        db.session.commit()
        return grant

    return factory


@pytest.fixture
def make_process():  # noqa: ANN201
    return process_factory()


def process_factory():  # noqa: ANN201
    from engage.processes.models import Process

    def factory(city, slug: str | None = None, **fields) -> Process:  # noqa: ANN001, ANN003
        now = utcnow()
        process = Process(
            city_id=city.id,
            kind=fields.pop("kind", "ideas"),
            slug=slug or f"proc-{uuid.uuid4().hex[:6]}",
            title_ro=fields.pop("title_ro", "Cum facem orașul mai verde?"),
            title_en=fields.pop("title_en", "How do we make the city greener?"),
            description_ro=fields.pop("description_ro", "Descriere"),
            description_en=fields.pop("description_en", "Description"),
            themes=fields.pop("themes", ["nature"]),
            opens_at=fields.pop("opens_at", now - timedelta(days=1)),
            closes_at=fields.pop("closes_at", now + timedelta(days=30)),
            status=fields.pop("status", "published"),
            **fields,
        )
        db.session.add(process)
        db.session.commit()
        return process

    return factory


@pytest.fixture
def make_funding_call():  # noqa: ANN201
    return funding_call_factory()


def funding_call_factory():  # noqa: ANN201
    from engage.cities.models import FundingCall

    def factory(code: str | None = None, **fields) -> FundingCall:  # noqa: ANN003
        call = FundingCall(
            code=code or f"HORIZON-MISS-2026-CIT-{uuid.uuid4().hex[:4].upper()}",
            title_ro=fields.pop("title_ro", "Apel de finanțare"),
            title_en=fields.pop("title_en", "Funding call"),
            programme=fields.pop("programme", "Horizon Europe"),
            deadline=fields.pop("deadline", (utcnow() + timedelta(days=60)).date()),
            url=fields.pop("url", "https://example.org/call"),
            themes=fields.pop("themes", ["energy"]),
            **fields,
        )
        db.session.add(call)
        db.session.commit()
        return call

    return factory


# ---------------------------------------------------------------- helpers


@pytest.fixture
def count_queries():  # noqa: ANN201
    """`with count_queries() as counted: ...` then `counted.n` is the number of statements."""

    class Counter:
        n = 0
        statements: list[str]

    @contextmanager
    def counting() -> Iterator[Counter]:
        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            if statement.strip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                return
            counter.n += 1
            counter.statements.append(statement)

        event.listen(Engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(Engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def outbox():  # noqa: ANN201
    """`outbox()` → the outbox messages, oldest first."""
    from engage.core.mail import OutboxMessage

    def messages(recipient: str | None = None) -> list[OutboxMessage]:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if recipient:
            query = query.where(OutboxMessage.recipient == recipient.lower())
        return list(db.session.scalars(query))

    return messages
