"""sla.calendar.due_instants: every threshold of a clock from one walk through the calendar. Each
instant must be exactly what sla.calendar.due_at gives for that threshold alone, on calendars
with daylight-saving nights, holidays, split windows and 24x7, with closed and open pauses."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import (
    BusinessCalendar,
    CalendarError,
    WorkingWindow,
    always_open,
    business_time_between,
    due_at,
    due_instants,
    weekly,
)

HOLIDAYS = [date(2026, 3, 27), date(2026, 3, 30), date(2026, 10, 26), date(2026, 12, 24)]
CALENDARS = [
    # Business hours around both 2026 daylight-saving changes in Berlin, with holidays.
    weekly("Europe/Berlin", range(5), time(8), time(18), HOLIDAYS),
    # A window that starts inside the hour New York skips in spring and repeats in autumn.
    weekly("America/New_York", range(7), time(1, 30), time(3, 30)),
    weekly("America/New_York", range(7), time(0), time.max),
    weekly("Asia/Kolkata", [0, 1, 2, 3, 5], time(9, 30), time(17, 45), HOLIDAYS),
    BusinessCalendar(
        timezone="Australia/Sydney",
        windows=(WorkingWindow(2, time(6), time(11)), WorkingWindow(2, time(12), time(20))),
    ),
    always_open(),
    BusinessCalendar(always_open=True, holidays=frozenset(HOLIDAYS)),
]

starts = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 31), timezones=st.just(UTC)
)
seconds = st.integers(min_value=0, max_value=60 * 60 * 24 * 12)
percents = st.lists(st.integers(min_value=1, max_value=150), max_size=4)


@st.composite
def pause_lists(draw, start: datetime):
    pauses: list[tuple[datetime, datetime | None]] = []
    for _ in range(draw(st.integers(0, 3))):
        offset = timedelta(minutes=draw(st.integers(-60 * 24, 60 * 24 * 10)))
        length = timedelta(minutes=draw(st.integers(-10, 60 * 24 * 4)))
        pauses.append((start + offset, start + offset + length))
    if draw(st.booleans()):
        pauses.append((start + timedelta(minutes=draw(st.integers(-60, 60 * 24 * 14))), None))
    return pauses


@st.composite
def clocks(draw):
    start = draw(starts)
    target = timedelta(seconds=draw(seconds))
    # As a snapshot's thresholds: fractions of the target in the stored order, the target last.
    targets = [target * percent / 100 for percent in draw(percents)] + [target]
    return draw(st.sampled_from(CALENDARS)), start, targets, draw(pause_lists(start))


@settings(max_examples=600, deadline=None)
@given(clock=clocks())
def test_one_walk_gives_what_one_walk_per_threshold_gives(clock):
    calendar, start, targets, pauses = clock
    expected = [due_at(start, target, calendar, pauses) for target in targets]
    assert due_instants(start, targets, calendar, pauses) == expected


def test_thresholds_across_a_dst_night_and_a_holiday():
    berlin = CALENDARS[0]
    start = datetime(2026, 3, 26, 15, tzinfo=UTC)  # Thu 16:00 CET; Fri 27 is a holiday
    targets = [timedelta(hours=h) for h in (1, 2, 5, 12)]
    found = due_instants(start, targets, berlin)
    assert found == [due_at(start, t, berlin) for t in targets]
    # 2 h of Thursday, then Monday 30th is a holiday too, so Tuesday 31st in summer time (UTC+2).
    assert found[2] == datetime(2026, 3, 31, 9, tzinfo=UTC)


def test_an_open_pause_stops_every_threshold_it_swallows():
    calendar = always_open()
    start = datetime(2026, 6, 1, tzinfo=UTC)
    pauses = [(start + timedelta(hours=3), None)]
    targets = [timedelta(hours=1), timedelta(hours=3), timedelta(hours=4)]
    assert due_instants(start, targets, calendar, pauses) == [
        start + timedelta(hours=1),
        start + timedelta(hours=3),
        None,
    ]


def test_no_targets_is_no_walk():
    assert due_instants(datetime(2026, 6, 1, tzinfo=UTC), [], BusinessCalendar()) == []


@pytest.mark.parametrize(
    ("start", "targets", "error"),
    [
        (datetime(2026, 6, 1), [timedelta(0)], ValueError),
        (datetime(2026, 6, 1, tzinfo=UTC), [timedelta(hours=1), timedelta(-1)], ValueError),
        (datetime(2026, 6, 1, tzinfo=UTC), [timedelta(days=500_000)], CalendarError),
    ],
)
def test_bad_input_is_refused_as_due_at_refuses_it(start, targets, error):
    with pytest.raises(error):
        due_instants(start, targets, always_open())
    with pytest.raises(error):
        [due_at(start, target, always_open()) for target in targets]


def test_a_calendar_without_hours_is_refused():
    with pytest.raises(CalendarError, match="no working hours"):
        due_instants(datetime(2026, 6, 1, tzinfo=UTC), [timedelta(hours=1)], BusinessCalendar())


# 24x7 with a holiday nobody reaches: walked day by day, where plain 24x7 takes the short way.
WALKED_24X7 = BusinessCalendar(always_open=True, holidays=frozenset({date(2999, 1, 1)}))


@settings(max_examples=300, deadline=None)
@given(clock=clocks(), length=seconds)
def test_unpaused_time_on_24x7_equals_the_walked_sum(clock, length):
    _calendar, start, _targets, pauses = clock
    end = start + timedelta(seconds=length)
    assert business_time_between(start, end, always_open(), pauses) == business_time_between(
        start, end, WALKED_24X7, pauses
    )
    assert business_time_between(end, start, always_open(), pauses) == business_time_between(
        end, start, WALKED_24X7, pauses
    )
