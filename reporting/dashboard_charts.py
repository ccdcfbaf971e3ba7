"""Chart geometry for the dashboard, computed here and drawn by the templates as inline SVG (no
chart library, nothing inline for the CSP to refuse). Pure functions of the numbers: no database.

Two shapes:
- `time_chart`: categories along x (days, weeks) with optional bars and lines, in a fixed
  viewBox the page scales; a missing value (None) breaks a line instead of drawing a zero.
- `bar_rows`: horizontal stacked bars, one HTML row each (label and numbers stay HTML text and
  reflow on a phone; the bar itself is a stretchable SVG of 1000 units).
Colour is never the only cue: lines differ by dash and marker shape, segments have a legend and
each bar row says its numbers in words.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 40
BAR_UNITS = 1000
MAX_X_LABELS = 8
# Above this many categories a line has no point markers: they would overlap.
MAX_MARKERS = 45


@dataclass(frozen=True)
class Tick:
    label: str
    y: float


@dataclass(frozen=True)
class XLabel:
    text: str
    x: float


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    shape: str  # "circle" or "square": the marker, a cue besides the colour
    path: str
    markers: list[Marker]


@dataclass(frozen=True)
class LineSeries:
    """Input of a line: one value per category (None = no value), and how to say a value."""

    key: str
    label: str
    values: Sequence[float | None]
    shape: str = "circle"
    say: Callable[[float], str] = str


@dataclass(frozen=True)
class BarSeries:
    key: str
    label: str
    values: Sequence[float]
    say: Callable[[float], str] = str


@dataclass(frozen=True)
class TimeChart:
    width: int
    height: int
    left: int
    top: int
    right: float
    bottom: float
    y_ticks: list[Tick]
    x_labels: list[XLabel]
    bar_key: str | None
    bar_label: str
    bars: list[Rect]
    lines: list[Line]

    @property
    def is_empty(self) -> bool:
        return not self.bars and not any(line.path for line in self.lines)

    @property
    def y_label_x(self) -> int:
        return self.left - 6

    @property
    def x_label_y(self) -> float:
        return self.bottom + 22


def nice_step(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^n at or above `value`, and never below 1: the axis of a
    count has whole-number ticks."""
    if value <= 1:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _round(value: float) -> float:
    return round(value, 1)


def _count_label(value: float) -> str:
    return f"{value:g}"


def time_chart(
    categories: Sequence[str],
    *,
    bars: BarSeries | None = None,
    lines: Sequence[LineSeries] = (),
    y_max: float | None = None,
    y_label: Callable[[float], str] = _count_label,
    ticks: int = 4,
) -> TimeChart:
    """Lay out bars and lines over `categories` (shown left to right, labels thinned to at most
    MAX_X_LABELS). The y axis starts at 0 and ends at `y_max` or a round number above the data."""
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    count = max(len(categories), 1)
    slot = (right - LEFT) / count
    values = [v for v in (bars.values if bars else []) if v is not None]
    for series in lines:
        values += [v for v in series.values if v is not None]
    top_value = y_max if y_max is not None else nice_step(max(values, default=0) / ticks) * ticks

    def y_of(value: float) -> float:
        return _round(bottom - (bottom - TOP) * (value / top_value))

    def x_of(index: int) -> float:
        return _round(LEFT + slot * (index + 0.5))

    y_ticks = [
        Tick(label=y_label(top_value * i / ticks), y=y_of(top_value * i / ticks))
        for i in range(ticks + 1)
    ]
    every = max(1, math.ceil(len(categories) / MAX_X_LABELS))
    x_labels = [
        XLabel(text=text, x=x_of(index))
        for index, text in enumerate(categories)
        if index % every == 0
    ]
    width = _round(max(slot * 0.7, 1.0))
    rects = _bars(bars, categories, x_of, y_of, width=width, bottom=bottom) if bars else []
    markers = len(categories) <= MAX_MARKERS
    drawn = [_line(series, categories, x_of, y_of, markers=markers) for series in lines]
    return TimeChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        right=right,
        bottom=bottom,
        y_ticks=y_ticks,
        x_labels=x_labels,
        bar_key=bars.key if bars else None,
        bar_label=bars.label if bars else "",
        bars=rects,
        lines=drawn,
    )


def _bars(
    bars: BarSeries,
    categories: Sequence[str],
    x_of: Callable[[int], float],
    y_of: Callable[[float], float],
    *,
    width: float,
    bottom: float,
) -> list[Rect]:
    """One bar per non-empty value, centred on its category, up from the x axis (`bottom`)."""
    rects: list[Rect] = []
    for index, value in enumerate(bars.values):
        if not value:
            continue
        top = y_of(value)
        rects.append(
            Rect(
                x=_round(x_of(index) - width / 2),
                y=top,
                width=width,
                height=_round(bottom - top),
                title=f"{categories[index]}: {bars.say(value)} {bars.label.lower()}",
            )
        )
    return rects


def _line(
    series: LineSeries,
    categories: Sequence[str],
    x_of: Callable[[int], float],
    y_of: Callable[[float], float],
    *,
    markers: bool,
) -> Line:
    parts: list[str] = []
    dots: list[Marker] = []
    pen_down = False
    for index, value in enumerate(series.values):
        if value is None:
            pen_down = False
            continue
        x, y = x_of(index), y_of(value)
        parts.append(f"{'L' if pen_down else 'M'}{x:g} {y:g}")
        pen_down = True
        if markers:
            title = f"{series.label}, {categories[index]}: {series.say(value)}"
            dots.append(Marker(x=x, y=y, title=title))
    return Line(
        key=series.key, label=series.label, shape=series.shape, path=" ".join(parts), markers=dots
    )


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    value: int
    x: float
    width: float


@dataclass(frozen=True)
class BarRow:
    label: str
    total: int
    segments: list[Segment]
    url: str = ""
    note: str = ""

    @property
    def text(self) -> str:
        """The row's numbers in words ("12: 3 breached, 2 at risk, 7 on track")."""
        shown = [f"{s.value} {s.label}" for s in self.segments if s.value]
        if len(shown) <= 1:
            return str(self.total)
        return f"{self.total}: {', '.join(shown)}"


@dataclass(frozen=True)
class RowInput:
    label: str
    parts: Sequence[tuple[str, str, int]]  # (key, label, value), drawn left to right
    url: str = ""
    note: str = ""


@dataclass(frozen=True)
class LegendItem:
    key: str
    label: str


@dataclass(frozen=True)
class BarRows:
    rows: list[BarRow]
    legend: list[LegendItem] = field(default_factory=list)
    scale: int = 0

    @property
    def is_empty(self) -> bool:
        return not any(row.total for row in self.rows)


def bar_rows(rows: Sequence[RowInput], *, scale: int | None = None) -> BarRows:
    """Stacked horizontal bars on a common scale (the largest total unless `scale` is given)."""
    largest = max((sum(value for _, _, value in row.parts) for row in rows), default=0)
    top = scale if scale is not None else largest
    legend: dict[str, str] = {}
    laid: list[BarRow] = []
    for row in rows:
        x = 0.0
        segments = []
        for key, label, value in row.parts:
            legend.setdefault(key, label)
            width = BAR_UNITS * value / top if top else 0.0
            segments.append(
                Segment(key=key, label=label, value=value, x=_round(x), width=_round(width))
            )
            x += width
        laid.append(
            BarRow(
                label=row.label,
                total=sum(value for _, _, value in row.parts),
                segments=segments,
                url=row.url,
                note=row.note,
            )
        )
    return BarRows(
        rows=laid,
        legend=[LegendItem(key=key, label=label) for key, label in legend.items()],
        scale=top,
    )
