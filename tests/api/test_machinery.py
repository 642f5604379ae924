"""What every /api/v1 answer shares: pages with full `next` URLs, weak ETags and Last-Modified
with 304 answers, CORS for GET and its preflight, JSON errors (400/404/405/429/500, never
HTML), one rate limit per IP over the whole API, and ids out of range answered 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from engage.extensions import db


@pytest.fixture
def cities(make_city):  # noqa: ANN001, ANN201
    return [make_city(f"oras-{number}") for number in range(5)]


def assert_json_error(response, status: int) -> None:  # noqa: ANN001
    assert response.status_code == status
    assert response.is_json, response.data[:200]
    assert response.get_json()["error"]["status"] == status
    assert b"<html" not in response.data.lower()
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# ---------------------------------------------------------------- pages


def test_pages_follow_next_to_the_end(client, cities):  # noqa: ANN001
    seen, url, pages = [], "/api/v1/cities?per_page=2", 0
    while url:
        data = client.get(url).get_json()
        assert set(data) == {"items", "next", "total"} and data["total"] == 5
        assert len(data["items"]) <= 2
        seen += [item["slug"] for item in data["items"]]
        url = data["next"]
        if url:
            assert url.startswith("http://localhost/api/v1/cities?")
            assert "per_page=2" in url
        pages += 1
    assert pages == 3 and sorted(seen) == sorted(city.slug for city in cities)


@pytest.mark.parametrize(("query", "shown"), [
    ("per_page=1000", 5), ("per_page=0", 1), ("per_page=abc", 5), ("page=abc", 5),
    ("page=-3", 5), ("page=99999999999999999999", 0), ("page=4&per_page=2", 0),
])
def test_page_arguments_out_of_range_are_brought_into_it(client, cities, query, shown):  # noqa: ANN001
    response = client.get(f"/api/v1/cities?{query}")
    assert response.status_code == 200
    assert len(response.get_json()["items"]) == shown
    assert response.get_json()["total"] == 5


# ---------------------------------------------------------------- validators


def test_etag_answers_304_until_the_data_changes(client, cities, make_city):  # noqa: ANN001
    first = client.get("/api/v1/cities")
    tag = first.headers["ETag"]
    assert tag.startswith('W/"') and first.headers["Cache-Control"] == "no-cache"
    again = client.get("/api/v1/cities", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == tag
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    other = client.get("/api/v1/cities", headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200
    make_city("oras-nou")
    changed = client.get("/api/v1/cities", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


def test_last_modified_answers_304_to_if_modified_since(client, cities):  # noqa: ANN001
    first = client.get("/api/v1/cities")
    modified = first.headers["Last-Modified"]
    assert client.get("/api/v1/cities",
                      headers={"If-Modified-Since": modified}).status_code == 304
    earlier = first.last_modified - timedelta(days=1)
    assert client.get("/api/v1/cities", headers={
        "If-Modified-Since": format_datetime(earlier, usegmt=True)}).status_code == 200
    cities[0].name_ro = "Nume nou"
    cities[0].updated_at = datetime.now(UTC) + timedelta(minutes=5)
    db.session.commit()
    later = client.get("/api/v1/cities", headers={"If-Modified-Since": modified})
    assert later.status_code == 200 and later.headers["Last-Modified"] != modified


def test_errors_are_not_cached_as_pages(client):  # noqa: ANN001
    response = client.get("/api/v1/cities/nowhere/processes")
    assert_json_error(response, 404)
    assert "ETag" not in response.headers


# ---------------------------------------------------------------- CORS


def test_cors_for_get_and_preflight(client, cities):  # noqa: ANN001
    response = client.get("/api/v1/cities", headers={"Origin": "https://data.example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "ETag" in exposed and "Last-Modified" in exposed
    preflight = client.options("/api/v1/cities", headers={
        "Origin": "https://data.example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers


# ---------------------------------------------------------------- JSON errors


def test_unknown_address_and_out_of_range_ids_are_json_404(client):  # noqa: ANN001
    assert_json_error(client.get("/api/v1/nothing-here"), 404)
    assert_json_error(client.get("/api/v1/processes/0/ideas"), 404)
    for huge in (2**31, 2**63, 10**30):
        assert_json_error(client.get(f"/api/v1/processes/{huge}/ideas"), 404)
        assert_json_error(client.get(f"/api/v1/processes/{huge}/summaries"), 404)


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_writing_is_a_json_405(client, method):  # noqa: ANN001
    response = getattr(client, method)("/api/v1/cities")
    assert_json_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_a_crash_is_a_json_500(app, client, monkeypatch):  # noqa: ANN001
    def crash(**_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "api.list_cities", crash)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/api/v1/cities")
    assert_json_error(response, 500)
    assert b"boom" not in response.data


# ---------------------------------------------------------------- rate limit


def test_one_limit_per_ip_over_the_whole_api(app, client, cities, monkeypatch):  # noqa: ANN001
    from engage.extensions import limiter

    # A standalone application made with RATELIMIT_ENABLED=False (the thread tests) turns the
    # shared limiter off for the rest of the worker's session.
    monkeypatch.setattr(limiter, "enabled", True)
    monkeypatch.setitem(app.config, "API_RATELIMIT", "3 per minute")
    assert client.get("/api/v1/cities").status_code == 200
    assert client.get("/api/v1/cities/oras-1/processes").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    limited = client.get("/api/v1/cities")
    assert_json_error(limited, 429)
    assert int(limited.headers["Retry-After"]) > 0
    assert_json_error(client.get("/api/v1/cities/oras-1/processes"), 429)
    assert client.get("/api/v1/health").status_code == 200  # exempt
    elsewhere = client.get("/api/v1/cities", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert elsewhere.status_code == 200
