"""Fixtures for the consultation tests: a city, an open consultation process, and a small
questionnaire built directly from the models (so every part's tests can use it)."""

from __future__ import annotations

import pytest

from engage.consultations.models import Option, Question, Section
from engage.extensions import db
from tests.conftest import count  # noqa: F401  (the feature's tests import it from here)


@pytest.fixture
def city(make_city):  # noqa: ANN001, ANN201
    return make_city()


@pytest.fixture
def process(make_process, city):  # noqa: ANN001, ANN201
    return make_process(city, kind="consultation", themes=["mobility", "energy"])


def add_question(section, type_, text, options=(), rows=(), required=False, settings=None,  # noqa: ANN001, ANN201, E501
                 condition=None, position=None):
    question = Question(
        process_id=section.process_id, section_id=section.id, type=type_,
        position=position if position is not None else 0,
        text_ro=text, text_en=text + " (en)", required=required, settings=settings or {},
        condition=condition,
    )
    db.session.add(question)
    db.session.flush()
    for n, label in enumerate(options):
        db.session.add(Option(question_id=question.id, role="option", position=n,
                              label_ro=label, label_en=label + " (en)"))
    for n, label in enumerate(rows):
        db.session.add(Option(question_id=question.id, role="row", position=n,
                              label_ro=label, label_en=label + " (en)"))
    db.session.flush()
    db.session.refresh(question)
    return question


@pytest.fixture
def questionnaire(process):  # noqa: ANN001, ANN201
    """Three sections: (1) how you travel (single, required) and a scale; (2) shown only to
    cyclists: what would help (multiple, max 2) and a ranking; (3) a number, a matrix and a
    long text. Returns a dict of the objects by name."""
    one = Section(process_id=process.id, position=0, title_ro="Deplasări", title_en="Travel")
    two = Section(process_id=process.id, position=1, title_ro="Bicicleta", title_en="Cycling")
    three = Section(process_id=process.id, position=2, title_ro="Despre oraș",
                    title_en="About the city")
    db.session.add_all([one, two, three])
    db.session.flush()
    travel = add_question(one, "single", "Cum mergeți la serviciu?",
                          options=["Pe jos", "Bicicleta", "Mașina"], required=True, position=0)
    bike = travel.choices[1]
    satisfied = add_question(one, "scale", "Cât de mulțumit sunteți?", position=1,
                             settings={"min": 1, "max": 5, "label_min_ro": "Deloc",
                                       "label_min_en": "Not at all", "label_max_ro": "Foarte",
                                       "label_max_en": "Very"})
    two.condition = {"question": travel.id, "options": [bike.id]}
    helps = add_question(two, "multiple", "Ce v-ar ajuta?",
                         options=["Piste", "Parcări", "Dușuri"], settings={"max": 2},
                         position=0)
    order = add_question(two, "ranking", "Ordonați măsurile",
                         options=["Piste", "Parcări", "Dușuri"], position=1)
    distance = add_question(three, "number", "Câți kilometri?", position=0,
                            settings={"min": 0, "max": 200, "decimals": 1, "unit_ro": "km",
                                      "unit_en": "km"})
    matrix = add_question(three, "matrix", "Evaluați", options=["Rău", "Bine"],
                          rows=["Trotuare", "Autobuze"], position=1)
    comment = add_question(three, "long_text", "Alte idei?", position=2)
    db.session.commit()
    return {"sections": [one, two, three], "travel": travel, "satisfied": satisfied,
            "helps": helps, "order": order, "distance": distance, "matrix": matrix,
            "comment": comment}
