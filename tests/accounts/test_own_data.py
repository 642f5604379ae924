"""People's own data: the download (GDPR art. 15 and 20) and the deletion of an account
(art. 17), across every kind through `core.owndata`."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import String, Text, func, select

from engage.accounts import services
from engage.accounts.models import User
from engage.cities.models import CityRole
from engage.consultations.models import Answer, Question, Response, Section
from engage.core.db import utcnow
from engage.core.uploads import new_key
from engage.extensions import db
from engage.ideas.models import Comment, Idea, Support, Vote
from engage.livinglabs.models import LabSession, Registration
from engage.processes.models import Contribution, Report
from engage.science.models import Observation, ObservationPhoto
from tests.conftest import DEFAULT_PASSWORD

EMAIL = "ana.popescu@example.org"
NAME = "Ana Popescu-Zamfir"


def _contribution(process, author, kind: str, text: str) -> Contribution:
    contribution = Contribution(kind=kind, process_id=process.id, city_id=process.city_id,
                                author_id=author.id if author else None, text=text)
    db.session.add(contribution)
    db.session.flush()
    return contribution


def _idea(process, author, title: str) -> Idea:
    idea = Idea(process_id=process.id, city_id=process.city_id, author_id=author.id,
                title=title, body=f"{title} body", theme="nature",
                contribution=_contribution(process, author, "idea", title))
    db.session.add(idea)
    db.session.flush()
    return idea


def _comment(idea, author, body: str) -> Comment:
    comment = Comment(idea_id=idea.id, author_id=author.id, body=body,
                      contribution=_contribution(idea.process, author, "comment", body))
    db.session.add(comment)
    idea.comment_count += 1
    db.session.flush()
    return comment


def _session(process, capacity: int = 1, days: int = 7) -> LabSession:
    starts = utcnow() + timedelta(days=days)
    session = LabSession(process_id=process.id, title_ro="Atelier", title_en="Workshop",
                         starts_at=starts, ends_at=starts + timedelta(hours=2),
                         capacity=capacity)
    db.session.add(session)
    db.session.flush()
    return session


def _registration(session, user=None, email=None, status="confirmed",
                  **fields) -> Registration:
    now = utcnow()
    registration = Registration(
        session_id=session.id, process_id=session.process_id,
        user_id=user.id if user else None, email=email,
        name=fields.pop("name", user.display_name if user else "Guest"),
        status=status, token=secrets.token_urlsafe(24), code=secrets.token_hex(4).upper(),
        email_confirmed_at=now, confirmed_at=now if status == "confirmed" else None,
        waitlisted_at=now if status == "waitlisted" else None, **fields)
    db.session.add(registration)
    db.session.flush()
    return registration


@pytest.fixture
def world(make_user, make_city, make_process, make_role):  # noqa: ANN001, ANN201
    """A person who contributed to every kind, and somebody else who did the same beside
    them (on the person's own idea, too)."""
    person = make_user(EMAIL, display_name=NAME, language="en")
    other = make_user("other.person@example.org", display_name="Other Person")
    city = make_city()
    make_role(person, city, "moderator")
    ideas = make_process(city, kind="ideas")
    consultation = make_process(city, kind="consultation")
    science = make_process(city, kind="science")
    lab = make_process(city, kind="livinglab")

    idea = _idea(ideas, person, "Trees on Main Street")
    other_idea = _idea(ideas, other, "Other's bike lanes")
    _comment(idea, person, "My own comment")
    _comment(idea, other, "Other's comment on my idea")
    for supported, supporter in ((idea, other), (other_idea, person), (idea, person)):
        db.session.add(Support(idea_id=supported.id, user_id=supporter.id))
        supported.support_count += 1
    db.session.add(Vote(idea_id=other_idea.id, user_id=person.id, value=1))
    db.session.add(Vote(idea_id=other_idea.id, user_id=other.id, value=-1))
    db.session.add(Report(contribution_id=other_idea.contribution_id, process_id=ideas.id,
                          city_id=city.id, reporter_id=person.id, reason="spam",
                          note=f"Reported by {NAME}"))

    section = Section(process_id=consultation.id)
    db.session.add(section)
    db.session.flush()
    question = Question(process_id=consultation.id, section_id=section.id, type="long_text",
                        text_en="What should change?")
    db.session.add(question)
    db.session.flush()
    for who, text in ((person, "More parks please"), (other, "Other's answer")):
        response = Response(process_id=consultation.id, city_id=city.id, user_id=who.id,
                            status="submitted", submitted_at=utcnow())
        db.session.add(response)
        db.session.flush()
        db.session.add(Answer(response_id=response.id, question_id=question.id, text=text,
                              contribution=_contribution(consultation, who, "answer", text)))

    for who, note in ((person, "Dead tree at the corner"), (other, "Other's observation")):
        observation = Observation(
            process_id=science.id, city_id=city.id, user_id=who.id, client_id=note[:10],
            lat=46.77, lon=23.59, contribution=_contribution(science, who, "observation", note))
        db.session.add(observation)
        db.session.flush()
        db.session.add(ObservationPhoto(
            observation_id=observation.id, process_id=science.id, sha256="0" * 64,
            key=new_key("jpg"), thumb_key=new_key("jpg"),
            width=10, height=10, thumb_width=5, thumb_height=5))

    future = _session(lab, capacity=1)
    past = _session(lab, capacity=5, days=-3)
    seat = _registration(future, person)
    waiting = _registration(future, email="waiting.guest@example.org", status="waitlisted")
    _registration(past, person, status="attended", answers={"dietary": "vegan"})
    db.session.commit()
    return {"person": person, "other": other, "city": city, "idea": idea,
            "other_idea": other_idea, "future": future, "seat": seat, "waiting": waiting}


# ---------------------------------------------------------------- download


def test_download_holds_every_kind_and_nobody_elses(client, login_as, world):
    login_as(client, world["person"])
    response = client.get("/account/data/json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.data)

    assert data["account"]["email"] == EMAIL and data["account"]["display_name"] == NAME
    assert [idea["title"] for idea in data["ideas"]["ideas"]] == ["Trees on Main Street"]
    assert [c["body"] for c in data["ideas"]["comments"]] == ["My own comment"]
    assert {s["idea_id"] for s in data["ideas"]["supports"]} == {
        world["idea"].id, world["other_idea"].id}
    assert [v["value"] for v in data["ideas"]["votes"]] == [1]
    answers = [a["text"] for r in data["consultations"]["responses"] for a in r["answers"]]
    assert answers == ["More parks please"]
    observations = data["science"]["observations"]
    assert len(observations) == 1 and len(observations[0]["photos"]) == 1
    assert observations[0]["photos"][0].startswith("/media/")
    assert {r["status"] for r in data["livinglabs"]["registrations"]} == {"confirmed",
                                                                         "attended"}
    assert [r["reason"] for r in data["reports"]["reports"]] == ["spam"]
    assert data["roles"]["roles"][0]["role"] == "moderator"

    text = response.get_data(as_text=True)
    for foreign in ("Other's comment", "Other's answer", "Other's observation",
                    "other.person@example.org", "Other Person", "waiting.guest"):
        assert foreign not in text


def test_download_as_html_and_zip(client, login_as, world):
    login_as(client, world["person"])
    page = client.get("/account/data/html")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "Trees on Main Street" in html and "More parks please" in html
    assert "Other&#39;s comment" not in html and "Other's comment" not in html

    archive = client.get("/account/data/zip")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert "my-data.json" in names and "my-data.html" in names

    assert client.get("/account/data/xml").status_code == 404
    assert "Download my data" in client.get("/account/data").get_data(as_text=True)


def test_download_needs_a_login(client):
    assert client.get("/account/data/json").status_code == 302


# ---------------------------------------------------------------- deletion


def _text_columns_holding(*needles: str) -> list[tuple[str, str]]:
    """(table, column) pairs of every text column, in every table, whose value contains one of
    `needles` (case-insensitive)."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text):
                continue
            for needle in needles:
                hit = db.session.execute(
                    select(func.count()).select_from(table)
                    .where(func.lower(column).contains(needle.lower()))).scalar()
                if hit:
                    found.append((table.name, column.name))
    return found


def _delete(client, login_as, person, keep: str = "keep", password: str = DEFAULT_PASSWORD):
    login_as(client, person)
    return client.post_form("/account/delete",
                            {"current_password": password, "contributions": keep})


@pytest.mark.parametrize("keep", ["keep", "delete"])
def test_deletion_erases_personal_data_and_keeps_counts(client, login_as, world, outbox, keep):
    person, idea = world["person"], world["idea"]
    supports_before = (idea.support_count, world["other_idea"].support_count)
    votes_before = db.session.scalar(select(func.count()).select_from(Vote))

    response = _delete(client, login_as, person, keep)
    assert response.status_code in (302, 303)
    db.session.expire_all()

    user = db.session.get(User, person.id)
    assert user.email == f"deleted-{person.id}@invalid"
    assert user.display_name == "former participant"
    assert user.deleted_at is not None and not user.is_active_account
    assert db.session.scalar(select(func.count()).select_from(CityRole).where(
        CityRole.user_id == person.id)) == 0

    # Supports and votes stay counted.
    idea, other_idea = db.session.get(Idea, idea.id), db.session.get(Idea, world["other_idea"].id)
    assert (idea.support_count, other_idea.support_count) == supports_before
    assert db.session.scalar(select(func.count()).select_from(Support).where(
        Support.idea_id == idea.id)) == supports_before[0]
    assert db.session.scalar(select(func.count()).select_from(Vote)) == votes_before

    # The future registration is cancelled and the waitlist promoted; the past one stays.
    assert db.session.get(Registration, world["seat"].id).status == "cancelled"
    assert db.session.get(Registration, world["waiting"].id).status == "confirmed"

    # Contributions kept (by a former participant) or deleted, as chosen.
    if keep == "keep":
        assert idea.title == "Trees on Main Street" and idea.contribution.status == "published"
        assert db.session.scalar(select(func.count()).select_from(Observation)) == 2
    else:
        assert idea.title == "" and idea.contribution.status == "deleted"
        assert db.session.scalar(select(func.count()).select_from(Observation)) == 1
        texts = db.session.scalars(select(Answer.text)).all()
        assert "More parks please" not in texts and "Other's answer" in texts
        comments = db.session.scalars(select(Comment.body)).all()
        assert "My own comment" not in comments and "Other's comment on my idea" in comments
    # Other people's input is untouched either way.
    assert other_idea.title == "Other's bike lanes"

    # The confirmation went to the old address, before it was erased.
    messages = outbox(EMAIL)
    assert any("Your account is deleted" in message.subject for message in messages)

    # Nothing personal is left anywhere, except in the deletion's own mail to the person (the
    # confirmation and the cancellation), which the purge removes once sent and old enough.
    leftovers = _text_columns_holding(EMAIL, NAME)
    assert set(leftovers) <= {("outbox_message", "recipient"), ("outbox_message", "body")}
    assert len(messages) == 2  # nothing older: mail sent before the deletion was deleted


def test_deleted_account_is_logged_out_and_cannot_log_in(app, client, login_as, world):
    assert _delete(client, login_as, world["person"]).status_code == 303
    db.session.expire_all()
    assert client.get("/account/profile").status_code == 302  # the session no longer holds
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(EMAIL, DEFAULT_PASSWORD)
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(f"deleted-{world['person'].id}@invalid", DEFAULT_PASSWORD)
    # The address is free for a new account.
    with app.test_request_context():
        again = services.register(EMAIL, "Ana again", "a new long password", "en", "citizen")
    assert again.created and again.user.id != world["person"].id


def test_wrong_password_refuses_and_changes_nothing(client, login_as, world, outbox):
    response = _delete(client, login_as, world["person"], password="not the password")
    assert response.status_code == 422
    assert "The password is not correct." in response.get_data(as_text=True)
    db.session.expire_all()
    user = db.session.get(User, world["person"].id)
    assert user.email == EMAIL and user.deleted_at is None and user.is_active_account
    assert db.session.get(Registration, world["seat"].id).status == "confirmed"
    assert db.session.get(Registration, world["waiting"].id).status == "waitlisted"
    assert not outbox(EMAIL)


def test_a_choice_is_required(client, login_as, world):
    login_as(client, world["person"])
    response = client.post_form("/account/delete", {"current_password": DEFAULT_PASSWORD})
    assert response.status_code == 422
    assert db.session.get(User, world["person"].id).deleted_at is None


def test_deletion_needs_the_csrf_token(client, login_as, world):
    login_as(client, world["person"])
    response = client.post("/account/delete", data={
        "current_password": DEFAULT_PASSWORD, "contributions": "delete"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, world["person"].id).deleted_at is None


def test_the_confirmation_page(client, login_as, world):
    login_as(client, world["person"])
    page = client.get("/account/delete").get_data(as_text=True)
    assert "former participant" in page and 'name="current_password"' in page
    assert client.get("/account/delete").status_code == 200


@pytest.mark.parametrize("language, shown", [("ro", "de un fost participant"),
                                             ("en", "by a former participant")])
def test_kept_contributions_show_a_former_participant_in_the_readers_language(
        app, client, login_as, world, language, shown):  # noqa: ANN001
    person, idea = world["person"], world["idea"]
    assert _delete(client, login_as, person).status_code in (200, 302, 303)
    client.delete_cookie("session")
    client.set_cookie("lang", language)
    page = client.get(f"/{world['city'].slug}/ideas/{idea.id}").get_data(as_text=True)
    assert shown in page and NAME not in page
    db.session.refresh(person)
    assert f"by {person.display_name}" not in page  # the stored placeholder is not a name
    with app.test_request_context(headers={"Cookie": f"lang={language}"}):
        assert person.shown_name == {"ro": "fost participant",
                                     "en": "former participant"}[language]
