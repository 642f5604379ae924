"""`GET /api/v1/cities`: every city and the hub, names in both languages, absolute URLs."""

from __future__ import annotations

from engage.cities.api import CITY_SCHEMA


def test_lists_cities_with_absolute_urls(client, make_city):
    make_city("suceava", name_ro="Suceava", name_en="Suceava", county="Suceava",
              is_mission_city=True)
    make_city("arad", name_ro="Arad", name_en="", county="")
    make_city("hub", kind="hub", name_ro="Hubul național", name_en="National hub")
    response = client.get("/api/v1/cities")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    items = response.get_json()["items"]
    assert [item["slug"] for item in items] == ["arad", "hub", "suceava"]
    by_slug = {item["slug"]: item for item in items}
    assert by_slug["suceava"] == {
        "slug": "suceava",
        "kind": "city",
        "name": {"ro": "Suceava", "en": "Suceava"},
        "county": "Suceava",
        "mission_city": True,
        "url": "http://localhost/suceava/",
    }
    # A missing translation is null, never the other language's text.
    assert by_slug["arad"]["name"] == {"ro": "Arad", "en": None}
    assert by_slug["arad"]["mission_city"] is False and by_slug["arad"]["county"] is None
    # The hub's page is the home page.
    assert by_slug["hub"]["kind"] == "hub" and by_slug["hub"]["url"] == "http://localhost/"


def test_items_follow_the_schema(client, make_city):
    make_city("deva")
    item = client.get("/api/v1/cities").get_json()["items"][0]
    assert set(item) == set(CITY_SCHEMA["properties"]) == set(CITY_SCHEMA["required"])
    assert set(item["name"]) == {"ro", "en"}


def test_urls_lead_to_the_city_pages(client, make_city):
    make_city("deva")
    url = client.get("/api/v1/cities").get_json()["items"][0]["url"]
    assert client.get(url.removeprefix("http://localhost")).status_code == 200


def test_empty_list(client):
    assert client.get("/api/v1/cities").get_json() == {"items": [], "next": None, "total": 0}


def test_names_are_returned_as_written(client, make_city):
    hostile = "<script>alert(1)</script> Șimleu"
    make_city("simleu", name_ro=hostile)
    response = client.get("/api/v1/cities")
    # JSON carries the text; escaping is the consumer's job, and the content type says JSON.
    assert response.get_json()["items"][0]["name"]["ro"] == hostile
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_query_count_is_constant(client, make_city, count_queries):
    for number in range(2):
        make_city(f"few-{number}")
    with count_queries() as few:
        assert client.get("/api/v1/cities").status_code == 200
    for number in range(10):
        make_city(f"many-{number}")
    with count_queries() as many:
        response = client.get("/api/v1/cities")
    assert len(response.get_json()["items"]) == 12
    assert many.n == few.n == 1


def test_writes_are_not_allowed_and_errors_are_json(client):
    response = client.post("/api/v1/cities")
    assert response.status_code == 405
    assert response.get_json()["error"]["status"] == 405
