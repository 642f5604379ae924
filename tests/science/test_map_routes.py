"""The public map's routes (`science_results`): the page with its no-JavaScript list and filter
form, the bbox GeoJSON with ETags and JSON errors, the popup fragment, access and weight."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.science import mapdata
from tests.science.conftest import add_observation
from tests.test_page_weight import BUDGET, first_load

BOX = "44.38,26.0,44.5,26.2"


@pytest.fixture(autouse=True)
def _empty_cache():  # noqa: ANN202
    mapdata.clear_cache()
    yield
    mapdata.clear_cache()


def page_url(process, suffix: str = "/map") -> str:  # noqa: ANN001
    return f"/{process.city.slug}/p/{process.slug}{suffix}"


def geojson(client, process, **args):  # noqa: ANN001, ANN003, ANN201
    args.setdefault("bbox", BOX)
    args.setdefault("zoom", "17")
    return client.get(page_url(process, "/map.geojson"), query_string=args)


# ---------------------------------------------------------------- the page


def test_map_page(client, campaign, protocol, make_user):
    author = make_user(display_name="Ioana Popescu")
    add_observation(campaign, author, values=[(protocol["temperature"], 31.5)])
    page = client.get(page_url(campaign))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "data-science-map" in html and "vendor/leaflet/leaflet.js" in html
    assert "js/science-map.js" in html
    assert 'method="get"' in html and 'name="from"' in html and 'name="value"' in html
    assert "Asfalt (en)" in html  # option labels in the request's language
    assert "1 observation" in html
    assert "creativecommons.org/licenses/by/4.0" in html
    assert f"/api/v1/processes/{campaign.id}/observations.csv" in html
    assert "Ioana Popescu" not in html
    assert "style=" not in html and "<script>" not in html


def test_the_list_follows_the_filters_without_javascript(client, campaign, protocol):
    asphalt, grass = protocol["surface"].choices[:2]
    hot = add_observation(campaign, values=[(protocol["surface"], asphalt)], commit=False)
    cool = add_observation(campaign, values=[(protocol["surface"], grass)], status="pending")
    html = client.get(page_url(campaign), query_string={
        "value": f"{protocol['surface'].id}:{asphalt.id}"}).get_data(as_text=True)
    assert f"/map/observations/{hot.id}" in html
    assert f"/map/observations/{cool.id}" not in html
    html = client.get(page_url(campaign), query_string={
        "status": ["accepted", "pending"]}).get_data(as_text=True)
    assert f"/map/observations/{cool.id}" in html and "Not checked yet" in html


@pytest.mark.parametrize("args", [{"from": "soon"}, {"value": "<script>"},
                                  {"status": "refused"}, {"status": "<script>"}])
def test_bad_filters_say_so(client, campaign, args):
    page = client.get(page_url(campaign), query_string=args)
    assert page.status_code == 200
    assert 'role="alert"' in page.get_data(as_text=True)
    assert "<script>" not in page.get_data(as_text=True)


def test_the_list_stops_at_50_with_constant_statements(client, campaign, protocol,
                                                       count_queries):
    def statements() -> int:
        mapdata.clear_cache()
        with count_queries() as counted:
            assert client.get(page_url(campaign)).status_code == 200
        return counted.n

    for _ in range(3):
        add_observation(campaign, commit=False)
    db.session.commit()
    few = statements()
    for n in range(60):
        add_observation(campaign, lat=44.4 + n * 0.001, commit=False)
    db.session.commit()
    assert statements() == few
    html = client.get(page_url(campaign)).get_data(as_text=True)
    assert html.count("/map/observations/") == 50 + 1  # + the map's popup base
    assert "63 observations" in html


def test_access(client, campaign, make_process, make_city, make_user, make_role, login_as,
                city):
    ideas = make_process(city, kind="ideas")
    assert client.get(page_url(ideas)).status_code == 404
    assert client.get(f"/{make_city().slug}/p/{campaign.slug}/map").status_code == 404
    draft = make_process(city, kind="science", status="draft")
    for suffix in ("/map", "/map.geojson?bbox=1,1,2,2&zoom=3"):
        assert client.get(page_url(draft, suffix)).status_code == 404
    staff = make_user()
    make_role(staff, city, "moderator")
    login_as(client, staff)
    assert client.get(page_url(draft)).status_code == 200


# ---------------------------------------------------------------- the data


def test_geojson_points_and_etag(client, campaign):
    observation = add_observation(campaign)
    answer = geojson(client, campaign)
    assert answer.status_code == 200
    assert answer.mimetype == "application/geo+json"
    data = answer.get_json()
    assert data["type"] == "FeatureCollection"
    assert data["features"][0]["properties"]["id"] == observation.id
    assert data["features"][0]["geometry"]["coordinates"] == [
        observation.public_lon, observation.public_lat]
    tag = answer.headers["ETag"]
    again = client.get(
        page_url(campaign, "/map.geojson"), query_string={"bbox": BOX, "zoom": "17"},
        headers={"If-None-Match": tag})
    assert again.status_code == 304
    add_observation(campaign, lat=44.44)
    changed = client.get(page_url(campaign, "/map.geojson"),
                         query_string={"bbox": BOX, "zoom": "17"},
                         headers={"If-None-Match": tag})
    assert changed.status_code == 200 and len(changed.get_json()["features"]) == 2


def test_geojson_grid(client, campaign):
    for n in range(5):
        add_observation(campaign, lat=44.43 + n * 0.0001, commit=False)
    db.session.commit()
    data = geojson(client, campaign, zoom="11").get_json()
    assert data["properties"]["mode"] == "grid"
    assert [f["properties"]["count"] for f in data["features"]] == [5]


@pytest.mark.parametrize("args", [
    {"bbox": "1,2,3"}, {"bbox": "44.5,26,44.3,26.2"}, {"bbox": "nan,1,2,3"}, {"bbox": ""},
    {"zoom": "23"}, {"zoom": "x"}, {"zoom": ""}, {"status": "refused"}, {"from": "x"},
    {"value": "1:<b>"},
])
def test_geojson_bad_input_is_a_json_400(client, campaign, args):
    answer = geojson(client, campaign, **args)
    assert answer.status_code == 400
    assert answer.is_json and answer.get_json()["error"]["status"] == 400


def test_rejected_only_on_request_with_their_status(client, campaign):
    accepted = add_observation(campaign)
    rejected = add_observation(campaign, status="rejected")
    add_observation(campaign, status="rejected", contribution_status="hidden")
    # Accepted only by default.
    data = geojson(client, campaign).get_json()
    assert [f["properties"]["id"] for f in data["features"]] == [accepted.id]
    # Anyone may ask for rejected ones; each carries its status.
    data = geojson(client, campaign, status="rejected").get_json()
    assert [f["properties"]["id"] for f in data["features"]] == [rejected.id]
    assert data["features"][0]["properties"]["status"] == "rejected"
    data = geojson(client, campaign, status="all").get_json()
    assert {f["properties"]["id"]: f["properties"]["status"] for f in data["features"]} == {
        accepted.id: "accepted", rejected.id: "rejected"}
    # The grid says so too.
    cells = geojson(client, campaign, status="all", zoom="12").get_json()
    assert sum(sum(f["properties"]["statuses"].values()) for f in cells["features"]) == 2
    assert any("rejected" in f["properties"]["statuses"] for f in cells["features"])


def test_the_page_lists_rejected_ones_only_on_request(client, campaign):
    rejected = add_observation(campaign, status="rejected")
    html = client.get(page_url(campaign)).get_data(as_text=True)
    assert f"/map/observations/{rejected.id}" not in html
    assert 'name="status" value="rejected"' in html  # anyone may ask for them
    html = client.get(page_url(campaign), query_string={"status": "rejected"}
                      ).get_data(as_text=True)
    assert 'role="alert"' not in html
    assert f"/map/observations/{rejected.id}" in html
    assert 'badge-science-rejected">Rejected' in html  # in the list
    assert 'science-dot-rejected' in html  # and in the legend
    # The downloads follow the statuses shown.
    assert f"/api/v1/processes/{campaign.id}/observations.csv?status=rejected" in html
    assert "Download the observations shown, with their status:" in html
    html = client.get(page_url(campaign), query_string={"status": "all"}).get_data(as_text=True)
    assert f"/map/observations/{rejected.id}" in html
    assert "observations.geojson?status=pending,accepted,needs_checking,rejected" in html


# ---------------------------------------------------------------- the popup


def test_popup_fragment(client, campaign, protocol, make_user):
    author = make_user(display_name="Ioana Popescu")
    grass = protocol["surface"].choices[1]
    observation = add_observation(campaign, author, values=[
        (protocol["temperature"], 31.5), (protocol["surface"], grass),
        (protocol["water"], True), (protocol["note"], "<img src=x onerror=alert(1)>")])
    url = page_url(campaign, f"/map/observations/{observation.id}")
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert "<html" not in html
    assert "Temperatura (en)" in html and "31.5 °C" in html and "Iarbă (en)" in html
    assert "Yes" in html
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert "Ioana Popescu" not in html and author.email not in html
    assert "observer-" in html
    assert "44.43" not in html  # no location at all in the popup
    full = client.get(url)
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)


def test_popup_of_a_rejected_one_shows_its_status_not_the_reason(client, campaign, city,
                                                                 make_user, make_role):
    verifier = make_user(display_name="Vera Verificatoare")
    make_role(verifier, city, "moderator")
    observation = add_observation(campaign, status="rejected", commit=False)
    observation.reason = "Secret reason: the photo shows a car park"
    observation.verified_by_id = verifier.id
    db.session.commit()
    html = client.get(page_url(campaign, f"/map/observations/{observation.id}"),
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'badge-science-rejected">Rejected' in html
    assert "Secret reason" not in html and "car park" not in html
    assert "Vera Verificatoare" not in html and verifier.email not in html


@pytest.mark.parametrize(("status", "contribution_status", "public"), [
    ("accepted", "published", True),
    ("pending", "published", True),
    ("rejected", "published", True),
    ("needs_checking", "published", True),
    ("accepted", "hidden", False),
    ("rejected", "hidden", False),
    ("accepted", "pending", False),
])
def test_popup_visibility(client, campaign, city, make_user, make_role, login_as, status,
                          contribution_status, public):
    observation = add_observation(campaign, status=status,
                                  contribution_status=contribution_status)
    url = page_url(campaign, f"/map/observations/{observation.id}")
    assert client.get(url).status_code == (200 if public else 404)
    moderator = make_user()
    make_role(moderator, city, "moderator")
    login_as(client, moderator)
    assert client.get(url).status_code == 200


def test_popup_of_another_campaign_is_404(client, campaign, make_process, city, make_city):
    other = make_process(city, kind="science")
    observation = add_observation(other)
    assert client.get(page_url(campaign, f"/map/observations/{observation.id}")
                      ).status_code == 404
    elsewhere = make_city()
    assert client.get(f"/{elsewhere.slug}/p/{other.slug}/map/observations/{observation.id}"
                      ).status_code == 404
    assert client.get(page_url(campaign, "/map/observations/999999")).status_code == 404


# ---------------------------------------------------------------- weight


def test_first_load_weight(client, campaign, protocol):
    for n in range(60):
        add_observation(campaign, lat=44.4 + n * 0.001, values=[(protocol["temperature"], 20)],
                        commit=False)
    db.session.commit()
    total, assets = first_load(client, page_url(campaign))
    # The map pages load Leaflet (about 42 KB compressed) and get 20 KB more, as the ideas map
    # does in tests/test_page_weight.py.
    assert any("leaflet" in asset for asset in assets)
    assert total < BUDGET + 20 * 1024, f"{total} bytes compressed"


@pytest.mark.parametrize("zoom", ["12", "17"])
def test_geojson_statements_are_constant(client, campaign, count_queries, zoom):
    def statements() -> tuple[int, int]:
        mapdata.clear_cache()
        with count_queries() as cold:
            assert geojson(client, campaign, zoom=zoom).status_code == 200
        with count_queries() as warm:
            assert geojson(client, campaign, zoom=zoom).status_code == 200
        return cold.n, warm.n

    add_observation(campaign)
    few = statements()
    for n in range(40):
        add_observation(campaign, lat=44.4 + n * 0.002, commit=False)
    db.session.commit()
    assert statements() == few
    assert few[1] < few[0]  # the map's data come from the worker's cache
