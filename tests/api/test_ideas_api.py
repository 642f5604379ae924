"""GET /api/v1/processes/<id>/ideas: published ideas only, the list page's sorts and filters,
pagination with next links, no personal data, JSON 404s and a constant number of queries."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.ideas import services


@pytest.fixture
def get(app):  # noqa: ANN001, ANN201
    def fetch(url: str):  # noqa: ANN202
        with app.app_context():
            return app.test_client().get(url)

    return fetch


@pytest.fixture
def make_idea(make_user):  # noqa: ANN001, ANN201
    def factory(process, status="published", **fields):  # noqa: ANN001, ANN003, ANN202
        idea = services.submit_idea(
            process, make_user(), fields.pop("title", "Copaci"), fields.pop("body", "Text"),
            fields.pop("theme", process.themes[0]), "ro", **fields)
        idea.contribution.status = status
        db.session.commit()
        return idea

    return factory


def test_published_ideas_with_the_documented_fields(get, make_city, make_process, make_idea):
    city = make_city("suceava")
    process = make_process(city, kind="ideas", themes=["nature", "mobility"])
    placed = make_idea(process, title="Cu loc", place=services.Place(47.65, 26.25, "Centru"))
    make_idea(process, title="Ascunsă", status="hidden")
    make_idea(process, title="În așteptare", status="pending")
    response = get(f"/api/v1/processes/{process.id}/ideas")
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert data["total"] == 1 and data["next"] is None
    (item,) = data["items"]
    assert set(item) == {"id", "title", "body", "theme", "status", "supports", "comments",
                         "created_at", "place", "url"}
    assert item["id"] == placed.id and item["place"] == {"lat": 47.65, "lon": 26.25}
    assert item["url"] == f"http://localhost/suceava/ideas/{placed.id}"
    assert item["created_at"].endswith("Z") and item["status"] == "new"
    assert "author" not in str(item) and "@" not in str(data)
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_sorting_filters_and_pagination(get, make_city, make_process, make_idea, make_user):
    process = make_process(make_city(), kind="ideas", themes=["nature", "mobility"])
    ideas = [make_idea(process, title=f"Idee {n}", theme=("nature", "mobility")[n % 2])
             for n in range(55)]
    supporter = make_user()
    services.support(supporter, ideas[7])
    db.session.commit()
    first = get(f"/api/v1/processes/{process.id}/ideas").get_json()
    assert first["total"] == 55 and len(first["items"]) == 50
    assert first["items"][0]["id"] == ideas[7].id and first["items"][0]["supports"] == 1
    assert first["items"][1]["place"] is None
    second = get(first["next"].removeprefix("http://localhost")).get_json()
    assert len(second["items"]) == 5 and second["next"] is None
    seen = {item["id"] for item in first["items"] + second["items"]}
    assert seen == {idea.id for idea in ideas}
    newest = get(f"/api/v1/processes/{process.id}/ideas?sort=newest").get_json()
    assert newest["items"][0]["id"] == ideas[-1].id
    nature = get(f"/api/v1/processes/{process.id}/ideas?theme=nature").get_json()
    assert nature["total"] == 28
    found = get(f"/api/v1/processes/{process.id}/ideas?q=idee%2012").get_json()
    assert [item["title"] for item in found["items"]] == ["Idee 12"]


@pytest.mark.parametrize("case", ["draft", "consultation", "missing", "text"])
def test_not_found_is_json(get, make_city, make_process, case):
    city = make_city()
    if case == "draft":
        url = f"/api/v1/processes/{make_process(city, status='draft').id}/ideas"
    elif case == "consultation":
        url = f"/api/v1/processes/{make_process(city, kind='consultation').id}/ideas"
    elif case == "missing":
        url = "/api/v1/processes/999999/ideas"
    else:
        url = "/api/v1/processes/abc/ideas"
    response = get(url)
    assert response.status_code == 404 and response.is_json


def test_constant_query_count(get, make_city, make_process, make_idea, count_queries):
    process = make_process(make_city(), kind="ideas")
    make_idea(process)
    url = f"/api/v1/processes/{process.id}/ideas"
    get(url)
    with count_queries() as few:
        get(url)
    for n in range(30):
        make_idea(process, title=f"Mai multe {n}")
    with count_queries() as many:
        get(url)
    assert many.n == few.n
