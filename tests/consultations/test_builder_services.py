"""The questionnaire builder's services: reading the structure, each section and question
operation, the validation of settings, options and conditions, the lock after the first
answer, and the consultation settings."""

from __future__ import annotations

import pytest

from engage.consultations import services
from engage.consultations.models import (
    Answer,
    ConsultationSettings,
    Option,
    Question,
    Response,
    Section,
)
from engage.consultations.services import ConsultationError
from engage.core.db import utcnow
from engage.extensions import db

from .conftest import add_question, count


def snapshot(process) -> list:  # noqa: ANN001
    """Everything about a questionnaire, read fresh from the database."""
    db.session.expire_all()
    structure = services.questionnaire(process)
    return [
        (view.section.id, view.section.position, view.section.title_ro, view.section.condition,
         [(q.id, q.position, q.type, q.text_ro, q.required, q.settings, q.condition,
           [(o.id, o.role, o.position, o.label_ro, o.label_en) for o in q.options])
          for q in view.questions])
        for view in structure.sections
    ]


def refused(call, *args, field=None, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
    with pytest.raises(ConsultationError) as caught:
        call(*args, **kwargs)
    if field is not None:
        assert caught.value.field == field, caught.value.message
    return caught.value


def message(app, error) -> str:  # noqa: ANN001
    """The refusal's message as an English-speaking organiser reads it."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        return str(error.message)


def answer(process, question, option=None, status="draft"):  # noqa: ANN001, ANN201
    """Simulate somebody answering: a response with one answer row."""
    response = Response(process_id=process.id, city_id=process.city_id, status=status,
                        submitted_at=utcnow() if status == "submitted" else None)
    db.session.add(response)
    db.session.flush()
    db.session.add(Answer(response_id=response.id, question_id=question.id,
                          option_id=option.id if option else None,
                          number=None if option else 1))
    db.session.commit()
    return response


def question_values(question, **changes):  # noqa: ANN001, ANN003, ANN201
    """What update_question needs to save `question` unchanged, with `changes` applied."""
    values = {
        "text_ro": question.text_ro, "text_en": question.text_en,
        "help_ro": question.help_ro, "help_en": question.help_en,
        "required": question.required, "settings": dict(question.settings or {}),
        "options": [(o.label_ro, o.label_en) for o in question.choices],
        "rows": [(o.label_ro, o.label_en) for o in question.rows],
        "condition": question.condition,
    }
    values.update(changes)
    return values


@pytest.fixture
def other_process(make_process, city):  # noqa: ANN001, ANN201
    return make_process(city, kind="consultation")


# ---------------------------------------------------------------- reading


def test_questionnaire_is_in_order_with_options(process, questionnaire):
    structure = services.questionnaire(process)
    assert [view.section.title_en for view in structure.sections] == [
        "Travel", "Cycling", "About the city"]
    assert [view.number for view in structure.sections] == [1, 2, 3]
    assert [q.id for q in structure.questions] == [
        questionnaire[name].id for name in
        ("travel", "satisfied", "helps", "order", "distance", "matrix", "comment")]
    assert [o.label_ro for o in structure.question(questionnaire["travel"].id).choices] == [
        "Pe jos", "Bicicleta", "Mașina"]
    matrix = structure.question(questionnaire["matrix"].id)
    assert [o.label_ro for o in matrix.rows] == ["Trotuare", "Autobuze"]
    assert [o.label_ro for o in matrix.choices] == ["Rău", "Bine"]
    assert structure.place(questionnaire["helps"]) == (1, 0)
    assert structure.number(questionnaire["order"]) == 4
    bike = questionnaire["travel"].choices[1]
    assert structure.option(bike.id) is bike
    assert structure.condition_parts(questionnaire["sections"][1].condition) == (
        questionnaire["travel"], [bike])
    assert structure.dependants([questionnaire["travel"].id]) == [questionnaire["sections"][1]]
    # Earlier choice questions a condition may test.
    assert structure.choice_questions_before(0, 0) == []
    assert structure.choice_questions_before(0, 1) == [questionnaire["travel"]]
    assert structure.choice_questions_before(2) == [questionnaire["travel"],
                                                    questionnaire["helps"]]


def test_questionnaire_lookups_ignore_other_processes_and_forged_ids(process, questionnaire,
                                                                     other_process):
    section = Section(process_id=other_process.id, title_ro="Alt")
    db.session.add(section)
    db.session.flush()
    foreign = add_question(section, "single", "Străin", options=["A", "B"])
    structure = services.questionnaire(process)
    assert structure.question(foreign.id) is None
    assert structure.option(foreign.choices[0].id) is None
    assert structure.section(section.id) is None
    assert structure.question("1") is None
    assert structure.question(None) is None
    assert services.questionnaire(other_process).questions == [foreign]


def test_questionnaire_makes_at_most_three_queries_whatever_its_size(process, questionnaire,
                                                                     count_queries):
    db.session.expire_all()
    db.session.refresh(process)
    with count_queries() as small:
        structure = services.questionnaire(process)
        for question in structure.questions:
            list(question.options)
            question.section  # noqa: B018 - loaded from the identity map, no query
    sections = []
    for n in range(5):
        section = Section(process_id=process.id, position=10 + n, title_ro=f"S{n}")
        db.session.add(section)
        db.session.flush()
        sections.append(section)
        for m in range(6):
            add_question(section, "multiple", f"Q{n}{m}", options=["a", "b", "c", "d"],
                         position=m)
    db.session.commit()
    db.session.expire_all()
    db.session.refresh(process)
    with count_queries() as large:
        structure = services.questionnaire(process)
        for question in structure.questions:
            list(question.options)
            question.section  # noqa: B018
    assert len(structure.questions) == 37
    assert small.n == large.n <= 3


def test_empty_questionnaire(process):
    structure = services.questionnaire(process)
    assert structure.sections == [] and structure.questions == [] and structure.is_empty


def test_has_answers(process, questionnaire):
    assert services.has_answers(process) is False
    db.session.add(Response(process_id=process.id, city_id=process.city_id))
    db.session.commit()
    assert services.has_answers(process) is False  # a draft with no answer yet
    answer(process, questionnaire["satisfied"])
    assert services.has_answers(process) is True


def test_a_submitted_response_counts_as_an_answer(process, questionnaire):
    db.session.add(Response(process_id=process.id, city_id=process.city_id,
                            status="submitted", submitted_at=utcnow()))
    db.session.commit()
    assert services.has_answers(process) is True


def test_another_processs_answers_do_not_lock(process, questionnaire, other_process):
    section = services.add_section(other_process, title_ro="Alt")
    question = services.add_question(section, "yes_no", text_ro="Da?")
    answer(other_process, question)
    assert services.has_answers(other_process) is True
    assert services.has_answers(process) is False


# ---------------------------------------------------------------- sections


def test_add_section_at_the_end(process, questionnaire):
    section = services.add_section(process, title_ro="  Final  ", title_en="End",
                                   description_ro="Mulțumim")
    structure = services.questionnaire(process)
    assert structure.sections[-1].section is section
    assert section.title_ro == "Final" and section.position == 3
    assert section.condition is None


def test_add_section_with_a_condition(process, questionnaire):
    travel = questionnaire["travel"]
    car = travel.choices[2]
    section = services.add_section(
        process, title_ro="Mașina", condition={"question": travel.id, "options": [car.id,
                                                                                   car.id]})
    assert section.condition == {"question": travel.id, "options": [car.id]}


@pytest.mark.parametrize(("values", "field"), [
    ({"title_ro": ""}, "title_ro"),
    ({"title_ro": "   "}, "title_ro"),
    ({"title_ro": "x" * 301}, "title_ro"),
    ({"title_ro": "Ok", "title_en": "x" * 301}, "title_en"),
    ({"title_ro": "Ok", "description_ro": "x" * 5001}, "description_ro"),
    ({"title_ro": 12}, "title_ro"),
])
def test_add_section_bad_texts(process, questionnaire, values, field):
    before = snapshot(process)
    refused(services.add_section, process, **values, field=field)
    assert snapshot(process) == before


def test_bad_conditions_are_refused(process, questionnaire, other_process):
    travel, helps = questionnaire["travel"], questionnaire["helps"]
    satisfied = questionnaire["satisfied"]
    section = Section(process_id=other_process.id, title_ro="Alt")
    db.session.add(section)
    db.session.flush()
    foreign = add_question(section, "single", "Străin", options=["A", "B"])
    bad = [
        {"question": satisfied.id, "options": [1]},  # a scale, not a choice question
        {"question": travel.id, "options": [helps.choices[0].id]},  # another question's option
        {"question": 999_999, "options": [1]},  # forged question
        {"question": foreign.id, "options": [foreign.choices[0].id]},  # another process's
        {"question": travel.id, "options": []},
        {"question": travel.id},
        {"question": travel.id, "options": [travel.choices[0].id], "extra": 1},
        {"question": str(travel.id), "options": [travel.choices[0].id]},
        {"question": travel.id, "options": [str(travel.choices[0].id)]},
        {"question": travel.id, "options": [True]},
        "travel",
        [travel.id],
    ]
    before = snapshot(process)
    for condition in bad:
        refused(services.add_section, process, title_ro="X", condition=condition,
                field="condition")
    assert snapshot(process) == before


def test_a_section_cannot_depend_on_its_own_or_a_later_question(process, questionnaire):
    one, two, three = questionnaire["sections"]
    travel, helps = questionnaire["travel"], questionnaire["helps"]
    # Section one testing its own question, section two testing its own.
    refused(services.update_section, one, title_ro="Deplasări", title_en="", description_ro="",
            description_en="",
            condition={"question": travel.id, "options": [travel.choices[0].id]},
            field="condition")
    refused(services.update_section, two, title_ro="Bicicleta", title_en="", description_ro="",
            description_en="",
            condition={"question": helps.id, "options": [helps.choices[0].id]},
            field="condition")
    # Section three may test section two's question.
    services.update_section(three, title_ro="Oraș", title_en="City", description_ro="",
                            description_en="",
                            condition={"question": helps.id, "options": [helps.choices[0].id]})
    assert three.condition == {"question": helps.id, "options": [helps.choices[0].id]}
    assert three.title_ro == "Oraș"


def test_update_section_texts_and_removing_its_condition(process, questionnaire):
    two = questionnaire["sections"][1]
    services.update_section(two, title_ro="Bicicleta nouă", title_en="New bike",
                            description_ro="**Despre**", description_en="", condition=None)
    db.session.expire_all()
    assert (two.title_ro, two.title_en, two.description_ro, two.condition) == (
        "Bicicleta nouă", "New bike", "**Despre**", None)


def test_delete_a_section_with_its_questions(process, questionnaire):
    two = questionnaire["sections"][1]
    option_ids = [o.id for o in questionnaire["helps"].options]
    services.delete_section(two)
    db.session.commit()
    structure = services.questionnaire(process)
    assert [view.section.title_en for view in structure.sections] == ["Travel",
                                                                      "About the city"]
    assert [view.section.position for view in structure.sections] == [0, 1]
    assert count(Question, Question.section_id == two.id) == 0
    assert count(Option, Option.id.in_(option_ids)) == 0


def test_a_section_others_depend_on_cannot_be_deleted(app, process, questionnaire):
    before = snapshot(process)
    error = refused(services.delete_section, questionnaire["sections"][0])
    # Outside a request the names are the Romanian texts; in a request, the reader's language.
    assert "“Bicicleta” is shown only after certain answers" in message(app, error)
    assert snapshot(process) == before


def test_conditions_inside_a_deleted_section_do_not_block_it(process, questionnaire):
    three = questionnaire["sections"][2]
    single = add_question(three, "single", "Alege", options=["a", "b"], position=5)
    add_question(three, "yes_no", "Depinde", position=6,
                 condition={"question": single.id, "options": [single.choices[0].id]})
    db.session.commit()
    services.delete_section(three)
    assert len(services.questionnaire(process).sections) == 2


def test_move_sections(process, questionnaire):
    one, two, three = questionnaire["sections"]
    services.move_section(three, "up")
    assert [view.section for view in services.questionnaire(process).sections] == [
        one, three, two]
    services.move_section(three, "down")
    assert [view.section for view in services.questionnaire(process).sections] == [
        one, two, three]


def test_moving_a_section_before_what_it_depends_on_is_refused(app, process, questionnaire):
    one, two, _three = questionnaire["sections"]
    before = snapshot(process)
    error = refused(services.move_section, two, "up")
    assert "must come before" in message(app, error)
    refused(services.move_section, one, "down")
    assert snapshot(process) == before


def test_moving_past_the_ends_or_a_forged_direction_is_refused(process, questionnaire):
    one, _two, three = questionnaire["sections"]
    before = snapshot(process)
    refused(services.move_section, one, "up")
    refused(services.move_section, three, "down")
    refused(services.move_section, one, "sideways")
    assert snapshot(process) == before


def test_duplicate_a_section(process, questionnaire):
    one, two, three = questionnaire["sections"]
    # A condition between two questions of section two, to see it follow the copy.
    helps = questionnaire["helps"]
    order = questionnaire["order"]
    order.condition = {"question": helps.id, "options": [helps.choices[2].id]}
    db.session.commit()
    copy = services.duplicate_section(two)
    db.session.commit()
    structure = services.questionnaire(process)
    assert [view.section for view in structure.sections] == [one, two, copy, three]
    view = structure.section(copy.id)
    assert copy.title_ro == two.title_ro and copy.condition == two.condition
    new_helps, new_order = view.questions
    assert new_helps.id != helps.id and new_helps.text_ro == helps.text_ro
    assert new_helps.settings == helps.settings
    assert [o.label_ro for o in new_helps.choices] == [o.label_ro for o in helps.choices]
    assert not {o.id for o in new_helps.options} & {o.id for o in helps.options}
    assert new_order.condition == {"question": new_helps.id,
                                   "options": [new_helps.choices[2].id]}
    assert order.condition == {"question": helps.id, "options": [helps.choices[2].id]}


# ---------------------------------------------------------------- questions


TYPE_CASES = [
    ("single", {"display": "dropdown", "other": True}, ["A", "B"], []),
    ("multiple", {"min": 1, "max": 3, "other": True}, ["A", "B"], []),
    ("scale", {"min": 0, "max": 10, "label_min_ro": "Deloc", "label_max_en": "Very"}, [], []),
    ("ranking", {}, ["A", "B", "C"], []),
    ("short_text", {"max_length": 100}, [], []),
    ("long_text", {}, [], []),
    ("number", {"min": 0, "max": 2.5, "decimals": 1, "unit_ro": "km"}, [], []),
    ("yes_no", {}, [], []),
    ("matrix", {}, ["Rău", "Bine"], ["Trotuare"]),
    ("info", {"consent": True}, [], []),
]


@pytest.mark.parametrize(("question_type", "settings", "options", "rows"), TYPE_CASES)
def test_add_every_type_of_question(process, questionnaire, question_type, settings, options,
                                    rows):
    three = questionnaire["sections"][2]
    question = services.add_question(
        three, question_type, text_ro="Întrebare", text_en="Question",
        help_ro="Ajutor", settings=settings, options=[(label, label + " en")
                                                      for label in options],
        rows=[(label, "") for label in rows], required=False,
    )
    db.session.commit()
    db.session.expire_all()
    assert question.type == question_type and question.position == 3
    assert set(question.settings) == set(services.SETTING_DEFAULTS[question_type])
    for key, value in settings.items():
        assert question.settings[key] == value
    assert [o.label_ro for o in question.choices] == options
    assert [o.label_en for o in question.choices] == [label + " en" for label in options]
    assert [o.label_ro for o in question.rows] == rows
    # An information block with consent is required (the box must be ticked).
    assert question.required is (question_type == "info")


def test_settings_take_their_defaults(process, questionnaire):
    question = services.add_question(questionnaire["sections"][0], "scale", text_ro="Cât?")
    assert question.settings == {"min": 1, "max": 5, "label_min_ro": "", "label_min_en": "",
                                 "label_max_ro": "", "label_max_en": ""}
    question = services.add_question(questionnaire["sections"][0], "short_text", text_ro="Ce?")
    assert question.settings == {"max_length": 300}


BAD_SETTINGS = [
    ("single", {"display": "list"}, ["A", "B"], "settings.display"),
    ("single", {"other": "yes"}, ["A", "B"], "settings.other"),
    ("single", {"colour": "red"}, ["A", "B"], "settings"),
    ("multiple", {"max": 3}, ["A", "B"], "settings.max"),
    ("multiple", {"min": 0}, ["A", "B"], "settings.min"),
    ("multiple", {"min": 2, "max": 1}, ["A", "B", "C"], "settings.max"),
    ("multiple", {"max": 1.5}, ["A", "B"], "settings.max"),
    ("multiple", {"max": True}, ["A", "B"], "settings.max"),
    ("scale", {"min": 2}, [], "settings.min"),
    ("scale", {"max": 7}, [], "settings.max"),
    ("scale", {"max": 5.0}, [], "settings.max"),
    ("scale", {"label_min_ro": "x" * 301}, [], "settings.label_min_ro"),
    ("short_text", {"max_length": 301}, [], "settings.max_length"),
    ("short_text", {"max_length": 0}, [], "settings.max_length"),
    ("long_text", {"max_length": 5001}, [], "settings.max_length"),
    ("long_text", {"max_length": None}, [], "settings.max_length"),
    ("number", {"min": 5, "max": 5}, [], "settings.max"),
    ("number", {"min": 10, "max": 1}, [], "settings.max"),
    ("number", {"min": float("nan")}, [], "settings.min"),
    ("number", {"max": float("inf")}, [], "settings.max"),
    ("number", {"max": 1e13}, [], "settings.max"),
    ("number", {"min": "1"}, [], "settings.min"),
    ("number", {"decimals": 5}, [], "settings.decimals"),
    ("number", {"decimals": -1}, [], "settings.decimals"),
    ("number", {"unit_ro": "x" * 31}, [], "settings.unit_ro"),
    ("ranking", {"max": 2}, ["A", "B"], "settings"),
    ("yes_no", {"other": True}, [], "settings"),
    ("info", {"consent": 1}, [], "settings.consent"),
]


@pytest.mark.parametrize(("question_type", "settings", "options", "field"), BAD_SETTINGS)
def test_bad_settings_are_refused(process, questionnaire, question_type, settings, options,
                                  field):
    before = snapshot(process)
    refused(services.add_question, questionnaire["sections"][0], question_type,
            text_ro="Întrebare", settings=settings, options=[(o, "") for o in options],
            field=field)
    assert snapshot(process) == before


BAD_QUESTIONS = [
    ({"question_type": "essay"}, "type"),
    ({"text_ro": ""}, "text_ro"),
    ({"text_ro": "x" * 2001}, "text_ro"),
    ({"text_en": "x" * 2001}, "text_en"),
    ({"help_ro": "x" * 2001}, "help_ro"),
    ({"required": "yes"}, "required"),
    ({"options": [("A", "")]}, "options"),  # one option is no choice
    ({"options": [("A", ""), ("", "B")]}, "options"),  # no Romanian label
    ({"options": [("A", ""), ("a", "")]}, "options"),  # listed twice
    ({"options": [("A", ""), ("x" * 301, "")]}, "options"),
    ({"options": [(str(n), "") for n in range(51)]}, "options"),
    ({"options": [("A", ""), ("B",)]}, "options"),
    ({"options": ["AB", "CD"]}, "options"),
    ({"rows": [("R", "")]}, "rows"),  # only a matrix has rows
    ({"question_type": "scale", "options": [("A", ""), ("B", "")]}, "options"),
    ({"question_type": "ranking", "options": [(str(n), "") for n in range(11)]}, "options"),
    ({"question_type": "matrix", "rows": []}, "rows"),
    ({"question_type": "matrix", "options": [("A", "")], "rows": [("R", "")]}, "options"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_QUESTIONS)
def test_bad_questions_are_refused(process, questionnaire, changes, field):
    values = {"question_type": "single", "text_ro": "Întrebare",
              "options": [("A", ""), ("B", "")]} | changes
    before = snapshot(process)
    refused(services.add_question, questionnaire["sections"][0], values.pop("question_type"),
            **values, field=field)
    assert snapshot(process) == before


def test_question_conditions(process, questionnaire):
    one = questionnaire["sections"][0]
    travel = questionnaire["travel"]
    walk = travel.choices[0]
    # After `travel` in its own section: allowed.
    follow_up = services.add_question(one, "short_text", text_ro="Cât mergeți?",
                                      condition={"question": travel.id, "options": [walk.id]})
    assert follow_up.condition == {"question": travel.id, "options": [walk.id]}
    # A question cannot test itself or a later question.
    refused(services.update_question, travel,
            **question_values(travel, condition={"question": travel.id,
                                                 "options": [walk.id]}),
            field="condition")
    helps = questionnaire["helps"]
    refused(services.update_question, travel,
            **question_values(travel, condition={"question": helps.id,
                                                 "options": [helps.choices[0].id]}),
            field="condition")


def test_update_question_keeps_option_ids(process, questionnaire):
    travel = questionnaire["travel"]
    walk, bike, car = travel.choices
    services.update_question(travel, **question_values(
        travel, text_ro="Cum ajungeți la serviciu?",
        options=[("Mașina", "Car"), ("Pe jos", "On foot"), ("Bicicletă", "Bicycle"),
                 ("Autobuzul", "Bus")]))
    db.session.commit()
    db.session.expire_all()
    choices = travel.choices
    assert [o.label_ro for o in choices] == ["Mașina", "Pe jos", "Bicicletă", "Autobuzul"]
    # Same label: same option; the corrected typo takes the remaining one; the new one is new.
    assert [o.id for o in choices[:3]] == [car.id, walk.id, bike.id]
    assert choices[3].id not in (walk.id, bike.id, car.id)
    assert [o.position for o in choices] == [0, 1, 2, 3]
    assert travel.text_ro == "Cum ajungeți la serviciu?"
    # The condition on the bike option still points at it.
    assert questionnaire["sections"][1].condition["options"] == [bike.id]


def test_removing_options_while_unlocked(process, questionnaire):
    helps = questionnaire["helps"]
    first, _second, third = helps.choices
    services.update_question(helps, **question_values(
        helps, options=[("Piste", ""), ("Dușuri", "")], settings={"max": 2}))
    db.session.commit()
    assert [o.id for o in helps.choices] == [first.id, third.id]
    assert count(Option, Option.question_id == helps.id) == 2


def test_removing_a_tested_option_is_refused(app, process, questionnaire):
    travel = questionnaire["travel"]
    before = snapshot(process)
    error = refused(services.update_question, travel,
                    **question_values(travel, options=[("Pe jos", ""), ("Mașina", "")]),
                    field="options")
    assert "“Bicicleta”" in message(app, error)
    assert snapshot(process) == before


def test_change_a_questions_type(process, questionnaire):
    helps = questionnaire["helps"]
    option_ids = [o.id for o in helps.choices]
    services.update_question(helps, question_type="single", **question_values(
        helps, settings={"display": "dropdown"}))
    db.session.commit()
    assert helps.type == "single" and [o.id for o in helps.choices] == option_ids
    assert helps.settings == {"display": "dropdown", "other": False}
    services.update_question(helps, question_type="long_text", **question_values(
        helps, settings={}, options=[]))
    db.session.commit()
    assert helps.type == "long_text" and helps.options == []
    assert count(Option, Option.id.in_(option_ids)) == 0


def test_a_tested_question_keeps_a_choice_type(process, questionnaire):
    travel = questionnaire["travel"]
    before = snapshot(process)
    refused(services.update_question, travel, question_type="short_text",
            **question_values(travel, settings={}, options=[]), field="type")
    refused(services.update_question, travel, question_type="ranking",
            **question_values(travel, settings={}), field="type")
    assert snapshot(process) == before
    services.update_question(travel, question_type="multiple",
                             **question_values(travel, settings={}))
    assert travel.type == "multiple"


def test_matrix_rows_and_columns_are_updated_apart(process, questionnaire):
    matrix = questionnaire["matrix"]
    rows = [o.id for o in matrix.rows]
    services.update_question(matrix, **question_values(
        matrix, options=[("Rău", ""), ("Mediu", ""), ("Bine", "")],
        rows=[("Trotuare", "Pavements"), ("Autobuze", "Buses"), ("Tramvaie", "Trams")]))
    db.session.commit()
    assert [o.label_ro for o in matrix.choices] == ["Rău", "Mediu", "Bine"]
    assert [o.id for o in matrix.rows][:2] == rows
    assert [o.label_en for o in matrix.rows] == ["Pavements", "Buses", "Trams"]


def test_delete_a_question(process, questionnaire):
    satisfied = questionnaire["satisfied"]
    distance, matrix, comment = (questionnaire[name] for name in
                                 ("distance", "matrix", "comment"))
    services.delete_question(distance)
    db.session.commit()
    assert count(Question, Question.id == distance.id) == 0
    assert [(q.id, q.position) for q in services.questionnaire(process).sections[2].questions] \
        == [(matrix.id, 0), (comment.id, 1)]
    services.delete_question(satisfied)
    assert count(Question, Question.id == satisfied.id) == 0


def test_a_tested_question_cannot_be_deleted(process, questionnaire):
    before = snapshot(process)
    refused(services.delete_question, questionnaire["travel"])
    assert snapshot(process) == before


def test_move_questions_within_and_across_sections(process, questionnaire):
    travel, satisfied = questionnaire["travel"], questionnaire["satisfied"]
    helps, order = questionnaire["helps"], questionnaire["order"]

    def layout():  # noqa: ANN202
        return [[q.id for q in view.questions] for view in services.questionnaire(process).sections]

    services.move_question(order, "up")
    assert layout()[1] == [order.id, helps.id]
    # From the top of its section, "up" goes to the end of the previous section.
    services.move_question(order, "up")
    assert layout()[:2] == [[travel.id, satisfied.id, order.id], [helps.id]]
    # From the bottom, "down" goes to the start of the next section.
    services.move_question(order, "down")
    assert layout()[:2] == [[travel.id, satisfied.id], [order.id, helps.id]]
    services.move_question_to_section(satisfied, questionnaire["sections"][2])
    assert layout()[2][-1] == satisfied.id and satisfied.section_id == \
        questionnaire["sections"][2].id
    assert [q.position for q in services.questionnaire(process).sections[2].questions] == [
        0, 1, 2, 3]


def test_moving_a_question_before_what_it_depends_on_is_refused(process, questionnaire):
    one = questionnaire["sections"][0]
    travel = questionnaire["travel"]
    follow_up = services.add_question(
        one, "yes_no", text_ro="Aveți abonament?",
        condition={"question": travel.id, "options": [travel.choices[2].id]})
    services.move_question(follow_up, "up")  # after travel still: fine
    db.session.commit()
    before = snapshot(process)
    refused(services.move_question, follow_up, "up")
    refused(services.move_question, travel, "down")
    assert snapshot(process) == before
    # The question tested by section two cannot go into section two or later.
    refused(services.move_question_to_section, travel, questionnaire["sections"][2])
    assert snapshot(process) == before


def test_move_question_refusals(process, questionnaire, other_process):
    travel, comment = questionnaire["travel"], questionnaire["comment"]
    foreign = Section(process_id=other_process.id, title_ro="Alt")
    db.session.add(foreign)
    db.session.commit()
    before = snapshot(process)
    refused(services.move_question, travel, "up")
    refused(services.move_question, comment, "down")
    refused(services.move_question, comment, "left")
    refused(services.move_question_to_section, comment, foreign, field="section")
    refused(services.move_question_to_section, comment, questionnaire["sections"][2],
            field="section")
    assert snapshot(process) == before


def test_duplicate_a_question(process, questionnaire):
    helps = questionnaire["helps"]
    helps.condition = None
    copy = services.duplicate_question(helps)
    db.session.commit()
    view = services.questionnaire(process).sections[1]
    assert [q.id for q in view.questions] == [helps.id, copy.id, questionnaire["order"].id]
    assert copy.text_ro == helps.text_ro and copy.settings == helps.settings
    assert [o.label_ro for o in copy.choices] == [o.label_ro for o in helps.choices]
    assert not {o.id for o in copy.options} & {o.id for o in helps.options}


def test_other_kinds_of_process_are_refused(make_process, city):
    ideas = make_process(city, kind="ideas")
    refused(services.add_section, ideas, title_ro="X")
    refused(services.save_settings, ideas, "anyone", "live", [], "")
    section = Section(process_id=ideas.id, title_ro="X")
    db.session.add(section)
    db.session.commit()
    refused(services.add_question, section, "yes_no", text_ro="Da?")


# ---------------------------------------------------------------- the lock after answers


@pytest.fixture
def answered(process, questionnaire):  # noqa: ANN001, ANN201
    answer(process, questionnaire["travel"], questionnaire["travel"].choices[1])
    return questionnaire


def test_structure_is_locked_after_the_first_answer(process, answered):
    one, two, _three = answered["sections"]
    comment = answered["comment"]
    before = snapshot(process)
    for call, args in [
        (services.add_section, (process,)),
        (services.delete_section, (two,)),
        (services.move_section, (two, "down")),
        (services.duplicate_section, (two,)),
        (services.add_question, (one, "yes_no")),
        (services.delete_question, (comment,)),
        (services.move_question, (comment, "up")),
        (services.move_question_to_section, (comment, one)),
        (services.duplicate_question, (comment,)),
    ]:
        kwargs = {"title_ro": "X"} if call is services.add_section else (
            {"text_ro": "X"} if call is services.add_question else {})
        error = refused(call, *args, **kwargs)
        assert error.message is services.LOCKED
    assert snapshot(process) == before


def test_texts_may_still_be_corrected_after_answers(process, answered):
    travel, satisfied = answered["travel"], answered["satisfied"]
    ids = [o.id for o in travel.choices]
    services.update_question(travel, **question_values(
        travel, text_ro="Cum mergeți la lucru?", help_en="Pick one",
        options=[("Pe jos", "On foot"), ("Bicicletă", "Bicycle"), ("Mașina", "Car")]))
    services.update_question(satisfied, **question_values(
        satisfied, settings={**satisfied.settings, "label_min_ro": "Deloc mulțumit"}))
    services.update_section(answered["sections"][1], title_ro="Ciclism", title_en="Cycling",
                            description_ro="", description_en="",
                            condition=answered["sections"][1].condition)
    db.session.commit()
    db.session.expire_all()
    assert travel.text_ro == "Cum mergeți la lucru?" and travel.help_en == "Pick one"
    assert [o.id for o in travel.choices] == ids
    assert [o.label_ro for o in travel.choices] == ["Pe jos", "Bicicletă", "Mașina"]
    assert satisfied.settings["label_min_ro"] == "Deloc mulțumit"
    assert answered["sections"][1].title_ro == "Ciclism"


def test_meaning_cannot_change_after_answers(process, answered):
    travel, satisfied = answered["travel"], answered["satisfied"]
    helps, distance = answered["helps"], answered["distance"]
    two = answered["sections"][1]
    before = snapshot(process)
    cases = [
        (travel, {"question_type": "multiple"}, "type"),
        (travel, {"required": False}, "required"),
        (travel, {"options": [("Pe jos", ""), ("Bicicleta", "")]}, "options"),
        (travel, {"options": [("Pe jos", ""), ("Bicicleta", ""), ("Mașina", ""),
                              ("Tren", "")]}, "options"),
        (travel, {"settings": {"display": "dropdown"}}, "settings.display"),
        # Swapping labels would change what earlier answers mean.
        (travel, {"options": [("Bicicleta", ""), ("Pe jos", ""), ("Mașina", "")]},
         "options"),
        (answered["matrix"], {"rows": [("Autobuze", ""), ("Trotuare", "")]}, "rows"),
        (satisfied, {"settings": {**satisfied.settings, "max": 10}}, "settings.max"),
        (helps, {"settings": {"max": 3}}, "settings.max"),
        (helps, {"condition": {"question": travel.id, "options": [travel.choices[0].id]}},
         "condition"),
        (distance, {"settings": {**distance.settings, "decimals": 2}}, "settings.decimals"),
    ]
    for question, changes, field in cases:
        question_type = changes.pop("question_type", None)
        kwargs = question_values(question, **changes)
        if question_type:
            kwargs["question_type"] = question_type
        refused(services.update_question, question, **kwargs, field=field)
    refused(services.update_section, two, title_ro="Bicicleta", title_en="", description_ro="",
            description_en="", condition=None, field="condition")
    assert snapshot(process) == before


# ---------------------------------------------------------------- settings


def test_settings_default_without_a_row(process):
    settings = services.settings_for(process)
    assert (settings.respondents, settings.results_visibility, settings.profile_questions,
            settings.neighbourhoods) == ("signed_in", "after_close", [], "")
    assert count(ConsultationSettings) == 0


def test_save_settings(process):
    settings = services.save_settings(
        process, "anyone", "live", ["neighbourhood", "age_band"],
        "  Mănăștur \n\nGheorgheni\nmănăștur\n  Zorilor  ")
    db.session.commit()
    db.session.expire_all()
    saved = db.session.get(ConsultationSettings, process.id)
    assert saved is settings
    assert (saved.respondents, saved.results_visibility) == ("anyone", "live")
    assert saved.profile_questions == ["age_band", "neighbourhood"]
    assert services.neighbourhoods_of(saved) == ["Mănăștur", "Gheorgheni", "Zorilor"]
    services.save_settings(process, "signed_in", "never", [], [])
    assert count(ConsultationSettings) == 1
    assert saved.profile_questions == [] and saved.neighbourhoods == ""


@pytest.mark.parametrize(("args", "field"), [
    (("everybody", "live", [], ""), "respondents"),
    (("anyone", "sometimes", [], ""), "results_visibility"),
    (("anyone", "live", ["income"], ""), "profile_questions"),
    (("anyone", "live", ["neighbourhood"], "  \n "), "neighbourhoods"),
    (("anyone", "live", [], "x" * 101), "neighbourhoods"),
    (("anyone", "live", [], "\n".join(f"Cartier {n}" for n in range(201))), "neighbourhoods"),
])
def test_bad_settings(process, args, field):
    refused(services.save_settings, process, *args, field=field)
    assert count(ConsultationSettings) == 0


def test_settings_after_answers(process, questionnaire):
    services.save_settings(process, "signed_in", "after_close", ["neighbourhood"],
                           "Mănăștur\nZorilor")
    answer(process, questionnaire["satisfied"])
    before = (services.settings_for(process).neighbourhoods, )
    refused(services.save_settings, process, "anyone", "after_close", ["neighbourhood"],
            "Mănăștur\nZorilor", field="respondents")
    refused(services.save_settings, process, "signed_in", "after_close",
            ["neighbourhood", "age_band"], "Mănăștur\nZorilor", field="profile_questions")
    refused(services.save_settings, process, "signed_in", "after_close", ["neighbourhood"],
            "Mănăștur", field="neighbourhoods")
    assert (services.settings_for(process).neighbourhoods, ) == before
    # When results are public may change, and neighbourhoods may be added.
    services.save_settings(process, "signed_in", "live", ["neighbourhood"],
                           "Mănăștur\nZorilor\nGheorgheni")
    saved = services.settings_for(process)
    assert saved.results_visibility == "live"
    assert services.neighbourhoods_of(saved) == ["Mănăștur", "Zorilor", "Gheorgheni"]


def test_condition_for_options(process, questionnaire):
    structure = services.questionnaire(process)
    travel, helps = questionnaire["travel"], questionnaire["helps"]
    assert services.condition_for_options(structure, []) is None
    assert services.condition_for_options(structure, [travel.choices[2].id,
                                                      travel.choices[0].id]) == {
        "question": travel.id, "options": [travel.choices[0].id, travel.choices[2].id]}
    refused(services.condition_for_options, structure,
            [travel.choices[0].id, helps.choices[0].id], field="condition")
    refused(services.condition_for_options, structure, [999_999], field="condition")
    refused(services.condition_for_options, structure, [questionnaire["matrix"].rows[0].id],
            field="condition")
