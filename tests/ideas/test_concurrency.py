"""Many citizens supporting and withdrawing at once, on the same and on different ideas, with
real commits from 20 threads: each idea's stored count equals its true number of supporters,
nobody supports twice, no request fails, and no one slips past a support limit; on SQLite and
PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import func, select

from engage.accounts.models import User
from engage.cities.models import City
from engage.core.db import utcnow
from engage.extensions import db
from engage.ideas import services
from engage.ideas.models import Idea, Support
from engage.processes.models import Process
from tests.conftest import empty_database, standalone_app

pytestmark = pytest.mark.no_transaction

THREADS = 20
OPERATIONS = 50


@pytest.fixture(scope="module")
def committing(tmp_path_factory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("ideas-committing")
    with standalone_app(tmp, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False) as app:
        yield app


def _seed(app, ideas: int, users: int, support_limit: int | None) -> tuple[list[int], list[int]]:  # noqa: ANN001
    empty_database(app)
    with app.app_context():
        city = City(slug="suceava", name_ro="Suceava", name_en="Suceava")
        people = [
            User(email=f"citizen{n}@example.org", display_name=f"Citizen {n}",
                 password_hash="x", email_verified_at=utcnow())
            for n in range(users)
        ]
        db.session.add_all([city, *people])
        db.session.flush()
        process = Process(
            city_id=city.id, kind="ideas", slug="verde", title_ro="Mai verde",
            themes=["nature"], status="published", opens_at=utcnow() - timedelta(days=1),
            closes_at=utcnow() + timedelta(days=9),
        )
        db.session.add(process)
        db.session.flush()
        services.save_settings(process, "support", support_limit)
        created = [
            services.submit_idea(process, people[0], f"Idea {n}", "", "nature", "ro")
            for n in range(ideas)
        ]
        db.session.commit()
        return [idea.id for idea in created], [user.id for user in people]


def _run(app, work: Callable[[int, random.Random], list[str]]) -> list[str]:  # noqa: ANN001
    """Run `work(thread_number, rng)` in THREADS threads started together; their failures."""
    barrier = Barrier(THREADS)

    def thread(number: int) -> list[str]:
        rng = random.Random(number)
        barrier.wait()
        return work(number, rng)

    with ThreadPoolExecutor(THREADS) as pool:
        return [failure for failures in pool.map(thread, range(THREADS)) for failure in failures]


def _operate(app, user_id: int, idea_id: int, operation: str) -> str | None:  # noqa: ANN001
    """One request's worth of work: load, call the service, commit. A failure, or None."""
    with app.app_context():
        try:
            user = db.session.get(User, user_id)
            idea = db.session.get(Idea, idea_id)
            if operation == "support":
                services.support(user, idea)
            elif operation == "unsupport":
                services.unsupport(user, idea)
            else:
                services.toggle_support(user, idea)
            db.session.commit()
        except services.IdeaError as error:
            db.session.rollback()
            with app.test_request_context(headers={"Cookie": "lang=en"}):
                return f"refused: {error.message}"
        except Exception as error:  # noqa: BLE001 - every failure is collected and reported
            db.session.rollback()
            return f"{type(error).__name__}: {error}"
        finally:
            db.session.remove()
    return None


def _true_counts(app) -> dict[int, tuple[int, int]]:  # noqa: ANN001
    """{idea id: (stored support_count, number of support rows)}."""
    with app.app_context():
        rows = db.session.execute(
            select(Idea.id, Idea.support_count,
                   select(func.count()).select_from(Support)
                   .where(Support.idea_id == Idea.id).scalar_subquery())
        ).all()
        db.session.remove()
    return {idea_id: (stored, actual) for idea_id, stored, actual in rows}


def test_simultaneous_supports_keep_exact_counts(committing):
    app = committing
    idea_ids, user_ids = _seed(app, ideas=3, users=8, support_limit=None)

    def work(number: int, rng: random.Random) -> list[str]:
        failures = []
        for _ in range(OPERATIONS):
            # Few people and few ideas: the same (person, idea) pair is often hit by several
            # threads at once, as with a double click or two open tabs.
            failure = _operate(app, rng.choice(user_ids), rng.choice(idea_ids),
                               rng.choice(("support", "unsupport", "toggle")))
            if failure:
                failures.append(failure)
        return failures

    assert _run(app, work) == []
    counts = _true_counts(app)
    assert set(counts) == set(idea_ids)
    for idea_id, (stored, actual) in counts.items():
        assert stored == actual, f"idea {idea_id}: stored {stored}, true {actual}"
    assert sum(actual for _, actual in counts.values()) > 0


def test_simultaneous_supports_respect_the_limit(committing):
    app = committing
    idea_ids, user_ids = _seed(app, ideas=6, users=4, support_limit=2)

    def work(number: int, rng: random.Random) -> list[str]:
        failures = []
        user_id = user_ids[number % len(user_ids)]  # five threads per person
        for _ in range(10):
            failure = _operate(app, user_id, rng.choice(idea_ids),
                               rng.choice(("support", "support", "unsupport")))
            if failure and not failure.startswith("refused: You have used all"):
                failures.append(failure)
        return failures

    assert _run(app, work) == []
    with app.app_context():
        per_person = dict(db.session.execute(
            select(Support.user_id, func.count()).group_by(Support.user_id)).all())
        db.session.remove()
    assert per_person and max(per_person.values()) <= 2
    for idea_id, (stored, actual) in _true_counts(app).items():
        assert stored == actual, f"idea {idea_id}: stored {stored}, true {actual}"
