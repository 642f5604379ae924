"""Answering through the test client: start, one section per page with drafts, conditions on
the server, review, submit once, receipt and e-mail; anonymous answering with the honeypot;
closed and draft consultations; another city's consultation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engage.consultations.models import Answer, ConsultationSettings, Response
from engage.core.db import utcnow
from engage.extensions import db

from .conftest import count


@pytest.fixture
def base(city, process):  # noqa: ANN001, ANN201
    return f"/{city.slug}/p/{process.slug}/answer"


def anyone(process) -> None:  # noqa: ANN001
    db.session.merge(ConsultationSettings(process_id=process.id, respondents="anyone",
                                        results_visibility="live", profile_questions=[]))
    db.session.commit()


def test_signed_in_flow_with_condition_review_submit_and_receipt(
        client, base, questionnaire, make_user, login_as, outbox):
    q = questionnaire
    user = make_user(language="en")
    login_as(client, user)
    assert client.get(base).status_code == 200
    response = client.post_form(base, {})
    assert response.status_code == 303 and response.headers["Location"].endswith("/answer/1")
    page = client.get(f"{base}/1").get_data(as_text=True)
    assert "Section 1 of 3" in page  # sections keep their numbers
    assert "Cum mergeți la serviciu? (en)" in page
    # A required question skipped: refused on the server, nothing stored.
    refused = client.post_form(f"{base}/1", {f"q{q['satisfied'].id}": "3"})
    assert refused.status_code == 422 and "Please answer this question." in refused.get_data(
        as_text=True)
    assert count(Answer) == 0
    # Walking: the cycling section is skipped.
    moved = client.post_form(f"{base}/1", {f"q{q['travel'].id}": str(q["travel"].choices[0].id),
                                           "direction": "next"})
    assert moved.headers["Location"].endswith("/answer/3")
    assert client.get(f"{base}/2").headers["Location"].endswith("/answer/3")
    client.post_form(f"{base}/3", {f"q{q['distance'].id}": "7", f"q{q['comment'].id}": "Umbră"})
    review = client.get(f"{base}/review").get_data(as_text=True)
    assert "Pe jos (en)" in review and "7 km" in review and "Umbră" in review
    done = client.post_form(f"{base}/review", {})
    assert done.status_code == 303 and done.headers["Location"].endswith("/answer/receipt")
    again = client.post_form(f"{base}/review", {})
    assert again.status_code == 303
    (mail,) = outbox(user.email)
    assert "Umbră" in mail.body
    receipt = client.get(f"{base}/receipt").get_data(as_text=True)
    assert "Thank you for your answers" in receipt
    assert db.session.scalars(select(Response.status)).all() == ["submitted"]


def test_anonymous_is_sent_to_log_in_when_accounts_are_required(client, base, questionnaire):
    response = client.post_form(base, {})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert count(Response) == 0


def test_anonymous_answering_with_token_and_honeypot(client, base, process, questionnaire,
                                                     app):
    anyone(process)
    q = questionnaire
    assert client.post_form(base, {"website": "http://spam"}).status_code == 400
    assert count(Response) == 0
    assert client.post_form(base, {}).status_code == 303
    client.post_form(f"{base}/1", {f"q{q['travel'].id}": str(q["travel"].choices[0].id)})
    stranger = app.test_client()
    stranger.set_cookie("lang", "en")
    # Another visitor does not see or continue the first one's draft.
    assert stranger.get(f"{base}/1").headers["Location"].endswith("/answer")
    assert count(Response) == 1
    response = db.session.scalars(select(Response)).one()
    assert response.user_id is None and response.token


def test_htmx_refresh_redraws_questions_without_saving(client, base, questionnaire, make_user,
                                                       login_as, process):
    from engage.consultations.models import Question

    q = questionnaire
    # A condition on the same page: the scale only for cyclists.
    satisfied = db.session.get(Question, q["satisfied"].id)
    satisfied.condition = {"question": q["travel"].id, "options": [q["travel"].choices[1].id]}
    db.session.commit()
    login_as(client, make_user())
    client.post_form(base, {})
    page = client.get(f"{base}/1").get_data(as_text=True)
    assert "<noscript>" in page and 'hx-post="/' in page
    fragment = client.post_form(f"{base}/1?refresh=1",
                                {f"q{q['travel'].id}": str(q["travel"].choices[1].id)},
                                headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="questions">')
    assert f'id="question-{q["satisfied"].id}"' in fragment and "<noscript>" not in fragment
    assert count(Answer) == 0


def test_closed_and_draft_consultations(client, base, process, questionnaire, make_user,
                                        login_as, city):
    login_as(client, make_user())
    process.opens_at = utcnow() - timedelta(days=5)
    process.closes_at = utcnow() - timedelta(days=1)
    db.session.commit()
    response = client.post_form(base, {})
    assert response.status_code == 302 and count(Response) == 0
    assert "closed" in client.get(base).get_data(as_text=True)
    process.status = "draft"
    process.closes_at = None
    db.session.commit()
    assert client.get(base).status_code == 404


def test_another_citys_consultation_is_404(client, questionnaire, process, make_city,
                                           make_user, login_as):
    other = make_city()
    login_as(client, make_user())
    assert client.get(f"/{other.slug}/p/{process.slug}/answer").status_code == 404


def test_change_answers_until_close(client, base, questionnaire, make_user, login_as):
    q = questionnaire
    login_as(client, make_user())
    client.post_form(base, {})
    client.post_form(f"{base}/1", {f"q{q['travel'].id}": str(q["travel"].choices[0].id)})
    client.post_form(f"{base}/review", {})
    page = client.get(base).get_data(as_text=True)
    assert "Change my answers" in page
    client.post_form(f"{base}/1", {f"q{q['travel'].id}": str(q["travel"].choices[2].id)})
    client.post_form(f"{base}/review", {})
    review = client.get(f"{base}/review").get_data(as_text=True)
    assert "Mașina (en)" in review
    assert count(Response) == 1
    assert re.search(r"Save my changes", review)


def test_a_refused_page_keeps_what_was_sent(client, base, questionnaire, make_user,
                                            login_as):
    q = questionnaire
    login_as(client, make_user())
    client.post_form(base, {})
    client.post_form(f"{base}/1", {f"q{q['travel'].id}": str(q["travel"].choices[1].id)})
    helps = [str(o.id) for o in q["helps"].choices]  # three, where at most two are allowed
    sent = {f"q{q['helps'].id}": helps}
    for option in q["order"].choices:
        sent[f"q{q['order'].id}_r{option.id}"] = "1"  # the same place twice
    refused = client.post_form(f"{base}/2", sent)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Choose at most 2 options." in page
    for option_id in helps:
        assert re.search(rf'value="{option_id}" checked', page)
    assert page.count('<option value="1" selected>') == 3
    assert count(Answer) == 1  # only the first page's answer
