"""Scaling out: two application instances on one database and one Redis behave as one.

Each instance is built with `make_test_app` and served in a process of its own, as two gunicorn
workers or two hosts behind a proxy would be (in one process the instances would share the
rate limiter object and prove nothing). One "browser" — one set of cookies — talks to both:
a log-in through the first is recognised by the second, and failed log-ins spread over both
count against one limit, kept in Redis.

Needs Redis on 127.0.0.1:6379 (database 15 is used and cleaned). Without it the test is skipped
with the reason — but under CI (the CI environment variable) a missing Redis is a failure.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from engage.accounts.models import User
from engage.config import normalise_database_url
from engage.core.db import utcnow
from engage.extensions import db
from tests.conftest import temporary_database

pytestmark = [pytest.mark.redis, pytest.mark.no_transaction]

REDIS_URL = "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parents[2]
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery staple"
LOGIN_LIMIT = 5

SERVE = """
import json, sys
from pathlib import Path
from werkzeug.serving import make_server
from tests.conftest import make_test_app

tmp, url, overrides = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
app = make_test_app(Path(tmp), url, **overrides)
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


def _redis():  # noqa: ANN202
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        why = f"Redis is not reachable on 127.0.0.1:6379 ({error}); this test needs it"
        if os.environ.get("CI"):
            pytest.fail(f"{why}. CI must provide Redis (.ci/run starts it).")
        pytest.skip(why)
    return client


class Instance:
    """One application instance in a process of its own, on a free localhost port."""

    def __init__(self, tmp: Path, database_url: str, overrides: dict) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(tmp), database_url, json.dumps(overrides)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            pytest.fail(f"the instance did not start: {self.process.stderr.read()[-2000:]}")
        self.port = int(line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()


class Browser:
    """One person's cookies, sent to whichever instance answers (as behind a load balancer)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, instance: Instance, method: str, path: str,
                form: dict | None = None) -> tuple[int, str]:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return response.status, text
        finally:
            connection.close()

    def csrf_token(self, instance: Instance) -> str:
        status, page = self.request(instance, "GET", "/account/login")
        assert status == 200
        match = CSRF_RE.search(page)
        assert match, "no CSRF token on the log-in page"
        return match.group(1)

    def log_in(self, instance: Instance, password: str, token: str) -> int:
        form = {"email": "twice@example.org", "password": password, "csrf_token": token}
        return self.request(instance, "POST", "/account/login", form)[0]


@pytest.fixture
def redis_client():  # noqa: ANN201
    return _redis()


@pytest.fixture
def prefix() -> str:
    """This run's rate-limit key prefix, so runs never count each other's attempts."""
    return f"engage-scale-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def instances(tmp_path, redis_client, prefix) -> Iterator[tuple[Instance, Instance]]:  # noqa: ANN001
    """Two instances on one fresh database (PostgreSQL when ENGAGE_TEST_DATABASE_URL is set,
    else one SQLite file) and one Redis, with a verified user; all removed afterwards."""
    overrides = {
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_LOGIN": f"{LOGIN_LIMIT} per hour",
    }
    with temporary_database(tmp_path) as url:
        engine = create_engine(normalise_database_url(url))
        try:
            db.metadata.create_all(engine)
            with Session(engine) as session:
                session.add(User(
                    email="twice@example.org",
                    display_name="Two Instances",
                    password_hash=PasswordHasher(time_cost=1, memory_cost=1024).hash(PASSWORD),
                    email_verified_at=utcnow(),
                ))
                session.commit()
        finally:
            engine.dispose()
        started: list[Instance] = []
        try:
            for name in ("one", "two"):
                started.append(Instance(tmp_path / name, url, overrides))
            yield started[0], started[1]
        finally:
            for instance in started:
                instance.stop()
            for key in redis_client.scan_iter(f"*{prefix}*"):
                redis_client.delete(key)


def test_a_log_in_on_one_instance_is_recognised_by_the_other(instances):
    one, two = instances
    browser = Browser()
    token = browser.csrf_token(one)
    assert browser.log_in(one, PASSWORD, token) in (302, 303)

    assert browser.request(two, "GET", "/account/profile")[0] == 200
    assert browser.request(one, "GET", "/account/profile")[0] == 200
    # Without the cookie the second instance sends a visitor to log in.
    assert Browser().request(two, "GET", "/account/profile")[0] == 302


def test_failed_log_ins_over_both_instances_share_one_limit(instances, redis_client, prefix):
    one, two = instances
    browser = Browser()
    token = browser.csrf_token(one)
    statuses = [
        browser.log_in(one if attempt % 2 == 0 else two, "wrong password", token)
        for attempt in range(LOGIN_LIMIT + 1)
    ]
    assert statuses[:LOGIN_LIMIT] == [200] * LOGIN_LIMIT
    assert statuses[LOGIN_LIMIT] == 429  # the sixth attempt overall, on the second instance
    assert browser.log_in(one, "wrong password", token) == 429
    # The counters live in Redis, not in either process.
    assert any(True for _ in redis_client.scan_iter(f"*{prefix}*"))
