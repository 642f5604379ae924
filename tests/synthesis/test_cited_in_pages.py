"""Every cited kind's public page says where the input is cited: comments (each on the idea
page, one look-up for all of them), free-text answers (on the results and the answers pages),
observations and living-lab sessions. A draft summary cites nothing in public."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engage.consultations.models import Answer, Section
from engage.core.db import utcnow
from engage.extensions import db
from engage.ideas import services as ideas
from engage.livinglabs.models import LabSession
from engage.synthesis import summaries
from tests.consultations.conftest import add_question
from tests.consultations.test_results import add_response
from tests.consultations.test_results_routes import set_visibility
from tests.science.conftest import add_observation


@pytest.fixture
def city(make_city):  # noqa: ANN001, ANN201
    return make_city()


@pytest.fixture
def process(make_process, city):  # noqa: ANN001, ANN201
    """The process the summaries are written in (they may cite any input of the city)."""
    return make_process(city, kind="ideas", themes=["mobility"])


@pytest.fixture
def moderator(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(language="en")
    make_role(user, city, "moderator")
    return user


def draft_then_publish(client, process, moderator, tag, page_url):  # noqa: ANN001, ANN201
    """A draft citing `tag` shows nowhere; once published, `page_url` links to it."""
    summary = summaries.create_summary(process, moderator, {
        "topic": "Mobilitate", "theme": "mobility", "title_ro": "Ce am aflat", "title_en": "",
        "body_ro": f"Pe scurt {tag}", "body_en": ""})
    db.session.commit()
    page = client.get(page_url)
    assert page.status_code == 200
    assert "Cited in" not in page.get_data(as_text=True)
    summaries.publish(summary, moderator)
    db.session.commit()
    page = client.get(page_url).get_data(as_text=True)
    assert "Cited in" in page and f'href="/{process.city.slug}/summaries/{summary.id}' in page
    return page


def test_comments_say_where_they_are_cited_in_one_lookup(client, process, moderator,
                                                         make_user, count_queries):
    idea = ideas.submit_idea(process, make_user(), "Piste de biciclete", "Separate.",
                             "mobility", "ro")
    cited = ideas.add_comment(make_user(), idea, "Și pe Calea Moților.")
    other = ideas.add_comment(make_user(), idea, "De acord.")
    db.session.commit()
    url = f"/{process.city.slug}/ideas/{idea.id}"
    page = draft_then_publish(client, process, moderator, f"[[comment:{cited.id}]]", url)
    assert page.count('class="cited-in"') == 1
    block = page[page.index(f'id="comment-{cited.id}"'):page.index(f'id="comment-{other.id}"')]
    assert "Cited in" in block
    with count_queries() as few:
        client.get(url)
    for n in range(6):
        ideas.add_comment(make_user(), idea, f"Încă o părere {n}.")
    db.session.commit()
    with count_queries() as many:
        client.get(url)
    assert many.n == few.n, many.statements


@pytest.fixture
def consultation(make_process, city):  # noqa: ANN001, ANN201
    consultation = make_process(city, kind="consultation", themes=["mobility"])
    section = Section(process_id=consultation.id, position=0, title_ro="Oraș",
                      title_en="City")
    db.session.add(section)
    db.session.flush()
    question = add_question(section, "long_text", "Alte idei?")
    set_visibility(consultation, "live", respondents="anyone")
    add_response(consultation, [(question, "Mai multe piste de biciclete.")])
    add_response(consultation, [(question, "Autobuze mai dese.")])
    return consultation, question


@pytest.mark.parametrize("where", ["results", "answers"])
def test_free_text_answers_say_where_they_are_cited(client, process, moderator, consultation,
                                                    where):
    consultation, question = consultation
    cited, other = db.session.scalars(db.select(Answer).where(
        Answer.question_id == question.id).order_by(Answer.id)).all()
    base = f"/{process.city.slug}/p/{consultation.slug}/results"
    url = base if where == "results" else f"{base}/questions/{question.id}/answers"
    page = draft_then_publish(client, process, moderator, f"[[answer:{cited.id}]]", url)
    items = re.findall(r"<li(?:\s[^>]*)?>([^<]*)(.*?)</li>", page, re.S)
    marks = {text.strip(): "Cited in" in rest for text, rest in items
             if text.strip() in ("Mai multe piste de biciclete.", "Autobuze mai dese.")}
    assert marks == {"Mai multe piste de biciclete.": True, "Autobuze mai dese.": False}
    assert "<!--cited-in" not in page


@pytest.fixture
def campaign(make_process, city):  # noqa: ANN001, ANN201
    import uuid

    from engage.science.models import ScienceSettings

    campaign = make_process(city, kind="science", themes=["climate_adaptation"])
    db.session.add(ScienceSettings(
        process_id=campaign.id, licence="CC-BY-4.0", dataset_title_ro="Date",
        dataset_title_en="Data", rights_holder="Primăria", contact_email="date@example.org",
        public_precision="100m", pseudonym_key=uuid.uuid4().hex))
    db.session.commit()
    return campaign


def test_observations_say_where_they_are_cited(client, process, moderator, campaign,
                                               make_user):
    observation = add_observation(campaign, make_user(), text="Foarte cald lângă parcare.")
    draft_then_publish(client, process, moderator, f"[[observation:{observation.id}]]",
                       f"/{process.city.slug}/observations/{observation.id}")


def test_sessions_say_where_they_are_cited(client, process, moderator, make_process, city):
    lab = make_process(city, kind="livinglab", themes=["mobility"],
                       closes_at=utcnow() + timedelta(days=60))
    starts = utcnow() + timedelta(days=7)
    session = LabSession(process_id=lab.id, title_ro="Atelier", title_en="Workshop",
                         description_ro="Desenăm.", description_en="We draw.",
                         format="onsite", address="Str. Universității 1", starts_at=starts,
                         ends_at=starts + timedelta(hours=2), capacity=10)
    db.session.add(session)
    db.session.commit()
    draft_then_publish(client, process, moderator, f"[[session:{session.id}]]",
                       f"/{process.city.slug}/p/{lab.slug}/sessions/{session.id}")
