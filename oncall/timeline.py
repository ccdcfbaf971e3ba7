"""The schedule page's two-week timeline as bars for an SVG (x and width in 0..1000 of the
range): layers' own shifts, then the final schedule. Pure; the page renders it without script."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.formats import date_format

from core.models import User
from oncall.selectors import TimelineRow

WIDTH = 1000
COLOURS = 8  # .oc-p0 .. .oc-p7 in css/oncall.css


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    colour: int
    title: str


@dataclass(frozen=True)
class Row:
    label: str
    bars: list[Bar]


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


def _when(instant: datetime) -> str:
    return date_format(timezone.localtime(instant), "D j M H:i")


def timeline_rows(
    rows: list[TimelineRow], start: datetime, end: datetime, people: dict[int, User]
) -> list[Row]:
    span = (end - start).total_seconds()
    colours: dict[int, int] = {}
    out = []
    for row in rows:
        bars = []
        for shift in row.shifts:
            colour = colours.setdefault(shift.person_id, len(colours) % COLOURS)
            person = people.get(shift.person_id)
            name = person.display_name if person else f"#{shift.person_id}"
            bars.append(
                Bar(
                    x=round((shift.start - start).total_seconds() / span * WIDTH, 2),
                    width=round((shift.end - shift.start).total_seconds() / span * WIDTH, 2),
                    colour=colour,
                    title=f"{name}: {_when(shift.start)} to {_when(shift.end)} ({shift.source})",
                )
            )
        out.append(Row(row.label, bars))
    return out


def day_ticks(start: datetime, days: int, zone: ZoneInfo) -> list[Tick]:
    span = timedelta(days=days).total_seconds()
    local = start.astimezone(zone)
    ticks = []
    for n in range(days):
        day = (local + timedelta(days=n)).date()
        midnight = datetime.combine(day, datetime.min.time(), zone)
        ticks.append(
            Tick(
                x=round((midnight - start).total_seconds() / span * WIDTH, 2),
                label=date_format(day, "D j"),
            )
        )
    return ticks
