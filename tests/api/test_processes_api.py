"""GET /api/v1/cities/<slug>/processes: public processes only, UTC times, absolute URLs, JSON
errors, and a constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

URL = "/api/v1/cities/{}/processes"


@pytest.fixture
def get(app):  # noqa: ANN001, ANN201
    """GET in an application context of its own, as each request has in production."""

    def fetch(url: str):  # noqa: ANN202
        with app.app_context():
            return app.test_client().get(url)

    return fetch


def test_lists_public_processes_latest_first(get, make_city, make_process):
    city, other = make_city("suceava"), make_city("cluj")
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    published = make_process(
        city, slug="publicat", kind="consultation", title_ro="Titlu", title_en="Title",
        themes=["energy", "mobility"], opens_at=start + timedelta(days=3),
        closes_at=datetime(2027, 3, 12, 16, 0, 30, tzinfo=UTC),
    )
    closed = make_process(city, slug="inchis", status="closed", opens_at=start + timedelta(days=2))
    archived = make_process(city, slug="arhivat", status="archived", closes_at=None,
                            opens_at=start + timedelta(days=1))
    make_process(city, slug="ciorna", status="draft", opens_at=start + timedelta(days=9))
    make_process(other, slug="altundeva")

    response = get(URL.format("suceava"))
    assert response.status_code == 200
    assert response.is_json
    items = response.get_json()["items"]
    assert [item["slug"] for item in items] == ["publicat", "inchis", "arhivat"]
    assert [item["id"] for item in items] == [published.id, closed.id, archived.id]
    assert items[0] == {
        "id": published.id,
        "slug": "publicat",
        "kind": "consultation",
        "title": {"ro": "Titlu", "en": "Title"},
        "status": "published",
        "opens_at": "2026-06-04T09:00:00Z",
        "closes_at": "2027-03-12T16:00:30Z",
        "themes": ["energy", "mobility"],
        "url": "http://localhost/suceava/p/publicat",
    }
    assert [item["status"] for item in items] == ["published", "closed", "archived"]
    assert items[2]["closes_at"] is None
    for item in items:
        parsed = datetime.fromisoformat(item["opens_at"].replace("Z", "+00:00"))
        assert parsed.utcoffset() == timedelta(0)


def test_drafts_never_appear(get, make_city, make_process):
    city = make_city("suceava")
    make_process(city, slug="ciorna", status="draft")
    assert get(URL.format("suceava")).get_json() == {"items": [], "next": None, "total": 0}


def test_the_url_leads_to_the_public_page(get, make_city, make_process):
    make_process(make_city("suceava"), slug="publicat")
    url = get(URL.format("suceava")).get_json()["items"][0]["url"]
    assert get(url.removeprefix("http://localhost")).status_code == 200


def test_unknown_city_is_a_json_404(get):
    response = get(URL.format("nowhere"))
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"]["status"] == 404


def test_only_get(app, make_city):  # noqa: ANN001
    make_city("suceava")
    with app.app_context():
        response = app.test_client().post(URL.format("suceava"))
    assert response.status_code == 405
    assert response.is_json


def test_query_count_is_constant(get, make_city, make_process, count_queries):
    city = make_city("suceava")
    make_process(city, slug="p0")
    get(URL.format("suceava"))
    with count_queries() as few:
        assert len(get(URL.format("suceava")).get_json()["items"]) == 1
    for index in range(1, 15):
        make_process(city, slug=f"p{index}", status=("published", "closed", "archived")[index % 3])
    with count_queries() as many:
        assert len(get(URL.format("suceava")).get_json()["items"]) == 15
    assert many.n == few.n, many.statements
    assert few.n <= 3
