"""Moderating free-text answers: the city's moderators approve, reject, hide and restore, with a
reason where the author is refused; every decision is audited; hidden answers leave the
results; other people cannot."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.consultations import answers
from engage.consultations.answers import Page, ResponseError
from engage.consultations.models import Question, Section
from engage.core.audit import ModerationAction
from engage.extensions import db
from engage.processes.models import Contribution


@pytest.fixture
def text_answer(process, questionnaire, make_user):  # noqa: ANN001, ANN201
    process.moderation_mode = "pre"
    db.session.commit()
    q = questionnaire
    sections = db.session.scalars(select(Section).order_by(Section.position)).all()
    pages = [Page(s, list(db.session.scalars(select(Question).where(
        Question.section_id == s.id).order_by(Question.position)))) for s in sections]
    response = answers.start_response(process, make_user())
    answers.save_section(pages, response, pages[0],
                         {q["travel"].id: (q["travel"].choices[0].id, None)})
    answers.save_section(pages, response, pages[2], {q["comment"].id: "Textul meu liber"})
    answers.submit(pages, response)
    db.session.commit()
    return db.session.scalars(select(Contribution).where(Contribution.kind == "answer")).one()


@pytest.fixture
def moderator(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user()
    make_role(user, city, "moderator")
    return user


def test_pending_then_approved_hidden_restored_with_audit(app, client, city, process,
                                                         text_answer, moderator, login_as):
    assert text_answer.status == "pending"
    base = f"/{city.slug}/manage/processes/{process.slug}/answers"
    login_as(client, moderator)
    page = client.get(base).get_data(as_text=True)
    assert "Textul meu liber" in page
    url = f"{base}/{text_answer.id}"
    assert client.post_form(url, {"action": "approve"}).status_code == 303
    refused = client.post_form(url, {"action": "hide"}, follow_redirects=True)
    assert "Give a reason" in refused.get_data(as_text=True)
    db.session.refresh(text_answer)
    assert text_answer.status == "published"
    client.post_form(url, {"action": "hide", "reason": "Date personale"})
    db.session.refresh(text_answer)
    assert text_answer.status == "hidden"
    client.post_form(url, {"action": "restore"})
    actions = db.session.scalars(select(ModerationAction.action)
                                 .order_by(ModerationAction.id)).all()
    assert actions == ["approve", "hide", "restore"]


def test_others_cannot(client, city, process, text_answer, make_user, make_role, login_as,
                       make_city):
    base = f"/{city.slug}/manage/processes/{process.slug}/answers"
    assert client.get(base).status_code == 302
    login_as(client, make_user())
    assert client.get(base).status_code == 403
    other = make_user()
    make_role(other, make_city(), "moderator")
    login_as(client, other)
    assert client.post_form(f"{base}/{text_answer.id}", {"action": "approve"}).status_code == 403
    db.session.refresh(text_answer)
    assert text_answer.status == "pending"


def test_forged_ids_and_wrong_states(client, city, process, text_answer, moderator, login_as,
                                     app):
    base = f"/{city.slug}/manage/processes/{process.slug}/answers"
    login_as(client, moderator)
    assert client.post_form(f"{base}/999999", {"action": "approve"}).status_code == 404
    with app.test_request_context():
        with pytest.raises(ResponseError):
            answers.moderate_text(moderator, text_answer, "restore")
        with pytest.raises(ResponseError):
            answers.moderate_text(moderator, text_answer, "delete-everything")
    db.session.refresh(text_answer)
    assert text_answer.status == "pending"
