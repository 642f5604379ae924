# ruff: noqa: F811 — the consultation fixtures are imported by name, then used as arguments
"""GET /api/v1/processes/<id>/results: aggregated numbers in the documented shape per question
type, never a response or a free text; drafts excluded; paper responses left out on request;
JSON 404s whenever the results are not public; a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engage.consultations import results
from engage.consultations.models import ConsultationSettings
from engage.core.db import utcnow
from engage.extensions import db
from tests.consultations.conftest import city, process, questionnaire  # noqa: F401
from tests.consultations.test_results import add_response


@pytest.fixture(autouse=True)
def _fresh_cache():  # noqa: ANN202
    results.clear_cache()
    yield
    results.clear_cache()


@pytest.fixture
def get(app):  # noqa: ANN001, ANN201
    def fetch(url: str):  # noqa: ANN202
        with app.app_context():
            return app.test_client().get(url)

    return fetch


def publish_results(process, visibility="live"):  # noqa: ANN001, ANN201
    db.session.merge(ConsultationSettings(process_id=process.id, results_visibility=visibility))
    db.session.commit()


@pytest.fixture
def answered(process, questionnaire):  # noqa: ANN001, ANN201
    """Two online responses, a draft and five paper forms."""
    q = questionnaire
    walk, bike, car = q["travel"].choices
    lanes, parking, showers = q["helps"].choices
    r_lanes, r_parking, r_showers = q["order"].choices
    bad, good = q["matrix"].choices
    pavements, buses = q["matrix"].rows
    add_response(process, [(q["travel"], bike), (q["satisfied"], 5),
                           (q["helps"], [lanes, parking]),
                           (q["order"], [r_lanes, r_parking, r_showers]), (q["distance"], 10),
                           (q["matrix"], {pavements: bad, buses: good}),
                           (q["comment"], "Text liber: <script>alert(1)</script>")])
    add_response(process, [(q["travel"], ("other", "Trotinetă")), (q["satisfied"], 2),
                           (q["helps"], [lanes]), (q["order"], [r_parking, r_lanes, r_showers]),
                           (q["distance"], 4), (q["matrix"], {pavements: good}),
                           (q["comment"], ("Ascuns", "hidden"))])
    add_response(process, [(q["travel"], car), (q["satisfied"], 1)], status="draft")
    for _ in range(5):
        add_response(process, [(q["travel"], walk), (q["satisfied"], 3), (q["distance"], 2)],
                     channel="paper")
    publish_results(process)
    return q


def by_id(data, question):  # noqa: ANN001, ANN201
    return next(item for item in data["questions"] if item["id"] == question.id)


def test_shape_and_numbers_per_type(get, process, answered):
    response = get(f"/api/v1/processes/{process.id}/results")
    assert response.status_code == 200 and response.is_json
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = response.get_json()
    assert {key: data[key] for key in data if key != "questions"} == {
        "process": process.id, "responses": 7, "offline_responses": 5,
        "offline_included": True, "started_online": 3, "submitted_online": 2}
    assert [item["type"] for item in data["questions"]] == [
        "single", "scale", "multiple", "ranking", "number", "matrix", "long_text"]
    for item in data["questions"]:
        assert {"id", "type", "section", "text", "answered", "skipped"} <= set(item)
        assert set(item["text"]) == {"ro", "en"}

    travel = by_id(data, answered["travel"])
    assert travel["text"] == {"ro": "Cum mergeți la serviciu?",
                              "en": "Cum mergeți la serviciu? (en)"}
    assert (travel["answered"], travel["skipped"]) == (7, 0)
    assert [(o["label"]["ro"], o["count"], o["percent"]) for o in travel["options"]] == [
        ("Pe jos", 5, 71.4), ("Bicicleta", 1, 14.3), ("Mașina", 0, 0.0)]
    assert travel["options"][0]["id"] == answered["travel"].choices[0].id
    assert travel["other"] == {"count": 1, "percent": 14.3}

    scale = by_id(data, answered["satisfied"])
    assert (scale["min"], scale["max"], scale["median"]) == (1, 5, 3)
    assert scale["mean"] == pytest.approx(22 / 7, abs=1e-4)
    assert scale["labels"] == {"min": {"ro": "Deloc", "en": "Not at all"},
                               "max": {"ro": "Foarte", "en": "Very"}}
    assert [(d["value"], d["count"]) for d in scale["distribution"]] == [
        (1, 0), (2, 1), (3, 5), (4, 0), (5, 1)]

    helps = by_id(data, answered["helps"])
    assert [(o["count"], o["percent"]) for o in helps["options"]] == [
        (2, 100.0), (1, 50.0), (0, 0.0)]
    assert helps["other"] is None and helps["skipped"] == 5

    order = by_id(data, answered["order"])
    assert [(o["label"]["ro"], o["points"], o["score"], o["count"], o["first_percent"])
            for o in order["options"]] == [
        ("Piste", 3, 75.0, 1, 50.0), ("Parcări", 3, 75.0, 1, 50.0), ("Dușuri", 0, 0.0, 0, 0.0)]

    distance = by_id(data, answered["distance"])
    assert (distance["min"], distance["max"], distance["median"]) == (2, 10, 2)
    assert distance["mean"] == pytest.approx(24 / 7, abs=1e-4)
    assert distance["unit"] == {"ro": "km", "en": "km"}
    assert sum(b["count"] for b in distance["histogram"]) == 7
    assert distance["histogram"][0] == {"from": 2, "to": 3, "count": 5, "percent": 71.4}

    matrix = by_id(data, answered["matrix"])
    assert [(o["label"]["ro"], o["count"]) for o in matrix["options"]] == [("Rău", 1),
                                                                          ("Bine", 2)]
    assert [(r["label"]["ro"], r["answered"], [(c["count"], c["percent"]) for c in r["counts"]])
            for r in matrix["rows"]] == [("Trotuare", 2, [(1, 50.0), (1, 50.0)]),
                                         ("Autobuze", 1, [(0, 0.0), (1, 100.0)])]

    comment = by_id(data, answered["comment"])
    assert comment["answered"] == 2 and set(comment) == {
        "id", "type", "section", "text", "answered", "skipped"}


def test_never_individual_answers_or_free_texts(get, process, answered, make_user):
    body = get(f"/api/v1/processes/{process.id}/results").get_data(as_text=True)
    for secret in ("Text liber", "script", "Ascuns", "Trotinetă", "@", "token", "profile",
                   "user"):
        assert secret not in body


def test_yes_no_in_both_languages(get, process, questionnaire):
    from tests.consultations.conftest import add_question

    agree = add_question(questionnaire["sections"][0], "yes_no", "De acord?", position=4)
    db.session.commit()
    for value in (True, False, False):
        add_response(process, [(agree, value)])
    publish_results(process)
    data = get(f"/api/v1/processes/{process.id}/results").get_json()
    options = by_id(data, agree)["options"]
    assert [(o["id"], o["label"]["en"], o["count"], o["percent"]) for o in options] == [
        ("yes", "Yes", 1, 33.3), ("no", "No", 2, 66.7)]
    # The Romanian label comes from the catalogue (the same words as on the page).
    assert all(set(o["label"]) == {"ro", "en"} and o["label"]["ro"] for o in options)


def test_without_paper_responses(get, process, answered):
    data = get(f"/api/v1/processes/{process.id}/results?offline=0").get_json()
    assert (data["responses"], data["offline_included"]) == (2, False)
    travel = by_id(data, answered["travel"])
    assert [o["count"] for o in travel["options"]] == [0, 1, 0]


def test_few_paper_responses_are_always_included(get, process, questionnaire):
    walk = questionnaire["travel"].choices[0]
    add_response(process, [(questionnaire["travel"], walk)])
    add_response(process, [(questionnaire["travel"], walk)], channel="stand")
    publish_results(process)
    data = get(f"/api/v1/processes/{process.id}/results?offline=0").get_json()
    assert (data["responses"], data["offline_included"]) == (2, True)


@pytest.mark.parametrize(("visibility", "status", "closed_days_ago", "code"), [
    ("live", "published", None, 200),
    ("after_close", "published", None, 404),
    ("after_close", "closed", 1, 200),
    ("after_close", "published", 1, 200),  # its closing date has passed
    ("never", "closed", 1, 404),
    ("never", "published", None, 404),
    ("live", "draft", None, 404),
])
def test_visibility(get, make_process, city, visibility, status, closed_days_ago,
                    code):
    now = utcnow()
    fields = {}
    if closed_days_ago:
        fields = {"opens_at": now - timedelta(days=10),
                  "closes_at": now - timedelta(days=closed_days_ago)}
    consultation = make_process(city, kind="consultation", status=status, **fields)
    publish_results(consultation, visibility)
    response = get(f"/api/v1/processes/{consultation.id}/results")
    assert response.status_code == code and response.is_json
    if code == 404:
        assert "error" in response.get_json() and "questions" not in response.get_json()


def test_unknown_other_kind_and_default_settings_are_404(get, make_process, city,
                                                         process):
    ideas = make_process(city, kind="ideas")
    assert get(f"/api/v1/processes/{ideas.id}/results").status_code == 404
    assert get("/api/v1/processes/99999999/results").status_code == 404
    # No settings saved: results are public only after closing.
    assert get(f"/api/v1/processes/{process.id}/results").status_code == 404


def test_constant_number_of_queries(get, process, questionnaire, count_queries):
    publish_results(process)
    walk, bike, car = questionnaire["travel"].choices
    for n in range(3):
        add_response(process, [(questionnaire["travel"], walk), (questionnaire["distance"], n)])
    results.clear_cache()
    with count_queries() as few:
        get(f"/api/v1/processes/{process.id}/results")
    for n in range(40):
        add_response(process, [(questionnaire["travel"], (walk, bike, car)[n % 3]),
                               (questionnaire["distance"], n)], commit=False)
    db.session.commit()
    results.clear_cache()
    with count_queries() as many:
        data = get(f"/api/v1/processes/{process.id}/results").get_json()
    assert data["responses"] == 43
    assert many.n == few.n, many.statements
