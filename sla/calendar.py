"""Business-time arithmetic: pure functions of (start, target, calendar, pauses). No database.

A calendar is weekly working windows in a named timezone, minus holiday dates, or 24x7. Working
windows are laid out on local dates and converted to UTC instants one day at a time, so a
daylight-saving change gives what a person reading a wall clock would compute: a 08:00-18:00 day
is 10 hours whether or not the clocks moved that night. Pauses (on hold) are excluded.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_SEARCH_DAYS = 3 * 366  # a calendar with no working time in three years is a broken calendar


class CalendarError(ValueError):
    """The calendar cannot produce a due time (no working time at all, bad window)."""


@dataclass(frozen=True)
class WorkingWindow:
    """Working hours on one weekday (0 = Monday), local time; end may be 24:00 as time.max."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise CalendarError(f"weekday must be 0..6, not {self.weekday}")
        if self.end <= self.start:
            raise CalendarError(f"window end {self.end} must be after start {self.start}")


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "UTC"
    windows: tuple[WorkingWindow, ...] = ()
    holidays: frozenset[date] = field(default_factory=frozenset)
    always_open: bool = False

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


Pause = tuple[datetime, datetime | None]


def always_open() -> BusinessCalendar:
    return BusinessCalendar(always_open=True)


def weekly(
    timezone: str,
    days: Sequence[int],
    start: time,
    end: time,
    holidays: Sequence[date] = (),
) -> BusinessCalendar:
    """The same hours on each of `days` (0 = Monday), e.g. Mon-Fri 08:00-18:00."""
    return BusinessCalendar(
        timezone=timezone,
        windows=tuple(WorkingWindow(day, start, end) for day in days),
        holidays=frozenset(holidays),
    )


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    if at == time.max:
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    # A wall time that does not exist (skipped by a spring-forward) maps forward, as clocks do.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def working_intervals(
    calendar: BusinessCalendar, since: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals in UTC, in order, from the one containing `since` onwards (clipped)."""
    since = since.astimezone(UTC)
    if calendar.always_open:
        yield since, datetime.max.replace(tzinfo=UTC)
        return
    if not calendar.windows:
        raise CalendarError("the calendar has no working hours")
    tz = calendar.tz
    by_day: dict[int, list[WorkingWindow]] = {}
    for window in sorted(calendar.windows, key=lambda w: (w.weekday, w.start)):
        by_day.setdefault(window.weekday, []).append(window)
    day = since.astimezone(tz).date() - timedelta(days=1)
    empty_days = 0
    while True:
        produced = False
        if day not in calendar.holidays:
            for window in by_day.get(day.weekday(), []):
                begin, finish = _local(day, window.start, tz), _local(day, window.end, tz)
                if finish <= since:
                    continue
                produced = True
                yield max(begin, since), finish
        empty_days = 0 if produced else empty_days + 1
        if empty_days > MAX_SEARCH_DAYS:
            raise CalendarError("no working time in the next three years (all holidays?)")
        day += timedelta(days=1)


def _subtract_pauses(
    start: datetime, end: datetime, pauses: Sequence[tuple[datetime, datetime]]
) -> Iterator[tuple[datetime, datetime]]:
    cursor = start
    for pause_start, pause_end in pauses:
        if pause_end <= cursor or pause_start >= end:
            continue
        if pause_start > cursor:
            yield cursor, pause_start
        cursor = max(cursor, pause_end)
        if cursor >= end:
            return
    if cursor < end:
        yield cursor, end


def _normalise(pauses: Sequence[Pause]) -> tuple[list[tuple[datetime, datetime]], datetime | None]:
    """Closed pauses merged and sorted, and the start of an open (still running) pause, if any."""
    closed: list[tuple[datetime, datetime]] = []
    open_since: datetime | None = None
    for pause_start, pause_end in sorted(pauses, key=lambda p: p[0]):
        if pause_end is None:
            open_since = pause_start if open_since is None else min(open_since, pause_start)
            continue
        if pause_end <= pause_start:
            continue
        if closed and pause_start <= closed[-1][1]:
            closed[-1] = (closed[-1][0], max(closed[-1][1], pause_end))
        else:
            closed.append((pause_start, pause_end))
    return closed, open_since


def due_at(
    start: datetime,
    target: timedelta,
    calendar: BusinessCalendar,
    pauses: Sequence[Pause] = (),
) -> datetime | None:
    """The instant at which `target` of working time has elapsed since `start`, not counting
    pauses. A zero target is due at the first working instant at or after `start`. None while
    a pause that has not ended would swallow the rest of the target (the clock is stopped)."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if target < timedelta(0):
        raise ValueError("target must not be negative")
    closed, open_since = _normalise(pauses)
    remaining = target
    for begin, finish in working_intervals(calendar, start):
        for piece_start, piece_end in _subtract_pauses(begin, finish, closed):
            if open_since is not None and piece_start >= open_since:
                return None
            usable_end = piece_end if open_since is None else min(piece_end, open_since)
            length = usable_end - piece_start
            if remaining <= length:
                return piece_start + remaining
            remaining -= length
        if open_since is not None and finish >= open_since:
            return None
    raise CalendarError("unreachable: working_intervals is endless")  # pragma: no cover


def business_time_between(
    start: datetime,
    end: datetime,
    calendar: BusinessCalendar,
    pauses: Sequence[Pause] = (),
) -> timedelta:
    """Working time between two instants, not counting pauses (negative if end < start)."""
    if end < start:
        return -business_time_between(end, start, calendar, pauses)
    closed, open_since = _normalise(pauses)
    if open_since is not None:
        closed = [*closed, (open_since, end)]
        closed, _ = _normalise(closed)
    total = timedelta(0)
    for begin, finish in working_intervals(calendar, start):
        if begin >= end:
            break
        for piece_start, piece_end in _subtract_pauses(begin, min(finish, end), closed):
            total += piece_end - piece_start
        if finish >= end:
            break
    return total


def is_working_instant(at: datetime, calendar: BusinessCalendar) -> bool:
    begin, _ = next(working_intervals(calendar, at))
    return begin == at.astimezone(UTC)
