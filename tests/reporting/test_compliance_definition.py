"""SLA compliance as docs/reporting.md defines it, on a hand-made timeline.

Policies (tests/conftest.py `incident_policies`, 24x7): P1 responds within 1 h and resolves
within 8 h. Every incident is P1 (high impact, high urgency), logged 30 min after it is
reported (response met). T = Mon 2026-04-06 00:00 UTC; hours below are after T.

  paused_before  reported 0, on hold 2-20 (2 h of 8 used), resolved 25.
                 Its due time moves by the 18 h hold to 26: MET at 25.
  paused_after   reported 0, on hold from 9, still on hold: it ran past its due time 8
                 before the hold: BREACHED, dated 8.
  running        reported 1, still running: due 9, never swept: BREACHED, dated 9.
  late           reported 2, swept at 12, resolved 13: due 10: BREACHED, dated 10 (not 12,
                 when the sweeper noticed, nor 13, when it stopped).
  seeded         reported 3, on hold from 4, still on hold; a stored breach (as a bad seed
                 or an old sweeper left it) at 11: not breached, it was paused before its
                 due time 11 and never ran past it.
  cancelled      reported 0, cancelled at 10 (never logged): not counted.

Now: 30. Resolution over [0, 30): met 1 (paused_before), breached 3 (paused_after, running,
late). Response: met 5 (all but cancelled), breached 0.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents import services
from incidents.choices import CancelReason, Category, Impact, ResolutionCode, Urgency
from incidents.models import Incident
from reporting.dashboard_queries import compliance_trend, trend_buckets
from reporting.export import csv_lines
from reporting.filters import ReportFilter
from reporting.metrics.compliance import Outcome, compliance
from sla.choices import ClockState, Metric
from sla.models import SlaClock
from sla.services import clocks_for
from sla.sweeper import sweep

pytestmark = pytest.mark.django_db

T = datetime(2026, 4, 6, tzinfo=UTC)
NOW = T + timedelta(hours=30)


def at(hours: float) -> datetime:
    return T + timedelta(hours=hours)


class Timeline:
    def __init__(self, requester, agent, service) -> None:
        self.requester, self.agent, self.service = requester, agent, service

    def report(self, hour: float) -> Incident:
        with time_machine.travel(at(hour), tick=False):
            return services.incident_create(
                requester=self.requester,
                title="Payroll is down",
                impact=Impact.HIGH,
                urgency=Urgency.HIGH,
                service=self.service,
            )

    def log(self, incident: Incident, hour: float) -> Incident:
        with time_machine.travel(at(hour), tick=False):
            incident = services.incident_accept(incident, actor=self.agent)
            return services.incident_classify(
                incident,
                actor=self.agent,
                category=Category.SOFTWARE,
                impact=Impact.HIGH,
                urgency=Urgency.HIGH,
                service=self.service,
            )

    def hold(self, incident: Incident, hour: float) -> Incident:
        with time_machine.travel(at(hour), tick=False):
            return services.incident_hold(
                incident, actor=self.agent, on_hold_reason="awaiting_vendor"
            )

    def resume(self, incident: Incident, hour: float) -> Incident:
        with time_machine.travel(at(hour), tick=False):
            return services.incident_resume(incident, actor=self.agent)

    def resolve(self, incident: Incident, hour: float) -> Incident:
        with time_machine.travel(at(hour), tick=False):
            return services.incident_resolve(
                incident,
                actor=self.agent,
                resolution_code=ResolutionCode.FIXED,
                resolution_notes="Fixed.",
            )


@pytest.fixture
def clocks(end_user, agent_l1, service, tiers, incident_policies) -> dict[str, Incident]:
    """The timeline of the module docstring, run in time order."""
    line = Timeline(end_user, agent_l1, service)
    made = {
        "paused_before": line.report(0),
        "paused_after": line.report(0),
        "cancelled": line.report(0),
    }
    for name in ("paused_before", "paused_after"):
        made[name] = line.log(made[name], 0.5)
    made["running"] = line.log(line.report(1), 1.5)
    made["late"] = line.log(line.report(2), 2.5)
    made["paused_before"] = line.hold(made["paused_before"], 2)
    made["seeded"] = line.log(line.report(3), 3.5)
    made["seeded"] = line.hold(made["seeded"], 4)
    made["paused_after"] = line.hold(made["paused_after"], 9)
    with time_machine.travel(at(10), tick=False):
        made["cancelled"] = services.incident_cancel(
            made["cancelled"], actor=agent_l1, cancel_reason=CancelReason.NOT_AN_INCIDENT
        )
    # The sweeper runs at 12 over clocks of the incidents that exist by then; it catches
    # "running" and "late" (both running past due), never the paused ones.
    with time_machine.travel(at(12), tick=False):
        sweep(now=at(12))
    made["late"] = line.resolve(made["late"], 13)
    made["paused_before"] = line.resume(made["paused_before"], 20)
    made["paused_before"] = line.resolve(made["paused_before"], 25)
    # A stored breach on a clock paused before its due time, as a bad seed left 401 of them.
    SlaClock.objects.filter(pk=resolution_of(made["seeded"]).pk).update(breached_at=at(11), stage=2)
    return made


def resolution_of(incident: Incident) -> SlaClock:
    return clocks_for(incident).get(metric=Metric.RESOLUTION)


def window(start: float, end: float) -> ReportFilter:
    return ReportFilter.from_params(
        {"start": at(start).isoformat(), "end": at(end).isoformat()}, now=NOW
    )


def test_each_clock_is_decided_as_documented(clocks):
    report = compliance(window(0, 30), now=NOW)
    assert report.total.resolution == Outcome(met=1, breached=3)
    assert report.total.response == Outcome(met=5, breached=0)


def test_the_sweeper_and_the_keeper_date_a_breach_at_its_due_time(clocks):
    late = resolution_of(clocks["late"])
    assert (late.state, late.breached_at) == (ClockState.BREACHED, at(10))  # swept at 12
    running = resolution_of(clocks["running"])
    assert (running.state, running.breached_at) == (ClockState.RUNNING, at(9))
    paused_before = resolution_of(clocks["paused_before"])
    assert paused_before.due_at == at(26)  # 8 h target + 18 h on hold
    assert (paused_before.state, paused_before.breached_at) == (ClockState.MET, None)
    # the sweeper never marks a paused clock
    assert resolution_of(clocks["paused_after"]).breached_at is None


def test_a_breach_counts_in_the_period_of_its_due_time(clocks):
    # [0, 9.5): paused_after (due 8) and running (due 9); [9.5, 30): late (due 10), and
    # paused_before met at 25. Swept at 12 or stopped at 13 changes nothing.
    first = compliance(window(0, 9.5), now=NOW).total.resolution
    second = compliance(window(9.5, 30), now=NOW).total.resolution
    assert (first, second) == (Outcome(met=0, breached=2), Outcome(met=1, breached=1))


def test_a_running_clock_counts_as_breached_once_past_due(clocks):
    # Only the running clock's outcome depends on "now" (the others are paused or stopped):
    # its due time is 9, so it counts from then on, without waiting for a sweep.
    before, after = (
        compliance(window(0, 30), now=at(hour)).total.resolution.breached for hour in (8.5, 9.5)
    )
    assert (before, after) == (2, 3)


def test_trend_export_and_report_read_one_definition(clocks):
    report = window(0, 30)
    points = compliance_trend(report, trend_buckets(report), now=NOW)
    assert sum(p.resolution.breached for p in points) == 3
    assert sum(p.resolution.met for p in points) == 1
    with time_machine.travel(NOW, tick=False):
        lines = list(csv_lines(report))
    header = lines[0].strip().split(",")
    outcome = {
        row[0]: row[header.index("resolution_sla")]
        for row in (line.strip().split(",") for line in lines[1:])
    }
    assert {name: outcome[incident.number] for name, incident in clocks.items()} == {
        "paused_before": "met",
        "paused_after": "breached",
        "running": "breached",
        "late": "breached",
        "seeded": "paused",
        "cancelled": "cancelled",
    }
