"""Working-window edges on daylight-saving nights, worked out by hand, then checked against a
brute-force walk of the wall clock minute by minute.

The rule (DESIGN.md §5): an edge is the first instant the wall clock reaches it. One inside the
hour skipped in spring is the instant the clocks jump; one inside the hour repeated in autumn is
its first occurrence. The 2026 changes, all on Sundays:

| zone             | spring: skipped wall hour             | autumn: repeated wall hour            |
|------------------|---------------------------------------|---------------------------------------|
| Europe/Berlin    | 29 Mar 02:00-03:00 (jump at 01:00Z)   | 25 Oct 02:00-03:00 (back at 01:00Z)   |
| America/New_York | 8 Mar 02:00-03:00 (jump at 07:00Z)    | 1 Nov 01:00-02:00 (back at 06:00Z)    |
| Australia/Sydney | 4 Oct 02:00-03:00 (jump at 16:00Z)    | 5 Apr 02:00-03:00 (back at 16:00Z)    |
"""

import bisect
import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sla.calendar import (
    BusinessCalendar,
    WorkingWindow,
    business_time_between,
    due_at,
    working_intervals,
)

SUNDAY = 6
MINUTE = timedelta(minutes=1)


def sunday_window(zone: str, start: time, end: time) -> BusinessCalendar:
    return BusinessCalendar(timezone=zone, windows=(WorkingWindow(SUNDAY, start, end),))


def midnight(zone: str, day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.min, tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("zone", "day", "start", "end", "opens", "closes", "hours"),
    [
        # --- the window opens in the skipped hour: open from the jump -----------------------
        # Berlin 29 Mar, 02:30-12:00: 02:30 never shows; at 01:00Z the clock reads 03:00+02:00
        # and has passed 02:30, so the desk opens then. 03:00 -> 12:00 is 9 real hours.
        ("Europe/Berlin", "2026-03-29", time(2, 30), time(12), "03:00+02:00", "12:00+02:00", 9),
        # New York 8 Mar: the jump is 02:00 EST -> 03:00 EDT at 07:00Z. 03:00 -> 12:00 EDT = 9 h.
        ("America/New_York", "2026-03-08", time(2, 30), time(12), "03:00-04:00", "12:00-04:00", 9),
        # Sydney 4 Oct: 02:00 AEST -> 03:00 AEDT at 16:00Z. 03:00 -> 12:00 AEDT = 9 h.
        ("Australia/Sydney", "2026-10-04", time(2, 30), time(12), "03:00+11:00", "12:00+11:00", 9),
        # --- the window closes in the skipped hour: closed at the jump ----------------------
        # Berlin 29 Mar, 00:00-02:30: 02:30 never shows; the desk closes when the clock jumps
        # past it, 03:00+02:00 (= 02:00+01:00). 00:00+01:00 -> 02:00+01:00 is 2 real hours.
        ("Europe/Berlin", "2026-03-29", time(0), time(2, 30), "00:00+01:00", "03:00+02:00", 2),
        # New York: 00:00 EST (05:00Z) -> the jump at 07:00Z = 2 h.
        ("America/New_York", "2026-03-08", time(0), time(2, 30), "00:00-05:00", "03:00-04:00", 2),
        # Sydney: 00:00 AEST (14:00Z on the 3rd) -> the jump at 16:00Z = 2 h.
        ("Australia/Sydney", "2026-10-04", time(0), time(2, 30), "00:00+10:00", "03:00+11:00", 2),
        # --- the window opens in the repeated hour: open at its first occurrence ------------
        # Berlin 25 Oct, 02:30-12:00: opens at the first 02:30 (+02:00, 00:30Z), closes at
        # 12:00+01:00 (11:00Z): 10.5 real hours, the repeated hour included.
        ("Europe/Berlin", "2026-10-25", time(2, 30), time(12), "02:30+02:00", "12:00+01:00", 10.5),
        # New York 1 Nov repeats 01:00-02:00: 01:30 EDT (05:30Z) -> 12:00 EST (17:00Z) = 11.5 h.
        (
            "America/New_York",
            "2026-11-01",
            time(1, 30),
            time(12),
            "01:30-04:00",
            "12:00-05:00",
            11.5,
        ),
        # Sydney 5 Apr repeats 02:00-03:00: 02:30 AEDT (15:30Z on the 4th) -> 12:00 AEST
        # (02:00Z) = 10.5 h.
        (
            "Australia/Sydney",
            "2026-04-05",
            time(2, 30),
            time(12),
            "02:30+11:00",
            "12:00+10:00",
            10.5,
        ),
        # --- the window closes in the repeated hour: closed at its first occurrence ---------
        # Berlin 25 Oct, 00:00-02:30: 00:00+02:00 (22:00Z) -> the first 02:30 (00:30Z) = 2.5 h;
        # the second pass through 02:00-02:30 (+01:00) is closed.
        ("Europe/Berlin", "2026-10-25", time(0), time(2, 30), "00:00+02:00", "02:30+02:00", 2.5),
        # New York, 00:00-01:30: 00:00 EDT (04:00Z) -> the first 01:30 EDT (05:30Z) = 1.5 h.
        ("America/New_York", "2026-11-01", time(0), time(1, 30), "00:00-04:00", "01:30-04:00", 1.5),
        # Sydney, 00:00-02:30: 00:00 AEDT (13:00Z on the 4th) -> the first 02:30 AEDT (15:30Z).
        ("Australia/Sydney", "2026-04-05", time(0), time(2, 30), "00:00+11:00", "02:30+11:00", 2.5),
    ],
)
def test_window_edges_on_daylight_saving_nights(zone, day, start, end, opens, closes, hours):
    calendar = sunday_window(zone, start, end)
    since = midnight(zone, day)
    expected_open = datetime.fromisoformat(f"{day}T{opens}")
    expected_close = datetime.fromisoformat(f"{day}T{closes}")
    assert next(working_intervals(calendar, since)) == (expected_open, expected_close)
    assert due_at(since, timedelta(0), calendar) == expected_open
    assert due_at(since, timedelta(hours=hours), calendar) == expected_close
    whole_day = business_time_between(since, since + timedelta(days=1), calendar)
    assert whole_day == timedelta(hours=hours)
    # One minute more than the day holds runs into the next Sunday's window.
    next_sunday = midnight(zone, (date.fromisoformat(day) + timedelta(days=7)).isoformat())
    spill = due_at(since, timedelta(hours=hours) + MINUTE, calendar)
    assert spill == datetime.combine(next_sunday.date(), start, tzinfo=ZoneInfo(zone)) + MINUTE


def test_a_half_hour_change_opens_at_the_jump_too():
    # Lord Howe Island moves its clocks by 30 minutes: 4 Oct 2026, 02:00 -> 02:30 (+10:30 ->
    # +11:00) at 15:30Z. A window from 02:15 opens at the jump, 02:30+11:00, not 02:45.
    calendar = sunday_window("Australia/Lord_Howe", time(2, 15), time(4))
    since = midnight("Australia/Lord_Howe", "2026-10-04")
    assert due_at(since, timedelta(0), calendar) == datetime(2026, 10, 3, 15, 30, tzinfo=UTC)
    assert business_time_between(since, since + timedelta(days=1), calendar) == timedelta(
        hours=1, minutes=30
    )


def test_a_window_wholly_inside_the_skipped_hour_has_no_working_time():
    # Berlin 29 Mar, 02:10-02:50: both edges are the jump; the desk works the next Sunday.
    calendar = sunday_window("Europe/Berlin", time(2, 10), time(2, 50))
    since = midnight("Europe/Berlin", "2026-03-29")
    assert due_at(since, timedelta(0), calendar) == datetime.fromisoformat("2026-04-05T02:10+02:00")


def test_overlapping_windows_count_once():
    calendar = BusinessCalendar(
        timezone="Europe/Berlin",
        windows=(
            WorkingWindow(0, time(8), time(12)),
            WorkingWindow(0, time(10), time(14)),
            WorkingWindow(0, time(9), time(10)),
        ),
    )
    monday = midnight("Europe/Berlin", "2026-03-23")
    assert business_time_between(monday, monday + timedelta(days=1), calendar) == timedelta(hours=6)
    assert due_at(monday, timedelta(hours=5), calendar) == monday + timedelta(hours=13)


# --- a brute-force walk of the wall clock ---------------------------------------------------


def _changes(zone: str) -> list[datetime]:
    """The instants of 2026-2027 at which `zone` changes its offset (hourly scan)."""
    tz = ZoneInfo(zone)
    hours = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=n) for n in range(2 * 366 * 24)]
    return [
        later
        for earlier, later in itertools.pairwise(hours)
        if earlier.astimezone(tz).utcoffset() != later.astimezone(tz).utcoffset()
    ]


ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney")
CHANGES = [(zone, instant) for zone in ZONES for instant in _changes(zone)]
# Times around the changes (and some ordinary ones), so edges land in skipped and repeated hours.
EDGES = [time(h, m) for h in range(5) for m in (0, 15, 30, 45)] + [time(9), time(12), time.max]


def brute_force_working_minutes(calendar: BusinessCalendar, first: datetime, count: int) -> list:
    """Whether each of `count` minutes from `first` is working time, from the wall clock alone:
    a window on day d opens at the first minute whose wall time has reached d+start and closes
    at the first one that has reached d+end. "Has reached" is the running maximum of the wall
    clock, so the repeated hour of autumn does not open or close anything twice. Shares no code
    with sla.calendar."""
    tz = ZoneInfo(calendar.timezone)
    lead = 2 * 24 * 60  # minutes walked before `first`, so a window open at `first` is seen
    minutes = [first + (n - lead) * MINUTE for n in range(count + 2 * lead)]
    walls = [m.astimezone(tz).replace(tzinfo=None) for m in minutes]
    reached = list(itertools.accumulate(walls, max))
    working = [False] * len(minutes)
    day = walls[0].date()
    while day <= walls[-1].date():
        for window in calendar.windows:
            if window.weekday != day.weekday() or day in calendar.holidays:
                continue
            opens = datetime.combine(day, window.start)
            closes = (
                datetime.combine(day + timedelta(days=1), time.min)
                if window.end == time.max
                else datetime.combine(day, window.end)
            )
            for n in range(bisect.bisect_left(reached, opens), bisect.bisect_left(reached, closes)):
                working[n] = True
        day += timedelta(days=1)
    return working[lead : lead + count]


@st.composite
def dst_calendars(draw):
    zone, change = draw(st.sampled_from(CHANGES))
    windows = []
    for _ in range(draw(st.integers(1, 3))):
        start, end = sorted(draw(st.lists(st.sampled_from(EDGES), min_size=2, max_size=2)))
        assume(start < end)
        # The day of the change, the day before or the day after (a window may cross midnight
        # only by ending at 24:00).
        weekday = (change.astimezone(ZoneInfo(zone)).weekday() + draw(st.integers(-1, 1))) % 7
        windows.append(WorkingWindow(weekday, start, end))
    holidays = frozenset(
        change.astimezone(ZoneInfo(zone)).date() + timedelta(days=offset)
        for offset in draw(st.lists(st.integers(-1, 1), max_size=1))
    )
    calendar = BusinessCalendar(timezone=zone, windows=tuple(windows), holidays=holidays)
    start = change + MINUTE * draw(st.integers(-36 * 60, 12 * 60))
    return calendar, start


@settings(max_examples=150, deadline=None)
@given(case=dst_calendars(), length=st.integers(0, 48 * 60))
def test_business_time_agrees_with_the_wall_clock_walk(case, length):
    calendar, start = case
    working = brute_force_working_minutes(calendar, start, length)
    assert business_time_between(start, start + length * MINUTE, calendar) == sum(working) * MINUTE


@settings(max_examples=150, deadline=None)
@given(case=dst_calendars(), target_minutes=st.integers(0, 6 * 60))
def test_due_times_agree_with_the_wall_clock_walk(case, target_minutes):
    calendar, start = case
    horizon = 8 * 24 * 60  # a week later every window comes round again, holidays or not
    working = brute_force_working_minutes(calendar, start, horizon)
    minutes = [n for n, is_working in enumerate(working) if is_working]
    assume(len(minutes) > target_minutes)
    # Due at the first working minute for a zero target, else at the end of the target's last.
    expected = minutes[0] if target_minutes == 0 else minutes[target_minutes - 1] + 1
    assert due_at(start, target_minutes * MINUTE, calendar) == start + expected * MINUTE


@settings(max_examples=500, deadline=None)
@given(
    case=dst_calendars(),
    target=st.integers(0, 60 * 60 * 24 * 5).map(lambda s: timedelta(seconds=s)),
    offset=st.integers(0, 59),
)
def test_business_time_to_the_due_time_is_the_target(case, target, offset):
    calendar, start = case
    start += timedelta(seconds=offset)
    assert business_time_between(start, due_at(start, target, calendar), calendar) == target
