"""Every documented endpoint on the demo data (all kinds, several cities): the body matches
its schema in the OpenAPI document, 304 to If-None-Match and to If-Modified-Since, CORS, and no
personal data — no e-mail or display name of any user, no hidden, pending or draft input — and
scoped endpoints show only their own city's or process's data."""

from __future__ import annotations

import json
import re

import jsonschema_rs
import pytest
from sqlalchemy import select

from engage.accounts.models import User
from engage.cities.models import City
from engage.demo import load_demo_data
from engage.extensions import db
from engage.ideas import services as ideas
from engage.processes.models import Process
from engage.synthesis import summaries
from engage.synthesis.models import Summary

SECRET = "NEVER-IN-THE-API"


@pytest.fixture
def world(app, make_user, monkeypatch):  # noqa: ANN001, ANN201
    """The demo data, plus input that must never be shown: a hidden and a pending idea and a
    draft of the published summary, by a person with a recognisable e-mail and name."""
    monkeypatch.setitem(app.config, "API_RATELIMIT", "100000 per minute")
    load_demo_data()
    person = make_user(email="secret.person@example.org", display_name="Secretia Personescu")
    process = db.session.scalars(select(Process).where(Process.kind == "ideas",
                                                       Process.status == "published")).first()
    for status in ("hidden", "pending"):
        idea = ideas.submit_idea(process, person, f"{SECRET} {status}", SECRET,
                                 process.themes[0], "ro")
        idea.contribution.status = status
    summary = db.session.scalars(select(Summary).where(Summary.status == "published")).first()
    author = db.session.scalars(select(User).where(User.email == "admin@engage.test")).one()
    summaries.save_draft(summary, author, {
        "topic": summary.topic, "theme": summary.theme, "title_ro": SECRET, "title_en": SECRET,
        "body_ro": SECRET, "body_en": SECRET})
    db.session.commit()
    return person


def urls(client) -> list[tuple[str, dict, str]]:  # noqa: ANN001
    """(url, schema of its 200 answer, path template) for every documented operation and
    every real id or slug; only those that answer 200."""
    document = client.get("/api/v1/openapi.json").get_json()
    values = {"process_id": [str(i) for i in db.session.scalars(select(Process.id))],
              "city_slug": list(db.session.scalars(select(City.slug)))}
    found = []
    for path, methods in document["paths"].items():
        ((media_type, body),) = methods["get"]["responses"]["200"]["content"].items()
        names = re.findall(r"{(\w+)}", path)
        candidates = [path]
        for name in names:
            candidates = [c.replace("{" + name + "}", v) for c in candidates
                          for v in values[name]]
        for candidate in candidates:
            url = "/api/v1" + candidate
            if client.get(url).status_code == 200:
                found.append((url, body["schema"], path))
    return found


def test_every_endpoint_answers_as_documented_and_without_personal_data(client, world):  # noqa: ANN001
    found = urls(client)
    assert {path for _, _, path in found} >= {
        "/cities", "/cities/{city_slug}/processes", "/processes/{process_id}/ideas",
        "/processes/{process_id}/results", "/processes/{process_id}/sessions",
        "/processes/{process_id}/observations.geojson", "/processes/{process_id}/summaries",
        "/cities/{city_slug}/contract"}
    people = list(db.session.scalars(select(User)))
    assert len(people) >= 6
    forbidden = [person.email for person in people] + [
        person.display_name for person in people if person.display_name] + [SECRET]
    for url, schema, _ in found:
        response = client.get(url, headers={"Origin": "https://data.example.org"})
        assert response.status_code == 200, url
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        body = response.get_data(as_text=True)
        data = json.loads(body)
        jsonschema_rs.validator_for(schema).validate(data)
        for text in forbidden:
            assert text.lower() not in body.lower(), (url, text)
        # 304 to the ETag, and to the Last-Modified where the data has a time.
        tag = response.headers["ETag"]
        assert client.get(url, headers={"If-None-Match": tag}).status_code == 304, url
        if "Last-Modified" in response.headers:
            unchanged = client.get(url, headers={
                "If-Modified-Since": response.headers["Last-Modified"]})
            assert unchanged.status_code == 304, url
    # Every answer but the streamed GeoJSON (whose ETag is the campaign's data version) says
    # when its data last changed.
    for url, _, path in found:
        if not path.endswith(".geojson"):
            assert "Last-Modified" in client.get(url).headers, url


def test_scoped_endpoints_show_only_their_city_and_process(client, world):  # noqa: ANN001
    for city in db.session.scalars(select(City)):
        data = client.get(f"/api/v1/cities/{city.slug}/processes?per_page=100").get_json()
        own = set(db.session.scalars(select(Process.id).where(
            Process.city_id == city.id, Process.status != "draft")))
        assert {item["id"] for item in data["items"]} == own
        assert all(f"/{city.slug}/" in item["url"] for item in data["items"])
        contract = client.get(f"/api/v1/cities/{city.slug}/contract")
        if contract.status_code == 200:
            assert contract.get_json()["city"] == city.slug
            for domain in contract.get_json()["action_plan"]["domains"]:
                for action in domain["actions"]:
                    assert f"/{city.slug}/" in action["url"]
    for process in db.session.scalars(select(Process)):
        response = client.get(f"/api/v1/processes/{process.id}/summaries")
        if process.status == "draft":
            assert response.status_code == 404
            continue
        ids = {item["id"] for item in response.get_json()["items"]}
        assert ids <= set(db.session.scalars(select(Summary.id).where(
            Summary.process_id == process.id)))
