"""The public map's data: a campaign's observations in a bounding box as GeoJSON, individual
points at street zoom and a grid aggregated in SQL below it, with filters by a field's value and
by date, and an in-process cache checked against the campaign's data version.

`features(process, bbox, zoom, filters, statuses)` → a GeoJSON FeatureCollection (RFC 7946,
`[lon, lat]`, public positions only):

- at `zoom >= POINT_ZOOM`: one Point per observation (`id`, `status`, `observed_at`), at most
  MAX_POINTS of them; more than that in the box and the answer is the grid instead;
- below: one Point per grid cell that has observations, at the cell's mean position, with its
  `count` (and `id`/`status` when it holds a single observation, so the map can open it). Cells
  are CELLS_PER_TILE per 256-pixel map tile at that zoom, so a cluster stays about 64 pixels
  apart from the next whatever the zoom; a box too large for its zoom is aggregated at a lower
  zoom, so an answer never holds more than about MAX_CELLS_SIDE² cells.

The collection's `properties` say what was done: `mode` ("points" or "grid"), `zoom` (the
effective one), `cell` (degrees, grid only), `total` (observations in the box).

Only observations whose Contribution is published are ever counted (a hidden or rejected
contribution hides its observation), with the requested verification statuses (`accepted` by
default; anyone may ask for the others, rejected ones included: a feature then carries its
`status`, and a grid cell `statuses` by count, when others are requested). Nothing here ever
reads a verifier's reason or identity, the true location or the observer. Filters are EXISTS
conditions on `science_value` (a choice field's option, a yes/no answer, a number or count
range) and a range of local (Europe/Bucharest) dates on `observed_at`.

Cost: one statement for points, two for the grid (the GROUP BY over the map index alone, and
the few observations whose contribution is not published, taken off in Python: joining every
row to its contribution would cost several times more; rarely a third), four at most when a
street-zoom box overflows into the grid (five when the points' blocks hold more than
POINT_BLOCK_ROWS); none when the answer is cached. The grid is computed for the box snapped
outward to blocks of BLOCK_CELLS × BLOCK_CELLS cells, and the points are read for the box's
blocks of POINT_BLOCK degrees (about a zoom-16 tile) that are not cached yet, in one statement
over the rectangle around them, and cached per block; so a map panned over a city or a street
reuses the cached blocks, and the answer is then cut to the box (the same features as reading
the box alone). Each worker keeps its blocks and answers in an LRU keyed by the process and the
normalised query, stamped with `ScienceSettings.data_version` (raised by every committed change
the map shows), so a stale entry is never served.

`parse_bbox`, `parse_zoom`, `parse_filters` and `parse_statuses` read a request's arguments
strictly and raise `MapQueryError` (a 400 with its message) on bad input.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, Integer, and_, cast, exists, func, literal, or_, select
from sqlalchemy.orm import aliased, selectinload

from engage.core.i18n import LOCAL_TIMEZONE
from engage.core.refusal import Refusal
from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.science.models import (
    CHOICE_TYPES,
    STATUSES,
    Field,
    Observation,
    ObservationPhoto,
    ObservationValue,
    ScienceSettings,
)

POINT_ZOOM = 16  # from this zoom on, individual points
MAX_ZOOM = 22
MAX_POINTS = 2000  # more in the box: aggregated instead
CELLS_PER_TILE = 4  # grid cells across one 256-pixel tile (a cell ≈ 64 px)
MAX_CELLS_SIDE = 256  # a box wider or taller than this many cells is aggregated coarser
BLOCK_CELLS = 32  # the grid is computed and cached for boxes snapped to blocks of cells
# Street-zoom points are read and cached per block of POINT_BLOCK × POINT_BLOCK degrees: a
# zoom-16 tile's width (≈ 610 m north–south, 410–440 m east–west in Romania), so a
# 1280 × 800 px map at zoom 17 spans 3–4 × 2–3 blocks and a pan of it reuses most of them.
POINT_BLOCK = 360.0 / 2 ** POINT_ZOOM
MAX_POINT_BLOCKS = 256  # a box over more blocks than this is read alone (uncached blocks)
POINT_BLOCK_ROWS = 4 * MAX_POINTS  # more in the missing blocks: the box is read alone
# Cached rows (cells, points) per worker, least recently used out: 60,000 is a city's worth of
# street-zoom points (≈ 230 bytes each, ~14 MiB) besides its grids.
CACHE_ROWS = 60_000
DEFAULT_STATUSES = ("accepted",)
# What the public may ask for: every verification status, rejected included (always shown with
# its status; never the verifier's reason or name). Only a contribution that is not published
# hides its observation from the public.
PUBLIC_STATUSES: tuple[str, ...] = tuple(STATUSES)
COORD_DECIMALS = 6
# A contribution's statuses but "published", listed so that an index finds them (`!=` scans).
UNPUBLISHED = ("pending", "hidden", "rejected", "deleted")
_DIGITS = re.compile(r"[0-9]+")  # ASCII only (str.isdigit accepts other scripts' digits)


class MapQueryError(Refusal):
    """A map request that cannot be answered: bad box, zoom or filter (HTTP 400)."""


@dataclass(frozen=True)
class BBox:
    south: float
    west: float
    north: float
    east: float

    def key(self) -> tuple[float, ...]:
        return tuple(round(v, COORD_DECIMALS) for v in (self.south, self.west, self.north,
                                                         self.east))


@dataclass(frozen=True)
class Filters:
    """A normalised filter: a choice or yes/no value (`value_field` with `option_id` or
    `yes`), a number range (`number_field` with `low`/`high`), local dates."""

    value_field: int | None = None
    option_id: int | None = None
    yes: bool | None = None
    number_field: int | None = None
    low: float | None = None
    high: float | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.value_field, self.number_field,
                                           self.date_from, self.date_to))

    def key(self) -> tuple:
        return (self.value_field, self.option_id, self.yes, self.number_field, self.low,
                self.high, self.date_from, self.date_to)

    def args(self) -> dict[str, str]:
        """The filter as query arguments (the map page's links and the JSON's URL)."""
        found: dict[str, str] = {}
        if self.value_field is not None:
            if self.option_id is not None:
                found["value"] = f"{self.value_field}:{self.option_id}"
            elif self.yes is not None:
                found["value"] = f"{self.value_field}:{'yes' if self.yes else 'no'}"
        if self.number_field is not None:
            found["number"] = str(self.number_field)
            if self.low is not None:
                found["min"] = _plain(self.low)
            if self.high is not None:
                found["max"] = _plain(self.high)
        if self.date_from is not None:
            found["from"] = self.date_from.isoformat()
        if self.date_to is not None:
            found["to"] = self.date_to.isoformat()
        return found


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


# ---------------------------------------------------------------- parsing


def _finite(text: str, what: Any) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise MapQueryError(what) from None
    if not math.isfinite(value):
        raise MapQueryError(what)
    return value


def parse_bbox(text: str | None) -> BBox:
    """`south,west,north,east` in degrees: four finite numbers, south < north, west < east
    after clamping to ±90 / ±180 (a box across the antimeridian is not supported)."""
    message = _l("The map box must be four numbers: south, west, north, east.")
    if not text or len(text) > 200:
        raise MapQueryError(message)
    parts = text.split(",")
    if len(parts) != 4:
        raise MapQueryError(message)
    south, west, north, east = (_finite(part.strip(), message) for part in parts)
    south, north = (max(-90.0, min(90.0, v)) for v in (south, north))
    west, east = (max(-180.0, min(180.0, v)) for v in (west, east))
    if not (south < north and west < east):
        raise MapQueryError(_l("The map box is empty or reversed."))
    return BBox(south, west, north, east)


def parse_zoom(text: str | None) -> int:
    message = _l("The zoom must be a whole number from 0 to 22.")
    if text is None or not _DIGITS.fullmatch(text.strip()) or len(text) > 3:
        raise MapQueryError(message)
    zoom = int(text)
    if not 0 <= zoom <= MAX_ZOOM:
        raise MapQueryError(message)
    return zoom


def _date(text: str | None, what: Any) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10]) if len(text) <= 32 else None
    except ValueError:
        raise MapQueryError(what) from None


def _int(text: str, what: Any) -> int:
    text = text.strip()
    if not _DIGITS.fullmatch(text) or len(text) > 12:
        raise MapQueryError(what)
    return int(text)


def parse_filters(args: Mapping[str, str]) -> Filters:
    """`value=<field id>:<option id | yes | no>`, `number=<field id>&min=&max=`,
    `from=YYYY-MM-DD&to=YYYY-MM-DD` (local dates, both included). Empty arguments are
    ignored; anything else malformed is a MapQueryError. Field and option ids are not checked
    against the campaign: another campaign's ids simply match nothing."""
    value_field = option_id = number_field = None
    yes = low = high = None
    value = (args.get("value") or "").strip()
    if value:
        message = _l("Choose a value from the list.")
        field_text, _, choice = value.partition(":")
        value_field = _int(field_text, message)
        if choice in ("yes", "no"):
            yes = choice == "yes"
        else:
            option_id = _int(choice, message)
    number = (args.get("number") or "").strip()
    if number:
        message = _l("The range must be numbers.")
        number_field = _int(number, message)
        if (args.get("min") or "").strip():
            low = _finite(args["min"].strip()[:40], message)
        if (args.get("max") or "").strip():
            high = _finite(args["max"].strip()[:40], message)
        if low is not None and high is not None and low > high:
            low, high = high, low
    date_message = _l("Dates must be written as YYYY-MM-DD.")
    date_from = _date(args.get("from"), date_message)
    date_to = _date(args.get("to"), date_message)
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    return Filters(value_field, option_id, yes, number_field, low, high, date_from, date_to)


def parse_statuses(values: Iterable[str], allowed: Iterable[str] = PUBLIC_STATUSES
                   ) -> tuple[str, ...]:
    """`status` arguments (repeated or comma-separated; `all` = every status `allowed`) →
    the statuses in STATUSES order; none given → accepted only. A status the viewer may not
    see is a MapQueryError."""
    allowed = tuple(allowed)
    wanted: set[str] = set()
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if part == "all":
                wanted.update(allowed)
            elif part in allowed:
                wanted.add(part)
            else:
                raise MapQueryError(_l("Unknown status."))
    if not wanted:
        return DEFAULT_STATUSES
    return tuple(status for status in STATUSES if status in wanted)


def local_day_start(day: date) -> datetime:
    """The UTC moment a local (Europe/Bucharest) day starts."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TIMEZONE).astimezone(UTC)


# ---------------------------------------------------------------- conditions


def visible_conditions(process: Process | int, statuses: Iterable[str], filters: Filters
                       ) -> list:
    """The WHERE conditions of a campaign's (a process or its id) observations the map and
    open data show (joined to their Contribution): published contributions only, the
    statuses, the filters."""
    return [*observation_conditions(process, statuses, filters),
            Contribution.status == "published"]


def observation_conditions(process: Process | int, statuses: Iterable[str], filters: Filters
                           ) -> list:
    """`visible_conditions` but the contribution's: on the observation table alone."""
    process_id = process if isinstance(process, int) else process.id
    statuses = tuple(statuses)
    conditions = [
        Observation.process_id == process_id,
        # One status (the usual case) as a plain comparison: an expanding IN costs more to
        # prepare than the points query itself at street zoom.
        Observation.status == statuses[0] if len(statuses) == 1
        else Observation.status.in_(statuses),
    ]
    value = ObservationValue
    if filters.value_field is not None:
        match = [value.observation_id == Observation.id, value.field_id == filters.value_field]
        if filters.option_id is not None:
            match.append(value.option_id == filters.option_id)
        elif filters.yes is not None:
            match.append(value.number == (1.0 if filters.yes else 0.0))
        conditions.append(exists().where(*match))
    if filters.number_field is not None:
        match = [value.observation_id == Observation.id, value.field_id == filters.number_field,
                 value.number.is_not(None)]
        if filters.low is not None:
            match.append(value.number >= filters.low)
        if filters.high is not None:
            match.append(value.number <= filters.high)
        conditions.append(exists().where(*match))
    if filters.date_from is not None:
        conditions.append(Observation.observed_at >= local_day_start(filters.date_from))
    if filters.date_to is not None:
        conditions.append(Observation.observed_at < local_day_start(
            date.fromordinal(filters.date_to.toordinal() + 1)))
    return conditions


def _joined(*columns: Any):  # noqa: ANN202
    return select(*columns).select_from(Observation).join(
        Contribution, Contribution.id == Observation.contribution_id)


def _in_box(south: float, west: float, north: float, east: float) -> list:
    """The box's conditions, its bounds written into the statement: bound parameters would
    let a prepared statement (psycopg prepares one it has run 5 times) fall back to a generic
    plan that guesses a tiny box, an index scan several times slower than reading a city."""
    def value(number: float):  # noqa: ANN202
        return literal(float(number), Float, literal_execute=True)

    return [Observation.public_lat >= value(south), Observation.public_lat <= value(north),
            Observation.public_lon >= value(west), Observation.public_lon <= value(east)]


# ---------------------------------------------------------------- the cache


class _LRU:
    """A thread-safe LRU of (version, rows) per key, bounded by the rows it holds."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.rows = 0
        self.items: OrderedDict[Any, tuple[Any, list]] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Any, version: Any) -> list | None:
        with self.lock:
            found = self.items.get(key)
            if found is None or found[0] != version:
                self.misses += 1
                return None
            self.items.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: Any, version: Any, rows: list) -> None:
        if len(rows) > self.max_rows // 4:
            return
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.rows -= len(old[1]) + 1
            self.items[key] = (version, rows)
            self.rows += len(rows) + 1
            while self.rows > self.max_rows and self.items:
                _, (_, evicted) = self.items.popitem(last=False)
                self.rows -= len(evicted) + 1

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.rows = 0


_cache = _LRU(CACHE_ROWS)


def clear_cache() -> None:
    _cache.clear()


# ---------------------------------------------------------------- the grid and the points


def cell_size(zoom: int) -> float:
    """A grid cell's side in degrees at `zoom` (CELLS_PER_TILE cells per tile)."""
    return 360.0 / (2 ** zoom) / CELLS_PER_TILE


def effective_zoom(bbox: BBox, zoom: int) -> int:
    """`zoom`, lowered until the box spans at most MAX_CELLS_SIDE cells each way."""
    while zoom > 0:
        size = cell_size(zoom)
        if ((bbox.east - bbox.west) / size <= MAX_CELLS_SIDE
                and (bbox.north - bbox.south) / size <= MAX_CELLS_SIDE):
            break
        zoom -= 1
    return zoom


def _cell_index(column: Any, offset: float, size: float, dialect: str):  # noqa: ANN202
    shifted = (column + offset) / size
    if dialect == "sqlite":
        # Positive after the shift, so SQLite's truncating CAST is a floor.
        return cast(shifted, Integer)
    return cast(func.floor(shifted), Integer)


def _hidden_condition(process_id: int):  # noqa: ANN202
    """Observations whose Contribution is not published (few: read through the contribution
    index and the unique contribution_id, never by visiting every observation's row)."""
    return Observation.contribution_id.in_(
        select(Contribution.id).where(Contribution.process_id == process_id,
                                      Contribution.kind == "observation",
                                      Contribution.status != "published"))


def _from_hidden(process_id: int, *columns: Any):  # noqa: ANN202
    """`select(*columns)` of the observations whose Contribution is not published. They are
    few and are found from the contributions (their index), then through the unique
    contribution_id: PostgreSQL plans a plain join so; SQLite's planner would rather walk every
    observation of the box and look each contribution up, so there the observations are taken
    by primary key from the list of hidden ones."""
    unpublished = (Contribution.process_id == process_id, Contribution.kind == "observation",
                   Contribution.status.in_(UNPUBLISHED))
    if db.session.get_bind().dialect.name != "sqlite":
        return (select(*columns).select_from(Contribution)
                .join(Observation, Observation.contribution_id == Contribution.id)
                .where(*unpublished))
    other = aliased(Observation)
    hidden = (select(other.id).select_from(Contribution)
              .join(other, other.contribution_id == Contribution.id).where(*unpublished))
    return select(*columns).where(Observation.id.in_(hidden))


def _grid_rows(process: Process, statuses: tuple[str, ...], filters: Filters, zoom: int,
               block: tuple[int, int, int, int]) -> list[tuple]:
    """The block's cells: (cx, cy, status, count, sum of lat, sum of lon, the id when the
    cell holds one observation else None). Two statements: the GROUP BY over every observation
    of the statuses in the block, which the map index covers (no visit of the rows, no join),
    and the few observations whose contribution is not published, taken off in Python."""
    size = cell_size(zoom)
    bx0, by0, bx1, by1 = block  # cell indices, inclusive
    box = _in_box(max(-90.0, by0 * size - 90.0), max(-180.0, bx0 * size - 180.0),
                  min(90.0, (by1 + 1) * size - 90.0), min(180.0, (bx1 + 1) * size - 180.0))
    dialect = db.session.get_bind().dialect.name
    cx = _cell_index(Observation.public_lon, 180.0, size, dialect).label("cx")
    cy = _cell_index(Observation.public_lat, 90.0, size, dialect).label("cy")
    conditions = observation_conditions(process, statuses, filters)
    several = len(statuses) > 1
    keys = (cx, cy, Observation.status) if several else (cx, cy)
    cells: dict[tuple, list] = {}
    connection = db.session.connection()  # plain rows, without the ORM's result processing
    for row in connection.execute(
            select(*keys, func.count(), func.sum(Observation.public_lat),
                   func.sum(Observation.public_lon), func.min(Observation.id),
                   func.max(Observation.id))
            .where(*conditions, *box).group_by(*keys)):
        if several:
            x, y, status, count, lat, lon, low, high = row
        else:
            (x, y, count, lat, lon, low, high), status = row, statuses[0]
        cells[(x, y, status)] = [count, lat, lon, low, high, set()]
    for x, y, status, id_, lat, lon in connection.execute(
            _from_hidden(process.id, cx, cy, Observation.status, Observation.id,
                         Observation.public_lat, Observation.public_lon)
            .where(*conditions, *box)):
        cell = cells.get((x, y, status))
        if cell is None:
            continue
        cell[0] -= 1
        cell[1] -= lat
        cell[2] -= lon
        cell[5].add(id_)
    rows = []
    unknown = []
    for (x, y, status), (count, lat, lon, low, high, hidden) in cells.items():
        if count <= 0:
            continue
        single = None
        if count == 1:
            # The one left is the lowest or the highest id, unless both were hidden.
            single = next((id_ for id_ in (low, high) if id_ not in hidden), None)
            if single is None:
                unknown.append((x, y, status))
        rows.append([x, y, status, count, lat, lon, single])
    if unknown:
        # Rare (two hidden observations around a single one): one more statement for them.
        found = {(x, y, status): id_ for x, y, status, id_ in db.session.execute(
            select(cx, cy, Observation.status, Observation.id)
            .where(*conditions, *box, ~_hidden_condition(process.id),
                   or_(*(and_(cx == x, cy == y) for x, y, _ in unknown))))}
        for row in rows:
            if row[6] is None and row[3] == 1:
                row[6] = found.get((row[0], row[1], row[2]))
    return [tuple(row) for row in rows]


def _grid(process: Process, version: int, bbox: BBox, zoom: int, statuses: tuple[str, ...],
          filters: Filters) -> tuple[list[dict], int]:
    size = cell_size(zoom)
    x0 = int((bbox.west + 180.0) // size)
    x1 = int((bbox.east + 180.0) // size)
    y0 = int((bbox.south + 90.0) // size)
    y1 = int((bbox.north + 90.0) // size)
    block = (x0 // BLOCK_CELLS * BLOCK_CELLS, y0 // BLOCK_CELLS * BLOCK_CELLS,
             (x1 // BLOCK_CELLS + 1) * BLOCK_CELLS - 1, (y1 // BLOCK_CELLS + 1) * BLOCK_CELLS - 1)
    key = ("grid", process.id, zoom, block, statuses, filters.key())
    rows = _cache.get(key, version)
    if rows is None:
        rows = _grid_rows(process, statuses, filters, zoom, block)
        _cache.put(key, version, rows)
    cells: dict[tuple[int, int], list] = {}
    for cx, cy, status, count, lat_sum, lon_sum, single in rows:
        if not (x0 <= cx <= x1 and y0 <= cy <= y1):
            continue
        cell = cells.get((cx, cy))
        if cell is None:
            cells[(cx, cy)] = [count, lat_sum, lon_sum, single, {status: count}]
        else:
            cell[0] += count
            cell[1] += lat_sum
            cell[2] += lon_sum
            cell[3] = None
            cell[4][status] = cell[4].get(status, 0) + count
    show_statuses = statuses != DEFAULT_STATUSES
    found = []
    total = 0
    for _cell, (count, lat_sum, lon_sum, first_id, by_status) in sorted(cells.items()):
        total += count
        properties: dict[str, Any] = {"count": count}
        if count == 1 and first_id is not None:
            properties["id"] = first_id
        if show_statuses:
            if count == 1:
                properties["status"] = next(iter(by_status))
            properties["statuses"] = by_status
        found.append(_point(lon_sum / count, lat_sum / count, properties))
    return found, total


def _iso_text(column: Any, dialect: str):  # noqa: ANN202
    """A UTC time column as ISO 8601 text with a "Z", formatted by the database (thousands of
    points would otherwise each go through a Python datetime)."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%dT%H:%M:%SZ", column)
    return func.to_char(column, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')


def _point_block(lat: float, lon: float) -> tuple[int, int]:
    """The POINT_BLOCK block (column, row) a position is in: a point on a block's edge belongs
    to the block east / north of it, and so to one block only."""
    return (math.floor((lon + 180.0) / POINT_BLOCK), math.floor((lat + 90.0) / POINT_BLOCK))


def _points(process: Process, version: int, bbox: BBox, statuses: tuple[str, ...],
            filters: Filters) -> list[dict] | None:
    """The observations in the box as features in id order, or None when there are more than
    MAX_POINTS. Read and cached per POINT_BLOCK block (see `_point_blocks`), so a map panned at
    street zoom reuses the blocks it has seen; a box over too many blocks, or blocks holding
    too many points, is read alone as before (`_points_in_box`)."""
    bx0, by0 = _point_block(bbox.south, bbox.west)
    bx1, by1 = _point_block(bbox.north, bbox.east)
    if (bx1 - bx0 + 1) * (by1 - by0 + 1) > MAX_POINT_BLOCKS:
        return _points_in_box(process, version, bbox, statuses, filters)
    wanted = [(bx, by) for by in range(by0, by1 + 1) for bx in range(bx0, bx1 + 1)]
    blocks: dict[tuple[int, int], list] = {}
    missing = []
    for block in wanted:
        rows = _cache.get(("points", process.id, block, statuses, filters.key()), version)
        if rows is None:
            missing.append(block)
        elif rows == _DENSE:
            return _points_in_box(process, version, bbox, statuses, filters)
        else:
            blocks[block] = rows
    if missing:
        read = _point_blocks(process, statuses, filters, missing)
        if read is None:
            # Too many points around: the box alone decides, and the blocks are remembered
            # as too dense, so that the next boxes over them do not read them again.
            for block in _rectangle(missing):
                _cache.put(("points", process.id, block, statuses, filters.key()), version,
                           _DENSE)
            return _points_in_box(process, version, bbox, statuses, filters)
        for block, rows in read.items():
            _cache.put(("points", process.id, block, statuses, filters.key()), version, rows)
        blocks.update(read)
    # The box's conditions as the statement's; rows (id, lat, lon, status, observed_at).
    south, west, north, east = bbox.south, bbox.west, bbox.north, bbox.east
    found = [row for block in wanted for row in blocks[block]
             if south <= row[1] <= north and west <= row[2] <= east]
    if len(found) > MAX_POINTS:
        return None
    found.sort()  # by id (unique)
    # Public positions are already rounded to the campaign's precision.
    return [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
             "properties": {"id": id_, "status": status, "observed_at": observed_at}}
            for id_, lat, lon, status, observed_at in found]


_DENSE = [None]  # a cached block in a rectangle that held more than POINT_BLOCK_ROWS points


def _rectangle(blocks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Every block of the rectangle around `blocks`."""
    bx0, bx1 = min(bx for bx, _ in blocks), max(bx for bx, _ in blocks)
    by0, by1 = min(by for _, by in blocks), max(by for _, by in blocks)
    return [(bx, by) for by in range(by0, by1 + 1) for bx in range(bx0, bx1 + 1)]


def _point_blocks(process: Process, statuses: tuple[str, ...], filters: Filters,
                  missing: list[tuple[int, int]]) -> dict[tuple[int, int], list] | None:
    """The points of every block in the rectangle around the `missing` blocks, by block: plain
    tuples (id, lat, lon, status, observed_at as ISO text), the smallest to cache, in id
    order. One statement over the rectangle (a hair wider, so that rounding never loses a
    point on its edge: each row is put in its block in Python and rows of blocks outside the
    rectangle are dropped); None when it holds more than POINT_BLOCK_ROWS points (they are not
    all read)."""
    bx0 = min(bx for bx, _ in missing)
    bx1 = max(bx for bx, _ in missing)
    by0 = min(by for _, by in missing)
    by1 = max(by for _, by in missing)
    margin = 1e-7  # far below the 6 decimals a public position has
    box = _in_box(max(-90.0, by0 * POINT_BLOCK - 90.0 - margin),
                  max(-180.0, bx0 * POINT_BLOCK - 180.0 - margin),
                  min(90.0, (by1 + 1) * POINT_BLOCK - 90.0 + margin),
                  min(180.0, (bx1 + 1) * POINT_BLOCK - 180.0 + margin))
    dialect = db.session.get_bind().dialect.name
    query = (
        _joined(Observation.id, Observation.public_lat, Observation.public_lon,
                Observation.status, _iso_text(Observation.observed_at, dialect))
        .where(*visible_conditions(process, statuses, filters), *box)
        .order_by(Observation.id)
        .limit(POINT_BLOCK_ROWS + 1)
    )
    # Through the connection: plain rows, without the ORM's result processing.
    rows = db.session.connection().execute(query).all()
    if len(rows) > POINT_BLOCK_ROWS:
        return None
    blocks: dict[tuple[int, int], list] = {block: [] for block in _rectangle(missing)}
    shared = {status: status for status in STATUSES}  # one string per status, not per row
    for id_, lat, lon, status, observed_at in rows:
        rows_of_block = blocks.get(_point_block(lat, lon))
        if rows_of_block is not None:  # else just outside the rectangle (its margin)
            rows_of_block.append((id_, lat, lon, shared.get(status, status), observed_at))
    return blocks


def _points_in_box(process: Process, version: int, bbox: BBox, statuses: tuple[str, ...],
                   filters: Filters) -> list[dict] | None:
    """`_points` for the box alone, cached under the exact box: at most MAX_POINTS + 1 rows
    read."""
    key = ("points-box", process.id, bbox.key(), statuses, filters.key())
    found = _cache.get(key, version)
    if found is not None:
        return None if found == [None] else found
    dialect = db.session.get_bind().dialect.name
    query = (
        _joined(Observation.id, Observation.public_lat, Observation.public_lon,
                Observation.status, _iso_text(Observation.observed_at, dialect))
        .where(*visible_conditions(process, statuses, filters),
               *_in_box(bbox.south, bbox.west, bbox.north, bbox.east))
        .order_by(Observation.id)
        .limit(MAX_POINTS + 1)
    )
    rows = db.session.connection().execute(query).all()
    if len(rows) > MAX_POINTS:
        _cache.put(key, version, [None])  # "too many": remembered as well
        return None
    found = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
              "properties": {"id": id_, "status": status, "observed_at": observed_at}}
             for id_, lat, lon, status, observed_at in rows]
    _cache.put(key, version, found)
    return found


def _point(lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(lon, COORD_DECIMALS),
                                                          round(lat, COORD_DECIMALS)]},
            "properties": properties}


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def settings_of(process: Process) -> ScienceSettings | None:
    """The campaign's settings row (from the session's identity map when already loaded)."""
    return db.session.get(ScienceSettings, process.id)


def data_version(process: Process, settings: ScienceSettings | None = None) -> int:
    settings = settings if settings is not None else settings_of(process)
    return (settings.data_version or 0) if settings is not None else 0


def features(process: Process, bbox: BBox, zoom: int, filters: Filters | None = None,
             statuses: Iterable[str] = DEFAULT_STATUSES, *,
             settings: ScienceSettings | None = None) -> dict[str, Any]:
    """The map's FeatureCollection for `bbox` at `zoom` (see the module's docstring)."""
    filters = filters or Filters()
    statuses = tuple(status for status in STATUSES if status in set(statuses)) \
        or DEFAULT_STATUSES
    version = data_version(process, settings)
    zoom = effective_zoom(bbox, zoom)
    if zoom >= POINT_ZOOM:
        found = _points(process, version, bbox, statuses, filters)
        if found is not None:
            return {"type": "FeatureCollection", "features": found,
                    "properties": {"mode": "points", "zoom": zoom, "total": len(found)}}
        # Too many points in the box: the finest grid instead.
        zoom = POINT_ZOOM - 1
    found, total = _grid(process, version, bbox, zoom, statuses, filters)
    return {"type": "FeatureCollection", "features": found,
            "properties": {"mode": "grid", "zoom": zoom, "cell": cell_size(zoom),
                           "total": total}}


# ---------------------------------------------------------------- values, for popups and exports


def fields_of(process: Process) -> list[Field]:
    """Every field of the protocol in order (deactivated ones too: stored values keep their
    meaning), their options loaded: two statements."""
    return list(db.session.scalars(
        select(Field).where(Field.process_id == process.id)
        .order_by(Field.position, Field.id).options(selectinload(Field.options))))


def values_of(observation_ids: list[int]) -> dict[int, dict[int, list[Any]]]:
    """The values of these observations by observation and field (rows with the value's
    attributes: number, option_id, text, moment): one statement."""
    found: dict[int, dict[int, list[Any]]] = {}
    if not observation_ids:
        return found
    v = ObservationValue
    # Plain rows with the model's attribute names: an export reads hundreds of thousands.
    for value in db.session.execute(
            select(v.observation_id, v.field_id, v.number, v.option_id, v.text, v.moment)
            .where(v.observation_id.in_(observation_ids)).order_by(v.id)):
        found.setdefault(value.observation_id, {}).setdefault(value.field_id, []).append(value)
    return found


def photos_of(observation_ids: list[int]) -> dict[int, list[Any]]:
    """The photos of these observations, in order (rows with key, thumb_key and sizes): one
    statement."""
    found: dict[int, list[Any]] = {}
    if not observation_ids:
        return found
    p = ObservationPhoto
    for photo in db.session.execute(
            select(p.observation_id, p.key, p.thumb_key, p.width, p.height, p.thumb_width,
                   p.thumb_height)
            .where(p.observation_id.in_(observation_ids))
            .order_by(p.observation_id, p.position)):
        found.setdefault(photo.observation_id, []).append(photo)
    return found


def plain_number(value: float | None) -> float | int | None:
    """Whole numbers as integers (3, not 3.0)."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def raw_value(field: Field, values: list[Any]) -> Any:
    """A field's value as data: a number, True/False, option ids, text, an ISO time, None."""
    if not values:
        return None
    first = values[0]
    if field.type in ("number", "count"):
        return plain_number(first.number)
    if field.type == "yes_no":
        return None if first.number is None else first.number >= 0.5
    if field.type == "single":
        return first.option_id
    if field.type == "multiple":
        return [value.option_id for value in values if value.option_id is not None]
    if field.type == "text":
        return first.text
    if field.type == "datetime":
        return iso_utc(first.moment)
    return None


def value_text(field: Field, values: list[Any], language: str) -> str:
    """A field's value as text in `language` (option labels, the unit, yes/no, a local time);
    "" when there is none."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    if not values:
        return ""
    first = values[0]
    other = "en" if language == "ro" else "ro"
    if field.type in ("number", "count"):
        if first.number is None:
            return ""
        unit = (field.settings or {}).get(f"unit_{language}") \
            or (field.settings or {}).get(f"unit_{other}") or ""
        from babel.numbers import format_decimal

        number = format_decimal(plain_number(first.number), locale=language,
                                decimal_quantization=False)
        return f"{number} {unit}".strip()
    if field.type == "yes_no":
        if first.number is None:
            return ""
        with force_locale(language):
            return _("Yes") if first.number >= 0.5 else _("No")
    if field.type in CHOICE_TYPES:
        labels = {option.id: (getattr(option, f"label_{language}") or
                              getattr(option, f"label_{other}") or "")
                  for option in field.options}
        return "; ".join(labels.get(value.option_id, "") for value in values
                         if value.option_id is not None)
    if field.type == "text":
        return first.text or ""
    if field.type == "datetime" and first.moment is not None:
        moment = first.moment if first.moment.tzinfo else first.moment.replace(tzinfo=UTC)
        return moment.astimezone(LOCAL_TIMEZONE).strftime("%Y-%m-%d %H:%M")
    return ""


# ---------------------------------------------------------------- the page's list and extent


def first_observations(process: Process, filters: Filters, statuses: Iterable[str],
                       limit: int, *, settings: ScienceSettings | None = None
                       ) -> tuple[list[tuple], int]:
    """The latest `limit` observations shown (id, observed_at, status, public lat, public
    lon), and how many there are: two statements (none when cached)."""
    statuses = tuple(statuses)
    key = ("first", process.id, statuses, filters.key(), limit)
    version = data_version(process, settings)
    cached = _cache.get(key, version)
    if cached is not None:
        return cached[0], cached[1]
    conditions = visible_conditions(process, statuses, filters)
    rows = [tuple(row) for row in db.session.execute(
        _joined(Observation.id, Observation.observed_at, Observation.status,
                Observation.public_lat, Observation.public_lon)
        .where(*conditions).order_by(Observation.observed_at.desc(), Observation.id.desc())
        .limit(limit))]
    # Counted without the join (the index covers it), the unpublished ones taken off.
    plain = observation_conditions(process, statuses, filters)
    total = db.session.scalar(select(
        select(func.count()).select_from(Observation).where(*plain).scalar_subquery()
        - _from_hidden(process.id, func.count()).where(*plain).scalar_subquery())) or 0
    _cache.put(key, version, [rows, total])
    return rows, total


def extent(process: Process, settings: ScienceSettings | None = None
           ) -> tuple[float, float, float, float] | None:
    """Where the map starts: the campaign's area, else the box of its accepted observations
    (south, west, north, east), else None. One statement at most (cached per version)."""
    settings = settings if settings is not None else settings_of(process)
    if settings is not None and settings.area:
        from engage.science.geo import bounds

        try:
            return bounds(settings.area)
        except (ValueError, TypeError, KeyError, IndexError):
            pass
    key = ("extent", process.id)
    version = data_version(process, settings)
    cached = _cache.get(key, version)
    if cached is None:
        row = db.session.execute(
            _joined(func.min(Observation.public_lat), func.min(Observation.public_lon),
                    func.max(Observation.public_lat), func.max(Observation.public_lon))
            .where(*visible_conditions(process, DEFAULT_STATUSES, Filters()))).one()
        cached = [tuple(row)]
        _cache.put(key, version, cached)
    south, west, north, east = cached[0]
    if south is None:
        return None
    return south, west, north, east
