"""The map's data service (`science.mapdata`): points at street zoom and a grid below, strict
parsing of the box, zoom, filters and statuses, only published contributions, a constant number
of statements, and the cache checked against the data version."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engage.extensions import db
from engage.science import mapdata
from engage.science.models import ScienceSettings
from tests.science.conftest import add_observation

BOX = "44.38,26.0,44.5,26.2"  # the campaign's AREA


@pytest.fixture(autouse=True)
def _empty_cache():  # noqa: ANN202
    mapdata.clear_cache()
    yield
    mapdata.clear_cache()


def box(text: str = BOX) -> mapdata.BBox:
    return mapdata.parse_bbox(text)


def spread(campaign, n: int, **kwargs):  # noqa: ANN001, ANN003, ANN201
    """`n` observations on a line across the box (distinct public positions)."""
    found = []
    for i in range(n):
        found.append(add_observation(campaign, lat=44.40 + i * 0.002, lon=26.05 + i * 0.002,
                                     commit=False, **kwargs))
    db.session.commit()
    return found


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize("text", [
    None, "", "1,2,3", "1,2,3,4,5", "a,b,c,d", "nan,1,2,3", "1,inf,2,3", "1,2,-inf,3",
    "44.5,26,44.38,26.2",  # south > north
    "44.38,26.2,44.5,26.0",  # west > east
    "44.4,26,44.4,26.2",  # empty
    "100,200,100,300",  # clamped to 90,180,90,180: empty
    "1e309,0,1,1", "<script>,1,2,3", "1" * 300, "1,,2,3", "0x10,1,2,3",
])
def test_hostile_boxes_are_refused(text):
    with pytest.raises(mapdata.MapQueryError):
        mapdata.parse_bbox(text)


def test_boxes_are_clamped():
    found = mapdata.parse_bbox("-100, -400, 95, 500")
    assert (found.south, found.west, found.north, found.east) == (-90, -180, 90, 180)


@pytest.mark.parametrize("text", [None, "", "-1", "23", "1.5", "abc", "99999", " ", "١٢"])
def test_bad_zooms_are_refused(text):
    with pytest.raises(mapdata.MapQueryError):
        mapdata.parse_zoom(text)


def test_zoom_range():
    assert mapdata.parse_zoom("0") == 0 and mapdata.parse_zoom("22") == 22


@pytest.mark.parametrize("args", [
    {"value": "abc"}, {"value": "1:x"}, {"value": "-1:2"}, {"number": "x"},
    {"number": "1", "min": "nan"}, {"number": "1", "max": "1e999"}, {"from": "2026-13-01"},
    {"to": "yesterday"}, {"value": "9" * 20 + ":1"}, {"value": "١:٢"},
])
def test_bad_filters_are_refused(args):
    with pytest.raises(mapdata.MapQueryError):
        mapdata.parse_filters(args)


def test_filters_are_normalised():
    found = mapdata.parse_filters({"value": "3:yes", "number": "4", "min": "10", "max": "2",
                                   "from": "2026-06-02", "to": "2026-06-01", "x": "y"})
    assert (found.value_field, found.yes, found.number_field, found.low, found.high) == (
        3, True, 4, 2.0, 10.0)
    assert (found.date_from, found.date_to) == (date(2026, 6, 1), date(2026, 6, 2))
    assert mapdata.parse_filters(found.args()) == found
    assert not mapdata.parse_filters({"value": "", "number": "", "from": ""}).active


def test_statuses():
    assert mapdata.parse_statuses([]) == ("accepted",)
    assert mapdata.parse_statuses(["pending,accepted"]) == ("pending", "accepted")
    assert mapdata.parse_statuses(["all"]) == ("pending", "accepted", "needs_checking")
    for hostile in (["rejected"], ["<b>"], ["accepted,nope"]):
        with pytest.raises(mapdata.MapQueryError):
            mapdata.parse_statuses(hostile)
    assert "rejected" in mapdata.parse_statuses(["all"], allowed=mapdata.STATUSES)


# ---------------------------------------------------------------- points and grid


def test_points_at_street_zoom(campaign):
    observations = spread(campaign, 3)
    found = mapdata.features(campaign, box(), 17)
    assert found["type"] == "FeatureCollection"
    assert found["properties"]["mode"] == "points"
    ids = [f["properties"]["id"] for f in found["features"]]
    assert ids == [o.id for o in observations]
    first = found["features"][0]
    assert first["geometry"] == {"type": "Point",
                                 "coordinates": [observations[0].public_lon,
                                                 observations[0].public_lat]}
    assert first["properties"]["status"] == "accepted"
    assert first["properties"]["observed_at"].endswith("Z")


def test_public_position_only(campaign):
    add_observation(campaign, lat=44.431234, lon=26.101234)
    found = mapdata.features(campaign, box(), 18)
    assert found["features"][0]["geometry"]["coordinates"] == [26.101, 44.431]
    assert "44.431234" not in repr(found) and "26.101234" not in repr(found)


def test_grid_at_city_zoom(campaign):
    # Two close together, one far: two cells at zoom 12.
    add_observation(campaign, lat=44.4301, lon=26.1001, commit=False)
    add_observation(campaign, lat=44.4302, lon=26.1002, commit=False)
    single = add_observation(campaign, lat=44.49, lon=26.01)
    found = mapdata.features(campaign, box(), 12)
    assert found["properties"]["mode"] == "grid"
    assert found["properties"]["total"] == 3
    counts = sorted(f["properties"]["count"] for f in found["features"])
    assert counts == [1, 2]
    alone = next(f for f in found["features"] if f["properties"]["count"] == 1)
    assert alone["properties"]["id"] == single.id
    pair = next(f for f in found["features"] if f["properties"]["count"] == 2)
    lon, lat = pair["geometry"]["coordinates"]
    assert lat == pytest.approx(44.43) and lon == pytest.approx(26.1)


def test_grid_outside_the_box_is_left_out(campaign):
    add_observation(campaign, lat=44.43, lon=26.1, commit=False)
    add_observation(campaign, lat=44.49, lon=26.19)
    found = mapdata.features(campaign, box("44.42,26.09,44.44,26.11"), 12)
    assert found["properties"]["total"] == 1


def test_too_many_points_aggregate(campaign, monkeypatch):
    monkeypatch.setattr(mapdata, "MAX_POINTS", 2)
    spread(campaign, 3)
    found = mapdata.features(campaign, box(), 17)
    assert found["properties"]["mode"] == "grid"
    assert found["properties"]["total"] == 3


def test_a_huge_box_is_aggregated_coarser(campaign):
    spread(campaign, 2)
    found = mapdata.features(campaign, box("-90,-180,90,180"), 17)
    assert found["properties"]["mode"] == "grid"
    assert found["properties"]["zoom"] <= 6
    assert found["properties"]["total"] == 2


def test_negative_coordinates_on_both_databases(make_process, city):
    process = make_process(city, kind="science")
    db.session.add(ScienceSettings(process_id=process.id, public_precision="exact"))
    db.session.commit()
    add_observation(process, lat=-33.9, lon=-70.6, commit=False)
    add_observation(process, lat=-33.9001, lon=-70.6001)
    found = mapdata.features(process, box("-34,-71,-33,-70"), 10)
    assert [f["properties"]["count"] for f in found["features"]] == [2]


# ---------------------------------------------------------------- what is shown


def test_statuses_shown(campaign):
    accepted = add_observation(campaign, commit=False)
    pending = add_observation(campaign, status="pending", lat=44.44, commit=False)
    add_observation(campaign, status="rejected", lat=44.45)
    default = mapdata.features(campaign, box(), 17)
    assert [f["properties"]["id"] for f in default["features"]] == [accepted.id]
    more = mapdata.features(campaign, box(), 17, statuses=("accepted", "pending"))
    assert {(f["properties"]["id"], f["properties"]["status"]) for f in more["features"]} == {
        (accepted.id, "accepted"), (pending.id, "pending")}
    grid = mapdata.features(campaign, box(), 8, statuses=("accepted", "pending"))
    assert grid["features"][0]["properties"]["statuses"] == {"accepted": 1, "pending": 1}


@pytest.mark.parametrize("contribution_status", ["hidden", "rejected", "pending", "deleted"])
def test_unpublished_contributions_never(campaign, contribution_status):
    add_observation(campaign, contribution_status=contribution_status)
    for zoom in (5, 12, 17):
        found = mapdata.features(campaign, box(), zoom, statuses=mapdata.STATUSES)
        assert found["features"] == [] and found["properties"]["total"] == 0


@pytest.mark.parametrize("statuses", [("accepted",), ("accepted", "pending")])
def test_hidden_ones_are_taken_off_the_grid(campaign, statuses):
    """The grid counts without joining contributions and takes the hidden ones off: counts,
    mean positions and the single observation's id stay right."""
    near = (44.4301, 26.1001)
    hidden_low = add_observation(campaign, lat=near[0], lon=near[1],
                                 contribution_status="hidden", commit=False)
    shown = add_observation(campaign, lat=near[0], lon=near[1], status=statuses[-1],
                            commit=False)
    add_observation(campaign, lat=44.4302, lon=26.1002, contribution_status="hidden",
                    commit=False)
    pair = [add_observation(campaign, lat=44.49, lon=26.01, commit=False) for _ in range(2)]
    add_observation(campaign, lat=44.49, lon=26.01, contribution_status="hidden")
    found = mapdata.features(campaign, box(), 12, statuses=statuses)
    assert found["properties"]["total"] == 3
    cells = {f["properties"]["count"]: f for f in found["features"]}
    assert set(cells) == {1, 2}
    assert cells[1]["properties"]["id"] == shown.id != hidden_low.id
    assert cells[1]["geometry"]["coordinates"] == [shown.public_lon, shown.public_lat]
    lon, lat = cells[2]["geometry"]["coordinates"]
    assert (lat, lon) == (pytest.approx(pair[0].public_lat), pytest.approx(pair[0].public_lon))


def test_other_campaigns_never(campaign, make_process, city):
    other = make_process(city, kind="science")
    add_observation(other)
    assert mapdata.features(campaign, box(), 17)["features"] == []


def test_filters(campaign, protocol):
    asphalt, grass = protocol["surface"].choices[:2]
    hot = add_observation(campaign, values=[(protocol["temperature"], 38.5),
                                            (protocol["surface"], asphalt),
                                            (protocol["water"], False)],
                          observed_at=datetime(2026, 6, 1, 21, 30, tzinfo=UTC), commit=False)
    cool = add_observation(campaign, lat=44.44, values=[(protocol["temperature"], 24.0),
                                                        (protocol["surface"], grass),
                                                        (protocol["water"], True)],
                           observed_at=datetime(2026, 6, 1, 20, 30, tzinfo=UTC))

    def ids(**args) -> list[int]:  # noqa: ANN003
        filters = mapdata.parse_filters(args)
        return [f["properties"]["id"]
                for f in mapdata.features(campaign, box(), 17, filters)["features"]]

    assert ids() == [hot.id, cool.id]
    assert ids(value=f"{protocol['surface'].id}:{asphalt.id}") == [hot.id]
    assert ids(value=f"{protocol['water'].id}:yes") == [cool.id]
    assert ids(value=f"{protocol['water'].id}:no") == [hot.id]
    assert ids(number=str(protocol["temperature"].id), min="30") == [hot.id]
    assert ids(number=str(protocol["temperature"].id), min="20", max="30") == [cool.id]
    assert ids(number=str(protocol["trees"].id), min="0") == []
    # 21:30 UTC on 1 June is 2 June 00:30 in Bucharest (UTC+3 in summer).
    assert ids(**{"from": "2026-06-02"}) == [hot.id]
    assert ids(to="2026-06-01") == [cool.id]
    assert ids(**{"from": "2026-06-01", "to": "2026-06-01"}) == [cool.id]
    # A forged field or option of nothing matches nothing.
    assert ids(value="999999:1") == []


# ---------------------------------------------------------------- cost and cache


@pytest.mark.parametrize("zoom", [3, 12, 17])
def test_constant_statements(campaign, protocol, count_queries, zoom):
    def statements() -> int:
        mapdata.clear_cache()
        settings = db.session.get(ScienceSettings, campaign.id)
        filters = mapdata.parse_filters({"value": f"{protocol['water'].id}:yes",
                                         "from": "2020-01-01"})
        with count_queries() as counted:
            mapdata.features(campaign, box(), zoom, filters, settings=settings)
        return counted.n

    spread(campaign, 2, values=[(protocol["water"], True)])
    few = statements()
    spread(campaign, 30, values=[(protocol["water"], True)])
    assert statements() == few == (1 if zoom >= mapdata.POINT_ZOOM else 2)


def test_cached_until_the_data_version_changes(campaign, count_queries):
    spread(campaign, 2)
    settings = db.session.get(ScienceSettings, campaign.id)
    first = mapdata.features(campaign, box(), 12, settings=settings)
    with count_queries() as counted:
        again = mapdata.features(campaign, box(), 12, settings=settings)
    assert counted.n == 0 and again == first
    # A box inside the same block is answered from the cached block too.
    with count_queries() as counted:
        mapdata.features(campaign, box("44.39,26.01,44.49,26.19"), 12, settings=settings)
    assert counted.n == 0
    version = settings.data_version
    add_observation(campaign, lat=44.46, lon=26.15)
    settings = db.session.get(ScienceSettings, campaign.id)
    assert settings.data_version > version
    fresh = mapdata.features(campaign, box(), 12, settings=settings)
    assert fresh["properties"]["total"] == 3


def test_hiding_a_contribution_changes_the_map(campaign):
    observation = add_observation(campaign)
    assert mapdata.features(campaign, box(), 17)["properties"]["total"] == 1
    observation.contribution.status = "hidden"
    db.session.commit()
    assert mapdata.features(campaign, box(), 17)["properties"]["total"] == 0
