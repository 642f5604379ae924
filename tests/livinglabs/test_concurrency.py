"""The seat rules under load, with real commits from many threads at once, on SQLite and
PostgreSQL: 50 people pressing "register" for the last seat get exactly one seat between them
and the rest wait in arrival order; one person in two tabs (or one e-mail in two cases) holds one
registration; cancellations racing with registrations never seat more than the capacity; no
operation fails with anything but a clear refusal."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import func, select

from engage.accounts.models import User
from engage.cities.models import City
from engage.core.db import utcnow
from engage.core.forms import normalised_email
from engage.extensions import db
from engage.livinglabs import services
from engage.livinglabs.models import SEATED_STATUSES, LabSession, Registration
from engage.processes.models import Process
from tests.conftest import empty_database, standalone_app

pytestmark = pytest.mark.no_transaction


@pytest.fixture(scope="module")
def committing(tmp_path_factory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("livinglabs-committing")
    with standalone_app(tmp, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False) as app:
        yield app


def _seed(app, *, capacity: int, people: int, seated: int = 0, waiting: int = 0,  # noqa: ANN001
          caps: dict[str, int] | None = None) -> tuple[int, list[int], list[int]]:
    """A session of `capacity` with `seated` confirmed and `waiting` waitlisted registrations
    already, and `people` more accounts; returns (session id, new people's ids, the seated
    registrations' ids)."""
    empty_database(app)
    with app.app_context():
        city = City(slug="cluj-napoca", name_ro="Cluj-Napoca", name_en="Cluj-Napoca")
        db.session.add(city)
        db.session.flush()
        process = Process(city_id=city.id, kind="livinglab", slug="mobilitate",
                          title_ro="Mobilitate", themes=["mobility"], status="published",
                          opens_at=utcnow() - timedelta(days=1),
                          closes_at=utcnow() + timedelta(days=30))
        db.session.add(process)
        db.session.flush()
        start = utcnow() + timedelta(days=3)
        session = LabSession(process_id=process.id, title_ro="Atelier", starts_at=start,
                             ends_at=start + timedelta(hours=2), capacity=capacity,
                             stakeholder_caps=caps or {})
        users = [User(email=f"person{n}@example.org", display_name=f"Person {n}",
                      password_hash="x", email_verified_at=utcnow())
                 for n in range(people + seated + waiting)]
        db.session.add_all([session, *users])
        db.session.flush()
        seated_ids = []
        for n, user in enumerate(users[people:]):
            status = "confirmed" if n < seated else "waitlisted"
            registration = Registration(
                session_id=session.id, process_id=process.id, user_id=user.id,
                name=user.display_name, status=status, token=secrets.token_urlsafe(24),
                code=services._new_code(session.id), answers={},
                confirmed_at=utcnow() if status == "confirmed" else None,
                waitlisted_at=utcnow() if status == "waitlisted" else None)
            db.session.add(registration)
            db.session.flush()
            if status == "confirmed":
                seated_ids.append(registration.id)
        db.session.commit()
        result = session.id, [user.id for user in users[:people]], seated_ids
        db.session.remove()
    return result


def _together(count: int, work: Callable[[int], str | None]) -> list[str]:
    """Run `work(n)` for n in range(count), all threads released at once; the failures."""
    barrier = Barrier(count)

    def thread(number: int) -> str | None:
        barrier.wait()
        return work(number)

    with ThreadPoolExecutor(count) as pool:
        return [failure for failure in pool.map(thread, range(count)) if failure]


def _attempt(app, operation: Callable[[], object]) -> str | None:  # noqa: ANN001
    """One request's worth of work in its own app context: run, commit; a refusal is returned
    as "refused: ...", any other failure as its type and message."""
    with app.app_context():
        try:
            operation()
            db.session.commit()
        except services.RegistrationError as error:
            db.session.rollback()
            with app.test_request_context(headers={"Cookie": "lang=en"}):
                return f"refused: {error.message}"
        except Exception as error:  # noqa: BLE001 - every failure is collected and reported
            db.session.rollback()
            return f"{type(error).__name__}: {error}"
        finally:
            db.session.remove()
    return None


def _register_user(app, session_id: int, user_id: int) -> str | None:  # noqa: ANN001
    def operation() -> None:
        user = db.session.get(User, user_id)
        session = db.session.get(LabSession, session_id)
        services.register(session, name=user.display_name, stakeholder_type="citizen",
                          language="ro", user=user)

    return _attempt(app, operation)


def _registrations(app, session_id: int) -> list[tuple]:  # noqa: ANN001
    with app.app_context():
        rows = db.session.execute(
            select(Registration.id, Registration.user_id, Registration.email,
                   Registration.status, Registration.waitlisted_at)
            .where(Registration.session_id == session_id).order_by(Registration.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def test_fifty_people_for_the_last_seat(committing):
    app = committing
    session_id, people, _ = _seed(app, capacity=10, people=50, seated=9)

    failures = _together(50, lambda n: _register_user(app, session_id, people[n]))

    assert failures == []
    rows = _registrations(app, session_id)
    seated = [row for row in rows if row[3] in SEATED_STATUSES]
    waiting = [row for row in rows if row[3] == "waitlisted"]
    assert len(seated) == 10  # exactly the capacity: 9 before, one of the fifty
    assert len(waiting) == 49
    # Arrival order: whoever got the lock first registered first (lower id) and waits ahead.
    times = [row[4] for row in waiting]
    assert times == sorted(times)
    with app.app_context():
        positions = [services.waitlist_position(db.session.get(Registration, row[0]))
                     for row in waiting]
        db.session.remove()
    assert positions == list(range(1, 50))


def test_one_person_in_many_tabs_holds_one_registration(committing):
    app = committing
    session_id, people, _ = _seed(app, capacity=10, people=1)

    failures = _together(20, lambda n: _register_user(app, session_id, people[0]))

    active = [row for row in _registrations(app, session_id) if row[3] != "cancelled"]
    assert len(active) == 1 and active[0][3] == "confirmed"
    assert len(failures) == 19
    assert set(failures) == {"refused: You are already registered for this session."}


def test_one_guest_address_in_different_cases_holds_one_registration(committing):
    app = committing
    session_id, _, _ = _seed(app, capacity=10, people=0)
    spellings = ["Ana.Pop@Example.org", "ana.pop@example.org", "ANA.POP@EXAMPLE.ORG",
                 "ana.pop@example.ORG"]

    def work(n: int) -> str | None:
        def operation() -> None:
            session = db.session.get(LabSession, session_id)
            services.register(session, name="Ana Pop", stakeholder_type="civil_society",
                              language="ro", email=normalised_email(spellings[n % 4]))

        return _attempt(app, operation)

    failures = _together(16, work)

    rows = _registrations(app, session_id)
    assert [(row[2], row[3]) for row in rows] == [("ana.pop@example.org", "pending")]
    assert failures == ["refused: You are already registered for this session."] * 15


def test_cancellations_racing_registrations_never_overfill(committing):
    app = committing
    session_id, people, seated_ids = _seed(app, capacity=6, people=20, seated=6, waiting=4)

    def work(n: int) -> str | None:
        if n < 6:
            def cancel() -> None:
                services.cancel(db.session.get(Registration, seated_ids[n]))

            return _attempt(app, cancel)
        return _register_user(app, session_id, people[n - 6])

    failures = _together(26, work)

    assert failures == []
    rows = _registrations(app, session_id)
    seated = [row for row in rows if row[3] in SEATED_STATUSES]
    assert len(seated) == 6  # six seats freed, six taken again: never more
    with app.app_context():
        # The four who waited before the race are among the promoted: they were first in line.
        first_in_line = db.session.scalars(
            select(Registration.status).where(Registration.session_id == session_id)
            .order_by(Registration.id).offset(6).limit(4)).all()
        total = db.session.scalar(select(func.count()).select_from(Registration).where(
            Registration.session_id == session_id, Registration.status == "waitlisted"))
        db.session.remove()
    assert first_in_line == ["confirmed"] * 4
    assert total == 20 - 2  # twenty newcomers, two of whom got the last freed seats


def test_group_caps_hold_under_load(committing):
    app = committing
    session_id, people, _ = _seed(app, capacity=20, people=30, caps={"citizen": 5})

    failures = _together(30, lambda n: _register_user(app, session_id, people[n]))

    assert failures == []
    rows = _registrations(app, session_id)
    assert sum(1 for row in rows if row[3] == "confirmed") == 5  # all are citizens
    assert sum(1 for row in rows if row[3] == "waitlisted") == 25
