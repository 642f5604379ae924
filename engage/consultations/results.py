"""Consultation results: what the submitted responses say, in aggregate, for the results page and
the open-data API. Reading only; nothing here writes.

What counts
- Only *submitted* responses; drafts never count (they only count as "started" in the
  completion rate). `include_offline=False` leaves out paper and stand responses (channel other
  than "online"). Excluding them is offered only when there are none or at least
  `MIN_GROUP` of them (`Results.can_exclude_offline`): otherwise "with" minus "without" would
  show what one or two identifiable paper forms said.
- A question's *base* is the number of respondents who answered it (a response with at least one
  answer row for it). Percentages of single choice, yes/no, scale and ranking questions are of
  that base; multiple choice percentages are of respondents too, so they add up to more than
  100 %. Respondents who skipped a question (or never saw it, because of a condition) are
  reported as `skipped`, never in a percentage's base. A matrix row's base is the respondents
  who answered that row.
- Single/multiple choice: a count per option, plus "Other" (an answer row without an option).
  Yes/no: Yes and No. Scale: a count per value of the scale, the mean and the median.
  Number: count, minimum, maximum, mean and the exact median (one window-function query for all
  number questions; no values are fetched), and a histogram of at most about ten equal bins
  between the smallest and largest answer (whole-number questions with a small range get one
  bin per value). Ranking: the Borda score (an option ranked r-th of N gets N − r points,
  summed over respondents), normalised to 0–100 (100: everybody ranked it first), and the share
  of respondents who ranked it first. Matrix: per row, a count per column.
  Free text: the number of answers here; the answers themselves are listed by `text_answers`
  and `text_previews`, only those whose Contribution is *published* (pending, hidden, rejected
  and deleted ones never), newest first.
- Information/consent blocks have no results.

Queries: a fixed number of statements whatever the number of responses (or questions): one for
the totals (which is also the cache version); when not cached, one GROUP BY over every closed
question's answer rows, one count of respondents per question, one for the number questions'
statistics and medians, one histogram, one per-hour count for the timeline; the free-text
previews one (cached: one check instead); a breakdown two. None runs once per question or per
response. A free-text search is a LIKE over one question's published answers, on the folded
text (`search.fold` itself on SQLite, registered as the SQL function `engage_fold`; on
PostgreSQL `lower(translate(...))` of the Romanian and Hungarian letters).

Caches, two levels, both per worker process. (1) The results page's rendering
(`cached_rendering`, `PAGE_CACHE_SIZE` entries) is stamped with the consultation's *results
version* (`ConsultationSettings.results_version`, raised in every committed transaction that
changes responses, the questionnaire, the settings or a free-text answer's moderation: see
`versions`), which the request reads with the settings anyway: a current rendering costs no
aggregate at all. (2) Under it, when a rendering is missing or old, the computed results are kept
in a small LRU (`CACHE_SIZE` entries), keyed by
(process, include_offline, the questionnaire's question ids and types) and stamped with a
*version* of their own: the number of submitted responses and the latest `updated_at` among
them, read in the cheap query that gives the totals. A newly submitted, re-submitted,
withdrawn or deleted response changes the version, so the next request recomputes. Each worker
process keeps its own cache; correctness never depends on it (every request checks the version
against the database), so many workers and hosts are fine. The newest free-text answers shown on
the results page are cached with a version that also has the count and id sum of the process's
published contributions (a moderation decision changes it), and are checked to be still
published, by primary key, before each use: a hidden answer is never served from the cache.
The answering flow must touch the Response row (status, submitted_at or updated_at) whenever a
submitted response's answers change.

Breakdowns: a closed question split by stakeholder type (the stakeholder type the response's
profile gives, else the signed-in respondent's account) or by a profile question the
consultation asks (age band, neighbourhood). A group is the respondents of that group who
answered the question. Groups of fewer than `MIN_GROUP` are combined into "Other groups"; when
that combination would itself have fewer than `MIN_GROUP` (but more than none), the smallest
shown group joins it too, and so on, so that no group below the threshold can be worked out by
subtracting the shown groups from the overall results. If no group reaches the threshold nothing
is shown. Breakdowns always use every submitted response, paper ones included (with/without
differences would again single out small groups).

Timeline: submitted responses per day in Romania's local time (per week beyond `MAX_DAYS`
days). The database counts per UTC hour (Romania's offset is a whole number of hours, so every
hour falls in one local day) and Python assigns the hours to local days.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, event, func, literal, or_, select
from sqlalchemy.engine import Engine

from engage.accounts.models import STAKEHOLDER_TYPES, User
from engage.cities.permissions import is_city_staff
from engage.consultations import services
from engage.consultations.models import (
    AGE_BANDS,
    CLOSED_TYPES,
    PROFILE_QUESTIONS,
    TEXT_TYPES,
    Answer,
    ConsultationSettings,
    Option,
    Question,
    Response,
    Section,
)
from engage.core import search
from engage.core.cache import VersionedLRU
from engage.core.db import is_sqlite_connection
from engage.core.i18n import (
    LOCAL_TIMEZONE,
    current_language,
    format_number,
    localized,
)
from engage.core.pagination import DEFAULT_PER_PAGE, Page, paginate
from engage.extensions import db
from engage.processes.models import Contribution, Process

MIN_GROUP = 5
CACHE_SIZE = 256
# Rendered results pages (about 65 KB for 20 questions) kept per worker: language × with or
# without paper responses × a few breakdowns for the busiest consultations.
PAGE_CACHE_SIZE = 24
MAX_BINS = 10
MAX_DAYS = 92
PREVIEW_ANSWERS = 3
ONLINE = "online"
# Closed kinds stored as exactly one answer row per respondent (answers._rows_for).
ONE_ROW_TYPES = ("single", "scale", "yes_no")

OTHER_LABEL = _l("Other")
YES_LABEL = _l("Yes")
NO_LABEL = _l("No")
NOT_STATED_LABEL = _l("Not stated")
MERGED_LABEL = _l("Other groups (combined)")
# What a breakdown can split by: stakeholder type always, the profile questions when asked.
BREAKDOWN_BY = {
    "stakeholder_type": PROFILE_QUESTIONS["stakeholder_type"],
    "age_band": PROFILE_QUESTIONS["age_band"],
    "neighbourhood": PROFILE_QUESTIONS["neighbourhood"],
}
NOT_STATED = "__not_stated__"
MERGED = "__merged__"

# Diacritics PostgreSQL folds for the free-text search (Romanian, and Hungarian for
# Transylvania's cities), both cases; `lower()` then folds the rest. SQLite uses search.fold.
_FOLD = {
    "ă": "a", "â": "a", "î": "i", "ș": "s", "ş": "s", "ț": "t", "ţ": "t",
    "Ă": "a", "Â": "a", "Î": "i", "Ș": "s", "Ş": "s", "Ț": "t", "Ţ": "t",
    "á": "a", "é": "e", "í": "i", "ó": "o", "ö": "o", "ő": "o", "ú": "u", "ü": "u", "ű": "u",
    "Á": "a", "É": "e", "Í": "i", "Ó": "o", "Ö": "o", "Ő": "o", "Ú": "u", "Ü": "u", "Ű": "u",
}
_FOLD_FROM = "".join(_FOLD)
_FOLD_TO = "".join(_FOLD.values())


# ---------------------------------------------------------------- settings and visibility


def settings_for(process: Process) -> ConsultationSettings:
    """The process's consultation settings, or the unsaved defaults (see services)."""
    return services.settings_for(process)


def results_public(process: Process, settings: ConsultationSettings) -> bool:
    """Whether anybody may see the results now: "live" from opening on, "after_close" once the
    consultation is closed or archived, "never" not at all. Drafts never."""
    if process.kind != "consultation" or not process.is_public:
        return False
    phase = process.phase
    visibility = settings.results_visibility or "after_close"
    if visibility == "live":
        return phase in ("open", "closed", "archived")
    if visibility == "after_close":
        return phase in ("closed", "archived")
    return False


def can_view_results(user: Any, process: Process, settings: ConsultationSettings) -> bool:
    """The public when `results_public`; the city's organisers and moderators (and admins)
    always, drafts included."""
    if process.kind != "consultation":
        return False
    return results_public(process, settings) or is_city_staff(user, process.city)


# ---------------------------------------------------------------- the questionnaire


@dataclass
class Questionnaire:
    sections: list[Section]
    questions: list[Question]  # in order: by section, then position

    def by_section(self) -> list[tuple[Section, list[Question]]]:
        grouped: dict[int, list[Question]] = {section.id: [] for section in self.sections}
        for question in self.questions:
            grouped.setdefault(question.section_id, []).append(question)
        return [(section, grouped[section.id]) for section in self.sections]

    def question(self, question_id: int) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    @property
    def signature(self) -> tuple:
        # Part of the cache key: results computed for another set of questions are not reused.
        return tuple((q.id, q.type) for q in self.questions)


def load_questionnaire(process: Process) -> Questionnaire:
    """Sections and questions (with their options) in order, through the shared reader
    (`services.questionnaire`): three statements."""
    structure = services.questionnaire(process)
    return Questionnaire(sections=[view.section for view in structure.sections],
                         questions=structure.questions)


# ---------------------------------------------------------------- results: the shapes


@dataclass
class Bar:
    """One count of a question: an option, "Other", a scale value, yes/no, a histogram bin."""

    key: int | str | float
    count: int
    percent: float | None
    option: Option | None = None
    # The label when there is no option: a (lazy) string, or a callable that formats it (so
    # numbers are formatted for the request that shows them, not the one that cached them).
    fixed: Any = None

    def label(self, language: str | None = None) -> str:
        if self.option is not None:
            return localized(self.option, "label", language).text
        return str(self.fixed() if callable(self.fixed) else self.fixed)


@dataclass
class RankItem:
    option: Option
    points: int
    score: float | None  # 0–100
    first: int
    first_percent: float | None

    def label(self, language: str | None = None) -> str:
        return localized(self.option, "label", language).text


@dataclass
class MatrixRow:
    row: Option
    answered: int
    cells: list[Bar]

    def label(self, language: str | None = None) -> str:
        return localized(self.row, "label", language).text


@dataclass
class QuestionResult:
    question: Question
    answered: int
    skipped: int
    bars: list[Bar] = field(default_factory=list)  # choices, yes/no, scale values, bins
    other: Bar | None = None
    mean: float | None = None
    median: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    ranking: list[RankItem] = field(default_factory=list)
    matrix: list[MatrixRow] = field(default_factory=list)
    columns: list[Option] = field(default_factory=list)

    @property
    def type(self) -> str:
        return self.question.type

    @property
    def chart_bars(self) -> list[Bar]:
        return self.bars + ([self.other] if self.other is not None else [])


@dataclass
class TimelinePoint:
    day: date
    count: int


@dataclass
class Results:
    process: Process
    responses: int  # submitted responses counted (with or without paper ones)
    offline: int  # submitted paper and stand responses
    include_offline: bool
    started_online: int  # online responses begun, drafts included
    submitted_online: int
    questions: list[QuestionResult]
    timeline: list[TimelinePoint]
    timeline_unit: str  # "day" or "week"

    @property
    def can_exclude_offline(self) -> bool:
        return offline_toggle_allowed(self.offline)

    @property
    def completion_percent(self) -> float | None:
        return _percent(self.submitted_online, self.started_online)

    def result(self, question_id: int) -> QuestionResult | None:
        return next((r for r in self.questions if r.question.id == question_id), None)


def offline_toggle_allowed(offline: int) -> bool:
    """Results without paper responses are offered only when that leaves out none or enough of
    them that their difference says nothing about one form."""
    return offline == 0 or offline >= MIN_GROUP


def _percent(count: int, base: int) -> float | None:
    if not base:
        return None
    return round(100.0 * count / base, 1)


# ---------------------------------------------------------------- the cache


_cache = VersionedLRU(CACHE_SIZE)
_pages = VersionedLRU(PAGE_CACHE_SIZE)


def clear_cache() -> None:
    """Forget every cached result and rendering (tests; never needed for correctness)."""
    _cache.clear()
    _pages.clear()


def cached_rendering(key: Any, settings: ConsultationSettings,
                     render: Callable[[], tuple[str, list[int]]]) -> str:
    """The results page's rendering for `key` (which must hold everything the rendering
    depends on besides the data: process, language, query, visibility), cached under the
    consultation's results version (`versions`). `render` returns the HTML and the ids of the
    free-text answers' contributions it shows; before a cached rendering is served, one look-up
    by primary key checks they are all still published, as `text_previews` does."""
    version = settings.results_version or 0
    found = _pages.get(key, version)
    if found is not None:
        html, shown = found
        if not shown or db.session.scalar(
            select(func.count()).where(Contribution.id.in_(shown),
                                       Contribution.status == "published")
        ) == len(shown):
            return html
    html, shown = render()
    _pages.put(key, version, (html, shown))
    return html


# ---------------------------------------------------------------- totals and version


@dataclass(frozen=True)
class Totals:
    submitted: int
    offline: int
    started_online: int
    submitted_online: int
    latest: Any  # the latest updated_at of a submitted response
    published: tuple = ()  # (count, sum of ids) of the process's published contributions

    @property
    def version(self) -> tuple:
        return (self.submitted, str(self.latest))

    @property
    def moderation_version(self) -> tuple:
        return (*self.version, *self.published)


def totals(process: Process) -> Totals:
    """The response counts, in one statement; also the cache versions."""
    submitted = Response.status == "submitted"
    online = Response.channel == ONLINE
    published = (Contribution.process_id == process.id, Contribution.status == "published")
    row = db.session.execute(
        select(
            func.coalesce(func.sum(case((submitted, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(submitted, ~online), 1), else_=0)), 0),
            func.coalesce(func.sum(case((online, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(submitted, online), 1), else_=0)), 0),
            func.max(case((submitted, Response.updated_at), else_=None)),
            select(func.count()).where(*published).scalar_subquery(),
            select(func.coalesce(func.sum(Contribution.id), 0)).where(*published)
            .scalar_subquery(),
        ).where(Response.process_id == process.id)
    ).one()
    return Totals(int(row[0]), int(row[1]), int(row[2]), int(row[3]), row[4],
                  (int(row[5] or 0), int(row[6] or 0)))


def _submitted(process_id: int, include_offline: bool) -> list[Any]:
    conditions = [Response.process_id == process_id, Response.status == "submitted"]
    if not include_offline:
        conditions.append(Response.channel == ONLINE)
    return conditions


# ---------------------------------------------------------------- computing


@dataclass
class _Raw:
    """What the database said, by ids: cached, independent of texts and language."""

    closed: dict[int, dict[tuple, int]]  # question → (option, row, rank, number) → count
    answered: dict[int, int]  # question → respondents who answered it
    numbers: dict[int, tuple[int, float, float, float, float]]  # count, min, max, mean, median
    bins: dict[int, list[tuple[float, float, int]]]  # question → [(from, to, count)]
    timeline: list[TimelinePoint]
    timeline_unit: str


def _hour_bucket(column: Any) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def _compute_raw(process: Process, questionnaire: Questionnaire, include_offline: bool) -> _Raw:
    where = _submitted(process.id, include_offline)
    ids = [q.id for q in questionnaire.questions if q.type != "info"]
    closed_ids = [q.id for q in questionnaire.questions if q.type in CLOSED_TYPES]
    number_questions = {q.id: q for q in questionnaire.questions if q.type == "number"}

    closed: dict[int, dict[tuple, int]] = {}
    if closed_ids:
        for qid, option_id, row_id, rank, number, count in db.session.execute(
            select(Answer.question_id, Answer.option_id, Answer.row_id, Answer.rank,
                   Answer.number, func.count())
            .join(Response, Response.id == Answer.response_id)
            .where(Answer.question_id.in_(closed_ids), *where)
            .group_by(Answer.question_id, Answer.option_id, Answer.row_id, Answer.rank,
                      Answer.number)
        ):
            closed.setdefault(qid, {})[(option_id, row_id, rank, number)] = count

    # Respondents per question. A single choice, scale or yes/no answer is one row per
    # respondent, so the GROUP BY above already counts them, and the number statistics count
    # the numbers; only the kinds with several rows per respondent (and free text) need a
    # count of distinct responses, the most expensive part of the computation.
    answered: dict[int, int] = {}
    one_row = {q.id for q in questionnaire.questions if q.type in ONE_ROW_TYPES}
    for qid in one_row:
        answered[qid] = sum(closed.get(qid, {}).values())
    distinct_ids = [qid for qid in ids if qid not in one_row and qid not in number_questions]
    if distinct_ids:
        answered.update(db.session.execute(
            select(Answer.question_id, func.count(func.distinct(Answer.response_id)))
            .join(Response, Response.id == Answer.response_id)
            .where(Answer.question_id.in_(distinct_ids), *where)
            .group_by(Answer.question_id)
        ).all())

    numbers: dict[int, tuple] = {}
    bins: dict[int, list[tuple[float, float, int]]] = {}
    if number_questions:
        numbers = _number_statistics(list(number_questions), where)
        bins = _histograms(number_questions, numbers, where)
        answered.update({qid: int(found[0]) for qid, found in numbers.items()})
    answered = {qid: count for qid, count in answered.items() if count}

    bucket = _hour_bucket(func.coalesce(Response.submitted_at, Response.created_at))
    hours = [
        (str(hour), int(count)) for hour, count in db.session.execute(
            select(bucket, func.count()).where(*where).group_by(bucket)
        )
        if hour
    ]
    timeline, unit = _timeline(hours)
    return _Raw(closed=closed, answered=answered, numbers=numbers, bins=bins,
                timeline=timeline, timeline_unit=unit)


def _number_statistics(question_ids: list[int], where: list[Any]) -> dict[int, tuple]:
    """count, min, max, mean and exact median of each number question, in one statement: a
    window numbers the answers in order and the outer query averages the one or two middle
    ones, so only one row per question leaves the database."""
    partition = {"partition_by": Answer.question_id}
    inner = (
        select(
            Answer.question_id.label("qid"),
            Answer.number.label("value"),
            func.row_number().over(order_by=Answer.number, **partition).label("rn"),
            func.count().over(**partition).label("n"),
            func.min(Answer.number).over(**partition).label("lo"),
            func.max(Answer.number).over(**partition).label("hi"),
            func.avg(Answer.number).over(**partition).label("mean"),
        )
        .join(Response, Response.id == Answer.response_id)
        .where(Answer.question_id.in_(question_ids), Answer.number.is_not(None), *where)
        .subquery()
    )
    c = inner.c
    statement = (
        select(c.qid, func.max(c.n), func.max(c.lo), func.max(c.hi), func.max(c.mean),
               func.avg(c.value))
        .where(or_(c.rn == (c.n + 1) // 2, c.rn == (c.n + 2) // 2))
        .group_by(c.qid)
    )
    return {
        qid: (int(n), float(lo), float(hi), float(mean), float(median))
        for qid, n, lo, hi, mean, median in db.session.execute(statement)
    }


def bin_edges(lo: float, hi: float, whole: bool) -> list[tuple[float, float]]:
    """At most about MAX_BINS equal bins covering [lo, hi]: one per value for whole numbers with
    a small range, else a "nice" width (1, 2, 2.5 or 5 times a power of ten)."""
    if hi <= lo:
        return [(lo, hi)]
    if whole and hi - lo + 1 <= MAX_BINS:
        return [(value, value) for value in _frange(math.floor(lo), math.floor(hi))]
    raw = (hi - lo) / MAX_BINS
    power = 10 ** math.floor(math.log10(raw))
    width = next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= raw)
    if whole:
        width = max(1.0, math.ceil(width))
    start = math.floor(lo / width) * width
    edges = []
    edge = start
    while edge <= hi and len(edges) < MAX_BINS + 2:
        edges.append((edge, edge + width))
        edge += width
    return edges


def _frange(first: int, last: int) -> Iterable[float]:
    return (float(value) for value in range(first, last + 1))


def _histograms(questions: dict[int, Question], stats: dict[int, tuple],
                where: list[Any]) -> dict[int, list[tuple[float, float, int]]]:
    """Counts per bin of every answered number question, in one statement (a CASE gives each
    answer its bin; bins are half-open [from, to), the last one also takes the maximum)."""
    edges: dict[int, list[tuple[float, float]]] = {}
    for qid, (_count, lo, hi, _mean, _median) in stats.items():
        whole = int((questions[qid].settings or {}).get("decimals") or 0) == 0
        edges[qid] = bin_edges(lo, hi, whole)
    if not edges:
        return {}
    per_question = []
    for qid, bounds in edges.items():
        # Bins in ascending order: the first upper bound the answer is below is its bin (a
        # one-value bin of a whole-number question ends half-way to the next value).
        whens = [(Answer.number < (a + 0.5 if a == b else b), n)
                 for n, (a, b) in enumerate(bounds[:-1])]
        last = len(bounds) - 1
        per_question.append((Answer.question_id == qid,
                             case(*whens, else_=last) if whens else literal(last)))
    bin_index = case(*per_question, else_=-1).label("bin")
    inner = (
        select(Answer.question_id.label("qid"), bin_index)
        .join(Response, Response.id == Answer.response_id)
        .where(Answer.question_id.in_(list(edges)), Answer.number.is_not(None), *where)
        .subquery()
    )
    counts = {
        (qid, int(index)): int(count) for qid, index, count in db.session.execute(
            select(inner.c.qid, inner.c.bin, func.count()).group_by(inner.c.qid, inner.c.bin)
        )
    }
    return {
        qid: [(a, b, counts.get((qid, n), 0)) for n, (a, b) in enumerate(bounds)]
        for qid, bounds in edges.items()
    }


def scale_range(question: Question) -> tuple[int, int]:
    settings = question.settings or {}
    try:
        low = int(settings.get("min", 1))
        high = int(settings.get("max", 5))
    except (TypeError, ValueError):
        low, high = 1, 5
    return low, high


def _median_of(distribution: list[tuple[float, int]]) -> float | None:
    total = sum(count for _value, count in distribution)
    if not total:
        return None
    wanted = {(total + 1) // 2, (total + 2) // 2}
    found: list[float] = []
    seen = 0
    for value, count in sorted(distribution):
        for position in sorted(wanted):
            if seen < position <= seen + count:
                found.append(value)
        seen += count
    return sum(found) / len(found)


def _question_result(question: Question, raw: _Raw, responses: int) -> QuestionResult:
    answered = raw.answered.get(question.id, 0)
    result = QuestionResult(question=question, answered=answered,
                            skipped=max(responses - answered, 0))
    groups = raw.closed.get(question.id, {})
    kind = question.type
    if kind in ("single", "multiple"):
        by_option: dict[int | None, int] = {}
        for (option_id, _row, _rank, _number), count in groups.items():
            by_option[option_id] = by_option.get(option_id, 0) + count
        result.bars = [Bar(option.id, by_option.get(option.id, 0),
                           _percent(by_option.get(option.id, 0), answered), option=option)
                       for option in question.choices]
        other = by_option.get(None, 0)
        if other or (question.settings or {}).get("other"):
            result.other = Bar("other", other, _percent(other, answered), fixed=OTHER_LABEL)
    elif kind == "yes_no":
        values = _values(groups)
        result.bars = [Bar(key, values.get(number, 0), _percent(values.get(number, 0), answered),
                           fixed=label)
                       for key, number, label in (("yes", 1.0, YES_LABEL), ("no", 0.0, NO_LABEL))]
    elif kind == "scale":
        values = _values(groups)
        low, high = scale_range(question)
        keys = sorted(set(float(v) for v in range(low, high + 1)) | set(values))
        result.bars = [Bar(value, values.get(value, 0), _percent(values.get(value, 0), answered),
                           fixed=partial(_format_value, value)) for value in keys]
        total = sum(values.values())
        if total:
            result.mean = sum(value * count for value, count in values.items()) / total
            result.median = _median_of(list(values.items()))
    elif kind == "number":
        stats = raw.numbers.get(question.id)
        if stats:
            _count, result.minimum, result.maximum, result.mean, result.median = stats
        decimals = int((question.settings or {}).get("decimals") or 0)
        result.bars = [Bar((a, b), count, _percent(count, answered),
                           fixed=partial(_bin_label, a, b, decimals))
                       for a, b, count in raw.bins.get(question.id, [])]
    elif kind == "ranking":
        result.ranking = _ranking(question, groups, answered)
    elif kind == "matrix":
        result.columns = question.choices
        result.matrix = _matrix(question, groups)
    return result


def _values(groups: dict[tuple, int]) -> dict[float, int]:
    values: dict[float, int] = {}
    for (_option, _row, _rank, number), count in groups.items():
        if number is not None:
            values[float(number)] = values.get(float(number), 0) + count
    return values


def _format_value(value: float) -> str:
    return format_number(value)


def _bin_label(a: float, b: float, decimals: int) -> str:
    digits = max(decimals, 2) if decimals else 0
    if a == b or (decimals == 0 and b - 1 == a):
        return format_number(a, digits)
    if decimals == 0:
        return f"{format_number(a, 0)}–{format_number(b - 1, 0)}"
    return f"{format_number(a, digits)}–{format_number(b, digits)}"


def _ranking(question: Question, groups: dict[tuple, int], answered: int) -> list[RankItem]:
    options = question.choices
    size = len(options)
    items = []
    for option in options:
        points = first = 0
        for (option_id, _row, rank, _number), count in groups.items():
            if option_id != option.id or rank is None:
                continue
            points += max(size - int(rank), 0) * count
            if int(rank) == 1:
                first += count
        score = None
        if answered and size > 1:
            score = round(100.0 * points / (answered * (size - 1)), 1)
        items.append(RankItem(option=option, points=points, score=score, first=first,
                              first_percent=_percent(first, answered)))
    order = {option.id: n for n, option in enumerate(options)}
    items.sort(key=lambda item: (-item.points, order[item.option.id]))
    return items


def _matrix(question: Question, groups: dict[tuple, int]) -> list[MatrixRow]:
    columns = question.choices
    rows = []
    for row in question.rows:
        counts = {column.id: 0 for column in columns}
        for (option_id, row_id, _rank, _number), count in groups.items():
            if row_id == row.id and option_id in counts:
                counts[option_id] += count
        answered = sum(counts.values())
        rows.append(MatrixRow(row=row, answered=answered, cells=[
            Bar(column.id, counts[column.id], _percent(counts[column.id], answered),
                option=column) for column in columns
        ]))
    return rows


def _timeline(hours: list[tuple[str, int]]) -> tuple[list[TimelinePoint], str]:
    days: dict[date, int] = {}
    for hour, count in hours:
        moment = datetime.strptime(hour[:13], "%Y-%m-%d %H").replace(tzinfo=UTC)
        day = moment.astimezone(LOCAL_TIMEZONE).date()
        days[day] = days.get(day, 0) + count
    if not days:
        return [], "day"
    first, last = min(days), max(days)
    if (last - first).days < MAX_DAYS:
        span = (last - first).days + 1
        return [TimelinePoint(first + timedelta(days=n), days.get(first + timedelta(days=n), 0))
                for n in range(span)], "day"
    weeks: dict[date, int] = {}
    for day, count in days.items():
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + count
    start = first - timedelta(days=first.weekday())
    points = []
    while start <= last:
        points.append(TimelinePoint(start, weeks.get(start, 0)))
        start += timedelta(days=7)
    return points, "week"


def compute_results(process: Process, include_offline: bool = True,
                    questionnaire: Questionnaire | None = None,
                    counts: Totals | None = None) -> Results:
    """The results of `process`'s submitted responses (paper ones too unless
    `include_offline` is False and `offline_toggle_allowed`). One statement when the cache is
    current (plus three to load the questionnaire unless given), a handful otherwise."""
    questionnaire = questionnaire or load_questionnaire(process)
    counts = counts or totals(process)
    if not offline_toggle_allowed(counts.offline):
        include_offline = True
    include_offline = include_offline or counts.offline == 0
    key = ("results", process.id, include_offline, questionnaire.signature)
    raw = _cache.get(key, counts.version)
    if raw is None:
        raw = _compute_raw(process, questionnaire, include_offline)
        _cache.put(key, counts.version, raw)
    responses = counts.submitted if include_offline else counts.submitted - counts.offline
    return Results(
        process=process,
        responses=responses,
        offline=counts.offline,
        include_offline=include_offline,
        started_online=counts.started_online,
        submitted_online=counts.submitted_online,
        questions=[_question_result(q, raw, responses) for q in questionnaire.questions
                   if q.type != "info"],
        timeline=raw.timeline,
        timeline_unit=raw.timeline_unit,
    )


# ---------------------------------------------------------------- free-text answers


@dataclass
class TextAnswer:
    id: int
    question_id: int
    text: str
    language: str
    contribution_id: int | None = None


def _published_text_answers(process: Process, include_offline: bool) -> Select:
    return (
        select(Answer.id, Answer.question_id, Answer.text, Contribution.language,
               Answer.contribution_id)
        .join(Contribution, Contribution.id == Answer.contribution_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Contribution.status == "published", Answer.text.is_not(None), Answer.text != "",
               *_submitted(process.id, include_offline))
    )


def text_previews(process: Process, questions: Iterable[Question], include_offline: bool = True,
                  limit: int = PREVIEW_ANSWERS,
                  counts: Totals | None = None) -> dict[int, tuple[list[TextAnswer], int]]:
    """For each free-text question: its newest `limit` published answers and how many published
    answers it has, in one statement for all the questions.

    Cached like the results, with the published contributions' count and id sum added to the
    version, so a moderation decision recomputes them; and before cached answers are shown, one
    look-up by primary key checks they are all still published (a hidden answer is never shown
    from the cache, whatever happened in between)."""
    ids = [q.id for q in questions if q.type in TEXT_TYPES]
    if not ids:
        return {}
    counts = counts or totals(process)
    key = ("previews", process.id, include_offline, tuple(ids), limit)
    found = _cache.get(key, counts.moderation_version)
    if found is not None:
        shown = [a.contribution_id for answers, _total in found.values() for a in answers]
        still = db.session.scalar(
            select(func.count()).where(Contribution.id.in_(shown),
                                       Contribution.status == "published")
        ) if shown else 0
        if still == len(shown):
            return found
    found = _text_previews(process, ids, include_offline, limit)
    _cache.put(key, counts.moderation_version, found)
    return found


def _text_previews(process: Process, ids: list[int], include_offline: bool,
                   limit: int) -> dict[int, tuple[list[TextAnswer], int]]:
    base = _published_text_answers(process, include_offline).where(Answer.question_id.in_(ids))
    inner = base.add_columns(
        func.row_number().over(partition_by=Answer.question_id,
                               order_by=Answer.id.desc()).label("rn"),
        func.count().over(partition_by=Answer.question_id).label("total"),
    ).subquery()
    c = inner.c
    found: dict[int, tuple[list[TextAnswer], int]] = {qid: ([], 0) for qid in ids}
    for row in db.session.execute(
        select(c.id, c.question_id, c.text, c.language, c.contribution_id, c.total)
        .where(c.rn <= limit).order_by(c.question_id, c.rn)
    ):
        answers, _total = found[row.question_id]
        answers.append(TextAnswer(row.id, row.question_id, row.text, row.language,
                                  row.contribution_id))
        found[row.question_id] = (answers, int(row.total))
    return found


def _folded(column: Any) -> Any:
    """`column` without case or diacritics, as `search.fold` does: the same Python function on
    SQLite (registered on each connection), `translate` of the Romanian and Hungarian letters
    then `lower` on PostgreSQL."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.engage_fold(column)
    return func.lower(func.translate(column, _FOLD_FROM, _FOLD_TO))


@event.listens_for(Engine, "connect")
def _register_fold(dbapi_connection: Any, connection_record: Any) -> None:
    if is_sqlite_connection(dbapi_connection):
        dbapi_connection.create_function(
            "engage_fold", 1, lambda value: None if value is None else search.fold(value),
            deterministic=True)


def text_answers(process: Process, question: Question, query: str | None = None,
                 page: int = 1, include_offline: bool = True,
                 per_page: int = DEFAULT_PER_PAGE) -> Page:
    """The published answers to one free-text question, newest first, one page (two
    statements). `query`: every word must occur, ignoring case and Romanian (and Hungarian)
    diacritics; the LIKE runs over this one question's answers only."""
    statement = _published_text_answers(process, include_offline).where(
        Answer.question_id == question.id)
    folded = _folded(Answer.text)
    for word in search.terms(query):  # letters and digits only: nothing to escape in LIKE
        statement = statement.where(folded.like(f"%{word}%"))
    page_ = paginate(statement.order_by(Answer.id.desc()), page, per_page, scalars=False)
    page_.items = [TextAnswer(row.id, row.question_id, row.text, row.language,
                              row.contribution_id) for row in page_.items]
    return page_


# ---------------------------------------------------------------- breakdowns


@dataclass
class Cell:
    count: int | None
    percent: float | None


@dataclass
class BreakdownGroup:
    key: str
    label: str
    size: int  # respondents of the group who answered the question
    cells: list[Cell]
    mean: float | None = None


@dataclass
class BreakdownTable:
    title: str | None  # a matrix row's label; a ranking's "first choice" / "score"
    columns: list[str]
    groups: list[BreakdownGroup]
    stacked: bool  # the cells add up to the group (a stacked bar makes sense)
    kind: str = "counts"  # "counts" or "scores" (cells carry only a percent-like score)


@dataclass
class Breakdown:
    question: Question
    by: str
    by_label: str
    tables: list[BreakdownTable]
    merged: list[str]  # labels of the groups combined into "Other groups"
    too_few: bool  # no group reached MIN_GROUP: nothing shown
    respondents: int  # respondents who answered the question


def breakdown_choices(settings: ConsultationSettings) -> dict[str, Any]:
    """What the results page offers to break down by: the stakeholder type always, age band
    and neighbourhood when the consultation asks them."""
    asked = set(settings.profile_questions or ())
    return {key: label for key, label in BREAKDOWN_BY.items()
            if key == "stakeholder_type" or key in asked}


def merge_small_groups(sizes: dict[str, int],
                       minimum: int = MIN_GROUP) -> tuple[list[str], list[str], bool]:
    """(shown groups, groups combined into "other", whether "other" is shown).

    Groups below `minimum` are combined; if the combination is itself below `minimum` but not
    empty, the smallest shown groups join it one by one, so neither it nor a small group can be
    recovered as "total minus the shown groups". No shown group at all: nothing is shown."""
    shown = {key for key, size in sizes.items() if size >= minimum}
    merged = {key for key, size in sizes.items() if 0 < size < minimum}
    while shown and 0 < sum(sizes[key] for key in merged) < minimum:
        smallest = min(shown, key=lambda key: (sizes[key], key))
        shown.remove(smallest)
        merged.add(smallest)
    if not shown:
        return [], sorted(merged), False
    order = sorted(shown, key=lambda key: (-sizes[key], key))
    return order, sorted(merged, key=lambda key: (-sizes[key], key)), bool(merged)


def _group_expression(by: str) -> Any:
    value = Response.profile[by].as_string()
    if by == "stakeholder_type":
        return func.coalesce(func.nullif(value, ""), User.stakeholder_type)
    return value


def _group_label(by: str, key: str) -> str:
    if key == NOT_STATED:
        return str(NOT_STATED_LABEL)
    if key == MERGED:
        return str(MERGED_LABEL)
    if by == "stakeholder_type" and key in STAKEHOLDER_TYPES:
        return str(STAKEHOLDER_TYPES[key])
    if by == "age_band" and key in AGE_BANDS:
        return str(AGE_BANDS[key])
    return key


def compute_breakdown(process: Process, question: Question, by: str,
                      counts: Totals | None = None) -> Breakdown | None:
    """`question` (closed) split by `by` (a BREAKDOWN_BY key), with small groups combined as the
    module says; None for a question or grouping that cannot be broken down. Three statements,
    one when cached, none more when the caller passes the `totals` it already read."""
    if question.type not in CLOSED_TYPES or by not in BREAKDOWN_BY \
            or question.process_id != process.id:
        return None
    counts = counts or totals(process)
    key = ("breakdown", process.id, question.id, by,
           tuple((o.id, o.role) for o in question.options))
    raw = _cache.get(key, counts.version)
    if raw is None:
        raw = _breakdown_raw(process, question, by)
        _cache.put(key, counts.version, raw)
    sizes, cells = raw
    shown, merged, other_shown = merge_small_groups(sizes)
    groups: list[tuple[str, list[str]]] = [(g, [g]) for g in shown]
    if other_shown:
        groups.append((MERGED, merged))
    return Breakdown(
        question=question, by=by, by_label=str(BREAKDOWN_BY[by]),
        tables=_breakdown_tables(question, by, groups, sizes, cells) if shown else [],
        merged=[_group_label(by, g) for g in merged] if other_shown else [],
        too_few=not shown,
        respondents=sum(sizes.values()),
    )


def _breakdown_raw(process: Process, question: Question,
                   by: str) -> tuple[dict[str, int], dict[str, dict[tuple, int]]]:
    inner = (
        select(_group_expression(by).label("grp"), Answer.response_id, Answer.option_id,
               Answer.row_id, Answer.rank, Answer.number)
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .outerjoin(User, User.id == Response.user_id)
        .where(Answer.question_id == question.id, *_submitted(process.id, True))
        .subquery()
    )
    c = inner.c
    sizes: dict[str, int] = {}
    for group, size in db.session.execute(
        select(c.grp, func.count(func.distinct(c.response_id))).group_by(c.grp)
    ):
        name = group or NOT_STATED
        sizes[name] = sizes.get(name, 0) + int(size)
    cells: dict[str, dict[tuple, int]] = {}
    for group, option_id, row_id, rank, number, count in db.session.execute(
        select(c.grp, c.option_id, c.row_id, c.rank, c.number, func.count())
        .group_by(c.grp, c.option_id, c.row_id, c.rank, c.number)
    ):
        target = cells.setdefault(group or NOT_STATED, {})
        target[(option_id, row_id, rank, number)] = target.get(
            (option_id, row_id, rank, number), 0) + int(count)
    return sizes, cells


def _combine(members: list[str], cells: dict[str, dict[tuple, int]]) -> dict[tuple, int]:
    combined: dict[tuple, int] = {}
    for member in members:
        for key, count in cells.get(member, {}).items():
            combined[key] = combined.get(key, 0) + count
    return combined


def _breakdown_tables(question: Question, by: str, groups: list[tuple[str, list[str]]],
                      sizes: dict[str, int],
                      cells: dict[str, dict[tuple, int]]) -> list[BreakdownTable]:
    kind = question.type
    language = current_language()
    members = [(name, sum(sizes[m] for m in ms), _combine(ms, cells)) for name, ms in groups]

    def label(option: Option) -> str:
        return localized(option, "label", language).text

    def table(columns: list[str], keys: list[Any], pick: Any, stacked: bool,
              title: str | None = None, base: Any = None) -> BreakdownTable:
        rows = []
        for name, size, data in members:
            group_base = base(data) if base else size
            counted = [pick(data, key) for key in keys]
            rows.append(BreakdownGroup(
                key=name, label=_group_label(by, name), size=group_base,
                cells=[Cell(n, _percent(n, group_base)) for n in counted]))
        return BreakdownTable(title=title, columns=columns, groups=rows, stacked=stacked)

    def by_option(data: dict[tuple, int], option_id: int | None) -> int:
        return sum(n for (o, _r, _k, _v), n in data.items() if o == option_id)

    def by_value(data: dict[tuple, int], value: float) -> int:
        return sum(n for (_o, _r, _k, v), n in data.items() if v is not None and float(v) == value)

    if kind in ("single", "multiple"):
        options = question.choices
        keys: list[Any] = [o.id for o in options]
        columns = [label(o) for o in options]
        if any(by_option(data, None) for _n, _s, data in members) or \
                (question.settings or {}).get("other"):
            keys.append(None)
            columns.append(str(OTHER_LABEL))
        return [table(columns, keys, by_option, stacked=kind == "single")]
    if kind == "yes_no":
        return [table([str(YES_LABEL), str(NO_LABEL)], [1.0, 0.0], by_value, stacked=True)]
    if kind == "scale":
        low, high = scale_range(question)
        values = [float(v) for v in range(low, high + 1)]
        result = table([_format_value(v) for v in values], values, by_value, stacked=True)
        for group, (_name, _size, data) in zip(result.groups, members, strict=True):
            total = sum(n for (_o, _r, _k, v), n in data.items() if v is not None)
            if total:
                group.mean = sum(float(v) * n for (_o, _r, _k, v), n in data.items()
                                 if v is not None) / total
        return [result]
    if kind == "ranking":
        options = question.choices
        size = len(options)

        def first(data: dict[tuple, int], option_id: int) -> int:
            return sum(n for (o, _r, k, _v), n in data.items() if o == option_id and k == 1)

        firsts = table([label(o) for o in options], [o.id for o in options], first,
                       stacked=True, title=str(_l("Ranked first")))
        scores = BreakdownTable(title=str(_l("Borda score (0–100)")),
                                columns=[label(o) for o in options], groups=[], stacked=False,
                                kind="scores")
        for name, group_size, data in members:
            row = []
            for option in options:
                points = sum(max(size - int(k), 0) * n for (o, _r, k, _v), n in data.items()
                             if o == option.id and k is not None)
                score = round(100.0 * points / (group_size * (size - 1)), 1) \
                    if group_size and size > 1 else None
                row.append(Cell(None, score))
            scores.groups.append(BreakdownGroup(key=name, label=_group_label(by, name),
                                                size=group_size, cells=row))
        return [firsts, scores]
    if kind == "matrix":
        columns = question.choices
        tables = []
        for matrix_row in question.rows:
            def in_row(data: dict[tuple, int], column_id: int,
                       row_id: int = matrix_row.id) -> int:
                return sum(n for (o, r, _k, _v), n in data.items()
                           if o == column_id and r == row_id)

            def row_base(data: dict[tuple, int], row_id: int = matrix_row.id) -> int:
                valid = {column.id for column in columns}
                return sum(n for (o, r, _k, _v), n in data.items() if r == row_id and o in valid)

            tables.append(table([label(c) for c in columns], [c.id for c in columns], in_row,
                                stacked=True, title=label(matrix_row), base=row_base))
        return tables
    return []
