"""The retention purge: `flask --app engage purge` (and the nightly job that runs the same
purge) deletes personal data past each city's retention; `--dry-run` changes nothing."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from engage.accounts.models import User
from engage.cities.models import City
from engage.core.db import utcnow
from engage.core.mail import OutboxMessage
from engage.extensions import db
from engage.livinglabs.models import LabSession, Registration


def _guest(process, email: str, name: str, user=None) -> Registration:  # noqa: ANN001
    starts = (process.closes_at or utcnow()) - timedelta(days=2)
    session = LabSession(process_id=process.id, title_ro="Atelier", starts_at=starts,
                         ends_at=starts + timedelta(hours=2), capacity=10)
    db.session.add(session)
    db.session.flush()
    registration = Registration(
        session_id=session.id, process_id=process.id, user_id=user.id if user else None,
        email=None if user else email, name=name, status="attended",
        token=secrets.token_urlsafe(24), code=secrets.token_hex(4).upper(),
        answers={"organisation": "ONG"})
    db.session.add(registration)
    db.session.commit()
    return registration


@pytest.fixture
def retention(make_city, make_process, make_user):  # noqa: ANN001, ANN201
    now = utcnow()
    city = make_city(guest_data_retention_days=10)
    strict = make_city(guest_data_retention_days=0)
    old = make_process(city, kind="livinglab", opens_at=now - timedelta(days=60),
                       closes_at=now - timedelta(days=11), status="closed")
    recent = make_process(city, kind="livinglab", opens_at=now - timedelta(days=60),
                          closes_at=now - timedelta(days=5), status="closed")
    open_lab = make_process(strict, kind="livinglab", closes_at=None)
    just_closed = make_process(strict, kind="livinglab", opens_at=now - timedelta(days=9),
                               closes_at=now - timedelta(hours=1), status="closed")
    member = make_user()
    rows = {
        "old": _guest(old, "old.guest@example.org", "Old Guest"),
        "recent": _guest(recent, "recent.guest@example.org", "Recent Guest"),
        "open": _guest(open_lab, "open.guest@example.org", "Open Guest"),
        "just_closed": _guest(just_closed, "strict.guest@example.org", "Strict Guest"),
        "member": _guest(old, "", "Member", user=member),
    }
    stale = make_user("never.verified@example.org", verified=False)
    stale.created_at = now - timedelta(days=31)
    fresh = make_user("just.signed.up@example.org", verified=False)
    sent_old = OutboxMessage(recipient="x@example.org", subject="s", body="b", language="ro",
                             sent_at=now - timedelta(days=40))
    sent_new = OutboxMessage(recipient="y@example.org", subject="s", body="b", language="ro",
                             sent_at=now - timedelta(days=1))
    waiting = OutboxMessage(recipient="z@example.org", subject="s", body="b", language="ro",
                            created_at=now - timedelta(days=40))
    db.session.add_all([sent_old, sent_new, waiting])
    db.session.commit()
    return {**rows, "stale": stale.id, "fresh": fresh.id, "sent_old": sent_old.id,
            "sent_new": sent_new.id, "waiting": waiting.id}


def _state(ids: dict) -> dict:
    db.session.expire_all()
    registrations = {key: (row.email, row.name) for key, row in (
        (key, db.session.get(Registration, value.id)) for key, value in ids.items()
        if isinstance(value, Registration))}
    users = {key: db.session.get(User, ids[key]) is not None for key in ("stale", "fresh")}
    mail = {key: db.session.get(OutboxMessage, ids[key]) is not None
            for key in ("sent_old", "sent_new", "waiting")}
    return {"registrations": registrations, "users": users, "mail": mail}


def test_dry_run_counts_and_changes_nothing(app, retention):
    before = _state(retention)
    result = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "livinglab_guests: 2" in result.output
    assert "unverified_accounts: 1" in result.output
    assert "sent_outbox: 1" in result.output
    assert "would purge" in result.output
    assert _state(retention) == before


def test_purge_erases_exactly_what_is_past_retention(app, retention):
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "livinglab_guests: 2" in result.output
    state = _state(retention)
    regs = state["registrations"]
    old, strict = retention["old"], retention["just_closed"]
    assert regs["old"] == (f"purged-{old.id}@invalid", "")
    assert regs["just_closed"] == (f"purged-{strict.id}@invalid", "")
    assert regs["recent"] == ("recent.guest@example.org", "Recent Guest")
    assert regs["open"] == ("open.guest@example.org", "Open Guest")
    assert regs["member"] == (None, "Member")  # an account's registration: not a guest
    assert db.session.get(Registration, old.id).answers == {}
    assert db.session.get(Registration, old.id).status == "attended"  # still counted
    assert state["users"] == {"stale": False, "fresh": True}
    assert state["mail"] == {"sent_old": False, "sent_new": True, "waiting": True}

    # A second run finds nothing left.
    again = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
    assert "livinglab_guests: 0" in again.output and "purge 0 in total" in again.output


def test_the_nightly_job_runs_the_same_purge(retention):
    from engage.core.tasks import enqueue

    enqueue("purge_living_lab_answers")
    db.session.expire_all()
    assert db.session.get(Registration, retention["old"].id).name == ""
    assert db.session.get(User, retention["stale"]) is None


@pytest.mark.parametrize("value, saved", [("45", 45), ("0", 0), ("3650", 3650),
                                          ("3651", 30), ("-1", 30), ("ten", 30)])
def test_city_retention_setting(client, login_as, make_user, make_city, value, saved):
    admin = make_user(admin=True)
    city = make_city()
    login_as(client, admin)
    response = client.post_form(f"/admin/cities/{city.slug}/edit", {
        "slug": city.slug, "kind": "city", "name_ro": city.name_ro, "name_en": city.name_en,
        "county": city.county, "guest_data_retention_days": value})
    db.session.expire_all()
    assert db.session.scalar(select(City.guest_data_retention_days).where(
        City.id == city.id)) == saved
    if saved == 30:
        assert "from 0 to 3650" in response.get_data(as_text=True) or \
            "Not a valid integer" in response.get_data(as_text=True)
    else:
        assert response.status_code in (302, 303)
