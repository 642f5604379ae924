"""The geometry of the results page's server-rendered SVG charts (no chart library).

Each function turns numbers into positions in a fixed 320-unit-wide viewBox; the Jinja macros in
templates/_charts.html draw them, so labels are escaped like any other text. The
charts are decoration for sighted readers: each sits beside a table with the same numbers, so the
SVG is `aria-hidden`. No `style` attributes (the Content-Security-Policy forbids inline styles):
sizes are SVG attributes, colours CSS classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

WIDTH = 320
ROW = 34  # a label line and its bar
BAR = 12
LABEL_CHARS = 38  # about what fits on the label line beside the figure
COLUMN_HEIGHT = 96
SEGMENT_CLASSES = 8  # .seg-0 … .seg-7, then the colours repeat


def truncate(text: str, length: int = LABEL_CHARS) -> str:
    """`text` cut to `length` characters with an ellipsis (the table keeps the whole label)."""
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


@dataclass
class HBar:
    label: str
    figure: str
    y: int  # the label's baseline
    bar_y: int
    width: float


@dataclass
class HBarChart:
    bars: list[HBar]
    height: int
    width: int = WIDTH


def hbar_chart(items: list[tuple[str, float | None, str]],
               scale: float | None = 100.0) -> HBarChart:
    """Horizontal bars: (label, value, figure shown at the right of the label line). Values are
    drawn against `scale` (100 for percentages), or against the largest value when None."""
    top = scale if scale else max([value or 0 for _l, value, _f in items] + [0]) or 1
    bars = []
    for n, (label, value, figure) in enumerate(items):
        y = n * ROW
        width = round(WIDTH * min(max(value or 0, 0), top) / top, 1)
        bars.append(HBar(truncate(label), figure, y + 13, y + 18, width))
    return HBarChart(bars=bars, height=max(len(items) * ROW, ROW))


@dataclass
class Segment:
    x: float
    width: float
    css: str


@dataclass
class StackedRow:
    label: str
    figure: str
    y: int
    bar_y: int
    segments: list[Segment] = field(default_factory=list)


@dataclass
class StackedChart:
    rows: list[StackedRow]
    height: int
    width: int = WIDTH


def stacked_chart(rows: list[tuple[str, list[int], str]]) -> StackedChart:
    """One full-width bar per row, split by the counts of its columns (a matrix row, a group of
    a breakdown); empty rows draw no bar."""
    drawn = []
    for n, (label, counts, figure) in enumerate(rows):
        y = n * ROW
        row = StackedRow(truncate(label), figure, y + 13, y + 18)
        total = sum(counts)
        x = 0.0
        for index, count in enumerate(counts):
            if not total or not count:
                continue
            width = round(WIDTH * count / total, 2)
            row.segments.append(Segment(round(x, 2), width, f"seg-{index % SEGMENT_CLASSES}"))
            x += width
        drawn.append(row)
    return StackedChart(rows=drawn, height=max(len(rows) * ROW, ROW))


def segment_class(index: int) -> str:
    return f"seg-{index % SEGMENT_CLASSES}"


@dataclass
class Column:
    x: float
    y: float
    width: float
    height: float


@dataclass
class ColumnChart:
    columns: list[Column]
    height: int
    top: int  # the largest value (the axis label)
    first: date | None
    last: date | None
    width: int = WIDTH


def column_chart(points: list[tuple[date, int]]) -> ColumnChart:
    """Vertical columns over time (responses per day or week), the tallest at full height."""
    top = max([count for _day, count in points] + [0])
    step = WIDTH / max(len(points), 1)
    gap = min(2.0, step / 4)
    columns = []
    for n, (_day, count) in enumerate(points):
        height = round(COLUMN_HEIGHT * count / top, 1) if top else 0
        columns.append(Column(round(n * step, 2), round(COLUMN_HEIGHT - height, 1),
                              round(step - gap, 2), height))
    return ColumnChart(columns=columns, height=COLUMN_HEIGHT, top=top,
                       first=points[0][0] if points else None,
                       last=points[-1][0] if points else None)
