"""What the arithmetic refuses, and how: instants outside the supported range, targets no
calendar can reach, unknown time zones — a CalendarError with the reason, never an
OverflowError. And holidays on a 24x7 calendar, which count."""

import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import (
    SUPPORTED_UNTIL,
    BusinessCalendar,
    CalendarError,
    always_open,
    business_time_between,
    due_at,
    is_working_instant,
    weekly,
)
from sla.durations import parse_target

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = weekly("Europe/Berlin", range(5), time(8), time(18))
CHRISTMAS = BusinessCalendar(
    timezone="Europe/Berlin",
    always_open=True,
    holidays=frozenset({date(2026, 12, 25), date(2026, 12, 26)}),
)


def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.mark.parametrize("calendar", [OFFICE, always_open(), CHRISTMAS])
@pytest.mark.parametrize(
    ("start", "target", "message"),
    [
        # The two inputs of the issue: a 99,999,999-day target and a start on datetime's edge.
        (datetime(2026, 3, 27, 16, 30, tzinfo=UTC), timedelta(days=99999999), "after 3000-01-01"),
        (datetime.fromisoformat("9999-12-31T17:00+01:00"), timedelta(hours=4), "supported range"),
        (datetime.fromisoformat("0001-01-01T00:30+01:00"), timedelta(hours=4), "supported range"),
        (datetime(2999, 12, 31, 20, tzinfo=UTC), timedelta(hours=30), "after 3000-01-01"),
        (datetime(2026, 1, 1, tzinfo=UTC), timedelta.max, "after 3000-01-01"),
    ],
)
def test_out_of_range_is_a_calendar_error_with_the_reason(calendar, start, target, message):
    with pytest.raises(CalendarError, match=message):
        due_at(start, target, calendar)


def test_a_target_no_calendar_can_reach_is_refused_without_walking_to_the_limit():
    began = stopwatch.perf_counter()
    with pytest.raises(CalendarError):
        due_at(datetime(2026, 1, 1, tzinfo=UTC), timedelta(days=99999999), OFFICE)
    assert stopwatch.perf_counter() - began < 0.5


def test_the_last_supported_instants_still_work():
    start = SUPPORTED_UNTIL - timedelta(hours=5)
    assert due_at(start, timedelta(hours=4), always_open()) == SUPPORTED_UNTIL - timedelta(hours=1)
    assert business_time_between(start, SUPPORTED_UNTIL, always_open()) == timedelta(hours=5)


def test_an_unknown_time_zone_is_a_calendar_error():
    calendar = weekly("Europe/Atlantis", range(5), time(8), time(18))
    with pytest.raises(CalendarError, match="Europe/Atlantis"):
        due_at(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1), calendar)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(timezones=st.sampled_from([UTC, BERLIN, ZoneInfo("Pacific/Kiritimati")])),
    # Up to ten years, or more than the whole supported range: a target in between walks the
    # calendar for centuries before it is refused, which is correct but slow for a test.
    target=st.one_of(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3660)),
        st.timedeltas(min_value=timedelta(days=401_000)),
    ),
    calendar=st.sampled_from([OFFICE, always_open(), CHRISTMAS]),
)
def test_any_start_and_target_give_a_due_time_or_a_calendar_error(start, target, calendar):
    try:
        due = due_at(start, target, calendar)
    except CalendarError:
        return
    assert due is not None
    assert due >= start


# --- holidays on a 24x7 calendar -----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target", "expected"),
    [
        # Christmas Eve 22:00 + 4h: two hours to midnight, the 25th and 26th are holidays,
        # then two more hours from the 27th at 00:00.
        ("2026-12-24 22:00", timedelta(hours=4), "2026-12-27 02:00"),
        # Started on a holiday: counting begins when it ends.
        ("2026-12-25 09:00", timedelta(hours=1), "2026-12-27 01:00"),
        ("2026-12-25 09:00", timedelta(0), "2026-12-27 00:00"),
        # Away from the holidays it is plain addition.
        ("2026-12-20 09:00", timedelta(hours=30), "2026-12-21 15:00"),
    ],
)
def test_a_24x7_calendar_honours_its_holidays(start, target, expected):
    assert due_at(berlin(start), target, CHRISTMAS) == berlin(expected)


def test_a_24x7_calendar_counts_every_hour_but_its_holidays():
    assert business_time_between(
        berlin("2026-12-24 00:00"), berlin("2026-12-28 00:00"), CHRISTMAS
    ) == timedelta(days=2)
    assert not is_working_instant(berlin("2026-12-25 12:00"), CHRISTMAS)
    assert is_working_instant(berlin("2026-12-24 23:59"), CHRISTMAS)


def test_a_24x7_calendar_with_holidays_counts_the_real_hours_of_a_dst_night():
    # Berlin, 29 Mar 2026 has 23 hours; a 24x7 calendar with a holiday elsewhere still counts
    # real time across it, as one without holidays does.
    calendar = BusinessCalendar(
        timezone="Europe/Berlin", always_open=True, holidays=frozenset({date(2026, 12, 25)})
    )
    start = berlin("2026-03-28 12:00")
    assert due_at(start, timedelta(hours=24), calendar) == due_at(
        start, timedelta(hours=24), always_open()
    )


# --- targets as typed ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9999999999999d", "too long"),
        ("1" * 5000 + "d", "too long"),
        ("999999999d999999999999h", "too long"),
        ("4 hours", "not a target"),
    ],
)
def test_targets_of_any_size_are_a_value_error(text, message):
    with pytest.raises(ValueError, match=message):
        parse_target(text)


def test_leading_zeros_are_not_length():
    assert parse_target("0000000000000004h") == timedelta(hours=4)
