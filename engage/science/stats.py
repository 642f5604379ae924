"""Science results in aggregate: what a campaign's observations say, per field, for the results
page (charts and the summary table). Reading only; nothing here writes.

What counts
- Only observations whose Contribution is *published* (a hidden, rejected or deleted
  contribution hides its observation everywhere), and by default only the *accepted* ones;
  `statuses` widens that (the page's "all statuses" shows every verification status, rejected
  included, with the counts split by status, like the map and the open data on request). The
  totals by status always cover every status, so the page can say how many await checking or
  were rejected. No verifier's reason or identity is ever read.
- Only the active fields are shown. An option that was deactivated still shows when some
  counted observation chose it (marked `inactive`), so the counts add up.
- A field's *base* is the number of counted observations with a value for it. Percentages of
  single choice and yes/no are of that base; multiple choice percentages too (one observation
  may choose several options, so they add up to more than 100 %).
- Number and count fields: count, smallest, median (exact: the middle value, or the mean of the
  two middle ones), largest and mean, and a histogram of at most about `MAX_BINS` equal bins
  between the smallest and largest value (one bin per value for whole numbers with a small
  range). Text and date-time fields: the number answered. Photo fields: the number of
  observations with at least one photo for that field.
- Observations per day of observation (`observed_at`) in Romania's local time, per week
  (starting on Monday) when the days span more than `MAX_DAYS`.

Queries: a fixed number of statements whatever the number of observations and fields: the
totals by status; observations answering each field (values and photos together); the choice
and yes/no counts; the number statistics with their medians (a window numbers each field's
values in order and one outer GROUP BY keeps the middle ones); the histograms (a CASE gives
each value its bin); observations per UTC hour (Romania's offset is a whole number of hours, so
each hour lies in one local day, which Python then assigns). Six at most, none per field or per
observation; plus two to load the fields and their options.

Cache: per worker process, a small LRU of the raw figures (ids and numbers, no texts) keyed by
(process, statuses, the fields' ids and types) and stamped with the campaign's data version
(`ScienceSettings.data_version`, raised in every committed transaction that changes what the
charts show: see `versions`). A stale entry is simply recomputed, so correctness never depends
on the cache and many workers are fine. The page's rendering is cached the same way
(`cached_rendering`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import selectinload

from engage.core.cache import VersionedLRU
from engage.core.i18n import (
    LOCAL_TIMEZONE,
    current_language,
    format_number,
    localized,
)
from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.science.mapdata import PUBLIC_STATUSES
from engage.science.models import (
    CHOICE_TYPES,
    STATUSES,
    Field,
    FieldOption,
    Observation,
    ObservationPhoto,
    ObservationValue,
    ScienceSettings,
)

DEFAULT_STATUSES: tuple[str, ...] = ("accepted",)
# Every verification status, in the order the page shows them (accepted first).
ALL_STATUSES: tuple[str, ...] = ("accepted", *(s for s in STATUSES if s != "accepted"))
# What "all statuses" shows the public: every status, rejected included, split by status, as
# the map and the open data do on request (`mapdata.PUBLIC_STATUSES`).
SHOWN_STATUSES: tuple[str, ...] = tuple(s for s in ALL_STATUSES if s in PUBLIC_STATUSES)
NUMBER_TYPES = ("number", "count")
MAX_BINS = 10
MAX_DAYS = 92
CACHE_SIZE = 128
PAGE_CACHE_SIZE = 24  # renderings: languages × status choices × the busiest campaigns

YES_LABEL = _l("Yes")
NO_LABEL = _l("No")


# ---------------------------------------------------------------- the shapes


@dataclass
class Bar:
    """One count of a field: an option, yes or no, a histogram bin."""

    key: Any
    count: int
    percent: float | None
    by_status: dict[str, int] = field(default_factory=dict)
    option: FieldOption | None = None
    fixed: Any = None  # a lazy string, or a callable formatting the label for the request
    inactive: bool = False  # a deactivated option that still has values

    def label(self, language: str | None = None) -> str:
        if self.option is not None:
            return localized(self.option, "label", language).text
        return str(self.fixed() if callable(self.fixed) else self.fixed)


@dataclass
class FieldStats:
    field: Field
    answered: int
    answered_by_status: dict[str, int] = field(default_factory=dict)
    bars: list[Bar] = field(default_factory=list)
    minimum: float | None = None
    median: float | None = None
    maximum: float | None = None
    mean: float | None = None

    @property
    def type(self) -> str:
        return self.field.type

    @property
    def decimals(self) -> int:
        return field_decimals(self.field)

    def unit(self, language: str | None = None) -> str:
        settings = self.field.settings or {}
        language = language or current_language()
        return str(settings.get(f"unit_{language}") or settings.get("unit_ro")
                   or settings.get("unit_en") or "")


@dataclass
class DayPoint:
    day: date  # the day, or the Monday of the week
    count: int
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass
class Stats:
    process: Process
    statuses: tuple[str, ...]
    totals: dict[str, int]  # every status, published contributions only
    with_photos: int  # counted observations with at least one photo
    fields: list[FieldStats]
    timeline: list[DayPoint]
    timeline_unit: str  # "day" or "week"

    @property
    def observations(self) -> int:
        """The counted observations (those of the chosen statuses)."""
        return sum(self.totals.get(status, 0) for status in self.statuses)

    @property
    def all_statuses(self) -> bool:
        return len(self.statuses) > 1

    @property
    def number_fields(self) -> list[FieldStats]:
        return [f for f in self.fields if f.type in NUMBER_TYPES]

    def result(self, field_id: int) -> FieldStats | None:
        return next((f for f in self.fields if f.field.id == field_id), None)


def percent(count: int, base: int) -> float | None:
    return round(100.0 * count / base, 1) if base else None


def field_decimals(field_: Field) -> int:
    if field_.type != "number":
        return 0
    try:
        return min(max(int((field_.settings or {}).get("decimals") or 0), 0), 6)
    except (TypeError, ValueError):
        return 0


def parse_statuses(value: str | None) -> tuple[str, ...]:
    """The statuses a query-string value asks for: "all" → every status shown to the public
    (`SHOWN_STATUSES`: all four, rejected included); anything else (nothing, unknown words)
    → accepted only."""
    return SHOWN_STATUSES if value == "all" else DEFAULT_STATUSES


# ---------------------------------------------------------------- formatting


# ---------------------------------------------------------------- the caches


_cache = VersionedLRU(CACHE_SIZE)
_pages = VersionedLRU(PAGE_CACHE_SIZE)


def clear_cache() -> None:
    """Forget every cached figure and rendering (tests; never needed for correctness)."""
    _cache.clear()
    _pages.clear()


def data_version(process: Process) -> int:
    """The campaign's data version (one statement; 0 before anything was ever saved)."""
    return db.session.scalar(
        select(ScienceSettings.data_version).where(ScienceSettings.process_id == process.id)
    ) or 0


def cached_rendering(key: Any, version: int, render: Callable[[], str]) -> str:
    """The rendering for `key` (which must hold everything it depends on besides the data:
    process, language, query), cached under the campaign's data `version`."""
    return _pages.get_or_compute(key, version, render)


# ---------------------------------------------------------------- loading the fields


def active_fields(process: Process) -> list[Field]:
    """The active fields in order, with their options (two statements)."""
    return list(db.session.scalars(
        select(Field).where(Field.process_id == process.id, Field.active.is_(True))
        .order_by(Field.position, Field.id).options(selectinload(Field.options))
    ))


# ---------------------------------------------------------------- computing


@dataclass
class _Raw:
    """What the database said, by ids: cached, independent of texts and language."""

    totals: dict[str, int]
    photos_by_status: dict[str, int]
    answered: dict[int, dict[str, int]]  # field → status → observations
    closed: dict[int, dict[tuple, dict[str, int]]]  # field → (option, number) → status → n
    numbers: dict[int, tuple[int, float, float, float, float]]  # n, min, max, mean, median
    bins: dict[int, list[tuple[float, float, dict[str, int]]]]  # field → [(from, to, counts)]
    timeline: list[DayPoint]
    timeline_unit: str


def _counted(process_id: int, statuses: Iterable[str]) -> list[Any]:
    return [Observation.process_id == process_id, Observation.status.in_(list(statuses)),
            Contribution.status == "published"]


def _observations() -> Any:
    """FROM science_observation joined to its contribution (the published filter)."""
    return Observation.__table__.join(
        Contribution.__table__, Contribution.id == Observation.contribution_id)


def _values() -> Any:
    return ObservationValue.__table__.join(
        Observation.__table__, Observation.id == ObservationValue.observation_id).join(
        Contribution.__table__, Contribution.id == Observation.contribution_id)


def _add(target: dict, key: Any, status: str, count: int) -> None:
    by_status = target.setdefault(key, {})
    by_status[status] = by_status.get(status, 0) + int(count)


def _totals(process_id: int) -> tuple[dict[str, int], dict[str, int]]:
    has_photo = exists().where(ObservationPhoto.observation_id == Observation.id)
    totals: dict[str, int] = {}
    photos: dict[str, int] = {}
    for status, count, with_photos in db.session.execute(
        select(Observation.status, func.count(),
               func.coalesce(func.sum(case((has_photo, 1), else_=0)), 0))
        .select_from(_observations())
        .where(Observation.process_id == process_id, Contribution.status == "published")
        .group_by(Observation.status)
    ):
        totals[status] = int(count)
        photos[status] = int(with_photos)
    return totals, photos


def _answered(fields: list[Field], where: list[Any]) -> dict[int, dict[str, int]]:
    """Observations with a value (or, for photo fields, a photo) per field and status."""
    value_ids = [f.id for f in fields if f.type != "photo"]
    photo_ids = [f.id for f in fields if f.type == "photo"]
    parts = []
    if value_ids:
        present = or_(ObservationValue.number.is_not(None),
                      ObservationValue.option_id.is_not(None),
                      and_(ObservationValue.text.is_not(None), ObservationValue.text != ""),
                      ObservationValue.moment.is_not(None))
        parts.append(
            select(ObservationValue.field_id.label("fid"), Observation.status.label("status"),
                   ObservationValue.observation_id.label("oid"))
            .select_from(_values())
            .where(ObservationValue.field_id.in_(value_ids), present, *where))
    if photo_ids:
        parts.append(
            select(ObservationPhoto.field_id.label("fid"), Observation.status.label("status"),
                   ObservationPhoto.observation_id.label("oid"))
            .select_from(ObservationPhoto.__table__.join(
                Observation.__table__, Observation.id == ObservationPhoto.observation_id).join(
                Contribution.__table__, Contribution.id == Observation.contribution_id))
            .where(ObservationPhoto.field_id.in_(photo_ids), *where))
    if not parts:
        return {}
    inner = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    c = inner.c
    answered: dict[int, dict[str, int]] = {}
    for fid, status, count in db.session.execute(
        select(c.fid, c.status, func.count(func.distinct(c.oid))).group_by(c.fid, c.status)
    ):
        _add(answered, fid, status, count)
    return answered


def _closed(fields: list[Field], where: list[Any]) -> dict[int, dict[tuple, dict[str, int]]]:
    ids = [f.id for f in fields if f.type in (*CHOICE_TYPES, "yes_no")]
    closed: dict[int, dict[tuple, dict[str, int]]] = {}
    if not ids:
        return closed
    V = ObservationValue  # noqa: N806
    for fid, option_id, number, status, count in db.session.execute(
        select(V.field_id, V.option_id, V.number, Observation.status, func.count())
        .select_from(_values())
        .where(V.field_id.in_(ids), *where)
        .group_by(V.field_id, V.option_id, V.number, Observation.status)
    ):
        _add(closed.setdefault(fid, {}), (option_id, number), status, count)
    return closed


def _number_statistics(ids: list[int], where: list[Any]) -> dict[int, tuple]:
    """n, min, max, mean and the exact median of each field, in one statement: a window numbers
    each field's values in order; the outer GROUP BY averages the middle one or two."""
    V = ObservationValue  # noqa: N806
    by_field = {"partition_by": V.field_id}
    inner = (
        select(V.field_id.label("fid"), V.number.label("value"),
               func.row_number().over(order_by=(V.number, V.id), **by_field).label("rn"),
               func.count().over(**by_field).label("n"))
        .select_from(_values())
        .where(V.field_id.in_(ids), V.number.is_not(None), *where)
        .subquery()
    )
    c = inner.c
    middle = or_(c.rn == (c.n + 1) // 2, c.rn == (c.n + 2) // 2)
    statement = (
        select(c.fid, func.count(), func.min(c.value), func.max(c.value), func.avg(c.value),
               func.avg(case((middle, c.value), else_=None)))
        .group_by(c.fid)
    )
    return {
        fid: (int(n), float(lo), float(hi), float(mean), float(median))
        for fid, n, lo, hi, mean, median in db.session.execute(statement)
    }


def histogram_bins(lo: float, hi: float, whole: bool,
                   most: int = MAX_BINS) -> list[tuple[float, float]]:
    """Equal bins [from, to) covering lo…hi (the last one also takes hi), at most about `most`
    of them, with a round width (1, 2 or 5 times a power of ten; a whole number for whole
    values). One value, or whole values with a small range: one bin per value, as (v, v)."""
    if hi <= lo:
        return [(lo, lo)]
    if whole and hi - lo < most:
        return [(float(v), float(v)) for v in range(math.floor(lo), math.floor(hi) + 1)]
    wanted = (hi - lo) / most
    scale = 10.0 ** math.floor(math.log10(wanted))
    width = next(m * scale for m in (1, 2, 5, 10) if m * scale >= wanted * (1 - 1e-9))
    if whole:
        width = float(max(1, math.ceil(width)))
    start = math.floor(lo / width + 1e-9) * width
    bins = []
    n = 0
    while True:
        low = round(start + n * width, 9)
        if low > hi or n > most + 1:
            break
        bins.append((low, round(start + (n + 1) * width, 9)))
        n += 1
    return bins


def _histograms(fields: dict[int, Field], stats: dict[int, tuple],
                where: list[Any]) -> dict[int, list[tuple[float, float, dict[str, int]]]]:
    """Counts per bin and status of every number field with values, in one statement."""
    V = ObservationValue  # noqa: N806
    edges = {
        fid: histogram_bins(lo, hi, field_decimals(fields[fid]) == 0)
        for fid, (_n, lo, hi, _mean, _median) in stats.items()
    }
    if not edges:
        return {}
    per_field = []
    for fid, bins in edges.items():
        last = len(bins) - 1
        # A value's bin is the first whose upper bound it is below; a one-value bin of a whole
        # field ends half-way to the next value.
        whens = [(V.number < (a + 0.5 if a == b else b), n) for n, (a, b) in enumerate(bins[:-1])]
        per_field.append((V.field_id == fid, case(*whens, else_=last) if whens else literal(last)))
    inner = (
        select(V.field_id.label("fid"), Observation.status.label("status"),
               case(*per_field, else_=-1).label("bin"))
        .select_from(_values())
        .where(V.field_id.in_(list(edges)), V.number.is_not(None), *where)
        .subquery()
    )
    c = inner.c
    counts: dict[tuple[int, int], dict[str, int]] = {}
    for fid, index, status, count in db.session.execute(
        select(c.fid, c.bin, c.status, func.count()).group_by(c.fid, c.bin, c.status)
    ):
        _add(counts, (fid, int(index)), status, count)
    return {fid: [(a, b, counts.get((fid, n), {})) for n, (a, b) in enumerate(bins)]
            for fid, bins in edges.items()}


def _hour(column: Any) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def _per_hour(where: list[Any]) -> list[tuple[str, str, int]]:
    hour = _hour(Observation.observed_at)
    return [(str(h), status, int(count)) for h, status, count in db.session.execute(
        select(hour, Observation.status, func.count()).select_from(_observations())
        .where(*where).group_by(hour, Observation.status)
    ) if h]


def local_days(hours: Iterable[tuple[str, str, int]]) -> tuple[list[DayPoint], str]:
    """(UTC hour "YYYY-MM-DD HH", status, count) → observations per local day, every day from
    the first to the last (per week, from Monday, when that spans more than MAX_DAYS)."""
    days: dict[date, dict[str, int]] = {}
    for hour, status, count in hours:
        moment = datetime.strptime(hour[:13], "%Y-%m-%d %H").replace(tzinfo=UTC)
        _add(days, moment.astimezone(LOCAL_TIMEZONE).date(), status, count)
    if not days:
        return [], "day"
    first, last = min(days), max(days)
    unit, step = "day", 1
    if (last - first).days >= MAX_DAYS:
        unit, step = "week", 7
        weeks: dict[date, dict[str, int]] = {}
        for day, by_status in days.items():
            for status, count in by_status.items():
                _add(weeks, day - timedelta(days=day.weekday()), status, count)
        days, first = weeks, first - timedelta(days=first.weekday())
    points = []
    day = first
    while day <= last:
        by_status = days.get(day, {})
        points.append(DayPoint(day, sum(by_status.values()), dict(by_status)))
        day += timedelta(days=step)
    return points, unit


def _compute_raw(process: Process, fields: list[Field], statuses: tuple[str, ...]) -> _Raw:
    where = _counted(process.id, statuses)
    totals, photos = _totals(process.id)
    numeric = {f.id: f for f in fields if f.type in NUMBER_TYPES}
    numbers = _number_statistics(list(numeric), where) if numeric else {}
    timeline, unit = local_days(_per_hour(where))
    return _Raw(
        totals=totals, photos_by_status=photos,
        answered=_answered(fields, where), closed=_closed(fields, where),
        numbers=numbers, bins=_histograms(numeric, numbers, where) if numbers else {},
        timeline=timeline, timeline_unit=unit,
    )


def _bin_label(a: float, b: float, decimals: int) -> Callable[[], str]:
    def label() -> str:
        if a == b:
            return format_number(a, decimals)
        if decimals == 0 and b - a == 1:
            return format_number(a, 0)
        if decimals == 0:  # whole values: "10–14" rather than "10–15" excluded
            return f"{format_number(a, 0)}–{format_number(b - 1, 0)}"
        return f"{format_number(a, decimals)} – {format_number(b, decimals)}"
    return label


def _field_stats(field_: Field, raw: _Raw) -> FieldStats:
    by_status = dict(raw.answered.get(field_.id, {}))
    answered = sum(by_status.values())
    result = FieldStats(field=field_, answered=answered, answered_by_status=by_status)
    groups = raw.closed.get(field_.id, {})
    if field_.type in CHOICE_TYPES:
        per_option: dict[int, dict[str, int]] = {}
        for (option_id, _number), counts in groups.items():
            if option_id is not None:
                for status, count in counts.items():
                    _add(per_option, option_id, status, count)
        for option in field_.options:
            counts = per_option.get(option.id, {})
            total = sum(counts.values())
            if option.active or total:
                result.bars.append(Bar(option.id, total, percent(total, answered), counts,
                                       option=option, inactive=not option.active))
    elif field_.type == "yes_no":
        for key, value, label in (("yes", 1.0, YES_LABEL), ("no", 0.0, NO_LABEL)):
            counts: dict[str, int] = {}
            for (_option, number), found in groups.items():
                if number is not None and float(number) == value:
                    for status, count in found.items():
                        counts[status] = counts.get(status, 0) + count
            total = sum(counts.values())
            result.bars.append(Bar(key, total, percent(total, answered), counts, fixed=label))
    elif field_.type in NUMBER_TYPES:
        numbers = raw.numbers.get(field_.id)
        if numbers:
            _n, result.minimum, result.maximum, result.mean, result.median = numbers
        decimals = field_decimals(field_)
        for a, b, counts in raw.bins.get(field_.id, []):
            total = sum(counts.values())
            result.bars.append(Bar((a, b), total, percent(total, answered), dict(counts),
                                   fixed=_bin_label(a, b, decimals)))
    return result


def compute(process: Process, statuses: Iterable[str] = DEFAULT_STATUSES,
            fields: list[Field] | None = None, version: int | None = None) -> Stats:
    """The figures of `process`'s counted observations (see the module), for its active fields
    (loaded unless given). Cached per (process, statuses, fields) under the data version (read
    unless given): one statement when current, besides the fields."""
    statuses = tuple(s for s in ALL_STATUSES if s in set(statuses)) or DEFAULT_STATUSES
    fields = active_fields(process) if fields is None else fields
    version = data_version(process) if version is None else version
    key = (process.id, statuses, tuple((f.id, f.type, field_decimals(f)) for f in fields))
    raw = _cache.get(key, version)
    if raw is None:
        raw = _compute_raw(process, fields, statuses)
        _cache.put(key, version, raw)
    return Stats(
        process=process, statuses=statuses, totals=dict(raw.totals),
        with_photos=sum(raw.photos_by_status.get(s, 0) for s in statuses),
        fields=[_field_stats(f, raw) for f in fields],
        timeline=raw.timeline, timeline_unit=raw.timeline_unit,
    )
