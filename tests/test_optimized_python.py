"""Production runs Python with -OO (`PYTHONOPTIMIZE=2`, README): docstrings and asserts are
dropped, which saves each worker about 5 MiB. The rest of the suite runs without it, so this
test migrates a fresh SQLite database, loads the demo data and serves the main pages — public,
signed-in and the API — in interpreters started with -OO, and requires every answer to be 200."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# It uses a database of its own (SQLite, in a subprocess), never the test database.
pytestmark = pytest.mark.database_independent  # the PostgreSQL pass leaves it out

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import json, sys
from sqlalchemy import select
from engage import create_app
from engage.extensions import db
from engage.accounts.models import User
from engage.ideas.models import Idea
from engage.processes.models import Process

app = create_app()
statuses = {}
with app.app_context():
    idea = db.session.scalars(select(Idea).where(Idea.status != "pending")).first()
    idea_url = f"/{idea.process.city.slug}/ideas/{idea.id}"
    list_url = f"/{idea.process.city.slug}/p/{idea.process.slug}/ideas"
    consultation = db.session.scalars(select(Process).where(Process.kind == "consultation")
                                      ).first()
    results_url = f"/{consultation.city.slug}/p/{consultation.slug}/results"
    user_id = db.session.scalars(select(User.id)).first()
urls = ["/", f"/{idea.process.city.slug}/", list_url, idea_url, results_url,
        "/account/login", "/api/v1/cities", "/api/v1/health"]
for language in ("ro", "en"):
    client = app.test_client()
    client.set_cookie("lang", language)
    for url in urls:
        statuses[f"{language} {url}"] = client.get(url).status_code
signed_in = app.test_client()
with signed_in.session_transaction() as session:
    session["_user_id"] = str(user_id)
    session["_fresh"] = True
for url in (list_url, idea_url, results_url, "/account/notifications"):
    statuses[f"signed in {url}"] = signed_in.get(url).status_code
print(json.dumps({"docstrings": create_app.__doc__, "statuses": statuses}))
"""


def test_the_application_serves_under_python_oo(tmp_path):  # noqa: ANN001
    env = {**os.environ, "PYTHONOPTIMIZE": "2", "ENGAGE_INSTANCE_PATH": str(tmp_path),
           "ENGAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'oo.sqlite3'}",
           "ENGAGE_RATELIMIT_ENABLED": "0", "ENGAGE_SECRET_KEY": "optimized-python-test"}
    for name in ("ENGAGE_ENV", "ENGAGE_SERVER_NAME", "ENGAGE_REDIS_URL"):
        env.pop(name, None)
    flask = [sys.executable, "-m", "flask", "--app", "engage"]
    for command in (["db", "upgrade"], ["demo-data"]):
        done = subprocess.run(flask + command, cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["docstrings"] is None  # really -OO
    assert found["statuses"] and set(found["statuses"].values()) == {200}, found["statuses"]
