"""Demo data: what it loads, and that loading it again changes nothing. The data is loaded once
for the module (each test in a savepoint of it); tests/core/test_demo_first_load.py starts from
an empty database."""

from __future__ import annotations

from datetime import date

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from engage.accounts.models import User
from engage.cities.models import City, CityRole, FundingCall
from engage.cities.themes import THEMES
from engage.core.db import utcnow
from engage.demo import DEMO_PASSWORD, load_demo_data
from engage.extensions import db
from engage.processes.models import KINDS, Process

MODELS = (City, User, CityRole, Process, FundingCall)
CEDILLA_FORMS = "şţŞŢ"  # the wrong (cedilla) forms of ș ț


pytestmark = pytest.mark.usefixtures("demo")


def row_counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in MODELS
    }


def city(slug: str) -> City:
    return db.session.scalars(select(City).where(City.slug == slug)).one()


def test_load_restores_edited_rows_without_duplicating():
    counts = row_counts()
    city("suceava").name_en = "Somewhere else"
    user = db.session.scalars(select(User).where(User.email == "citizen@engage.test")).one()
    user.password_hash = "not-a-hash"
    db.session.flush()

    summary = load_demo_data()

    assert row_counts() == counts
    assert "cities 0 created, 1 updated" in summary
    assert "users 0 created, 1 updated" in summary
    assert city("suceava").name_en == "Suceava"
    assert PasswordHasher().verify(user.password_hash, DEMO_PASSWORD)


def test_hub_mission_cities_and_other_cities():
    hub = city("hub")
    assert hub.kind == "hub"
    assert hub.name_ro == "Hubul național M100 România"
    assert hub.name_en == "Romania's national M100 hub"

    mission = set(db.session.scalars(select(City.slug).where(City.is_mission_city)))
    assert mission == {"bucuresti-sector-2", "suceava", "cluj-napoca"}
    sector2 = city("bucuresti-sector-2")
    assert (sector2.name_ro, sector2.name_en, sector2.county) == (
        "București – Sectorul 2", "Bucharest – Sector 2", "București",
    )
    assert city("suceava").county == "Suceava"
    assert city("cluj-napoca").county == "Cluj"

    others = list(
        db.session.scalars(
            select(City).where(City.kind == "city", City.is_mission_city.is_(False))
        )
    )
    assert len(others) >= 3
    assert all(c.description_ro and c.description_en for c in others)


def test_romanian_text_uses_comma_below_letters():
    texts = [
        value
        for model, fields in (
            (City, ("name_ro", "description_ro")),
            (Process, ("title_ro", "description_ro")),
            (FundingCall, ("title_ro",)),
        )
        for row in db.session.scalars(select(model))
        for value in (getattr(row, name) for name in fields)
    ]
    assert texts
    assert not [text for text in texts if any(ch in text for ch in CEDILLA_FORMS)]
    assert any("ș" in text or "ț" in text for text in texts)


def test_processes_cover_every_kind_phase_and_the_hub():
    processes = list(db.session.scalars(select(Process)))
    assert {p.kind for p in processes} == set(KINDS)
    phases = [p.phase for p in processes]
    assert {"open", "upcoming", "closed", "draft"} <= set(phases)
    assert phases.count("draft") == 1
    for process in processes:
        assert process.title_ro and process.title_en
        assert process.description_ro and process.description_en
        assert process.themes and set(process.themes) <= set(THEMES)
    hub_processes = [p for p in processes if p.city_id == city("hub").id]
    assert [p.kind for p in hub_processes] == ["livinglab"]
    assert hub_processes[0].is_open
    # Every mission city has something open now.
    open_cities = {p.city_id for p in processes if p.is_open}
    for slug in ("bucuresti-sector-2", "suceava", "cluj-napoca"):
        assert city(slug).id in open_cities


def test_funding_calls_past_and_open():
    calls = {call.code: call for call in db.session.scalars(select(FundingCall))}
    today = utcnow().date()
    assert calls["HORIZON-MISS-2024-CIT-01-01"].deadline < today
    assert calls["HORIZON-MISS-2024-CIT-01-01"].deadline == date(2025, 2, 11)
    assert sum(call.deadline >= today for call in calls.values()) >= 2
    assert all(set(call.themes) <= set(THEMES) and call.url.startswith("https://")
               for call in calls.values())


def test_demo_accounts_and_roles():
    users = {u.email: u for u in db.session.scalars(select(User))}
    emails = ["admin@engage.test", "organiser@engage.test", "moderator@engage.test",
              "citizen@engage.test", "cetatean@engage.test"]
    for email in emails:
        user = users[email]
        assert user.is_verified and user.is_active
        assert PasswordHasher().verify(user.password_hash, DEMO_PASSWORD)
        assert user.is_admin == (email == "admin@engage.test")
    assert {users["citizen@engage.test"].language, users["cetatean@engage.test"].language} == {
        "en", "ro",
    }
    assert (users["citizen@engage.test"].stakeholder_type
            != users["cetatean@engage.test"].stakeholder_type)

    grants = {
        (role.user.email, role.city.slug, role.role)
        for role in db.session.scalars(select(CityRole))
    }
    assert grants == {
        ("organiser@engage.test", "suceava", "organiser"),
        ("organiser@engage.test", "cluj-napoca", "organiser"),
        ("moderator@engage.test", "suceava", "moderator"),
        ("moderator@engage.test", "cluj-napoca", "moderator"),
    }


def test_the_draft_reaches_no_public_page(client):
    api = client.get("/api/v1/cities/cluj-napoca/processes")
    assert api.status_code == 200
    slugs = {item["slug"] for item in api.get_json()["items"]}
    assert "acoperisuri-verzi-solare" in slugs
    assert "strategia-economie-circulara" not in slugs
    for url in ("/", "/cluj-napoca/"):
        page = client.get(url).get_data(as_text=True)
        assert "Acoperișuri verzi" in page or "Green and solar roofs" in page
        assert "Strategia de economie circulară" not in page
        assert "Circular economy strategy" not in page
    assert client.get("/cluj-napoca/p/acoperisuri-verzi-solare").status_code == 200
    assert client.get("/cluj-napoca/p/strategia-economie-circulara").status_code == 404


def test_demo_ideas_are_consistent_and_loaded_once():
    from engage.ideas.models import Comment, Idea, IdeaStatusChange, Support

    load_demo_data()  # the second load: the module's was the first
    ideas = db.session.scalars(select(Idea)).all()
    assert len(ideas) == len({(idea.process_id, idea.title) for idea in ideas}) >= 8
    for idea in ideas:
        supports = db.session.scalar(
            select(func.count()).select_from(Support).where(Support.idea_id == idea.id))
        assert idea.support_count == supports
        assert idea.comment_count == db.session.scalar(
            select(func.count()).select_from(Comment).where(Comment.idea_id == idea.id))
    statuses = {idea.contribution.status for idea in ideas}
    assert statuses == {"published", "pending"}
    assert any(idea.author_id is None and idea.channel == "workshop" for idea in ideas)
    assert db.session.scalar(select(func.count()).select_from(IdeaStatusChange)) >= 3
    assert any(idea.place_lat is not None for idea in ideas)
    # The demo text uses comma-below letters only.
    for idea in ideas:
        assert not set(idea.title + idea.body) & set(CEDILLA_FORMS)


def test_demo_questionnaire_with_responses_loaded_once():
    from engage.consultations.models import Question, Response, Section

    load_demo_data()  # the second load: the module's was the first
    assert db.session.scalar(select(func.count()).select_from(Section)) == 3
    assert db.session.scalar(select(func.count()).select_from(Question)) == 7
    statuses = db.session.scalars(select(Response.status)).all()
    assert len(statuses) == 40 and set(statuses) == {"submitted"}
    sections = db.session.scalars(select(Section)).all()
    assert [bool(section.condition) for section in sections].count(True) == 1
