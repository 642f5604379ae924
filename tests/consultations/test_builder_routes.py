"""The questionnaire builder's pages through the test client: who may open them, building a
questionnaire through the forms, bad input (422, nothing changed), the preview in both
languages, the settings, and the lock after the first answer."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engage.consultations import services
from engage.consultations.models import (
    Answer,
    ConsultationSettings,
    Option,
    Question,
    Response,
    Section,
)
from engage.extensions import db

from .conftest import add_question, count


def snapshot(process) -> list:  # noqa: ANN001
    db.session.expire_all()
    structure = services.questionnaire(process)
    return [
        (view.section.id, view.section.position, view.section.title_ro, view.section.title_en,
         view.section.condition,
         [(q.id, q.position, q.type, q.text_ro, q.text_en, q.required, q.settings, q.condition,
           [(o.id, o.role, o.position, o.label_ro, o.label_en) for o in q.options])
          for q in view.questions])
        for view in structure.sections
    ]


@pytest.fixture
def organiser(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(display_name="Organiser")
    make_role(user, city, "organiser")
    return user


@pytest.fixture
def as_organiser(client, login_as, organiser):  # noqa: ANN001, ANN201
    return login_as(client, organiser)


@pytest.fixture
def base(city, process):  # noqa: ANN001, ANN201
    return f"/{city.slug}/manage/processes/{process.slug}/questionnaire"


def answer_something(process, question):  # noqa: ANN001, ANN201
    response = Response(process_id=process.id, city_id=process.city_id)
    db.session.add(response)
    db.session.flush()
    db.session.add(Answer(response_id=response.id, question_id=question.id,
                          option_id=question.choices[0].id if question.choices else None))
    db.session.commit()


def page(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("suffix", ["", "/preview?lang=ro", "/settings", "/sections/new"])
def test_who_may_open_the_builder(app, login_as, make_user, make_role, make_city, city,
                                  process, base, suffix):
    other_city = make_city()
    people = {
        "citizen": make_user(),
        "moderator": make_user(),
        "other_organiser": make_user(),
        "organiser": make_user(),
        "admin": make_user(admin=True),
    }
    make_role(people["moderator"], city, "moderator")
    make_role(people["organiser"], city, "organiser")
    make_role(people["other_organiser"], other_city, "organiser")
    anonymous = app.test_client().get(base + suffix)
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    expected = {"citizen": 403, "moderator": 403, "other_organiser": 403, "organiser": 200,
                "admin": 200}
    for person, status in expected.items():
        client = login_as(app.test_client(), people[person])
        assert client.get(base + suffix).status_code == status, person


def test_writes_are_refused_to_others(app, login_as, make_user, make_role, city, process,
                                      questionnaire, base):
    moderator = make_user()
    make_role(moderator, city, "moderator")
    two = questionnaire["sections"][1]
    before = snapshot(process)
    for person in (make_user(), moderator):
        client = login_as(app.test_client(), person)
        for url, data in [
            (f"{base}/sections/new", {"title_ro": "X"}),
            (f"{base}/sections/{two.id}/move", {"direction": "down"}),
            (f"{base}/sections/{two.id}/delete", {}),
            (f"{base}/questions/{questionnaire['comment'].id}/delete", {}),
            (f"{base}/settings", {"respondents": "anyone", "results_visibility": "live"}),
        ]:
            assert client.post_form(url, data).status_code == 403
    assert snapshot(process) == before


def test_only_consultations_of_the_citys_own(as_organiser, make_process, make_city, city,
                                            process, questionnaire):
    ideas = make_process(city, kind="ideas")
    assert as_organiser.get(
        f"/{city.slug}/manage/processes/{ideas.slug}/questionnaire").status_code == 404
    other_city = make_city()
    elsewhere = make_process(other_city, kind="consultation")
    # Another city's consultation, under this city's address: not found.
    assert as_organiser.get(
        f"/{city.slug}/manage/processes/{elsewhere.slug}/questionnaire").status_code == 404
    assert as_organiser.get(
        f"/{city.slug}/manage/processes/nope/questionnaire").status_code == 404


def test_another_processs_sections_and_questions_are_not_found(as_organiser, make_process,
                                                               city, process, questionnaire,
                                                               base):
    other = make_process(city, kind="consultation")
    section = Section(process_id=other.id, title_ro="Alt")
    db.session.add(section)
    db.session.flush()
    question = add_question(section, "yes_no", "Străin")
    db.session.commit()
    for url in [f"{base}/sections/{section.id}/edit", f"{base}/questions/{question.id}/edit",
                f"{base}/sections/{section.id}/questions/new?type=yes_no",
                f"{base}/questions/{question.id}/delete"]:
        assert as_organiser.get(url).status_code == 404, url
    for url in [f"{base}/sections/{section.id}/move", f"{base}/questions/{question.id}/move",
                f"{base}/sections/{section.id}/delete",
                f"{base}/questions/{question.id}/duplicate"]:
        assert as_organiser.post_form(url, {"direction": "up"}).status_code == 404, url
    assert count(Section, Section.process_id == other.id) == 1


# ---------------------------------------------------------------- the builder page


def test_builder_lists_sections_and_questions(as_organiser, process, questionnaire, base):
    response = as_organiser.get(base)
    html = page(response)
    assert response.status_code == 200
    assert "Travel" in html and "Cycling" in html and "About the city" in html
    assert "Cum mergeți la serviciu? (en)" in html
    for name in ("travel", "helps", "matrix", "comment"):
        assert f'id="question-{questionnaire[name].id}"' in html
    assert "Shown only when" in html  # section two's condition
    assert "Move up" in html and "Duplicate" in html
    assert "already answered" not in html


def test_builder_page_makes_a_constant_number_of_queries(as_organiser, process,
                                                         questionnaire, base, count_queries):
    as_organiser.get(base)
    with count_queries() as small:
        assert as_organiser.get(base).status_code == 200
    for n in range(3):
        section = services.add_section(process, title_ro=f"Secțiunea {n}")
        for m in range(5):
            services.add_question(section, "single", text_ro=f"Î{n}{m}",
                                  options=[("a", ""), ("b", "")])
    db.session.commit()
    with count_queries() as large:
        assert as_organiser.get(base).status_code == 200
    assert small.n == large.n


def test_empty_questionnaire(as_organiser, process, base):
    html = page(as_organiser.get(base))
    assert "This questionnaire is empty" in html
    assert "Add a section" in html


# ---------------------------------------------------------------- sections


def test_add_a_section(as_organiser, process, questionnaire, base):
    travel = questionnaire["travel"]
    form = as_organiser.get(f"{base}/sections/new")
    assert form.status_code == 200 and f'value="{travel.choices[2].id}"' in page(form)
    response = as_organiser.post_form(f"{base}/sections/new", {
        "title_ro": "Șoferi", "title_en": "Drivers", "description_ro": "Despre mașină",
        "condition": [str(travel.choices[2].id)],
    })
    assert response.status_code == 303
    section = db.session.scalars(select(Section).where(Section.title_ro == "Șoferi")).one()
    assert response.headers["Location"].endswith(f"{base}#section-{section.id}")
    assert section.position == 3 and section.title_en == "Drivers"
    assert section.condition == {"question": travel.id, "options": [travel.choices[2].id]}


@pytest.mark.parametrize("data", [
    {"title_ro": ""},
    {"title_ro": "x" * 301},
    {"title_ro": "Ok", "condition": ["abc"]},
    {"title_ro": "Ok", "condition": ["999999"]},
])
def test_bad_sections_are_refused(as_organiser, process, questionnaire, base, data):
    before = snapshot(process)
    response = as_organiser.post_form(f"{base}/sections/new", data)
    assert response.status_code == 422
    assert snapshot(process) == before


def test_a_condition_tests_one_question(as_organiser, process, questionnaire, base):
    travel, helps = questionnaire["travel"], questionnaire["helps"]
    before = snapshot(process)
    response = as_organiser.post_form(f"{base}/sections/new", {
        "title_ro": "Ok", "condition": [str(travel.choices[0].id), str(helps.choices[0].id)]})
    assert response.status_code == 422
    assert "tick options of a single question" in page(response)
    assert snapshot(process) == before


def test_edit_a_section(as_organiser, process, questionnaire, base):
    two = questionnaire["sections"][1]
    form = as_organiser.get(f"{base}/sections/{two.id}/edit")
    assert 'value="Bicicleta"' in page(form)
    # Its condition's option is ticked.
    bike = questionnaire["travel"].choices[1]
    assert re.search(rf'value="{bike.id}" id="condition-{bike.id}" checked', page(form))
    response = as_organiser.post_form(f"{base}/sections/{two.id}/edit", {
        "title_ro": "Ciclism", "title_en": "Cycling", "description_ro": "",
        "description_en": ""})
    assert response.status_code == 303
    db.session.expire_all()
    assert two.title_ro == "Ciclism" and two.condition is None


def test_move_duplicate_and_delete_sections(as_organiser, process, questionnaire, base):
    one, two, three = questionnaire["sections"]
    response = as_organiser.post_form(f"{base}/sections/{three.id}/move", {"direction": "up"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#section-{three.id}")
    assert [v.section.id for v in services.questionnaire(process).sections] == [
        one.id, three.id, two.id]
    response = as_organiser.post_form(f"{base}/sections/{three.id}/duplicate")
    assert response.status_code == 303
    assert count(Section, Section.process_id == process.id) == 4
    confirm = as_organiser.get(f"{base}/sections/{three.id}/delete")
    assert confirm.status_code == 200 and "This cannot be undone" in page(confirm)
    assert as_organiser.post_form(f"{base}/sections/{three.id}/delete").status_code == 303
    assert count(Section, Section.id == three.id) == 0
    assert count(Question, Question.id == questionnaire["distance"].id) == 0


def test_refused_moves_and_deletions_answer_422(as_organiser, process, questionnaire, base):
    one, two, _three = questionnaire["sections"]
    before = snapshot(process)
    response = as_organiser.post_form(f"{base}/sections/{two.id}/move", {"direction": "up"})
    assert response.status_code == 422
    assert "must come before it" in page(response)
    assert as_organiser.post_form(f"{base}/sections/{one.id}/move",
                                  {"direction": "sideways"}).status_code == 422
    # The confirmation page says why section one cannot go, and offers no button.
    confirm = page(as_organiser.get(f"{base}/sections/{one.id}/delete"))
    assert "It cannot be deleted yet" in confirm and 'class="danger"' not in confirm
    response = as_organiser.post_form(f"{base}/sections/{one.id}/delete")
    assert response.status_code == 422
    # In a request the message names the section in the reader's language.
    assert "“Cycling” is shown only after certain answers" in page(response)
    response = as_organiser.post_form(
        f"{base}/questions/{questionnaire['travel'].id}/delete")
    assert response.status_code == 422
    assert snapshot(process) == before


# ---------------------------------------------------------------- questions


def test_new_question_starts_with_its_type(as_organiser, process, questionnaire, base):
    one = questionnaire["sections"][0]
    choose = as_organiser.get(f"{base}/sections/{one.id}/questions/new")
    assert choose.status_code == 200
    assert "type=matrix" in page(choose) and "Rating scale" in page(choose)
    bogus = as_organiser.get(f"{base}/sections/{one.id}/questions/new?type=essay")
    assert bogus.status_code == 200 and "Choose a type of question" in page(bogus)
    form = page(as_organiser.get(f"{base}/sections/{one.id}/questions/new?type=scale"))
    assert 'name="scale_max"' in form and 'name="options"' not in form
    form = page(as_organiser.get(f"{base}/sections/{one.id}/questions/new?type=matrix"))
    assert 'name="options"' in form and 'name="rows"' in form and 'name="scale_max"' not in form
    before = snapshot(process)
    assert as_organiser.post_form(f"{base}/sections/{one.id}/questions/new",
                                  {"type": "essay", "text_ro": "X"}).status_code == 422
    assert snapshot(process) == before


def test_add_a_single_choice_question(as_organiser, process, questionnaire, base):
    one = questionnaire["sections"][0]
    travel = questionnaire["travel"]
    response = as_organiser.post_form(f"{base}/sections/{one.id}/questions/new", {
        "type": "single", "text_ro": "Ce abonament aveți?", "text_en": "Which pass?",
        "help_ro": "", "help_en": "", "required": "y",
        "options": "Lunar | Monthly\n\n  Anual  |Yearly \nNiciunul",
        "single_display": "dropdown", "single_other": "y",
        "condition": [str(travel.choices[2].id)],
    })
    assert response.status_code == 303
    question = db.session.scalars(select(Question).where(
        Question.text_ro == "Ce abonament aveți?")).one()
    assert response.headers["Location"].endswith(f"#question-{question.id}")
    assert question.required is True and question.section_id == one.id
    assert question.settings == {"display": "dropdown", "other": True}
    assert [(o.label_ro, o.label_en) for o in question.choices] == [
        ("Lunar", "Monthly"), ("Anual", "Yearly"), ("Niciunul", "")]
    assert question.condition == {"question": travel.id, "options": [travel.choices[2].id]}


@pytest.mark.parametrize(("question_type", "data", "settings"), [
    ("scale", {"scale_min": "0", "scale_max": "10", "scale_label_min_ro": "Deloc"},
     {"min": 0, "max": 10, "label_min_ro": "Deloc", "label_min_en": "", "label_max_ro": "",
      "label_max_en": ""}),
    ("number", {"number_min": "0", "number_max": "2,5", "number_decimals": "1",
                "number_unit_ro": "km"},
     {"min": 0, "max": 2.5, "decimals": 1, "unit_ro": "km", "unit_en": ""}),
    ("number", {"number_min": "", "number_max": ""},
     {"min": None, "max": None, "decimals": 0, "unit_ro": "", "unit_en": ""}),
    ("multiple", {"options": "A\nB\nC", "multiple_min": "", "multiple_max": "2"},
     {"min": None, "max": 2, "other": False}),
    ("short_text", {"short_text_max_length": "80"}, {"max_length": 80}),
    ("long_text", {"long_text_max_length": ""}, {"max_length": 5000}),
    ("info", {"info_consent": "y"}, {"consent": True}),
    ("matrix", {"options": "Rău\nBine", "rows": "Trotuare"}, {}),
    ("ranking", {"options": "A\nB"}, {}),
    ("yes_no", {}, {}),
])
def test_add_each_type_through_the_form(as_organiser, process, questionnaire, base,
                                        question_type, data, settings):
    three = questionnaire["sections"][2]
    response = as_organiser.post_form(f"{base}/sections/{three.id}/questions/new", {
        "type": question_type, "text_ro": "Întrebare nouă", **data})
    assert response.status_code == 303, page(response)
    question = db.session.scalars(select(Question).where(
        Question.text_ro == "Întrebare nouă")).one()
    assert question.type == question_type and question.settings == settings


@pytest.mark.parametrize(("question_type", "data", "error"), [
    ("single", {"options": "Doar una"}, "Give between 2 and 50 options"),
    ("single", {"options": "A\n| B"}, "Each line starts with the Romanian text"),
    ("single", {"options": "A\na"}, "is listed twice"),
    ("single", {"options": "A\nB", "single_display": "list"}, "Not a valid choice"),
    ("single", {"options": "A\nB", "text_ro": ""}, "Write the Romanian text"),
    ("multiple", {"options": "A\nB", "multiple_max": "3"}, "Enter a whole number from 1 to 2"),
    ("multiple", {"options": "A\nB", "multiple_min": "2", "multiple_max": "1"},
     "cannot be fewer than the fewest"),
    ("scale", {"scale_max": "7"}, "Not a valid choice"),
    ("number", {"number_min": "abc"}, "Enter a number"),
    ("number", {"number_min": "5", "number_max": "1"}, "must be more than the smallest"),
    ("number", {"number_decimals": "9"}, "from 0 to 4"),
    ("short_text", {"short_text_max_length": "301"}, "from 1 to 300"),
    ("matrix", {"options": "A\nB", "rows": ""}, "Give between 1 and 30 rows"),
    ("ranking", {"options": "\n".join("abcdefghijk")}, "Give between 2 and 10 options"),
])
def test_bad_questions_answer_422(as_organiser, process, questionnaire, base, question_type,
                                  data, error):
    three = questionnaire["sections"][2]
    before = snapshot(process)
    response = as_organiser.post_form(f"{base}/sections/{three.id}/questions/new", {
        "type": question_type, "text_ro": "Întrebare", **data})
    assert response.status_code == 422
    assert error in page(response)
    assert snapshot(process) == before


def test_edit_a_question_keeps_its_options(as_organiser, process, questionnaire, base):
    travel = questionnaire["travel"]
    ids = [o.id for o in travel.choices]
    form = page(as_organiser.get(f"{base}/questions/{travel.id}/edit"))
    assert "Pe jos | Pe jos (en)\nBicicleta | Bicicleta (en)\nMașina | Mașina (en)" in form
    response = as_organiser.post_form(f"{base}/questions/{travel.id}/edit", {
        "type": "single", "text_ro": "Cum ajungeți?", "text_en": "How do you get there?",
        "required": "y", "options": "Pe jos | On foot\nBicicletă | Bicycle\nMașina | Car",
        "single_display": "radio",
    })
    assert response.status_code == 303
    db.session.expire_all()
    assert travel.text_ro == "Cum ajungeți?"
    assert [o.id for o in travel.choices] == ids
    assert [o.label_en for o in travel.choices] == ["On foot", "Bicycle", "Car"]


def test_change_a_questions_type(as_organiser, process, questionnaire, base):
    comment = questionnaire["comment"]
    form = page(as_organiser.get(f"{base}/questions/{comment.id}/edit?type=multiple"))
    assert "You are changing this question" in form
    assert 'name="options"' in form and 'value="multiple"' in form
    response = as_organiser.post_form(f"{base}/questions/{comment.id}/edit", {
        "type": "multiple", "text_ro": "Alte idei?", "options": "Da\nNu\nPoate",
        "multiple_max": "2"})
    assert response.status_code == 303
    db.session.expire_all()
    assert comment.type == "multiple" and len(comment.choices) == 3
    assert comment.settings == {"min": None, "max": 2, "other": False}


def test_a_tested_questions_type_cannot_change(as_organiser, process, questionnaire, base):
    travel = questionnaire["travel"]
    before = snapshot(process)
    response = as_organiser.post_form(f"{base}/questions/{travel.id}/edit", {
        "type": "short_text", "text_ro": "Cum?"})
    assert response.status_code == 422
    assert "depend on the answers to this one" in page(response)
    assert snapshot(process) == before


def test_move_duplicate_and_delete_questions(as_organiser, process, questionnaire, base):
    satisfied, comment = questionnaire["satisfied"], questionnaire["comment"]
    three = questionnaire["sections"][2]
    response = as_organiser.post_form(f"{base}/questions/{comment.id}/move",
                                      {"direction": "up"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#question-{comment.id}")
    assert [q.id for q in services.questionnaire(process).sections[2].questions][1] == \
        comment.id
    response = as_organiser.post_form(f"{base}/questions/{satisfied.id}/move",
                                      {"section": str(three.id)})
    assert response.status_code == 303
    db.session.expire_all()
    assert satisfied.section_id == three.id
    assert as_organiser.post_form(f"{base}/questions/{comment.id}/duplicate").status_code \
        == 303
    assert count(Question, Question.text_ro == "Alte idei?") == 2
    assert as_organiser.post_form(f"{base}/questions/{comment.id}/delete").status_code == 303
    assert count(Question, Question.id == comment.id) == 0


def test_bad_question_moves_answer_422(as_organiser, make_process, city, process,
                                       questionnaire, base):
    other = make_process(city, kind="consultation")
    foreign = Section(process_id=other.id, title_ro="Alt")
    db.session.add(foreign)
    db.session.commit()
    comment = questionnaire["comment"]
    before = snapshot(process)
    for data in [{"section": str(foreign.id)}, {"section": "abc"}, {"section": ""},
                 {"direction": "down"}, {"direction": "left"}, {}]:
        response = as_organiser.post_form(f"{base}/questions/{comment.id}/move", data)
        assert response.status_code == 422, data
    assert snapshot(process) == before


# ---------------------------------------------------------------- preview


@pytest.fixture
def hostile(process, questionnaire):  # noqa: ANN001, ANN201
    one = questionnaire["sections"][0]
    one.title_en = "<script>alert('section')</script>"
    one.description_ro = "<img src=x onerror=alert(1)> **gras**"
    question = add_question(one, "single", "<b>bold</b><script>alert('q')</script>",
                            options=["<i>opt</i>", "Normal"], position=5)
    question.help_ro = "<iframe src=//evil></iframe>"
    db.session.commit()
    return question


def test_preview_in_both_languages(as_organiser, process, questionnaire, base):
    ro = page(as_organiser.get(f"{base}/preview?lang=ro"))
    en = page(as_organiser.get(f"{base}/preview?lang=en"))
    assert 'class="preview" lang="ro"' in ro and 'class="preview" lang="en"' in en
    assert "Cum mergeți la serviciu?" in ro and "Cum mergeți la serviciu? (en)" not in ro
    assert "Cum mergeți la serviciu? (en)" in en
    assert "Deplasări" in ro and "Travel" in en
    for html in (ro, en):
        # Controls are disabled and nothing is sent: no form around them.
        assert "<fieldset class=\"preview-question field\"" in html and " disabled" in html
        assert "<form" not in html.split('class="preview"', 1)[1]
        assert "Pe jos" in html and "Trotuare" in html
    # The organiser's own page stays in English around the Romanian preview.
    assert '<html lang="en">' in ro
    # An unknown language falls back to the organiser's.
    assert 'class="preview" lang="en"' in page(as_organiser.get(f"{base}/preview?lang=de"))


def test_preview_escapes_hostile_texts(as_organiser, process, hostile, base):
    for language in ("ro", "en"):
        html = page(as_organiser.get(f"{base}/preview?lang={language}"))
        assert "<script>alert" not in html
        assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
        assert "<i>opt</i>" not in html and "&lt;i&gt;opt&lt;/i&gt;" in html
        assert "<iframe" not in html and "<img" not in html
        assert "&lt;img src=x onerror=alert(1)&gt; <strong>gras</strong>" in html or \
            language == "en"
    assert "&lt;script&gt;alert(&#39;section&#39;)&lt;/script&gt;" in page(
        as_organiser.get(f"{base}/preview?lang=en"))
    builder = page(as_organiser.get(base))
    assert "<script>alert" not in builder and "&lt;b&gt;bold&lt;/b&gt;" in builder


def test_preview_shows_profile_questions(as_organiser, process, questionnaire, base):
    services.save_settings(process, "anyone", "live", ["neighbourhood", "age_band"],
                           "Mănăștur\nZorilor")
    db.session.commit()
    html = page(as_organiser.get(f"{base}/preview?lang=en"))
    assert "About you" in html and "Mănăștur" in html and "65 or over" in html


# ---------------------------------------------------------------- settings


def test_settings_form(as_organiser, process, base):
    form = page(as_organiser.get(f"{base}/settings"))
    assert re.search(r'<input checked[^>]*value="signed_in"', form)
    assert re.search(r'<input checked[^>]*value="after_close"', form)
    assert "Opens" in form and "change them with the process" in form
    response = as_organiser.post_form(f"{base}/settings", {
        "respondents": "anyone", "results_visibility": "live",
        "profile_questions": ["age_band", "neighbourhood"],
        "neighbourhoods": "Mănăștur\nZorilor"})
    assert response.status_code == 303
    saved = db.session.get(ConsultationSettings, process.id)
    assert (saved.respondents, saved.results_visibility) == ("anyone", "live")
    assert saved.profile_questions == ["age_band", "neighbourhood"]


@pytest.mark.parametrize("data", [
    {"respondents": "everybody", "results_visibility": "live"},
    {"respondents": "anyone", "results_visibility": "sometimes"},
    {"respondents": "anyone", "results_visibility": "live", "profile_questions": ["income"]},
    {"respondents": "anyone", "results_visibility": "live",
     "profile_questions": ["neighbourhood"], "neighbourhoods": ""},
])
def test_bad_settings_answer_422(as_organiser, process, base, data):
    response = as_organiser.post_form(f"{base}/settings", data)
    assert response.status_code == 422
    assert count(ConsultationSettings) == 0


# ---------------------------------------------------------------- after the first answer


def test_locked_builder_says_why_and_offers_only_text_edits(as_organiser, process,
                                                            questionnaire, base):
    answer_something(process, questionnaire["travel"])
    html = page(as_organiser.get(base))
    assert "People have already answered this consultation" in html
    assert "Move up" not in html and "Duplicate" not in html and "Add a section" not in html
    assert "Edit" in html
    form = page(as_organiser.get(f"{base}/questions/{questionnaire['travel'].id}/edit"))
    assert "People have already answered this consultation" in form
    assert 'name="options"' in form and 'name="required"' not in form
    assert 'name="condition"' not in form and 'id="change-type"' not in form
    assert 'name="single_display"' not in form


def test_locked_questions_take_text_corrections_only(as_organiser, process, questionnaire,
                                                     base):
    travel = questionnaire["travel"]
    answer_something(process, travel)
    ids = [o.id for o in travel.choices]
    # Forged values for what is locked are not read.
    response = as_organiser.post_form(f"{base}/questions/{travel.id}/edit", {
        "type": "single", "text_ro": "Cum mergeți?", "text_en": "How?",
        "options": "Pe jos | On foot\nBicicletă | Bike\nMașina | Car",
        "single_display": "dropdown", "condition": [],
    })
    assert response.status_code == 303
    db.session.expire_all()
    assert travel.text_ro == "Cum mergeți?" and travel.required is True
    assert travel.settings.get("display", "radio") == "radio"
    assert [o.id for o in travel.choices] == ids
    assert [o.label_ro for o in travel.choices] == ["Pe jos", "Bicicletă", "Mașina"]
    before = snapshot(process)
    for data, message in [
        ({"type": "multiple", "text_ro": "X", "options": "A\nB\nC"},
         "People have already answered"),
        ({"type": "single", "text_ro": "X", "options": "Pe jos\nBicicletă"},
         "cannot be added or removed"),
        ({"type": "single", "text_ro": "X", "options": "Pe jos\nBicicletă\nMașina\nTren"},
         "cannot be added or removed"),
    ]:
        response = as_organiser.post_form(f"{base}/questions/{travel.id}/edit", data)
        assert response.status_code == 422
        assert message in page(response)
    assert snapshot(process) == before


def test_locked_structure_refuses_changes(as_organiser, process, questionnaire, base):
    answer_something(process, questionnaire["travel"])
    one, two, _three = questionnaire["sections"]
    comment = questionnaire["comment"]
    before = snapshot(process)
    for url, data in [
        (f"{base}/sections/new", {"title_ro": "Nouă"}),
        (f"{base}/sections/{two.id}/move", {"direction": "down"}),
        (f"{base}/sections/{two.id}/duplicate", {}),
        (f"{base}/sections/{two.id}/delete", {}),
        (f"{base}/sections/{one.id}/questions/new", {"type": "yes_no", "text_ro": "Da?"}),
        (f"{base}/questions/{comment.id}/move", {"direction": "up"}),
        (f"{base}/questions/{comment.id}/duplicate", {}),
        (f"{base}/questions/{comment.id}/delete", {}),
    ]:
        response = as_organiser.post_form(url, data)
        assert response.status_code == 422, url
        assert "already answered" in page(response), url
    assert snapshot(process) == before
    # Section texts may still be corrected; its condition is kept.
    response = as_organiser.post_form(f"{base}/sections/{two.id}/edit", {
        "title_ro": "Ciclism", "title_en": "Cycling", "condition": []})
    assert response.status_code == 303
    db.session.expire_all()
    assert two.title_ro == "Ciclism" and two.condition is not None


def test_locked_settings(as_organiser, process, questionnaire, base):
    services.save_settings(process, "signed_in", "after_close", ["neighbourhood"],
                           "Mănăștur\nZorilor")
    db.session.commit()
    answer_something(process, questionnaire["travel"])
    form = page(as_organiser.get(f"{base}/settings"))
    assert 'name="respondents"' not in form and 'name="profile_questions"' not in form
    response = as_organiser.post_form(f"{base}/settings", {
        "respondents": "anyone", "results_visibility": "live", "profile_questions": [],
        "neighbourhoods": "Mănăștur\nZorilor\nGheorgheni"})
    assert response.status_code == 303
    saved = db.session.get(ConsultationSettings, process.id)
    db.session.refresh(saved)
    assert saved.respondents == "signed_in" and saved.results_visibility == "live"
    assert saved.profile_questions == ["neighbourhood"]
    response = as_organiser.post_form(f"{base}/settings", {
        "results_visibility": "live", "neighbourhoods": "Mănăștur"})
    assert response.status_code == 422
    assert "cannot be removed" in page(response)


def test_edit_forms_show_the_current_settings(as_organiser, process, questionnaire, base):
    satisfied, distance = questionnaire["satisfied"], questionnaire["distance"]
    satisfied.settings = {**satisfied.settings, "min": 0, "max": 10}
    db.session.commit()
    form = page(as_organiser.get(f"{base}/questions/{satisfied.id}/edit"))
    assert re.search(r'<input checked[^>]*name="scale_min"[^>]*value="0"', form)
    assert re.search(r'<input checked[^>]*name="scale_max"[^>]*value="10"', form)
    assert 'value="Deloc"' in form and 'value="Not at all"' in form
    form = page(as_organiser.get(f"{base}/questions/{distance.id}/edit"))
    assert re.search(r'name="number_max"[^>]*value="200"', form)
    assert re.search(r'name="number_decimals"[^>]*value="1"', form)


def test_builder_forms_are_complete(as_organiser, process, questionnaire, base):
    """Each page of the builder renders for each type (no template error)."""
    for question in services.questionnaire(process).questions:
        assert as_organiser.get(f"{base}/questions/{question.id}/edit").status_code == 200
        assert as_organiser.get(f"{base}/questions/{question.id}/delete").status_code == 200
    for code in ("single", "multiple", "scale", "ranking", "short_text", "long_text",
                 "number", "yes_no", "matrix", "info"):
        url = f"{base}/questions/{questionnaire['comment'].id}/edit?type={code}"
        assert as_organiser.get(url).status_code == 200, code
    assert count(Option) > 0
