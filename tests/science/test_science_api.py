"""The open data of a citizen-science campaign in the API: GeoJSON (RFC 7946, [lon, lat]),
CSV (BOM, formula neutralising, the same columns) and the PPSR-Core metadata."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from engage.extensions import db
from engage.science import api as science_api
from engage.science.models import ScienceSettings
from tests.science.conftest import add_observation


def url(process, name: str) -> str:  # noqa: ANN001
    return f"/api/v1/processes/{process.id}/{name}"


@pytest.fixture
def observed(campaign, protocol, make_user):  # noqa: ANN001, ANN201
    """Two accepted observations with values, one pending, one rejected, one hidden."""
    author = make_user(display_name="Ioana Popescu")
    asphalt, grass = protocol["surface"].choices[:2]
    trees, buildings = protocol["shade"].choices[:2]
    first = add_observation(campaign, author, lat=44.431234, lon=26.101234, values=[
        (protocol["temperature"], -5.5), (protocol["trees"], 3), (protocol["surface"], asphalt),
        (protocol["shade"], [trees, buildings]), (protocol["water"], True),
        (protocol["note"], "=HYPERLINK(\"http://evil\")"),
        (protocol["when"], datetime(2026, 6, 1, 10, 0, tzinfo=UTC))], commit=False)
    second = add_observation(campaign, author, lat=44.44, lon=26.11, values=[
        (protocol["temperature"], 30), (protocol["surface"], grass),
        (protocol["note"], "@SUM(A1)")], commit=False)
    pending = add_observation(campaign, lat=44.45, status="pending", commit=False)
    rejected = add_observation(campaign, lat=44.46, status="rejected", commit=False)
    hidden = add_observation(campaign, lat=44.47, contribution_status="hidden")
    return {"first": first, "second": second, "pending": pending, "rejected": rejected,
            "hidden": hidden, "author": author}


def test_geojson(client, campaign, protocol, observed):
    answer = client.get(url(campaign, "observations.geojson"))
    assert answer.status_code == 200
    assert answer.mimetype == "application/geo+json"
    data = answer.get_json()
    assert data["type"] == "FeatureCollection"
    ids = [f["properties"]["id"] for f in data["features"]]
    assert ids == [observed["first"].id, observed["second"].id]
    first = data["features"][0]
    # RFC 7946: [longitude, latitude], the public (rounded) position only.
    assert first["geometry"] == {"type": "Point", "coordinates": [26.101, 44.431]}
    text = answer.get_data(as_text=True)
    assert "44.431234" not in text and "26.101234" not in text
    properties = first["properties"]
    key = science_api.field_key
    assert properties["status"] == "accepted"
    assert properties["observed_at"].endswith("Z")
    assert properties["observer"].startswith("observer-")
    assert properties[key(protocol["temperature"])] == -5.5
    assert properties[key(protocol["trees"])] == 3
    assert properties[key(protocol["surface"])] == "Asfalt"
    assert properties[key(protocol["shade"])] == ["Copaci", "Clădiri"]
    assert properties[key(protocol["water"])] is True
    assert properties[key(protocol["when"])] == "2026-06-01T10:00:00Z"
    assert properties["photos"] == []
    assert "Ioana Popescu" not in text and observed["author"].email not in text
    assert "user_id" not in text and "accuracy" not in text
    collection = data["properties"]
    assert collection["licence"] == {"id": "CC-BY-4.0", "url":
                                     "https://creativecommons.org/licenses/by/4.0/",
                                     "name": collection["licence"]["name"]}
    assert collection["title"]["ro"] == "Temperaturi"
    assert collection["rights_holder"] == "Primăria"
    assert collection["contact"] == "date@example.org"
    english = client.get(url(campaign, "observations.geojson?lang=en")).get_json()
    assert english["features"][0]["properties"][key(protocol["surface"])] == "Asfalt (en)"


def test_other_statuses_on_request(client, campaign, observed):
    data = client.get(url(campaign, "observations.geojson?status=all")).get_json()
    statuses = {f["properties"]["id"]: f["properties"]["status"] for f in data["features"]}
    # `all` is every status, rejected included; never a hidden contribution's observation.
    assert statuses == {observed["first"].id: "accepted", observed["second"].id: "accepted",
                        observed["pending"].id: "pending", observed["rejected"].id: "rejected"}
    data = client.get(url(campaign, "observations.geojson?status=rejected")).get_json()
    assert [(f["properties"]["id"], f["properties"]["status"]) for f in data["features"]] == [
        (observed["rejected"].id, "rejected")]
    assert data["properties"]["statuses"] == ["rejected"]
    data = client.get(url(campaign, "observations.geojson?status=accepted,rejected")).get_json()
    assert {f["properties"]["status"] for f in data["features"]} == {"accepted", "rejected"}
    rows = list(csv.DictReader(io.StringIO(client.get(url(
        campaign, "observations.csv?status=rejected")).get_data().decode("utf-8-sig"))))
    assert [(int(row["id"]), row["status"]) for row in rows] == [
        (observed["rejected"].id, "rejected")]
    for bad in ("refused", "x", "accepted,nope", "hidden", "<b>"):
        answer = client.get(url(campaign, f"observations.geojson?status={bad}"))
        assert answer.status_code == 400 and answer.get_json()["error"]["status"] == 400
    assert client.get(url(campaign, "observations.csv?lang=xx")).status_code == 400


def test_a_rejected_ones_reason_and_verifier_never_in_public_output(
        client, campaign, city, protocol, make_user, make_role):
    """The verifier's reason text and identity stay private everywhere the public may ask for
    a rejected observation: the map (page, GeoJSON, popup), the open data, the results page."""
    verifier = make_user(display_name="Vera Verificatoare")
    make_role(verifier, city, "moderator")
    author = make_user(display_name="Ioana Popescu")
    rejected = add_observation(campaign, author, status="rejected", lat=44.431234,
                               lon=26.101234, values=[(protocol["temperature"], 21)],
                               commit=False)
    rejected.reason = "SECRET-REASON the photo shows a car park"
    rejected.verified_by_id = verifier.id
    rejected.verified_at = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
    db.session.commit()
    base = f"/{city.slug}/p/{campaign.slug}"
    outputs = {
        "api geojson": url(campaign, "observations.geojson?status=rejected"),
        "api geojson all": url(campaign, "observations.geojson?status=all"),
        "api csv": url(campaign, "observations.csv?status=all"),
        "metadata": url(campaign, "metadata.json"),
        "map page": f"{base}/map?status=rejected",
        "map geojson": f"{base}/map.geojson?bbox=44.38,26.0,44.5,26.2&zoom=17&status=all",
        "map grid": f"{base}/map.geojson?bbox=44.38,26.0,44.5,26.2&zoom=12&status=rejected",
        "popup": f"{base}/map/observations/{rejected.id}",
        "results": f"{base}/observations/results?status=all",
    }
    for name, address in outputs.items():
        answer = client.get(address)
        assert answer.status_code == 200, name
        text = answer.get_data(as_text=True)
        assert "SECRET-REASON" not in text and "car park" not in text, name
        assert "Vera Verificatoare" not in text and verifier.email not in text, name
        assert "Ioana Popescu" not in text and author.email not in text, name
        assert "44.431234" not in text and "26.101234" not in text, name
        assert "verified_by" not in text and "reason" not in text.lower(), name
    # Each of them does show the rejected observation, with its status.
    assert str(rejected.id) in client.get(outputs["api csv"]).get_data(as_text=True)
    assert "Rejected" in client.get(outputs["popup"]).get_data(as_text=True)
    assert "Rejected</th>" in client.get(outputs["results"]).get_data(as_text=True)


def test_csv(client, campaign, protocol, observed):
    answer = client.get(url(campaign, "observations.csv"))
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    raw = answer.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    geojson = client.get(url(campaign, "observations.geojson")).get_json()
    properties = geojson["features"][0]["properties"]
    assert header == ["id", "observed_at", "status", "observer", "longitude", "latitude",
                      *(k for k in properties if k not in ("id", "observed_at", "status",
                                                           "observer", "photos")), "photos"]
    assert len(body) == 2
    first = dict(zip(header, body[0], strict=True))
    key = science_api.field_key
    assert first["longitude"] == "26.101" and first["latitude"] == "44.431"
    assert first[key(protocol["temperature"])] == "-5.5"  # a number stays a number
    assert first[key(protocol["note"])] == "'=HYPERLINK(\"http://evil\")"
    assert first[key(protocol["shade"])] == "Copaci; Clădiri"
    assert first[key(protocol["water"])] == "yes"
    second = dict(zip(header, body[1], strict=True))
    assert second[key(protocol["note"])] == "'@SUM(A1)"
    assert "Ioana Popescu" not in raw.decode()


@pytest.mark.parametrize("name", ["observations.csv", "observations.geojson"])
def test_every_export_links_its_licence_and_metadata(client, campaign, observed, name):
    links = client.get(url(campaign, name)).headers["Link"]
    assert f'/api/v1/processes/{campaign.id}/metadata.json>; rel="describedby"' in links
    assert '<https://creativecommons.org/licenses/by/4.0/>; rel="license"' in links


@pytest.mark.parametrize(("cell", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("ok", "ok"), ("", ""), (" =x", " =x"),
])
def test_neutralise(cell, expected):
    assert science_api.neutralise(cell) == expected


def test_csv_streams_many_rows_in_batches(client, campaign, monkeypatch):
    monkeypatch.setattr(science_api, "BATCH", 7)
    for n in range(23):
        add_observation(campaign, lat=44.4 + n * 0.001, commit=False)
    db.session.commit()
    answer = client.get(url(campaign, "observations.csv"))
    assert answer.is_streamed
    rows = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert len(rows) == 24
    data = client.get(url(campaign, "observations.geojson")).get_json()
    assert len(data["features"]) == 23


def test_metadata(client, campaign, protocol, observed):
    answer = client.get(url(campaign, "metadata.json"))
    assert answer.status_code == 200
    data = answer.get_json()
    for name in ("identifier", "title", "abstract", "licence", "rights_holder", "contact",
                 "dates", "method", "data_quality_method", "spatial_coverage", "fields",
                 "distributions"):
        assert name in data, name
    assert data["licence"]["id"] == "CC-BY-4.0"
    assert data["records"] == 2
    assert data["dates"]["temporal_coverage"]["start"].endswith("Z")
    assert {s["code"] for s in data["data_quality_method"]["statuses"]} == {
        "pending", "accepted", "needs_checking", "rejected"}
    # Every status may be asked for; accepted alone is the default.
    assert {(s["code"], s["public"], s["default"])
            for s in data["data_quality_method"]["statuses"]} == {
        ("pending", True, False), ("accepted", True, True), ("needs_checking", True, False),
        ("rejected", True, False)}
    assert {f["code"] for f in data["data_quality_method"]["automatic_flags"]} >= {
        "out_of_range", "outside_area"}
    west, south, east, north = data["spatial_coverage"]["bbox"]
    assert (west, south) == (26.101, 44.431) and (east, north) == (26.11, 44.44)
    keys = {f["key"]: f for f in data["fields"]}
    assert keys[science_api.field_key(protocol["temperature"])]["unit"]["ro"] == "°C"
    assert [o["label"]["ro"] for o in keys[science_api.field_key(protocol["surface"])]
            ["options"]] == ["Asfalt", "Iarbă", "Pavaj"]
    assert science_api.field_key(protocol["photo"]) not in keys


def test_etags(client, campaign, observed):
    for name in ("observations.geojson", "observations.csv", "metadata.json"):
        answer = client.get(url(campaign, name))
        tag = answer.headers["ETag"]
        answer.close()  # a streamed answer not read to the end
        assert client.get(url(campaign, name), headers={"If-None-Match": tag}
                          ).status_code == 304
    answer = client.get(url(campaign, "observations.geojson"))
    tag = answer.headers["ETag"]
    answer.close()
    add_observation(campaign, lat=44.41)
    answer = client.get(url(campaign, "observations.geojson"), headers={"If-None-Match": tag})
    assert answer.status_code == 200
    answer.close()


def test_last_modified_and_304_by_date(client, campaign, observed):  # noqa: ANN001
    settings = db.session.get(ScienceSettings, campaign.id)
    assert settings.data_changed_at is not None  # stamped with the version's last raise
    for name in ("observations.geojson", "observations.csv", "metadata.json"):
        answer = client.get(url(campaign, name))
        modified = answer.headers["Last-Modified"]
        answer.close()
        assert answer.last_modified == max(
            settings.data_changed_at, campaign.updated_at).replace(microsecond=0, tzinfo=UTC)
        unchanged = client.get(url(campaign, name), headers={"If-Modified-Since": modified})
        assert unchanged.status_code == 304  # (werkzeug drops Last-Modified from a 304)
    # A copy older than the last change is sent again, and a new observation moves the date.
    from werkzeug.http import http_date

    before = http_date(answer.last_modified - timedelta(seconds=1))
    answer = client.get(url(campaign, "observations.geojson"),
                        headers={"If-Modified-Since": before})
    assert answer.status_code == 200
    answer.close()
    stamped = settings.data_changed_at
    add_observation(campaign, lat=44.41)
    db.session.refresh(settings)
    assert settings.data_changed_at > stamped


def test_404s(client, campaign, make_process, city):
    draft = make_process(city, kind="science", status="draft")
    db.session.add(ScienceSettings(process_id=draft.id))
    ideas = make_process(city, kind="ideas")
    db.session.commit()
    for process_id in (draft.id, ideas.id, 999999):
        for name in ("observations.geojson", "observations.csv", "metadata.json"):
            answer = client.get(f"/api/v1/processes/{process_id}/{name}")
            assert answer.status_code == 404
            assert answer.is_json


def test_closed_campaigns_stay_public(client, campaign):
    campaign.status = "closed"
    db.session.commit()
    add_observation(campaign)
    assert len(client.get(url(campaign, "observations.geojson")).get_json()["features"]) == 1
