"""The living-lab demo data: what it loads, that it keeps the capacity rules, and that loading
it twice duplicates nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engage.cities.models import City
from engage.demo import load_demo_data
from engage.extensions import db
from engage.livinglabs.models import SEATED_STATUSES, LabSession, Registration
from engage.processes.models import Process

from .conftest import count

pytestmark = pytest.mark.usefixtures("demo")  # loaded once for the module


def process(city_slug: str, slug: str) -> Process:
    return db.session.scalars(
        select(Process).join(City, City.id == Process.city_id)
        .where(City.slug == city_slug, Process.slug == slug)).one()


def test_demo_loads_twice_without_duplicates():
    load_demo_data()
    db.session.commit()
    first = (count(LabSession), count(Registration))
    summary = load_demo_data()
    db.session.commit()
    assert (count(LabSession), count(Registration)) == first
    assert "living-lab sessions 0 created, 0 updated" in summary


def test_cluj_sessions_and_capacity():
    load_demo_data()
    db.session.commit()
    lab = process("cluj-napoca", "comunitati-energetice")
    sessions = db.session.scalars(select(LabSession).where(LabSession.process_id == lab.id)
                                  .order_by(LabSession.starts_at)).all()
    assert len(sessions) == 5
    assert {s.format for s in sessions} == {"onsite", "online", "hybrid"}
    past = sessions[0]
    assert past.has_ended and past.outcome_ro and past.outcome_published_at
    assert count(Registration, Registration.session_id == past.id,
                 Registration.status == "attended") == 18
    assert count(Registration, Registration.session_id == past.id,
                 Registration.channel == "walk_in") == 1
    full = sessions[1]
    assert count(Registration, Registration.session_id == full.id,
                 Registration.status == "waitlisted") == 4
    hybrid = next(s for s in sessions if s.format == "hybrid")
    assert hybrid.stakeholder_caps["business"] == 5
    for session in sessions:
        seated = db.session.scalar(select(func.count()).select_from(Registration).where(
            Registration.session_id == session.id, Registration.status.in_(SEATED_STATUSES)))
        assert seated <= session.capacity
    hub = process("hub", "intalnirea-nationala-de-lucru")
    assert count(LabSession, LabSession.process_id == hub.id) == 1
