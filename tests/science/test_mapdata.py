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
    # Every status may be asked for, rejected included; `all` is all four.
    assert mapdata.parse_statuses(["all"]) == ("pending", "accepted", "needs_checking",
                                               "rejected")
    assert mapdata.parse_statuses(["rejected"]) == ("rejected",)
    assert mapdata.parse_statuses(["rejected", "accepted"]) == ("accepted", "rejected")
    for hostile in (["<b>"], ["accepted,nope"], ["REJECTED"], ["hidden"]):
        with pytest.raises(mapdata.MapQueryError):
            mapdata.parse_statuses(hostile)
    assert mapdata.parse_statuses(["all"], allowed=("accepted",)) == ("accepted",)


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


def test_rejected_ones_only_on_request_with_their_status(campaign):
    accepted = add_observation(campaign, commit=False)
    rejected = add_observation(campaign, status="rejected", lat=44.45, commit=False)
    add_observation(campaign, status="rejected", lat=44.46, contribution_status="hidden")
    for zoom in (8, 17):
        default = mapdata.features(campaign, box(), zoom)
        assert default["properties"]["total"] == 1
    only = mapdata.features(campaign, box(), 17, statuses=mapdata.parse_statuses(["rejected"]))
    assert [(f["properties"]["id"], f["properties"]["status"]) for f in only["features"]] == [
        (rejected.id, "rejected")]
    every = mapdata.features(campaign, box(), 17, statuses=mapdata.parse_statuses(["all"]))
    assert {(f["properties"]["id"], f["properties"]["status"]) for f in every["features"]} == {
        (accepted.id, "accepted"), (rejected.id, "rejected")}
    grid = mapdata.features(campaign, box(), 8, statuses=mapdata.parse_statuses(["all"]))
    assert grid["features"][0]["properties"]["statuses"] == {"accepted": 1, "rejected": 1}
    listed, total = mapdata.first_observations(campaign, mapdata.Filters(),
                                               mapdata.parse_statuses(["all"]), 50)
    assert total == 2 and {row[2] for row in listed} == {"accepted", "rejected"}


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


# ---------------------------------------------------------------- street zoom, by block


def lattice(campaign, south: float, west: float, rows: int, columns: int, step: float = 0.001,
            **kwargs):  # noqa: ANN001, ANN003, ANN201
    """Observations on a lattice of `rows` × `columns` public positions (3 decimals)."""
    found = [add_observation(campaign, lat=round(south + r * step, 3),
                             lon=round(west + c * step, 3), commit=False, **kwargs)
             for r in range(rows) for c in range(columns)]
    db.session.commit()
    return found


def alone(campaign, bbox: mapdata.BBox, statuses=("accepted",), filters=None):  # noqa: ANN001, ANN201
    """The box's points read for the box alone, as before the blocks."""
    return mapdata._points_in_box(campaign, mapdata.data_version(campaign), bbox, statuses,
                                  filters or mapdata.Filters())


def blocks_of(bbox: mapdata.BBox) -> tuple[tuple[int, int], tuple[int, int]]:
    return (mapdata._point_block(bbox.south, bbox.west),
            mapdata._point_block(bbox.north, bbox.east))


def shifted(bbox: mapdata.BBox, north: float = 0.0, east: float = 0.0) -> mapdata.BBox:
    return mapdata.BBox(bbox.south + north, bbox.west + east, bbox.north + north,
                        bbox.east + east)


def test_point_blocks_are_about_a_zoom_16_tile():
    assert mapdata.POINT_BLOCK == 360 / 2 ** 16
    # A point on a block's edge is in the block east / north of it, and in one block only.
    assert mapdata._point_block(45.0, 22.5) == (36864, 24576)
    assert mapdata._point_block(45.0 - 1e-9, 22.5 - 1e-9) == (36863, 24575)


def test_panning_within_cached_blocks_runs_no_statement(campaign, count_queries):
    lattice(campaign, 44.425, 26.095, 12, 16)
    settings = db.session.get(ScienceSettings, campaign.id)
    first = box("44.4281,26.1002,44.4319,26.1049")
    with count_queries() as counted:
        found = mapdata.features(campaign, first, 17, settings=settings)
    assert counted.n == 1 and found["properties"]["mode"] == "points"
    assert found["features"] == alone(campaign, first) and found["features"]
    # Panned and zoomed within the blocks read: cut from the cache, the same points as the
    # box alone would give.
    (bx0, by0), (bx1, by1) = blocks_of(first)
    size = mapdata.POINT_BLOCK
    inner = mapdata.BBox(by0 * size - 90 + 1e-6, bx0 * size - 180 + 1e-6,
                         (by1 + 1) * size - 90 - 1e-6, (bx1 + 1) * size - 180 - 1e-6)
    for bbox in (shifted(first, 0.0005, 0.0005), shifted(first, -0.0004, -0.0006), inner,
                 box("44.4290,26.1010,44.4300,26.1020")):
        assert blocks_of(bbox)[0] >= (bx0, by0) and blocks_of(bbox)[1] <= (bx1, by1)
        with count_queries() as counted:
            found = mapdata.features(campaign, bbox, 18, settings=settings)
        assert counted.n == 0
        assert found["features"] == alone(campaign, bbox)
        assert found["properties"]["total"] == len(found["features"])
    # A pan by one block east reads the new column only, in one statement, then caches it.
    east = shifted(first, east=size)
    with count_queries() as counted:
        found = mapdata.features(campaign, east, 17, settings=settings)
    assert counted.n == 1 and found["features"] == alone(campaign, east)
    with count_queries() as counted:
        mapdata.features(campaign, shifted(first, east=size / 2), 17, settings=settings)
    assert counted.n == 0


def test_random_boxes_answer_as_the_box_alone(campaign, protocol):
    import random

    randomly = random.Random(5)
    lattice(campaign, 44.420, 26.090, 10, 10, step=0.002,
            values=[(protocol["water"], True)])
    lattice(campaign, 44.421, 26.091, 6, 6, step=0.003, status="pending")
    filters = mapdata.parse_filters({"value": f"{protocol['water'].id}:yes"})
    for _ in range(40):
        south = randomly.uniform(44.415, 44.44)
        west = randomly.uniform(26.085, 26.11)
        bbox = mapdata.BBox(south, west, south + randomly.uniform(0.001, 0.01),
                            west + randomly.uniform(0.001, 0.015))
        for statuses, used in ((("accepted",), None), (("pending", "accepted"), None),
                               (("accepted",), filters)):
            found = mapdata.features(campaign, bbox, 17, used, statuses)
            assert found["properties"]["mode"] == "points"
            assert found["features"] == alone(campaign, bbox, statuses, used)


def test_a_point_on_a_block_edge_appears_once(campaign, count_queries):
    # 45.0 N, 22.5 E is a corner of four blocks; its neighbours lie in the blocks around it.
    edge = add_observation(campaign, lat=45.0, lon=22.5, commit=False)
    south_west = add_observation(campaign, lat=44.999, lon=22.499, commit=False)
    north_east = add_observation(campaign, lat=45.001, lon=22.501)
    assert (edge.public_lat, edge.public_lon) == (45.0, 22.5)
    below = box("44.996,22.496,45.0,22.5")  # its north-east corner is the point
    above = box("45.0,22.5,45.004,22.504")  # its south-west corner is the point
    across = box("44.997,22.497,45.003,22.503")
    expected = {below: [south_west.id, edge.id], above: [edge.id, north_east.id],
                across: [edge.id, south_west.id, north_east.id]}
    for bbox in (below, above, across, below):
        found = mapdata.features(campaign, bbox, 18)
        ids = [f["properties"]["id"] for f in found["features"]]
        assert ids == sorted(expected[bbox]) and found["features"] == alone(campaign, bbox)
    # Every block cached by now: the box across them from the cache, the point once.
    settings = db.session.get(ScienceSettings, campaign.id)
    with count_queries() as counted:
        found = mapdata.features(campaign, across, 17, settings=settings)
    assert counted.n == 0
    assert [f["properties"]["id"] for f in found["features"]].count(edge.id) == 1


def test_too_many_points_in_the_blocks(campaign, monkeypatch, count_queries):
    monkeypatch.setattr(mapdata, "MAX_POINTS", 3)
    monkeypatch.setattr(mapdata, "POINT_BLOCK_ROWS", 5)
    # Eight points, six in the block of a small box that holds two.
    lattice(campaign, 44.431, 26.101, 2, 4)
    few = box("44.4305,26.1005,44.4315,26.1025")
    settings = db.session.get(ScienceSettings, campaign.id)
    with count_queries() as counted:
        found = mapdata.features(campaign, few, 18, settings=settings)
    # The blocks hold too many to read: the box read alone answers, nothing cached per block.
    assert counted.n == 2
    assert found["properties"]["mode"] == "points"
    assert found["features"] == alone(campaign, few) and len(found["features"]) == 2
    # Nothing cached per block but a "too dense" mark: the next box there reads itself alone.
    assert all(rows == [None] for key, (_, rows) in mapdata._cache.items.items()
               if key[0] == "points")
    with count_queries() as counted:
        assert mapdata.features(campaign, few, 18, settings=settings)["features"] == \
            found["features"]
    assert counted.n == 0
    many = box("44.4305,26.1005,44.4325,26.1035")  # six points
    with count_queries() as counted:
        found = mapdata.features(campaign, many, 18, settings=settings)
    assert found["properties"]["mode"] == "grid" and found["properties"]["total"] == 6
    assert counted.n == 3  # the box alone, then the grid's two
    # Under the limit of the blocks but over MAX_POINTS in the box: the grid as well.
    monkeypatch.setattr(mapdata, "POINT_BLOCK_ROWS", 100)
    mapdata.clear_cache()
    found = mapdata.features(campaign, many, 18)
    assert found["properties"]["mode"] == "grid" and found["properties"]["total"] == 6
    assert mapdata.features(campaign, few, 18)["features"] == alone(campaign, few)


def test_a_box_over_too_many_blocks_is_read_alone(campaign, monkeypatch, count_queries):
    monkeypatch.setattr(mapdata, "MAX_POINT_BLOCKS", 1)
    spread(campaign, 3)
    bbox = box("44.399,26.049,44.41,26.06")
    settings = db.session.get(ScienceSettings, campaign.id)
    with count_queries() as counted:
        found = mapdata.features(campaign, bbox, 16, settings=settings)
    assert counted.n == 1 and found["features"] == alone(campaign, bbox)
    assert len(found["features"]) == 3


def test_a_new_observation_invalidates_the_blocks(campaign, count_queries):
    lattice(campaign, 44.431, 26.101, 2, 2)
    bbox = box("44.4305,26.1005,44.4335,26.1055")
    settings = db.session.get(ScienceSettings, campaign.id)
    assert mapdata.features(campaign, bbox, 17, settings=settings)["properties"]["total"] == 4
    with count_queries() as counted:
        again = mapdata.features(campaign, bbox, 17, settings=settings)
    assert again["properties"]["total"] == 4
    assert counted.n == 0
    new = add_observation(campaign, lat=44.433, lon=26.105)
    settings = db.session.get(ScienceSettings, campaign.id)
    with count_queries() as counted:
        found = mapdata.features(campaign, bbox, 17, settings=settings)
    assert counted.n == 1
    assert found["properties"]["total"] == 5 and found["features"][-1]["properties"]["id"] == new.id


@pytest.mark.parametrize("contribution_status", ["hidden", "rejected", "pending", "deleted"])
def test_unpublished_contributions_never_in_the_blocks(campaign, contribution_status):
    shown = lattice(campaign, 44.431, 26.101, 1, 2)
    lattice(campaign, 44.432, 26.101, 2, 2, contribution_status=contribution_status)
    lattice(campaign, 44.431, 26.104, 1, 1, contribution_status=contribution_status,
            status="pending")
    bbox = box("44.4305,26.1005,44.4335,26.1055")
    for statuses in (("accepted",), mapdata.STATUSES, ("accepted",)):
        for pan in (bbox, shifted(bbox, 0.0003, 0.0004), shifted(bbox, -0.0002, -0.0001)):
            found = mapdata.features(campaign, pan, 17, statuses=statuses)
            assert [f["properties"]["id"] for f in found["features"]] == [o.id for o in shown]
    assert not any(row[0] not in {o.id for o in shown}
                   for key, (_, rows) in mapdata._cache.items.items() if key[0] == "points"
                   for row in rows)
