"""Pure geometry for a campaign's area: parsing what an organiser types or pastes (a box
"south, west, north, east" or GeoJSON), testing whether a point lies inside, and its bounds.

An area is a GeoJSON Polygon dict in WGS 84, positions in `[lon, lat]` order, its first ring the
outer boundary and any further rings holes. No database, no Flask: the capture (flags), the
verification and the map (bounds) call these directly.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask_babel import lazy_gettext as _l

from engage.core.refusal import Refusal

MAX_POSITIONS = 2000
MAX_TEXT = 200_000  # characters of pasted GeoJSON read at most


class AreaError(Refusal):
    """The area cannot be used; `message` is a lazy translated explanation."""


def box_polygon(south: float, west: float, north: float, east: float) -> dict[str, Any]:
    """The closed Polygon of a box (counter-clockwise, `[lon, lat]`)."""
    south, west, north, east = (_coordinate(v) for v in (south, west, north, east))
    _check_lat(south)
    _check_lat(north)
    _check_lon(west)
    _check_lon(east)
    if not south < north:
        raise AreaError(_l("The box's south edge must be below its north edge."))
    if not west < east:
        raise AreaError(_l("The box's west edge must be left of its east edge."))
    return {
        "type": "Polygon",
        "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                         [west, south]]],
    }


def parse_area(value: str | dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON Polygon dict from a typed box ("south, west, north, east"), GeoJSON text, or an
    already parsed dict (a Polygon, a Feature with a Polygon, or a FeatureCollection with exactly
    one Polygon feature). Raises AreaError with a translated message otherwise."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise AreaError(_l("Type a box or paste a GeoJSON polygon."))
        if len(text) > MAX_TEXT:
            raise AreaError(_l("The area is too long."))
        if text[0] in "{[":
            try:
                data = json.loads(text, parse_constant=_refuse_constant)
            except (ValueError, RecursionError):
                raise AreaError(_l("The area is not valid GeoJSON.")) from None
            return _polygon_of(data)
        return _box_of(text)
    if isinstance(value, dict):
        return _polygon_of(value)
    raise AreaError(_l("Type a box or paste a GeoJSON polygon."))


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity, -Infinity are not JSON numbers


def _box_of(text: str) -> dict[str, Any]:
    parts = [part for part in text.replace(";", ",").replace(",", " ").split() if part]
    if len(parts) != 4:
        raise AreaError(_l("A box is four numbers: south, west, north, east."))
    numbers = []
    for part in parts:
        try:
            number = float(part)
        except ValueError:
            raise AreaError(_l("A box is four numbers: south, west, north, east.")) from None
        numbers.append(number)
    return box_polygon(*numbers)


def _polygon_of(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise AreaError(_l("The area must be a GeoJSON Polygon."))
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise AreaError(_l("The area is not valid GeoJSON."))
        polygons = [f for f in features if isinstance(f, dict)
                    and isinstance(f.get("geometry"), dict)
                    and f["geometry"].get("type") == "Polygon"]
        if len(features) != 1 or len(polygons) != 1:
            raise AreaError(_l("The collection must hold exactly one polygon."))
        return _polygon_of(polygons[0]["geometry"])
    if kind == "Feature":
        geometry = data.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
            raise AreaError(_l("The feature's geometry must be a Polygon."))
        return _polygon_of(geometry)
    if kind != "Polygon":
        raise AreaError(_l("The area must be a GeoJSON Polygon."))
    rings = data.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise AreaError(_l("The polygon has no coordinates."))
    total = 0
    clean: list[list[list[float]]] = []
    for ring in rings:
        if not isinstance(ring, list):
            raise AreaError(_l("The polygon's coordinates are not valid."))
        total += len(ring)
        if total > MAX_POSITIONS:
            raise AreaError(_l("The polygon has too many points (at most %(max)d).",
                               max=MAX_POSITIONS))
        if len(ring) < 4:
            raise AreaError(_l("Each ring of the polygon needs at least four positions."))
        positions = [_position(position) for position in ring]
        if positions[0] != positions[-1]:
            raise AreaError(_l("Each ring of the polygon must be closed (its last position "
                               "equal to its first)."))
        clean.append(positions)
    return {"type": "Polygon", "coordinates": clean}


def _position(position: Any) -> list[float]:
    if not isinstance(position, list | tuple) or len(position) not in (2, 3):
        raise AreaError(_l("The polygon's coordinates are not valid."))
    lon, lat = _coordinate(position[0]), _coordinate(position[1])
    _check_lon(lon)
    _check_lat(lat)
    return [lon, lat]


def _coordinate(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AreaError(_l("Coordinates must be numbers."))
    number = float(value)
    if not math.isfinite(number):
        raise AreaError(_l("Coordinates must be numbers."))
    return number


def _check_lat(lat: float) -> None:
    if not -90 <= lat <= 90:
        raise AreaError(_l("A latitude must be between -90 and 90."))


def _check_lon(lon: float) -> None:
    if not -180 <= lon <= 180:
        raise AreaError(_l("A longitude must be between -180 and 180."))


def _in_ring(ring: list[list[float]], lat: float, lon: float) -> bool:
    """Ray casting: whether (lon, lat) is inside the closed ring."""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat):
            cross = (xj - xi) * (lat - yi) / (yj - yi) + xi
            if lon < cross:
                inside = not inside
        j = i
    return inside


def contains(area: dict[str, Any] | None, lat: float | None, lon: float | None) -> bool:
    """Whether the point is inside the area (inside the outer ring and in none of its holes).
    No area: everything is inside; no point: never inside."""
    if lat is None or lon is None:
        return False
    if not area:
        return True
    rings = area.get("coordinates") or []
    if not rings or not _in_ring(rings[0], lat, lon):
        return False
    return not any(_in_ring(hole, lat, lon) for hole in rings[1:])


def in_area(area: dict[str, Any] | None, lat: float | None, lon: float | None) -> bool | None:
    """An observation's `in_area`: None when the campaign has no area or the observation no
    location, else whether the point is inside."""
    if not area or lat is None or lon is None:
        return None
    return contains(area, lat, lon)


def bounds(area: dict[str, Any]) -> tuple[float, float, float, float]:
    """(south, west, north, east) of the area's outer ring."""
    ring = area["coordinates"][0]
    lons = [position[0] for position in ring]
    lats = [position[1] for position in ring]
    return min(lats), min(lons), max(lats), max(lons)


def area_text(area: dict[str, Any] | None) -> str:
    """The area as an organiser would retype it: a box as "south, west, north, east", any other
    polygon as GeoJSON text."""
    if not area:
        return ""
    rings = area.get("coordinates") or []
    if len(rings) == 1 and len(rings[0]) == 5:
        south, west, north, east = bounds(area)
        if area == box_polygon(south, west, north, east):
            return f"{south:g}, {west:g}, {north:g}, {east:g}"
    return json.dumps(area, separators=(",", ":"))
