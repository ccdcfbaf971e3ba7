"""The filter bar's parsing, the compliance trend's buckets, and the trend held to the
reporting engine's own compliance numbers."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from reporting.dashboard_filters import dashboard_query
from reporting.dashboard_queries import compliance_trend, trend_buckets
from reporting.filters import ReportFilter
from reporting.metrics.compliance import compliance

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday


def test_default_is_the_last_30_whole_days() -> None:
    query = dashboard_query({}, now=NOW)
    assert query.is_valid
    assert query.period == "30"
    assert query.first_day == date(2026, 2, 9)
    assert query.last_day == date(2026, 3, 10)
    assert query.days == 30
    assert query.params() == {"period": "30"}


def test_preset_ignores_stray_dates() -> None:
    query = dashboard_query({"period": "7", "start": "2020-01-01"}, now=NOW)
    assert query.first_day == date(2026, 3, 4)
    assert query.params() == {"period": "7"}


def test_custom_period_and_dimensions_round_trip(l1_group, service) -> None:
    params = {
        "period": "custom",
        "start": "2026-03-02",
        "end": "2026-03-08",
        "kind": "request",
        "group": str(l1_group.pk),
        "service": str(service.pk),
        "priority": "2",
        "tier": "1",
    }
    query = dashboard_query(params, now=NOW)
    assert query.is_valid
    assert query.report is not None
    assert query.report.group_id == l1_group.pk
    assert query.report.kind == "request"
    assert query.days == 7
    assert query.params() == params
    assert dashboard_query(query.params(), now=NOW).report == query.report
    assert query.dimension_params() == {
        "kind": "request",
        "group": str(l1_group.pk),
        "service": str(service.pk),
        "priority": "2",
        "tier": "1",
    }


def test_errors_land_on_their_fields() -> None:
    query = dashboard_query(
        {"period": "custom", "start": "2026-03-09", "end": "2026-03-01", "tier": "7"}, now=NOW
    )
    assert not query.is_valid
    assert set(query.errors) == {"tier"}  # the form's shape errors come first
    query = dashboard_query({"period": "custom", "start": "2026-03-09", "end": "2026-03-01"})
    assert query.errors == {"start": "The start must be before the end."}
    assert query.error_items == [("start", "From", "The start must be before the end.")]


def test_trend_buckets_are_calendar_weeks_clipped_to_the_period() -> None:
    report = ReportFilter.from_params({"start": "2026-03-04", "end": "2026-03-17"}, now=NOW)
    buckets = trend_buckets(report)
    assert [(timezone.localtime(s).date(), timezone.localtime(e).date()) for s, e in buckets] == [
        (date(2026, 3, 4), date(2026, 3, 9)),
        (date(2026, 3, 9), date(2026, 3, 16)),
        (date(2026, 3, 16), date(2026, 3, 18)),
    ]
    assert buckets[0][0] == report.start
    assert buckets[-1][1] == report.end


def test_long_periods_group_weeks_to_stay_readable() -> None:
    report = ReportFilter.from_params({"start": "2024-01-01", "end": "2025-12-31"}, now=NOW)
    buckets = trend_buckets(report)
    assert len(buckets) <= 26
    assert buckets[1][1] - buckets[1][0] == timedelta(weeks=5)


def test_trend_adds_up_to_the_reporting_engines_compliance(desk) -> None:
    """The desk of tests/reporting/conftest.py: B's response and resolution breached, and D's
    (past due, never swept: counted at their due times), the rest met."""
    buckets = trend_buckets(desk.report)
    points = compliance_trend(desk.report, buckets)
    total = compliance(desk.report).total
    assert sum(p.response.met for p in points) == total.response.met
    assert sum(p.response.breached for p in points) == total.response.breached
    assert sum(p.resolution.met for p in points) == total.resolution.met
    assert sum(p.resolution.breached for p in points) == total.resolution.breached
    assert total.response.breached == 2
    assert total.resolution.breached == 2
    for start, end in buckets:
        week = compliance(desk.report.with_period(start, end)).total
        point = next(p for p in points if p.start == start)
        assert (point.response, point.resolution) == (week.response, week.resolution)


def test_trend_follows_the_dimensions(desk, l2_group) -> None:
    narrowed = ReportFilter.from_params(
        {"start": "2026-03-02", "end": "2026-03-10", "priority": "2"}, now=NOW
    )
    points = compliance_trend(narrowed, trend_buckets(narrowed))
    total = compliance(narrowed).total
    assert sum(p.resolution.breached for p in points) == total.resolution.breached == 1
    assert sum(p.resolution.met for p in points) == total.resolution.met == 0
    nobody = ReportFilter.from_params(
        {"start": "2026-03-02", "end": "2026-03-10", "group": str(l2_group.pk), "tier": "3"},
        now=NOW,
    )
    assert all(p.response.total == 0 for p in compliance_trend(nobody, trend_buckets(nobody)))


def test_the_compliance_tile_draws_the_trend(desk, manager_client) -> None:
    from django.urls import reverse

    response = manager_client.get(
        reverse("reporting:dashboard_tile", args=["compliance"])
        + "?period=custom&start=2026-03-02&end=2026-03-10"
    )
    html = response.content.decode()
    assert 'aria-labelledby="chart-compliance-title chart-compliance-desc"' in html
    assert 'id="stat-compliance-breached" data-value="4"' in html  # B and D, each twice
    assert '<rect class="series-marker"' in html  # resolution: squares
    assert '<circle class="series-marker"' in html  # response: circles
