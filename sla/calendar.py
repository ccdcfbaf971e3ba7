"""Business-time arithmetic: pure functions of (start, target, calendar, pauses). No database.

A calendar is weekly working windows in a named timezone, minus holiday dates, or 24x7 (every
hour of every day, minus its holiday dates too, if it has any). Working windows are laid out on
local dates and converted to UTC instants one day at a time, so a daylight-saving change gives
what a person reading a wall clock would compute: a 08:00-18:00 day is 10 hours whether or not
the clocks moved that night. A window edge is the first instant the wall clock reaches it: one
that falls in the hour skipped in spring is the instant the clocks jump (02:30 on a night that
goes 02:00 -> 03:00 is 03:00 of the new offset), one in the hour repeated in autumn is its first
occurrence. Pauses (on hold) are excluded.

Instants are supported from SUPPORTED_FROM to SUPPORTED_UNTIL: outside that range (a start in
the year 9999, a target of a million days) the functions raise CalendarError with the reason
instead of an OverflowError from the datetime arithmetic, and a walk through the calendar never
runs for longer than that range.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_SEARCH_DAYS = 3 * 366  # a calendar with no working time in three years is a broken calendar
# Far beyond any real deadline, and far enough from datetime's own limits (years 1 and 9999)
# that no local date or offset arithmetic near them can overflow.
SUPPORTED_FROM = datetime(1900, 1, 1, tzinfo=UTC)
SUPPORTED_UNTIL = datetime(3000, 1, 1, tzinfo=UTC)
# The first local date whose midnight (read as UTC) is not before SUPPORTED_UNTIL.
LAST_SUPPORTED_DAY = SUPPORTED_UNTIL.date()
SUPPORTED_RANGE = f"{SUPPORTED_FROM:%Y-%m-%d} to {SUPPORTED_UNTIL:%Y-%m-%d} UTC"


class CalendarError(ValueError):
    """The calendar cannot produce a due time (no working time at all, bad window, unknown time
    zone, an instant outside the supported range)."""


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

    def __hash__(self) -> int:
        return self._hash

    @cached_property
    def _hash(self) -> int:
        """Worked out once per calendar: calendars key caches of walks (sla.badge), and the
        hash of its windows and holidays is most of what a cached walk costs."""
        return hash((self.timezone, self.windows, self.holidays, self.always_open))

    @property
    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError(f"'{self.timezone}' is not a known time zone") from exc

    @cached_property
    def windows_by_weekday(self) -> dict[int, tuple["WorkingWindow", ...]]:
        """The working windows of each weekday in start order (all day every day when 24x7),
        worked out once per calendar: every walk reads them."""
        by_day: dict[int, list[WorkingWindow]] = {}
        windows = ALL_DAY if self.always_open else self.windows
        for window in sorted(windows, key=lambda w: (w.weekday, w.start)):
            by_day.setdefault(window.weekday, []).append(window)
        return {day: tuple(found) for day, found in by_day.items()}

    @property
    def is_endless(self) -> bool:
        """Open at every instant: 24x7 without holidays (one interval, plain addition)."""
        return self.always_open and not self.holidays


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


# Tickets cluster on the same few hundred days and windows: reading each edge once makes a
# calendar walk cheaper than the two time zone conversions it needs per edge.
@lru_cache(maxsize=16384)
def _wall_edge(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the wall clock in `tz` shows `at` on `day`, or passes it.

    fold=0 already reads a repeated wall time (autumn) as its first occurrence. A skipped one
    (spring) has no instant: zoneinfo would read it with the offset before the jump, an instant
    the wall clock shows as one gap later (02:30 -> 03:30). The edge is then the jump itself."""
    if at == time.max:
        day, at = day + timedelta(days=1), time.min
    wall = datetime.combine(day, at, tzinfo=tz)
    instant = wall.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    return _offset_change(wall.replace(fold=1).astimezone(UTC), instant, tz)


def _offset_change(before: datetime, after: datetime, tz: ZoneInfo) -> datetime:
    """The instant in (before, after] at which `tz` switches to the offset it has at `after`.

    zoneinfo does not expose its transitions, so this halves the gap (at most a few hours) down
    to the second: time zone transitions fall on whole seconds."""
    new_offset = after.astimezone(tz).utcoffset()
    low, high = 0, int((after - before).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if (before + timedelta(seconds=middle)).astimezone(tz).utcoffset() == new_offset:
            high = middle
        else:
            low = middle
    return before + timedelta(seconds=high)


def _check_supported(instant: datetime, what: str) -> None:
    if not SUPPORTED_FROM <= instant < SUPPORTED_UNTIL:
        raise CalendarError(
            f"{what} {instant.isoformat()} is outside the supported range ({SUPPORTED_RANGE})"
        )


def _beyond_range(what: str) -> CalendarError:
    return CalendarError(f"{what} after {SUPPORTED_UNTIL:%Y-%m-%d} UTC, beyond the supported range")


ALL_DAY = tuple(WorkingWindow(day, time.min, time.max) for day in range(7))


def working_intervals(
    calendar: BusinessCalendar, since: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals in UTC, in order and disjoint, from the one containing `since` onwards
    (clipped). Overlapping windows of one day count once. Raises CalendarError when the walk
    would pass SUPPORTED_UNTIL, so callers stop there instead of overflowing at year 9999."""
    _check_supported(since, "the start")
    since = since.astimezone(UTC)
    if calendar.is_endless:
        yield since, datetime.max.replace(tzinfo=UTC)
        return
    by_day = calendar.windows_by_weekday
    if not by_day:
        raise CalendarError("the calendar has no working hours")
    tz = calendar.tz
    holidays = calendar.holidays
    no_windows: tuple[WorkingWindow, ...] = ()
    day = since.astimezone(tz).date() - timedelta(days=1)
    one_day = timedelta(days=1)
    empty_days = 0
    worked_until = since
    while True:
        if day >= LAST_SUPPORTED_DAY:
            raise _beyond_range("the working time asked for would end")
        produced = False
        if day not in holidays:
            for window in by_day.get(day.weekday(), no_windows):
                begin = max(_wall_edge(day, window.start, tz), worked_until)
                finish = _wall_edge(day, window.end, tz)
                if finish <= begin:
                    continue
                produced = True
                worked_until = finish
                yield begin, finish
        empty_days = 0 if produced else empty_days + 1
        if empty_days > MAX_SEARCH_DAYS:
            raise CalendarError("no working time in the next three years (all holidays?)")
        day += one_day


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


def due_input_check(start: datetime, target: timedelta) -> None:
    """Refuse what no calendar can answer, before walking any: a naive or out-of-range start
    (CalendarError is a ValueError), a negative target, or one longer than the real time left
    before SUPPORTED_UNTIL (working time is a part of real time)."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if target < timedelta(0):
        raise ValueError("target must not be negative")
    _check_supported(start, "the start")
    if target >= SUPPORTED_UNTIL - start:
        raise _beyond_range("the due time would fall")


def due_at(
    start: datetime,
    target: timedelta,
    calendar: BusinessCalendar,
    pauses: Sequence[Pause] = (),
) -> datetime | None:
    """The instant at which `target` of working time has elapsed since `start`, not counting
    pauses. A zero target is due at the first working instant at or after `start`. None while
    a pause that has not ended would swallow the rest of the target (the clock is stopped)."""
    due_input_check(start, target)
    closed, open_since = _normalise(pauses)
    remaining = target
    for begin, finish in working_intervals(calendar, start):
        for piece_start, piece_end in _subtract_pauses(begin, finish, closed):
            if open_since is not None and piece_start >= open_since:
                return None
            usable_end = piece_end if open_since is None else min(piece_end, open_since)
            length = usable_end - piece_start
            if remaining <= length:
                if remaining >= SUPPORTED_UNTIL - piece_start:
                    raise _beyond_range("the due time would fall")
                return piece_start + remaining
            remaining -= length
        if open_since is not None and finish >= open_since:
            return None
    raise CalendarError("unreachable: working_intervals is endless")  # pragma: no cover


def due_instants(
    start: datetime,
    targets: Sequence[timedelta],
    calendar: BusinessCalendar,
    pauses: Sequence[Pause] = (),
) -> list[datetime | None]:
    """due_at for each of `targets` (in any order), from one walk through the calendar instead
    of one per target: the result at each position is exactly what due_at gives for that target
    (a clock's thresholds are fractions of its target, so one walk reaches them all in turn).
    Raises what due_at would raise for the first target that cannot be answered."""
    for target in targets:
        due_input_check(start, target)
    found: list[datetime | None] = [None] * len(targets)
    order = sorted(range(len(targets)), key=targets.__getitem__)
    if not order:
        return found
    closed, open_since = _normalise(pauses)
    position = 0
    next_target = targets[order[0]]
    worked = timedelta(0)
    for begin, finish in working_intervals(calendar, start):
        for piece_start, piece_end in _subtract_pauses(begin, finish, closed):
            if open_since is not None and piece_start >= open_since:
                return found
            usable_end = piece_end if open_since is None else min(piece_end, open_since)
            length = usable_end - piece_start
            while next_target - worked <= length:
                remaining = next_target - worked
                if remaining >= SUPPORTED_UNTIL - piece_start:
                    raise _beyond_range("the due time would fall")
                found[order[position]] = piece_start + remaining
                position += 1
                if position == len(order):
                    return found
                next_target = targets[order[position]]
            worked += length
        if open_since is not None and finish >= open_since:
            return found
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
    if calendar.is_endless:
        # One working interval from `start` on: what the walk below would sum, without it.
        _check_supported(start, "the start")
        for piece_start, piece_end in _subtract_pauses(start, end, closed):
            total += piece_end - piece_start
        return total
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


# How far working_stretch joins intervals: a list's refresh looks no further ahead
# (core.web.list_marker.valid_until).
STRETCH_HORIZON = timedelta(days=1)


def working_stretch(calendar: BusinessCalendar, at: datetime) -> tuple[datetime, datetime]:
    """The working time at `at` or, out of hours, the next one: (begin, end) in UTC, begin being
    `at` itself when the calendar works at `at`. Intervals that follow one another without a gap
    (a window ending at midnight and the next day's starting there, two windows meeting at noon)
    are one stretch, joined up to STRETCH_HORIZON past its begin: business time runs at the wall
    clock's rate from begin to end. Raises CalendarError as working_intervals does."""
    intervals = working_intervals(calendar, at)
    begin, end = next(intervals)
    horizon = begin + STRETCH_HORIZON
    while end < horizon:
        following, finish = next(intervals)
        if following != end:
            break
        end = finish
    return begin, end
