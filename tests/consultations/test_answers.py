"""Answering on the server: reading each question type from a form, every refusal (hidden,
forged, out-of-range, repeated, missing), conditions, drafts saved page by page, submitting
once, paper responses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from engage.consultations import answers
from engage.consultations.answers import Page, ResponseError
from engage.consultations.models import Answer, Question, Response, Section
from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Contribution


def build(process):  # noqa: ANN001, ANN201
    sections = db.session.scalars(
        select(Section).where(Section.process_id == process.id).order_by(Section.position)
    ).all()
    return [
        Page(section, list(db.session.scalars(
            select(Question).where(Question.section_id == section.id)
            .order_by(Question.position))))
        for section in sections
    ]


def form(**fields) -> MultiDict:  # noqa: ANN003
    data = MultiDict()
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            data.add(key, str(item))
    return data


@pytest.fixture(autouse=True)
def _request(app):  # noqa: ANN001, ANN202
    """Messages are translated when shown: in English, inside a request."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture
def structure(questionnaire, process):  # noqa: ANN001, ANN201
    return build(process)


def first_page_form(q, choice: int = 1, **extra) -> MultiDict:  # noqa: ANN001, ANN003
    return form(**{f"q{q['travel'].id}": q["travel"].choices[choice].id,
                   f"q{q['satisfied'].id}": 4, **extra})


class TestParse:
    def test_reads_single_and_scale(self, structure, questionnaire):
        parsed = answers.parse_section(structure, structure[0], first_page_form(questionnaire),
                                       {})
        assert parsed.errors == {}
        assert parsed.values == {questionnaire["travel"].id: (questionnaire["travel"].choices[1].id,
                                                              None),
                                 questionnaire["satisfied"].id: 4}

    def test_required_skipped_is_refused_on_the_server(self, structure, questionnaire):
        parsed = answers.parse_section(structure, structure[0], form(), {})
        assert {k: str(v) for k, v in parsed.errors.items()} == {
            questionnaire["travel"].id: "Please answer this question."}

    @pytest.mark.parametrize("field, value", [("travel", "999999"), ("travel", "abc"),
                                              ("satisfied", "6"), ("satisfied", "0")])
    def test_forged_option_or_out_of_range(self, structure, questionnaire, field, value):
        data = first_page_form(questionnaire)
        data.setlist(f"q{questionnaire[field].id}", [value])
        parsed = answers.parse_section(structure, structure[0], data, {})
        assert questionnaire[field].id in parsed.errors

    def test_option_of_another_question_is_refused(self, structure, questionnaire):
        data = first_page_form(questionnaire)
        data.setlist(f"q{questionnaire['travel'].id}", [str(questionnaire["helps"].choices[0].id)])
        parsed = answers.parse_section(structure, structure[0], data, {})
        assert str(parsed.errors[questionnaire["travel"].id]) == "Choose one of the options listed."

    def test_multiple_max_and_ranking_rules(self, structure, questionnaire):
        q = questionnaire
        earlier = {q["travel"].id: (q["travel"].choices[1].id, None)}
        too_many = form(**{f"q{q['helps'].id}": [o.id for o in q["helps"].choices]})
        parsed = answers.parse_section(structure, structure[1], too_many, earlier)
        assert str(parsed.errors[q["helps"].id]) == "Choose at most 2 options."
        opts = q["order"].choices
        repeated = form(**{f"q{q['order'].id}_r{opts[0].id}": 1,
                           f"q{q['order'].id}_r{opts[1].id}": 1,
                           f"q{q['order'].id}_r{opts[2].id}": 2})
        parsed = answers.parse_section(structure, structure[1], repeated, earlier)
        assert "different place" in str(parsed.errors[q["order"].id])
        good = form(**{f"q{q['order'].id}_r{opts[0].id}": 3,
                       f"q{q['order'].id}_r{opts[1].id}": 1,
                       f"q{q['order'].id}_r{opts[2].id}": 2,
                       f"q{q['helps'].id}": [opts[0].id]})
        parsed = answers.parse_section(structure, structure[1], good, earlier)
        assert parsed.values[q["order"].id] == [opts[1].id, opts[2].id, opts[0].id]
        assert {k: str(v) for k, v in parsed.errors.items()} == {
            q["helps"].id: "Choose one of the options listed."}

    def test_number_matrix_and_text(self, structure, questionnaire):
        q = questionnaire
        rows, cols = q["matrix"].rows, q["matrix"].choices
        data = form(**{f"q{q['distance'].id}": "12,5",
                       f"q{q['matrix'].id}_row{rows[0].id}": cols[1].id,
                       f"q{q['comment'].id}": "  <script>x</script> Mai mulți copaci  "})
        parsed = answers.parse_section(structure, structure[2], data, {})
        assert parsed.errors == {}
        assert parsed.values[q["distance"].id] == 12.5
        assert parsed.values[q["matrix"].id] == {rows[0].id: cols[1].id}
        assert parsed.values[q["comment"].id] == "<script>x</script> Mai mulți copaci"
        for bad, message in (("201", "from 0 to 200"), ("1.25", "at most 1 decimals"),
                             ("nan", "Enter a number."), ("x", "Enter a number.")):
            data.setlist(f"q{q['distance'].id}", [bad])
            parsed = answers.parse_section(structure, structure[2], data, {})
            assert message in str(parsed.errors[q["distance"].id]), bad
        data.setlist(f"q{q['distance'].id}", [""])
        data.setlist(f"q{q['comment'].id}", ["x" * 5001])
        parsed = answers.parse_section(structure, structure[2], data, {})
        assert "At most 5000" in str(parsed.errors[q["comment"].id])


class TestConditions:
    def test_section_hidden_unless_cyclist(self, structure, questionnaire):
        q = questionnaire
        walk = {q["travel"].id: (q["travel"].choices[0].id, None)}
        bike = {q["travel"].id: (q["travel"].choices[1].id, None)}
        sections, _ = answers.visibility(structure, walk)
        assert q["sections"][1].id not in sections
        sections, visible = answers.visibility(structure, bike)
        assert q["sections"][1].id in sections and q["helps"].id in visible

    def test_answer_to_a_hidden_question_is_never_stored(self, process, structure,
                                                         questionnaire, make_user):
        q = questionnaire
        response = answers.start_response(process, make_user())
        answers.save_section(structure, response, structure[0],
                             answers.parse_section(structure, structure[0],
                                                   first_page_form(q, choice=0), {}).values)
        data = form(**{f"q{q['helps'].id}": [q["helps"].choices[0].id]})
        parsed = answers.parse_section(structure, structure[1], data,
                                       answers.stored_values(structure, response))
        assert parsed.values == {} and parsed.errors == {}

    def test_changing_an_earlier_answer_drops_answers_it_hides(self, process, structure,
                                                               questionnaire, make_user):
        q = questionnaire
        response = answers.start_response(process, make_user())
        answers.save_section(structure, response, structure[0],
                             {q["travel"].id: (q["travel"].choices[1].id, None)})
        answers.save_section(structure, response, structure[1],
                             {q["helps"].id: ([q["helps"].choices[0].id], None)})
        assert q["helps"].id in answers.stored_values(structure, response)
        answers.save_section(structure, response, structure[0],
                             {q["travel"].id: (q["travel"].choices[0].id, None)})
        assert q["helps"].id not in answers.stored_values(structure, response)


class TestResponses:
    def test_round_trip_of_every_type(self, process, structure, questionnaire, make_user):
        q = questionnaire
        response = answers.start_response(process, make_user())
        values = {
            q["travel"].id: (q["travel"].choices[1].id, None),
            q["satisfied"].id: 5,
            q["helps"].id: ([q["helps"].choices[0].id, q["helps"].choices[2].id], None),
            q["order"].id: [o.id for o in reversed(q["order"].choices)],
            q["distance"].id: 3.5,
            q["matrix"].id: {q["matrix"].rows[1].id: q["matrix"].choices[0].id},
            q["comment"].id: "Mai multe piste",
        }
        for page in structure:
            answers.save_section(structure, response, page,
                                 {k: v for k, v in values.items()
                                  if k in {x.id for x in page.questions}})
        assert answers.stored_values(structure, response) == values

    def test_one_response_per_person_even_twice(self, process, make_user):
        user = make_user()
        first = answers.start_response(process, user)
        second = answers.start_response(process, user)
        assert first.id == second.id
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1

    def test_submit_requires_visible_required_answers_and_happens_once(
            self, process, structure, questionnaire, make_user):
        q = questionnaire
        response = answers.start_response(process, make_user())
        with pytest.raises(ResponseError):
            answers.submit(structure, response)
        assert response.status == "draft"
        answers.save_section(structure, response, structure[0],
                             {q["travel"].id: (q["travel"].choices[0].id, None)})
        answers.save_section(structure, response, structure[2], {q["comment"].id: "Text liber"})
        assert answers.submit(structure, response) == "submitted"
        assert answers.submit(structure, response) == "unchanged"
        response.updated_at = utcnow()  # as save_section does on a change
        assert answers.submit(structure, response) == "changed"
        assert response.status == "submitted" and response.submitted_at is not None
        texts = db.session.scalars(select(Contribution).where(Contribution.kind == "answer"))
        assert [c.text for c in texts] == ["Text liber"]

    def test_closed_or_draft_consultation_refuses(self, process, structure, make_user):
        process.closes_at = utcnow() - timedelta(seconds=1)
        process.opens_at = utcnow() - timedelta(days=3)
        db.session.commit()
        with pytest.raises(ResponseError):
            answers.start_response(process, make_user())
        process.status = "draft"
        process.closes_at = None
        db.session.commit()
        with pytest.raises(ResponseError):
            answers.start_response(process, make_user())

    def test_paper_response_all_or_nothing(self, process, structure, questionnaire, make_user):
        q = questionnaire
        organiser = make_user()
        bad = first_page_form(q, choice=1, **{f"q{q['distance'].id}": "-4"})
        response, errors = answers.enter_paper_response(structure, process, organiser, bad)
        assert response is None and q["distance"].id in errors
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
        good = first_page_form(q, choice=0, **{f"q{q['distance'].id}": "4"})
        response, errors = answers.enter_paper_response(structure, process, organiser, good)
        assert errors == {} and response.channel == "paper" and response.is_submitted
        assert response.entered_by_id == organiser.id and response.user_id is None
        with pytest.raises(ResponseError):
            answers.enter_paper_response(structure, process, organiser, good, channel="online")


def test_a_changed_free_text_leaves_no_published_orphan(process, structure, questionnaire,
                                                        make_user):
    q = questionnaire
    response = answers.start_response(process, make_user())
    answers.save_section(structure, response, structure[0],
                         {q["travel"].id: (q["travel"].choices[0].id, None)})
    answers.save_section(structure, response, structure[2], {q["comment"].id: "Prima formă"})
    answers.submit(structure, response)
    answers.save_section(structure, response, structure[2], {q["comment"].id: "A doua formă"})
    statuses = dict(db.session.execute(
        select(Contribution.text, Contribution.status).where(Contribution.kind == "answer")
    ).all())
    assert statuses == {"Prima formă": "deleted", "A doua formă": "published"}
