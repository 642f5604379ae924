"""The area geometry: parsing typed boxes and pasted GeoJSON (hostile input included), point in
polygon with holes, bounds."""

from __future__ import annotations

import json

import pytest

from engage.science import geo
from engage.science.geo import AreaError

pytestmark = pytest.mark.database_independent  # the PostgreSQL pass leaves it out

BOX = {"type": "Polygon", "coordinates": [[[26.0, 44.0], [27.0, 44.0], [27.0, 45.0],
                                           [26.0, 45.0], [26.0, 44.0]]]}
HOLE = [[26.4, 44.4], [26.6, 44.4], [26.6, 44.6], [26.4, 44.6], [26.4, 44.4]]
WITH_HOLE = {"type": "Polygon", "coordinates": [BOX["coordinates"][0], HOLE]}
# A concave "L": the notch (north-east quarter) is outside.
L_SHAPE = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2],
                                                [0, 0]]]}


def refused(value) -> AreaError:  # noqa: ANN001
    with pytest.raises(AreaError) as caught:
        geo.parse_area(value)
    assert isinstance(caught.value, ValueError)
    return caught.value


@pytest.mark.parametrize("text", ["44, 26, 45, 27", "44 26 45 27", " 44;26;45;27 ",
                                  "44.0, 26.0, 45.0, 27.0"])
def test_typed_box(text):
    assert geo.parse_area(text) == BOX


def test_box_polygon_is_closed_and_ordered_lon_lat():
    polygon = geo.box_polygon(44, 26, 45, 27)
    assert polygon == BOX
    assert geo.bounds(polygon) == (44, 26, 45, 27)


@pytest.mark.parametrize("wrapper", [
    lambda p: p,
    lambda p: {"type": "Feature", "properties": {}, "geometry": p},
    lambda p: {"type": "FeatureCollection",
               "features": [{"type": "Feature", "properties": None, "geometry": p}]},
])
def test_geojson_text_and_dicts(wrapper):
    assert geo.parse_area(json.dumps(wrapper(BOX))) == BOX
    assert geo.parse_area(wrapper(BOX)) == BOX
    assert geo.parse_area(json.dumps(wrapper(WITH_HOLE))) == WITH_HOLE


def test_third_coordinate_is_dropped():
    ring = [[*position, 300.0] for position in BOX["coordinates"][0]]
    assert geo.parse_area({"type": "Polygon", "coordinates": [ring]}) == BOX


@pytest.mark.parametrize("value", [
    "", "   ", "hello", "44, 26, 45", "44, 26, 45, 27, 28", "a, b, c, d",
    "45, 26, 44, 27",  # south above north
    "44, 27, 45, 26",  # west right of east
    "91, 26, 92, 27", "-91, 26, 45, 27", "44, 26, 45, 181", "44, -181, 45, 27",
    "nan, 26, 45, 27", "44, inf, 45, 27", "1e999, 26, 45, 27",
    "{", "[1, 2]", '{"type": "Point", "coordinates": [26, 44]}',
    '{"type": "MultiPolygon", "coordinates": []}',
    '{"type": "Polygon"}', '{"type": "Polygon", "coordinates": []}',
    '{"type": "Polygon", "coordinates": "abc"}',
    '{"type": "Polygon", "coordinates": [[[26, 44], [27, 44], [26, 44]]]}',  # 3 positions
    '{"type": "Polygon", "coordinates": [[[26, 44], [27, 44], [27, 45], [26, 45]]]}',  # open
    '{"type": "Polygon", "coordinates": [[["26", 44], [27, 44], [27, 45], [26, 44]]]}',
    '{"type": "Polygon", "coordinates": [[[true, 44], [27, 44], [27, 45], [true, 44]]]}',
    '{"type": "Polygon", "coordinates": [[[26, NaN], [27, 44], [27, 45], [26, NaN]]]}',
    '{"type": "Polygon", "coordinates": [[[26, Infinity], [27, 44], [27, 45], [26, 44]]]}',
    '{"type": "Polygon", "coordinates": [[[26, 91], [27, 44], [27, 45], [26, 91]]]}',
    '{"type": "Polygon", "coordinates": [[[200, 44], [27, 44], [27, 45], [200, 44]]]}',
    '{"type": "Polygon", "coordinates": [[[26], [27, 44], [27, 45], [26]]]}',
    '{"type": "Polygon", "coordinates": [[null, [27, 44], [27, 45], null]]}',
    '{"type": "Feature", "geometry": null}',
    '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}}',
    '{"type": "FeatureCollection", "features": []}',
    '{"type": "FeatureCollection", "features": "x"}',
    "[" * 100_000,  # deep nesting
    "<script>alert(1)</script>",
])
def test_hostile_and_bad_input_refused(value):
    refused(value)


@pytest.mark.parametrize("value", [None, 42, 4.2, ["44", "26"], True])
def test_wrong_types_refused(value):
    refused(value)


def test_two_polygons_in_a_collection_refused():
    feature = {"type": "Feature", "geometry": BOX}
    refused({"type": "FeatureCollection", "features": [feature, feature]})


def test_too_many_positions_refused():
    ring = [[26.0 + i * 1e-5, 44.0] for i in range(geo.MAX_POSITIONS + 5)]
    ring.append(ring[0])
    refused({"type": "Polygon", "coordinates": [ring]})
    # Many holes add up too.
    refused({"type": "Polygon", "coordinates": [BOX["coordinates"][0]] * 500})


def test_huge_text_refused():
    refused('{"type": "Polygon", "coordinates": [' + "1," * geo.MAX_TEXT + "1]}")


def test_largest_polygon_accepted():
    ring = [[26.0 + i * 1e-4, 44.0 + (i % 2) * 1e-4] for i in range(geo.MAX_POSITIONS - 1)]
    ring.append(ring[0])
    assert len(geo.parse_area({"type": "Polygon", "coordinates": [ring]})["coordinates"][0]) \
        == geo.MAX_POSITIONS


def test_message_is_translated(app):
    error = refused("91, 26, 92, 27")
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert "latitude" in str(error.message)


@pytest.mark.parametrize(("lat", "lon", "inside"), [
    (44.5, 26.5, True), (44.01, 26.01, True), (43.99, 26.5, False), (44.5, 27.01, False),
    (45.5, 26.5, False), (-44.5, -26.5, False),
])
def test_contains_box(lat, lon, inside):
    assert geo.contains(BOX, lat, lon) is inside


@pytest.mark.parametrize(("lat", "lon", "inside"), [
    (44.5, 26.5, False),  # in the hole
    (44.2, 26.2, True), (44.8, 26.8, True),
])
def test_contains_respects_holes(lat, lon, inside):
    assert geo.contains(WITH_HOLE, lat, lon) is inside


@pytest.mark.parametrize(("lat", "lon", "inside"), [
    (0.5, 0.5, True), (0.5, 1.5, True), (1.5, 0.5, True), (1.5, 1.5, False),
])
def test_contains_concave(lat, lon, inside):
    assert geo.contains(L_SHAPE, lat, lon) is inside


def test_contains_without_point_or_area():
    assert geo.contains(BOX, None, 26.5) is False
    assert geo.contains(None, 44.5, 26.5) is True
    assert geo.in_area(None, 44.5, 26.5) is None
    assert geo.in_area(BOX, None, None) is None
    assert geo.in_area(BOX, 44.5, 26.5) is True
    assert geo.in_area(BOX, 50, 26.5) is False


def test_bounds_of_polygon():
    assert geo.bounds(L_SHAPE) == (0, 0, 2, 2)


def test_area_text_round_trips():
    assert geo.area_text(None) == ""
    assert geo.area_text(BOX) == "44, 26, 45, 27"
    assert geo.parse_area(geo.area_text(BOX)) == BOX
    assert geo.parse_area(geo.area_text(L_SHAPE)) == geo.parse_area(L_SHAPE)
    assert geo.parse_area(geo.area_text(WITH_HOLE)) == WITH_HOLE
