"""The OpenAPI 3.1 document at /api/v1/openapi.json: valid (openapi-spec-validator), every
JSON endpoint of the API described and nothing described that does not exist, each operation
with its 200 schema, the shared error answers and the page parameters."""

from __future__ import annotations

import re
from pathlib import Path

from openapi_spec_validator import validate

from engage.api import openapi
from engage.api.blueprint import bp

# Not JSON data for the schema test: the health check, the document itself, the CSV download
# and the data set's metadata (described by its own standard, PPSR-Core).
UNDOCUMENTED = {"/health", "/openapi.json", "/processes/{process_id}/observations.csv",
                "/processes/{process_id}/metadata.json"}


def test_the_document_is_valid_openapi_3_1(client):  # noqa: ANN001
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "/api/v1"}]
    validate(document)


def test_every_endpoint_is_described_and_nothing_else(app, client):  # noqa: ANN001
    document = client.get("/api/v1/openapi.json").get_json()
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(bp.name + ".") and "GET" in rule.methods:
            path = rule.rule.removeprefix("/api/v1")
            routes.add(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path))
    assert set(document["paths"]) == routes - UNDOCUMENTED
    assert len(document["paths"]) >= 8
    for path, methods in document["paths"].items():
        assert set(methods) == {"get"}, path
        operation = methods["get"]
        assert operation["operationId"] and operation["summary"]
        ok = operation["responses"]["200"]["content"]
        ((media_type, body),) = ok.items()
        assert media_type in ("application/json", "application/geo+json")
        assert body["schema"]["type"] == "object"
        for code in ("304", "400", "404", "429"):
            assert code in operation["responses"], (path, code)
        for name in re.findall(r"{(\w+)}", path):
            assert any(p["name"] == name and p["in"] == "path" for p in operation["parameters"])


def test_lists_are_documented_as_pages(client):  # noqa: ANN001
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    lists = ["/cities", "/cities/{city_slug}/processes", "/processes/{process_id}/ideas",
             "/processes/{process_id}/sessions", "/processes/{process_id}/summaries"]
    for path in lists:
        operation = paths[path]["get"]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["required"] == ["items", "next", "total"], path
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"page", "per_page"} <= names, path


def test_the_kinds_fill_the_registry_the_api_package_reads():
    """The api package assembles what the kinds declared; it imports none of them."""
    source = Path(openapi.__file__).read_text(encoding="utf-8")
    assert "engage.ideas" not in source and "engage.synthesis" not in source
    assert "/processes/{process_id}/ideas" in openapi.declared_paths()
