"""Every metric against the hand-computed desk of conftest.py (runs on SQLite and, in the
PostgreSQL pass of CI, on PostgreSQL; test_dialects.py adds the PostgreSQL-only paths)."""

from dataclasses import replace
from datetime import date

import pytest

from reporting.filters import ReportFilter
from reporting.metrics.compliance import Outcome, compliance
from reporting.metrics.durations import mtta, mttr
from reporting.metrics.flow import backlog, reopen_rate, volume
from reporting.metrics.satisfaction import satisfaction
from reporting.metrics.summary import summary
from reporting.metrics.tiers import escalation_rate, first_contact
from reporting.sql import DurationStats
from tests.reporting.conftest import NOW, at

pytestmark = pytest.mark.django_db


def assert_stats(stats: DurationStats, count: int, mean: float, median: float, p90: float) -> None:
    assert stats.count == count
    assert stats.mean == pytest.approx(mean, abs=0.01)
    assert stats.median == pytest.approx(median, abs=0.01)
    assert stats.p90 == pytest.approx(p90, abs=0.01)


def test_clocks_record_business_and_paused_seconds(desk):
    from sla.choices import Metric
    from sla.services import clocks_for

    resolution = {k: clocks_for(i).get(metric=Metric.RESOLUTION) for k, i in desk.incidents.items()}
    assert resolution["A"].elapsed_business_seconds == 14400  # Fri 16-18 + Mon 08-10 Berlin
    assert resolution["A"].paused_seconds == 0
    assert resolution["B"].elapsed_business_seconds == 36000
    assert resolution["B"].paused_seconds == 4 * 3600
    assert resolution["F"].paused_seconds == 3600  # resolved 10:00, reopened 11:00
    assert resolution["D"].elapsed_business_seconds is None  # still running


def test_mttr_wall_and_business_across_a_weekend_and_holds(desk):
    report = mttr(desk.report)
    # wall: A 237600, B 86400, C 75600, F 10800
    assert_stats(report.wall, 4, 410400 / 4, (75600 + 86400) / 2, 86400 + 0.7 * 151200)
    # business: A 14400, B 36000, C 25200, F 10800
    assert_stats(report.business, 4, 86400 / 4, (14400 + 25200) / 2, 25200 + 0.7 * 10800)


def test_mtta(desk):
    report = mtta(desk.report)
    # A 1800, B 5400, C 1800, F 0 (D never logged)
    assert_stats(report.wall, 4, 9000 / 4, 1800, 1800 + 0.7 * 3600)
    assert_stats(report.business, 4, 9000 / 4, 1800, 1800 + 0.7 * 3600)


def test_compliance_counts_paused_clocks_by_their_moved_due_time(desk):
    report = compliance(desk.report, by="priority", now=NOW)
    # response: A, C, F met; B breached; D running past due, unswept: breached (E cancelled)
    assert report.total.response == Outcome(met=3, breached=2)
    # resolution: B and D breached; C met thanks to its hold; F met after its reopen
    assert report.total.resolution == Outcome(met=3, breached=2)
    assert report.total.resolution.rate == 0.6
    rows = {row.label: row for row in report.rows}
    assert rows["P1"].resolution == Outcome(met=1, breached=0)
    assert rows["P2"].response == Outcome(met=0, breached=1)
    assert rows["P2"].resolution == Outcome(met=0, breached=1)
    assert rows["P3"].resolution == Outcome(met=2, breached=0)
    assert rows["P4"].response == Outcome(met=0, breached=1)
    assert set(rows) == {"P1", "P2", "P3", "P4"}


def test_compliance_by_group_and_tier(desk, tiers):
    by_tier = {row.label: row for row in compliance(desk.report, by="tier").rows}
    assert by_tier["L2"].resolution == Outcome(met=0, breached=1)  # B was escalated
    assert by_tier["L1"].resolution == Outcome(met=3, breached=1)  # D
    by_group = {row.key: row for row in compliance(desk.report, by="group").rows}
    assert by_group[tiers[2].pk].label == tiers[2].name
    assert by_group[tiers[1].pk].response == Outcome(met=3, breached=1)


def test_reopen_rate(desk):
    report = reopen_rate(desk.report)
    assert (report.whole, report.part, report.rate) == (4, 1, 0.25)


def test_first_contact_resolution(desk):
    report = first_contact(desk.report)
    assert (report.total.whole, report.total.part) == (4, 3)  # B was escalated
    assert report.by_tier[1].rate == 1.0
    assert report.by_tier[2].rate == 0.0


def test_escalation_rate_per_tier(desk):
    rows = {row.tier: row for row in escalation_rate(desk.report)}
    assert (rows[1].handled, rows[1].escalated) == (6, 1)  # A B C D E F created at L1
    assert (rows[2].handled, rows[2].escalated) == (1, 0)
    assert (rows[3].handled, rows[3].rate) == (0, None)
    only = escalation_rate(replace(desk.report, tier=1))
    assert [(r.tier, r.handled) for r in only] == [(1, 6)]


def test_backlog_by_age(desk):
    report = backlog(desk.report, now=NOW)
    assert report.total.total == 1  # D, 27 hours old
    assert report.total.buckets["d1_3"] == 1
    assert [(row.priority, row.total) for row in report.rows] == [(4, 1)]


def test_created_vs_resolved_per_day(desk):
    report = volume(desk.report)
    assert len(report.days) == 9
    per_day = {d.day: (d.created, d.resolved) for d in report.days}
    assert per_day[date(2026, 3, 2)] == (1, 0)  # B
    assert per_day[date(2026, 3, 3)] == (1, 2)  # F created; B, F resolved
    assert per_day[date(2026, 3, 5)] == (0, 1)  # C
    assert per_day[date(2026, 3, 9)] == (2, 1)  # D, E; A
    assert (report.created, report.resolved) == (6, 4)


def test_summary_tiles(desk):
    tiles = summary(desk.report)
    assert tiles.mttr.wall.mean == pytest.approx(102600)
    assert tiles.mttr.wall.median is None  # tiles skip percentiles
    assert tiles.backlog == 1
    assert tiles.compliance.response.rate == 0.6


def test_filters_narrow_every_metric(desk, tiers):
    p3 = replace(desk.report, priority=3)
    assert mttr(p3).wall.count == 2  # C, F
    assert compliance(p3).total.response == Outcome(met=2, breached=0)
    l2 = replace(desk.report, group_id=tiers[2].pk)
    assert mttr(l2).wall.mean == pytest.approx(86400)  # B only
    assert reopen_rate(l2).whole == 1
    assert volume(l2).created == 1
    assert backlog(l2, now=NOW).total.total == 0


def test_empty_period_gives_no_values_and_no_division_by_zero(desk):
    empty = ReportFilter.from_params({"start": "2025-01-01", "end": "2025-01-31"})
    assert mttr(empty).wall == DurationStats(0, None, None, None)
    assert mtta(empty).business == DurationStats(0, None, None, None)
    assert compliance(empty, by="service").total.response.rate is None
    assert compliance(empty, by="service").rows == []
    assert reopen_rate(empty).rate is None
    assert first_contact(empty).total.rate is None
    assert all(row.rate is None for row in escalation_rate(empty))
    assert volume(empty).created == 0
    assert len(volume(empty).days) == 31
    tiles = summary(empty)
    assert tiles.mttr.wall.mean is None
    assert tiles.first_contact.rate is None


def test_satisfaction_average_and_distribution(desk):
    from incidents.models import Incident

    rated = {"A": (5, at(9, 10)), "B": (2, at(4, 9)), "C": (4, at(20, 9))}  # C: after the period
    for key, (score, when) in rated.items():
        Incident.objects.filter(pk=desk.incidents[key].pk).update(
            satisfaction_score=score, satisfaction_at=when
        )
    report = satisfaction(desk.report)
    assert (report.count, report.average) == (2, 3.5)
    assert report.distribution == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert summary(desk.report).satisfaction == 3.5
    assert satisfaction(replace(desk.report, priority=1)).average == 5.0
    empty = satisfaction(ReportFilter.from_params({"start": "2025-01-01", "end": "2025-01-02"}))
    assert (empty.count, empty.average) == (0, None)
