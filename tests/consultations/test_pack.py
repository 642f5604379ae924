"""A consultation's workshop pack: respondents by stakeholder type (profile first, then the
account; anonymous ones as "unknown"; drafts and other processes left out), every question's
results as the results page draws them, published free-text answers only, the poster's first
charts, the documents through the organiser's client in English and Romanian and as PDF, and a
constant number of statements."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from engage.consultations import pack, results
from engage.consultations.models import ConsultationSettings
from engage.exports import packs
from engage.extensions import db
from tests.consultations.test_results import add_response
from tests.packs import document, pdf_text


@pytest.fixture(autouse=True)
def _fresh_cache():  # noqa: ANN202
    results.clear_cache()
    yield
    results.clear_cache()


def respond(process, q, count, **fields):  # noqa: ANN001, ANN003
    """`count` submitted responses answering the travel, scale, multiple choice, number and
    comment questions."""
    walk, bike, _car = q["travel"].choices
    for n in range(count):
        add_response(process, [
            (q["travel"], bike if n % 2 else walk), (q["satisfied"], 1 + n % 5),
            (q["helps"], [q["helps"].choices[n % 3]]), (q["distance"], float(n)),
            (q["comment"], f"Răspunsul {n}")], **fields)


# ---------------------------------------------------------------- participation


def test_respondents_by_stakeholder_type(app, process, questionnaire, make_user,  # noqa: ANN001
                                         make_process, city):
    q = questionnaire
    walk = q["travel"].choices[0]
    answer = [(q["travel"], walk)]
    add_response(process, answer, user=make_user(stakeholder_type="research"))
    add_response(process, answer, user=make_user())  # a citizen's account
    # The profile's answer wins over the account's type.
    add_response(process, answer, user=make_user(), profile={"stakeholder_type": "business"})
    add_response(process, answer)  # anonymous, no profile
    add_response(process, answer, channel="paper", profile={"stakeholder_type": "public_authority"})
    add_response(process, answer, user=make_user(stakeholder_type="research"), status="draft")
    add_response(make_process(city, kind="consultation"), [],
                 user=make_user(stakeholder_type="research"))
    with app.test_request_context():
        (way,) = pack.respondents(process)
    assert way.main and way.total == 5
    assert way.counts == {"research": 1, "citizen": 1, "business": 1, "unknown": 1,
                          "public_authority": 1}


def test_nobody_yet(app, process):  # noqa: ANN001
    with app.test_request_context():
        (way,) = pack.respondents(process)
    assert way.counts == {} and way.total == 0


# ---------------------------------------------------------------- the results section


def test_every_question_as_the_results_page_draws_it(app, process, questionnaire):  # noqa: ANN001
    q = questionnaire
    respond(process, q, 3)
    respond(process, q, 2, channel="paper")  # counted, as on the page by default
    add_response(process, [(q["travel"], q["travel"].choices[2]),
                           (q["comment"], ("Ascuns de moderatori", "hidden"))])
    add_response(process, [(q["travel"], q["travel"].choices[2])], status="draft")
    with app.test_request_context(), force_locale("en"):
        (section,) = pack.sections(process, packs.PackOptions(language="en"))
        assert section.part == "pack" and section.title == "Results"
        found = section.context["results"]
        assert found.responses == 6 and found.offline == 2
        by_id = {item.question.id: item for item in section.context["questions"]}
        travel = by_id[q["travel"].id]
        assert [(bar.count, bar.percent) for bar in travel.result.chart_bars] == [
            (3, 50.0), (2, 33.3), (1, 16.7)]
        assert [bar.figure for bar in travel.chart.bars] == ["3 · 50%", "2 · 33.3%",
                                                            "1 · 16.7%"]
        assert by_id[q["distance"].id].unit == "km" and by_id[q["distance"].id].chart
        assert by_id[q["matrix"].id].chart is None  # nobody answered it: nothing to draw
        assert by_id[q["matrix"].id].legend == ["Rău (en)", "Bine (en)"]
        comment = by_id[q["comment"].id]
        assert comment.chart is None and comment.published == 5
        texts = [answer.text for answer in comment.answers]
        assert len(texts) == 5 and "Ascuns de moderatori" not in texts


def test_at_most_five_quotes_newest_first(app, process, questionnaire):  # noqa: ANN001
    respond(process, questionnaire, 7)
    with app.test_request_context(), force_locale("en"):
        (section,) = pack.sections(process, packs.PackOptions(language="en"))
    comment = next(item for item in section.context["questions"] if item.is_text)
    assert comment.published == 7
    assert [answer.text for answer in comment.answers] == [f"Răspunsul {n}"
                                                          for n in (6, 5, 4, 3, 2)]


def test_the_poster_has_the_first_three_charts(app, process, questionnaire):  # noqa: ANN001
    q = questionnaire
    respond(process, q, 2)
    with app.test_request_context(), force_locale("en"):
        (section,) = pack.sections(process, packs.PackOptions(document="poster",
                                                              language="en"))
        assert pack.sections(process, packs.PackOptions(document="cards")) == []
    assert section.part == "poster"
    assert [item.question.id for item in section.context["questions"]] == [
        q["travel"].id, q["satisfied"].id, q["helps"].id]


# ---------------------------------------------------------------- the documents


def test_the_pack_in_english_and_romanian(client, login_as, organiser, process,  # noqa: ANN001
                                          questionnaire):
    q = questionnaire
    respond(process, q, 3)
    login_as(client, organiser)
    english = document(client, process)
    assert english.status_code == 200
    text = english.get_data(as_text=True)
    for expected in ("Results", "Respondents", "Cum mergeți la serviciu? (en)",
                     "Evaluați (en)", "Alte idei? (en)", "Răspunsul 2", "Pe jos (en)",
                     "3 submitted responses are counted.", 'class="chart"'):
        assert expected in text, expected
    assert "Organiser Olga" not in text
    romanian = document(client, process, language="ro").get_data(as_text=True)
    for expected in ("Cum mergeți la serviciu?", "Ce v-ar ajuta?", "Pe jos", "Bicicleta"):
        assert expected in romanian, expected
    assert "(en)" not in romanian


def test_the_pack_as_pdf_and_the_poster(client, login_as, organiser, process,  # noqa: ANN001
                                        questionnaire):
    respond(process, questionnaire, 2)
    login_as(client, organiser)
    pdf = document(client, process, format="pdf")
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    words = pdf_text(pdf.data)
    for title in ("Cum mergeți la serviciu? (en)", "Câți kilometri? (en)", "Alte idei? (en)"):
        assert title in words, title
    poster = document(client, process, document="poster").get_data(as_text=True)
    assert "Cât de mulțumit sunteți? (en)" in poster and "Ordonați măsurile" not in poster
    poster_pdf = document(client, process, document="poster", format="pdf")
    assert "Cum mergeți la serviciu? (en)" in pdf_text(poster_pdf.data)


NOT_PUBLIC = "These results are not yet public on the platform"


def test_the_documents_say_when_the_results_are_not_public(client, login_as, organiser,  # noqa: ANN001
                                                           process, questionnaire):
    respond(process, questionnaire, 1)
    login_as(client, organiser)
    # The default: public once the consultation closes; it is open.
    for name in ("pack", "poster"):
        assert NOT_PUBLIC in document(client, process, document=name).get_data(as_text=True)
    settings = db.session.get(ConsultationSettings, process.id) or ConsultationSettings(
        process_id=process.id)
    settings.results_visibility = "live"
    db.session.add(settings)
    db.session.commit()
    for name in ("pack", "poster"):
        assert NOT_PUBLIC not in document(client, process, document=name).get_data(
            as_text=True)


def test_a_consultation_without_questions(client, login_as, organiser, process):  # noqa: ANN001
    login_as(client, organiser)
    assert "This consultation has no questions yet." in document(client, process).get_data(
        as_text=True)
    assert "No results to draw yet." in document(client, process, document="poster").get_data(
        as_text=True)


@pytest.mark.parametrize("name", ["pack", "poster"])
def test_a_constant_number_of_statements(app, process, questionnaire, count_queries,  # noqa: ANN001
                                         name):
    counted = []
    for size in (3, 30):
        respond(process, questionnaire, size)
        results.clear_cache()
        with app.test_request_context(), count_queries() as counter:
            packs.render(process, packs.PackOptions(document=name, language="en"))
        counted.append(counter.n)
    assert counted[0] == counted[1]
