"""The results version (`consultations.versions`): raised once by every committed change the
results page shows — a new draft, a submission, a change after submitting, a paper response, a
moderation decision, a questionnaire or settings edit — and not by what the page does not show
(a draft's page turn, a double click on submit, a rolled-back transaction)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from engage.consultations import answers, services
from engage.consultations.models import ConsultationSettings, Response
from engage.extensions import db
from engage.processes.models import Contribution
from tests.consultations.test_answers import build, first_page_form, form
from tests.consultations.test_results import add_response


@pytest.fixture(autouse=True)
def _request(app):  # noqa: ANN001, ANN202
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


def version(process) -> int:  # noqa: ANN001
    db.session.expire_all()
    return db.session.scalar(select(ConsultationSettings.results_version)
                             .where(ConsultationSettings.process_id == process.id)) or 0


@pytest.fixture
def structure(questionnaire, process):  # noqa: ANN001, ANN201
    db.session.commit()
    return build(process)


def answer_all(structure, response, q):  # noqa: ANN001, ANN201
    """Answer the three pages as a cyclist would skip the second (a walker)."""
    answers.save_section(structure, response, structure[0],
                         answers.parse_section(structure, structure[0],
                                               first_page_form(q, choice=0), {}).values)
    values = answers.parse_section(structure, structure[2], form(**{
        f"q{q['distance'].id}": "3", f"q{q['matrix'].id}_{q['matrix'].rows[0].id}":
            q["matrix"].choices[0].id,
        f"q{q['matrix'].id}_{q['matrix'].rows[1].id}": q["matrix"].choices[1].id,
        f"q{q['comment'].id}": "Mai multe piste"}), {}).values
    answers.save_section(structure, response, structure[2], values)


def test_a_consultation_without_settings_gets_its_row_with_the_defaults(process, structure,
                                                                         make_user):
    db.session.execute(delete(ConsultationSettings))
    db.session.commit()
    answers.start_response(process, make_user())
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(ConsultationSettings, process.id)
    assert row.results_version == 1
    assert (row.respondents, row.results_visibility, row.profile_questions,
            row.neighbourhoods) == ("signed_in", "after_close", [], "")


def test_the_answering_flow(process, structure, questionnaire, make_user):
    q = questionnaire
    before = version(process)
    response = answers.start_response(process, make_user())
    db.session.commit()
    assert version(process) == before + 1  # a new draft: the completion rate changes

    answer_all(structure, response, q)
    db.session.commit()
    assert version(process) == before + 1  # a draft's pages: nothing the page shows

    assert answers.submit(structure, response) == "submitted"
    db.session.commit()
    assert version(process) == before + 2

    assert answers.submit(structure, response) == "unchanged"
    db.session.commit()
    assert version(process) == before + 2  # a double click

    answers.save_section(structure, response, structure[0],
                         answers.parse_section(structure, structure[0],
                                               first_page_form(q, choice=2), {}).values)
    db.session.commit()
    assert version(process) == before + 3  # a submitted response's answers changed at once
    assert answers.submit(structure, response) == "changed"
    db.session.commit()
    assert version(process) == before + 4


def test_moderating_a_free_text_answer(process, structure, questionnaire, make_user, make_role):
    moderator = make_user()
    make_role(moderator, process.city, "moderator")
    response = add_response(process, [(questionnaire["comment"], "Un text")])
    contribution = db.session.scalars(select(Contribution).where(
        Contribution.process_id == process.id, Contribution.kind == "answer")).one()
    before = version(process)
    answers.moderate_text(moderator, contribution, "hide", "Date personale")
    db.session.commit()
    assert version(process) == before + 1
    assert response.id


def test_questionnaire_and_settings_edits(process, structure, questionnaire):
    before = version(process)
    question = questionnaire["travel"]
    services.update_question(
        question, text_ro="Cum ajungeți la serviciu?", text_en="How do you get to work?",
        help_ro="", help_en="", required=True, settings=question.settings,
        options=[(o.label_ro, o.label_en) for o in question.choices], rows=[], condition=None)
    db.session.commit()
    assert version(process) == before + 1
    services.save_settings(process, "signed_in", "live", ["age_band"], "")
    db.session.commit()
    assert version(process) == before + 2


def test_several_changes_in_one_transaction_raise_it_once(process, structure, questionnaire):
    before = version(process)
    for n in range(3):
        add_response(process, [(questionnaire["travel"], questionnaire["travel"].choices[n])],
                     commit=False)
    db.session.commit()
    assert version(process) == before + 1


def test_a_rolled_back_change_raises_nothing(process, structure, questionnaire):
    before = version(process)
    add_response(process, [(questionnaire["travel"], questionnaire["travel"].choices[0])],
                 commit=False)
    db.session.rollback()
    add_response(process, [], status="draft", commit=False)
    db.session.execute(update(Response).values(status="draft"))
    db.session.rollback()
    db.session.commit()
    assert version(process) == before


def test_other_processes_are_not_touched(process, structure, questionnaire, make_process):
    other = make_process(city=process.city, kind="consultation", slug="alta")
    db.session.merge(ConsultationSettings(process_id=other.id))
    db.session.commit()
    before = version(other)
    add_response(process, [(questionnaire["travel"], questionnaire["travel"].choices[0])])
    assert version(other) == before
