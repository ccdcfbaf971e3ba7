"""The arithmetic of budgets and burn rates against hand-computed examples (no database)."""

from datetime import timedelta

import pytest

from slo.budget import (
    ALERT_POLICIES,
    WINDOWS,
    alerts_holding,
    availability_budget,
    availability_burns,
    availability_series,
    burn_rate,
    error_rate,
    overlap,
    response_budget,
    response_burns,
    response_series,
    status_of,
)
from slo.choices import AlertRule

DAY = 86400.0


def test_the_workbook_table():
    table = [(p.rule, p.severity, p.long, p.short, p.burn) for p in ALERT_POLICIES]
    assert table == [
        (AlertRule.PAGE_1H, "page", "1h", "5m", 14.4),
        (AlertRule.PAGE_6H, "page", "6h", "30m", 6.0),
        (AlertRule.NOTIFY_1D, "notify", "1d", "2h", 3.0),
        (AlertRule.NOTIFY_3D, "notify", "3d", "6h", 1.0),
    ]
    assert [w.total_seconds() for w in WINDOWS.values()] == [
        300,
        1800,
        3600,
        7200,
        21600,
        DAY,
        3 * DAY,
    ]


def test_availability_budget_999_over_28_days():
    # allowed = 0.001 x 28 x 86400 = 2419.2 s; 1200 s used leaves 1219.2 s = 50.397 %.
    budget = availability_budget(99.9, timedelta(days=28), 1200.0)
    assert budget.allowed == pytest.approx(2419.2)
    assert budget.remaining == pytest.approx(1219.2)
    assert budget.remaining_fraction == pytest.approx(0.503968, abs=1e-6)
    assert not budget.is_exhausted
    assert budget.attained == pytest.approx(100 * (1 - 1200 / (28 * DAY)))
    spent = availability_budget(99.9, timedelta(days=28), 2419.2)
    assert spent.is_exhausted and spent.remaining_fraction == pytest.approx(0.0)


def test_burn_rate_is_the_bad_fraction_over_the_error_rate():
    assert error_rate(99.9) == pytest.approx(0.001)
    # 60 s down in the last hour at 99.9 %: (60 / 3600) / 0.001 = 16.67
    assert burn_rate(60, 3600, 99.9) == pytest.approx(16.6667, abs=1e-4)
    # exactly on budget burns at 1
    assert burn_rate(2419.2, 28 * DAY, 99.9) == pytest.approx(1.0)
    assert burn_rate(0, 0, 99.9) == 0.0


def _downtime(**by_window: float) -> dict[str, float]:
    return {name: by_window.get(f"w{name}", 0.0) for name in WINDOWS}


def test_a_one_minute_outage_going_on_now_pages_through_the_1h_rule_only():
    # 60 s down, still down now: 5m 60/300/0.001 = 200; 30m 33.3; 1h 16.7 (>= 14.4);
    # 2h 8.3; 6h 2.78 (< 6); 1d 0.69 (< 3); 3d 0.23 (< 1).
    downtime = dict.fromkeys(WINDOWS, 60.0)
    burns = availability_burns(99.9, downtime)
    assert burns["5m"] == pytest.approx(200.0)
    assert burns["1h"] == pytest.approx(16.6667, abs=1e-4)
    assert burns["6h"] == pytest.approx(2.7778, abs=1e-4)
    assert burns["3d"] == pytest.approx(0.2315, abs=1e-4)
    assert [p.rule for p in alerts_holding(burns)] == [AlertRule.PAGE_1H]


def test_the_short_window_clears_an_alert_once_the_burn_stopped():
    # The same minute, over for 10 minutes: the hour still burns at 16.7, the 5 minutes at 0.
    downtime = {name: (0.0 if name == "5m" else 60.0) for name in WINDOWS}
    assert alerts_holding(availability_burns(99.9, downtime)) == []


def test_a_slow_steady_burn_notifies_but_does_not_page():
    # 0.2 % of the time down, evenly: burn 2 in every window: only the 3-day rule (>= 1).
    downtime = {name: 0.002 * span.total_seconds() for name, span in WINDOWS.items()}
    burns = availability_burns(99.9, downtime)
    assert all(rate == pytest.approx(2.0) for rate in burns.values())
    assert [p.rule for p in alerts_holding(burns)] == [AlertRule.NOTIFY_3D]
    # 0.5 %: burn 5: the 1-day rule (>= 3) too, still no page (6h needs 6).
    downtime = {name: 0.005 * span.total_seconds() for name, span in WINDOWS.items()}
    rules = [p.rule for p in alerts_holding(availability_burns(99.9, downtime))]
    assert rules == [AlertRule.NOTIFY_1D, AlertRule.NOTIFY_3D]


def test_thresholds_are_inclusive():
    # 6h at exactly 6 (0.006 x 21600 = 129.6 s) and 30m at exactly 6 (10.8 s).
    downtime = dict.fromkeys(WINDOWS, 0.0) | {"6h": 129.6, "30m": 10.8}
    assert [p.rule for p in alerts_holding(availability_burns(99.9, downtime))] == [
        AlertRule.PAGE_6H
    ]


def test_response_budget_counts_events():
    # 95 % of 40 incidents: 2 may be late; 1 late leaves half the budget.
    budget = response_budget(95, 40, 1)
    assert budget.allowed == pytest.approx(2.0)
    assert budget.remaining_fraction == pytest.approx(0.5)
    assert budget.attained == pytest.approx(97.5)
    assert response_budget(95, 40, 2).is_exhausted
    # No incident: nothing allowed, nothing used, nothing spent.
    empty = response_budget(95, 0, 0)
    assert empty.remaining_fraction == 1.0 and not empty.is_exhausted
    assert empty.attained is None


def test_response_burns_per_window():
    counts = dict.fromkeys(WINDOWS, (0, 0)) | {"1h": (4, 1), "5m": (1, 1), "3d": (20, 1)}
    burns = response_burns(95, counts)
    assert burns["5m"] == pytest.approx(20.0)  # 1/1 / 0.05
    assert burns["1h"] == pytest.approx(5.0)  # 1/4 / 0.05
    assert burns["3d"] == pytest.approx(1.0)  # 1/20 / 0.05
    assert burns["6h"] == 0.0


def test_status_words():
    healthy = availability_budget(99.9, timedelta(days=28), 0)
    assert status_of(healthy, []) == "healthy"
    assert status_of(healthy, [ALERT_POLICIES[3]]) == "burning"
    assert status_of(healthy, [ALERT_POLICIES[0], ALERT_POLICIES[3]]) == "fast burn"
    assert status_of(availability_budget(99.9, timedelta(days=28), 9999), []) == "exhausted"


def test_overlap_clips_islands_to_the_window():
    islands = [(0.0, 100.0), (200.0, 300.0)]
    assert overlap(islands, 50, 250) == 100.0
    assert overlap(islands, 300, 400) == 0.0


def test_availability_series_slides_the_window():
    # A 2-day window, 99 % (allowed 1728 s); one 864 s outage on day 1 (from t=86400).
    islands = [(DAY, DAY + 864.0)]
    series = availability_series(islands, 99, timedelta(days=2), [2 * DAY, 3 * DAY, 4 * DAY])
    assert series == pytest.approx([0.5, 0.5, 1.0])


def test_response_series_sums_days_of_each_window():
    # Window 2 days at 90 %: days 0..3; day 1: 10 events 1 bad; day 2: 10 events 0 bad.
    daily = {1: (10, 1), 2: (10, 0)}
    # points: days 0-1 (10, 1) -> allowed 1, used 1 -> 0; days 1-2 (20, 1) -> 0.5; days 2-3 -> 1
    assert response_series(daily, 90, 2) == pytest.approx([0.0, 0.5, 1.0])
