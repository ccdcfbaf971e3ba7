"""A business-hours badge in working hours is counted in the browser, as a 24x7 one is, to the end
of the working time (sla.badge): a wall-clock due time (now + business time left, the same at
every instant of that working time) and the end, where the browser stops. Its fingerprint holds
and the server's next move is that end (or a warning or due time before it); out of hours the
badge is what it was."""

from datetime import UTC, datetime, timedelta

from sla.badge import BadgeHtml, clocks_key, live_badge, live_sla
from sla.choices import ClockState
from sla.row_clocks import RowClock
from sla.selectors import ticket_sla
from tests.sla.calendars import OFFICE

# Monday 9 March 2026, 10:00:20 in Berlin (CET, UTC+1): the office works until 16:00 UTC.
MONDAY = datetime(2026, 3, 9, 9, 0, 20, tzinfo=UTC)
CLOSING = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
TUESDAY_OPENING = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def _clocks(due_at, calendar=OFFICE, warn_at=None):
    snapshot = {"calendar": calendar, "policy_name": "Office P3"}
    return [
        RowClock(
            1, "resolution", ClockState.RUNNING, due_at, warn_at, None, None, None, 1, snapshot
        )
    ]


def _badge(clocks, now) -> BadgeHtml:
    return live_badge(clocks, ticket_sla(clocks, now), now, UTC)


def _time_element(badge: BadgeHtml) -> str:
    html = badge.html
    return html[html.index("<time") : html.index("</time>")]


def test_due_in_this_working_time_is_counted_to_the_due_time_itself():
    due = datetime(2026, 3, 9, 10, 30, 10, tzinfo=UTC)
    clocks = _clocks(due)
    live = live_sla(clocks, ticket_sla(clocks, MONDAY), MONDAY)
    assert live is not None
    assert (live.countdown_due, live.countdown_until) == (due, CLOSING)
    badge = _badge(clocks, MONDAY)
    assert (
        'data-countdown="left" data-prefix="Resolution: " '
        'data-due="2026-03-09T10:30:10+00:00" data-until="2026-03-09T16:00:00+00:00">'
        "Resolution: 1h 29m left"
    ) in _time_element(badge)
    # The badge turns "Breached" at the due time, before the office closes.
    assert badge.moves_at == due


def test_due_beyond_this_working_time_is_counted_to_its_end_and_stops_there():
    due = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # Tuesday 11:00 in Berlin
    clocks = _clocks(due)
    # 6h 59m 40s left today, 2h on Tuesday: counted at the wall clock's rate, zero at 18:00 UTC.
    wall_due = datetime(2026, 3, 9, 18, 0, tzinfo=UTC)
    early, late = (_badge(clocks, t) for t in (MONDAY, MONDAY + timedelta(minutes=3)))
    assert "Resolution: 8h 59m left" in early.html
    assert "Resolution: 8h 56m left" in late.html
    for badge in (early, late):
        assert 'data-due="2026-03-09T18:00:00+00:00" data-until="2026-03-09T16:00:00+00:00"' in (
            badge.html
        )
        assert badge.moves_at == CLOSING
    assert early.digest_key == late.digest_key
    assert early.html.replace("8h 59m", "8h 56m") == late.html
    # At closing time the server says what the browser stopped at (due - until: 2h), and the
    # badge waits for Tuesday morning.
    closed = _badge(clocks, CLOSING)
    assert "Resolution: 2h 00m left" in closed.html
    assert wall_due - CLOSING == timedelta(hours=2)
    assert "data-until" not in closed.html
    assert closed.moves_at == TUESDAY_OPENING
    assert closed.digest_key == closed.html


def test_a_warning_before_the_end_bounds_the_servers_next_move():
    due = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    warn = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    assert _badge(_clocks(due, warn_at=warn), MONDAY).moves_at == warn


def test_on_a_holiday_the_badge_waits_for_the_next_working_day_as_out_of_hours():
    holiday = {**OFFICE, "holidays": ["2026-03-09"]}
    clocks = _clocks(datetime(2026, 3, 10, 10, 0, tzinfo=UTC), holiday)
    badge = _badge(clocks, MONDAY)
    assert _time_element(badge).endswith('data-prefix="Resolution: ">Resolution: 2h 00m left')
    assert badge.moves_at == TUESDAY_OPENING
    assert badge.digest_key == badge.html


def test_out_of_hours_the_badge_is_unchanged():
    friday_evening = datetime(2026, 3, 6, 18, 0, 20, tzinfo=UTC)
    clocks = _clocks(datetime(2026, 3, 9, 10, 30, 10, tzinfo=UTC))
    badge = _badge(clocks, friday_evening)
    live = live_sla(clocks, ticket_sla(clocks, friday_evening), friday_evening)
    assert live is not None
    assert (live.countdown_due, live.countdown_until) == (None, None)
    assert _time_element(badge) == (
        '<time class="sla-left" datetime="2026-03-09T10:30:10+00:00" title="Resolution due '
        'Mon 9 Mar 2026, 10:30 UTC (Berlin office: business time)" data-countdown="left" '
        'data-prefix="Resolution: ">Resolution: 2h 30m left'
    )
    assert badge.moves_at == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    assert badge.digest_key == badge.html


def test_across_a_change_to_summer_time_the_count_runs_at_the_wall_clocks_rate():
    """Berlin's clocks go 02:00 -> 03:00 at 01:00 UTC on Sunday 29 March 2026: a 01:00-05:00
    Sunday window is 00:00-03:00 UTC, three hours of business time, counted as such."""
    night_shift = {
        **OFFICE,
        "windows": [[6, "01:00", "05:00"], [0, "08:00", "18:00"]],
    }
    due = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # Monday 10:00 CEST: 2h into Monday
    clocks = _clocks(due, night_shift)
    before = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET
    after = datetime(2026, 3, 29, 2, 30, tzinfo=UTC)  # 04:30 CEST
    early, late = (_badge(clocks, t) for t in (before, after))
    assert "Resolution: 4h 30m left" in early.html
    assert "Resolution: 2h 30m left" in late.html
    for badge in (early, late):
        assert 'data-due="2026-03-29T05:00:00+00:00" data-until="2026-03-29T03:00:00+00:00"' in (
            badge.html
        )
        assert badge.moves_at == datetime(2026, 3, 29, 3, 0, tzinfo=UTC)
    assert early.digest_key == late.digest_key


def test_a_24x7_badge_is_unchanged():
    always = {"name": "24x7", "timezone": "UTC", "always_open": True, "windows": [], "holidays": []}
    clocks = _clocks(datetime(2026, 3, 9, 10, 30, 10, tzinfo=UTC), always)
    badge = _badge(clocks, MONDAY)
    assert _time_element(badge).endswith(
        'data-prefix="Resolution: " data-due="2026-03-09T10:30:10+00:00">Resolution: 1h 29m left'
    )
    assert badge.moves_at is None
    assert badge.digest_key == clocks_key(clocks)


def test_the_clocks_key_is_the_clocks_whichever_objects_they_share():
    due = datetime(2026, 3, 9, 10, 30, 10, tzinfo=UTC)
    shared = _clocks(due) * 2  # two clocks with one snapshot object
    apart = _clocks(due) + _clocks(due)
    assert clocks_key(shared) == clocks_key(apart)
    assert clocks_key(_clocks(due)) != clocks_key(_clocks(due + timedelta(seconds=1)))
    other_calendar = {**OFFICE, "windows": [[day, "08:00", "17:00"] for day in range(5)]}
    assert clocks_key(_clocks(due)) != clocks_key(_clocks(due, calendar=other_calendar))
