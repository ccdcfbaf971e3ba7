"""The business-time arithmetic, without a database: hand-computed tables and properties."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import (
    STRETCH_HORIZON,
    BusinessCalendar,
    CalendarError,
    WorkingWindow,
    always_open,
    business_time_between,
    due_at,
    is_working_instant,
    weekly,
    working_stretch,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MON_FRI = range(5)
# Good Friday and Easter Monday 2026 in Germany.
BERLIN_OFFICE = weekly(
    "Europe/Berlin", MON_FRI, time(8), time(18), [date(2026, 4, 3), date(2026, 4, 6)]
)


def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def h(hours: float) -> timedelta:
    return timedelta(hours=hours)


@pytest.mark.parametrize(
    ("start", "target", "expected"),
    [
        # Inside working hours, same day.
        ("2026-03-24 09:00", h(4), "2026-03-24 13:00"),
        # Ends exactly at closing time.
        ("2026-03-24 14:00", h(4), "2026-03-24 18:00"),
        # Spills over the night.
        ("2026-03-24 16:00", h(4), "2026-03-25 10:00"),
        # Friday afternoon over the weekend; the clocks move forward that Sunday (29 March).
        ("2026-03-27 16:30", h(4), "2026-03-30 10:30"),
        # Created on Saturday: starts Monday 08:00.
        ("2026-03-28 11:00", h(1), "2026-03-30 09:00"),
        # Created before opening.
        ("2026-03-24 06:00", h(2), "2026-03-24 10:00"),
        # Created after closing.
        ("2026-03-24 19:00", h(2), "2026-03-25 10:00"),
        # A zero target is due at the first working instant.
        ("2026-03-28 11:00", h(0), "2026-03-30 08:00"),
        ("2026-03-24 09:15", h(0), "2026-03-24 09:15"),
        # Holidays on working days: Thursday 2 April + 4h skips Good Friday, the weekend and
        # Easter Monday.
        ("2026-04-02 16:00", h(4), "2026-04-07 10:00"),
        # Multi-day target: 2 business days of 10 hours.
        ("2026-03-23 08:00", h(20), "2026-03-24 18:00"),
        # Clocks go back on 25 October 2026: Friday 17:00 + 3h = Monday 10:00.
        ("2026-10-23 17:00", h(3), "2026-10-26 10:00"),
    ],
)
def test_due_times_a_person_would_compute(start, target, expected):
    assert due_at(berlin(start), target, BERLIN_OFFICE) == berlin(expected)


def test_dst_night_counts_wall_clock_hours_on_a_24x7_local_calendar():
    # A calendar open every day 00:00-24:00 in New York: the spring-forward night has 23 hours.
    calendar = weekly("America/New_York", range(7), time(0), time.max)
    start = datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK).astimezone(UTC)
    due = due_at(start, h(24), calendar)
    assert due == start + h(24)  # 24 real hours (UTC arithmetic)...
    assert due.astimezone(NEW_YORK).hour == 13  # ...which the wall clock shows as 13:00
    assert business_time_between(start, due, calendar) == h(24)


def test_always_open_is_plain_addition():
    start = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    assert due_at(start, h(5), always_open()) == start + h(5)


@pytest.mark.parametrize(
    ("pauses", "expected"),
    [
        # On hold over the lunch hour: one hour later.
        ([("2026-03-24 12:00", "2026-03-24 13:00")], "2026-03-24 14:00"),
        # On hold from Tuesday 17:00 to Thursday 09:00: Tuesday 17-18, all of Wednesday and
        # Thursday 08-09 are excluded (the start here is Tuesday 09:00, target 4h, reached
        # before the pause); see test_pause_spanning_nights for the spill-over case.
        ([("2026-03-24 17:00", "2026-03-26 09:00")], "2026-03-24 13:00"),
        # On hold over a weekend only: no effect.
        ([("2026-03-28 00:00", "2026-03-30 08:00")], "2026-03-24 13:00"),
        # Two overlapping pauses count once.
        (
            [("2026-03-24 10:00", "2026-03-24 11:00"), ("2026-03-24 10:30", "2026-03-24 11:30")],
            "2026-03-24 14:30",
        ),
    ],
)
def test_pauses_are_excluded(pauses, expected):
    parsed = [(berlin(a), berlin(b)) for a, b in pauses]
    assert due_at(berlin("2026-03-24 09:00"), h(4), BERLIN_OFFICE, parsed) == berlin(expected)


def test_pause_spanning_nights():
    pauses = [(berlin("2026-03-24 17:00"), berlin("2026-03-26 09:00"))]
    # Tuesday 15:00 + 4h: 15-17 runs, then nothing until Thursday 09:00, then 2h more.
    assert due_at(berlin("2026-03-24 15:00"), h(4), BERLIN_OFFICE, pauses) == berlin(
        "2026-03-26 11:00"
    )


def test_an_open_pause_stops_the_clock():
    pauses = [(berlin("2026-03-24 10:00"), None)]
    assert due_at(berlin("2026-03-24 09:00"), h(4), BERLIN_OFFICE, pauses) is None
    # ...unless the target is reached before the pause began.
    assert due_at(berlin("2026-03-24 09:00"), h(0.5), BERLIN_OFFICE, pauses) == berlin(
        "2026-03-24 09:30"
    )


def test_business_time_between_over_a_weekend_and_holidays():
    start, end = berlin("2026-04-02 16:00"), berlin("2026-04-07 10:00")
    assert business_time_between(start, end, BERLIN_OFFICE) == h(4)
    assert business_time_between(end, start, BERLIN_OFFICE) == -h(4)


def test_several_windows_a_day():
    split_shift = BusinessCalendar(
        timezone="Europe/Berlin",
        windows=(
            WorkingWindow(0, time(8), time(12)),
            WorkingWindow(0, time(13), time(17)),
        ),
    )
    # Monday 11:00 + 2h: 11-12 and 13-14.
    assert due_at(berlin("2026-03-23 11:00"), h(2), split_shift) == berlin("2026-03-23 14:00")
    # Monday 16:00 + 2h: one hour Monday, one hour the next Monday.
    assert due_at(berlin("2026-03-23 16:00"), h(2), split_shift) == berlin("2026-03-30 09:00")


def test_broken_calendars_are_refused():
    with pytest.raises(CalendarError):
        WorkingWindow(0, time(18), time(8))
    with pytest.raises(CalendarError):
        WorkingWindow(7, time(8), time(18))
    with pytest.raises(CalendarError):
        due_at(berlin("2026-03-24 09:00"), h(1), BusinessCalendar(timezone="Europe/Berlin"))
    every_day_a_holiday = weekly(
        "UTC",
        [0],
        time(8),
        time(9),
        [date(2026, 1, 5) + timedelta(weeks=w) for w in range(52 * 4)],
    )
    with pytest.raises(CalendarError):
        due_at(datetime(2026, 1, 1, tzinfo=UTC), h(1), every_day_a_holiday)


def test_naive_and_negative_inputs_are_refused():
    with pytest.raises(ValueError, match="aware"):
        due_at(datetime(2026, 3, 24, 9), h(1), BERLIN_OFFICE)
    with pytest.raises(ValueError, match="negative"):
        due_at(berlin("2026-03-24 09:00"), -h(1), BERLIN_OFFICE)


# --- properties -----------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
targets = st.integers(min_value=0, max_value=60 * 60 * 24 * 10).map(lambda s: timedelta(seconds=s))
calendars = st.sampled_from(
    [
        BERLIN_OFFICE,
        always_open(),
        weekly("America/New_York", range(7), time(0), time.max),
        weekly("Asia/Kolkata", [0, 1, 2, 3, 5], time(9, 30), time(17, 45)),
        BusinessCalendar(
            timezone="Australia/Sydney",
            windows=(WorkingWindow(2, time(6), time(11)), WorkingWindow(2, time(12), time(20))),
        ),
    ]
)


@st.composite
def pause_lists(draw, start_strategy=instants):
    start = draw(start_strategy)
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        offset = timedelta(minutes=draw(st.integers(0, 60 * 24 * 7)))
        length = timedelta(minutes=draw(st.integers(1, 60 * 24 * 3)))
        pauses.append((start + offset, start + offset + length))
    return start, pauses


@settings(max_examples=150, deadline=None)
@given(calendar=calendars, start=instants, a=targets, b=targets)
def test_due_is_monotonic_in_target(calendar, start, a, b):
    small, large = sorted([a, b])
    assert due_at(start, small, calendar) <= due_at(start, large, calendar)


@settings(max_examples=150, deadline=None)
@given(calendar=calendars, start_and_pauses=pause_lists(), target=targets)
def test_pausing_never_makes_a_ticket_due_earlier(calendar, start_and_pauses, target):
    start, pauses = start_and_pauses
    assert due_at(start, target, calendar, pauses) >= due_at(start, target, calendar)


@settings(max_examples=150, deadline=None)
@given(calendar=calendars, start=instants)
def test_zero_target_is_due_at_the_first_working_instant(calendar, start):
    due = due_at(start, timedelta(0), calendar)
    assert due >= start
    assert is_working_instant(due, calendar)
    assert business_time_between(start, due, calendar) == timedelta(0)


@settings(max_examples=150, deadline=None)
@given(calendar=calendars, start=instants, target=targets)
def test_due_is_inside_working_hours_and_consumes_exactly_the_target(calendar, start, target):
    due = due_at(start, target, calendar)
    # Inside working hours: either a working instant or the closing edge of a window.
    assert is_working_instant(due, calendar) or business_time_between(
        due - timedelta(seconds=1), due, calendar
    ) == timedelta(seconds=1)
    assert business_time_between(start, due, calendar) == target


def test_a_working_stretch_joins_windows_that_meet():
    split_day = BusinessCalendar(
        timezone="Europe/Berlin",
        windows=(WorkingWindow(0, time(8), time(12)), WorkingWindow(0, time(12), time(18))),
    )
    assert working_stretch(split_day, berlin("2026-03-02T09:00")) == (
        berlin("2026-03-02T09:00"),
        berlin("2026-03-02T18:00"),
    )
    # Out of hours: the next one.
    assert working_stretch(split_day, berlin("2026-03-02T19:00")) == (
        berlin("2026-03-09T08:00"),
        berlin("2026-03-09T18:00"),
    )
    # Around the clock with a holiday: to the holiday, or a day ahead at most.
    with_holiday = BusinessCalendar(always_open=True, holidays=frozenset([date(2026, 3, 4)]))
    monday = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert working_stretch(with_holiday, datetime(2026, 3, 3, 9, tzinfo=UTC))[1] == datetime(
        2026, 3, 4, tzinfo=UTC
    )
    assert working_stretch(with_holiday, monday) == (monday, datetime(2026, 3, 4, tzinfo=UTC))
    assert monday + STRETCH_HORIZON < datetime(2026, 3, 4, tzinfo=UTC)


@settings(max_examples=150, deadline=None)
@given(calendar=calendars, start=instants, fraction=st.floats(0, 1), target=targets)
def test_business_time_runs_at_the_wall_clocks_rate_through_a_working_stretch(
    calendar, start, fraction, target
):
    """What a business-hours badge counts on in the browser (sla.badge): from any instant of a
    working stretch to any due time, the business time left is that at its start less the wall
    time since."""
    begin, end = working_stretch(calendar, start)
    assert begin >= start
    assert (begin == start) == is_working_instant(start, calendar)
    if end < begin + STRETCH_HORIZON:
        assert not is_working_instant(end, calendar)
    due = due_at(start, target, calendar)
    later = begin + (min(end, begin + timedelta(days=2)) - begin) * fraction
    assert business_time_between(later, due, calendar) == (
        business_time_between(begin, due, calendar) - (later - begin)
    )


def test_equal_calendars_hash_alike_and_key_one_cache_entry():
    """BusinessCalendar keeps its hash (sla.badge keys a page's walks by calendar)."""
    first = weekly("Europe/Berlin", MON_FRI, time(8), time(18), [date(2026, 4, 3)])
    second = weekly("Europe/Berlin", MON_FRI, time(8), time(18), [date(2026, 4, 3)])
    other = weekly("Europe/Berlin", MON_FRI, time(8), time(17), [date(2026, 4, 3)])
    assert first == second and hash(first) == hash(second)
    assert first != other
    assert len({first, second, other}) == 2
