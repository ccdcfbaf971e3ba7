"""The calendar's days: which changes and freeze windows fall on each day of a month grid or a
week, read on the viewer's clock. Pure: no database (it arranges what the selectors read)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from changes.calendar.conflicts import Conflict
from changes.models import Change, FreezeWindow

ONE_DAY = timedelta(days=1)


@dataclass
class Entry:
    """A change on one day; `continued` when it started on an earlier day."""

    change: Change
    conflicts: list[Conflict]
    path: str
    continued: bool


@dataclass
class Day:
    day: date
    in_range: bool
    is_today: bool
    entries: list[Entry] = field(default_factory=list)
    freezes: list[FreezeWindow] = field(default_factory=list)

    @property
    def is_quiet(self) -> bool:
        return not self.entries and not self.freezes


def month_grid(first: date) -> tuple[date, date]:
    """The Monday on or before the month's first day and the Sunday on or after its last."""
    start = first - timedelta(days=first.weekday())
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    last = following - ONE_DAY
    return start, last + timedelta(days=6 - last.weekday())


def midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, zone)


def _days_of(start: datetime, end: datetime, zone: tzinfo) -> tuple[date, date]:
    """The first and last local day a [start, end) window meets."""
    return start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()


def arrange(
    first: date,
    last: date,
    *,
    zone: tzinfo,
    today: date,
    in_range: tuple[date, date],
    changes: Sequence[Change],
    conflicts: dict[int, list[Conflict]],
    freezes: Sequence[FreezeWindow],
    paths: dict[int, str],
) -> list[Day]:
    """One Day per date from `first` to `last`, each with the changes and freeze windows that
    meet it (a change spanning days is on each of them)."""
    days = [
        Day(day=first + n * ONE_DAY, in_range=False, is_today=False)
        for n in range((last - first).days + 1)
    ]
    for day in days:
        day.in_range = in_range[0] <= day.day <= in_range[1]
        day.is_today = day.day == today
    for change in changes:
        if change.planned_start is None or change.planned_end is None:
            continue
        begins, ends = _days_of(change.planned_start, change.planned_end, zone)
        for index in _indexes(first, last, begins, ends):
            days[index].entries.append(
                Entry(
                    change=change,
                    conflicts=conflicts.get(change.pk, []),
                    path=paths.get(change.pk, ""),
                    continued=days[index].day > begins,
                )
            )
    for freeze in freezes:
        begins, ends = _days_of(freeze.starts_at, freeze.ends_at, zone)
        for index in _indexes(first, last, begins, ends):
            days[index].freezes.append(freeze)
    return days


def _indexes(first: date, last: date, begins: date, ends: date) -> range:
    low, high = max(first, begins), min(last, ends)
    return range((low - first).days, (high - first).days + 1)


def weeks(days: list[Day]) -> list[list[Day]]:
    return [days[n : n + 7] for n in range(0, len(days), 7)]
