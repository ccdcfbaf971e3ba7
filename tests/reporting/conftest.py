"""A small desk whose every metric is computed by hand in the docstrings below.

Calendar: Mon-Fri 08:00-18:00 Europe/Berlin (UTC+1 in early March 2026, before the DST change).
Every incident priority: respond within 1 business hour, resolve within 8 business hours.
All incidents are driven through the real services under time travel, so the SLA clocks stop,
pause and reopen as they do in production. Times below are UTC (Berlin = UTC+1).

A  P1  identified Fri 03-06 15:00, logged 15:30, resolved Mon 03-09 09:00
       wall MTTR 66 h = 237600 s; business Fri 16-18 + Mon 08-10 Berlin = 4 h = 14400 s
       MTTA 30 min = 1800 s (response met); resolution met
B  P2  identified Mon 03-02 08:00, logged 09:30 (response breached: 1.5 h > 1 h),
       on hold 10:00-14:00, escalated L1 -> L2 at 14:30, resolved Tue 03-03 12:00
       wall 28 h - 4 h hold = 24 h = 86400 s; business Mon 09-18 minus 11-15 (5 h) +
       Tue 08-13 (5 h) = 10 h = 36000 s; due Tue 11:00 Berlin -> resolution breached
C  P3  identified Wed 03-04 07:00, logged 07:30, on hold 08:00-16:00, resolved Thu 03-05 12:00
       wall 29 h - 8 h = 21 h = 75600 s; business Wed 08-09 + 17-18 + Thu 08-13 = 7 h = 25200 s;
       met only because the paused time does not count (15 h otherwise)
F  P3  identified Tue 03-03 08:00, logged 08:00, resolved 10:00, reopened 11:00, resolved 12:00
       wall 4 h - 1 h (resolved before the reopen) = 3 h = 10800 s; business 10800 s; met
D  P4  identified Mon 03-09 09:00, never logged: open; no sweep ran, yet both clocks count
       as breached at their due times: response 10:00 (1 business hour, Berlin 10-11),
       resolution 17:00 (8 business hours, Berlin 10-18)
E  P4  identified Mon 03-09 10:00, cancelled 10:30 (clocks cancelled)

Period: 2026-03-02 .. 2026-03-10 (end date inclusive). "Now" for the checks: 03-10 12:00.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from core.models import Service, User
from incidents import services
from incidents.choices import CancelReason, Category, Impact, ResolutionCode, Urgency
from incidents.models import Incident
from incidents.services import incident_escalate
from reporting.filters import ReportFilter
from sla.models import Calendar, SlaPolicy, WorkingHours

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@dataclass
class Desk:
    incidents: dict[str, Incident]
    service: Service
    report: ReportFilter


@pytest.fixture
def berlin_policies(db: None) -> dict[int, SlaPolicy]:
    calendar = Calendar.objects.create(name="Berlin office", timezone="Europe/Berlin")
    for day in range(5):
        WorkingHours.objects.create(calendar=calendar, weekday=day, start=time(8), end=time(18))
    return {
        priority: SlaPolicy.objects.create(
            name=f"P{priority}",
            ticket_kind="incident",
            priority=priority,
            response_target=timedelta(hours=1),
            resolution_target=timedelta(hours=8),
            calendar=calendar,
        )
        for priority in range(1, 6)
    }


class Driver:
    """Runs the incident services at given instants."""

    def __init__(self, requester: User, agent: User, service: Service) -> None:
        self.requester, self.agent, self.service = requester, agent, service

    def create(self, when: datetime, impact: str, urgency: str) -> Incident:
        with time_machine.travel(when, tick=False):
            return services.incident_create(
                requester=self.requester,
                title="Mail is down",
                impact=impact,
                urgency=urgency,
                service=self.service,
            )

    def log_and_classify(self, incident: Incident, when: datetime) -> Incident:
        with time_machine.travel(when, tick=False):
            incident = services.incident_accept(incident, actor=self.agent)
            return services.incident_classify(
                incident,
                actor=self.agent,
                category=Category.SOFTWARE,
                impact=incident.impact,
                urgency=incident.urgency,
                service=self.service,
            )

    def hold(self, incident: Incident, start: datetime, end: datetime) -> Incident:
        with time_machine.travel(start, tick=False):
            incident = services.incident_hold(
                incident, actor=self.agent, on_hold_reason="awaiting_user"
            )
        with time_machine.travel(end, tick=False):
            return services.incident_resume(incident, actor=self.agent)

    def resolve(self, incident: Incident, when: datetime) -> Incident:
        with time_machine.travel(when, tick=False):
            return services.incident_resolve(
                incident,
                actor=self.agent,
                resolution_code=ResolutionCode.FIXED,
                resolution_notes="Restarted the mail relay.",
            )


@pytest.fixture
def desk(end_user, agent_l1, agent_l2, service, tiers, berlin_policies) -> Desk:
    drive = Driver(end_user, agent_l1, service)
    made: dict[str, Incident] = {}

    a = drive.create(at(6, 15), Impact.HIGH, Urgency.HIGH)
    a = drive.log_and_classify(a, at(6, 15, 30))
    made["A"] = drive.resolve(a, at(9, 9))

    b = drive.create(at(2, 8), Impact.HIGH, Urgency.MEDIUM)
    b = drive.log_and_classify(b, at(2, 9, 30))
    b = drive.hold(b, at(2, 10), at(2, 14))
    with time_machine.travel(at(2, 14, 30), tick=False):
        incident_escalate(b, actor=agent_l1, reason="Needs the application team.")
    b.refresh_from_db()
    made["B"] = drive.resolve(b, at(3, 12))

    c = drive.create(at(4, 7), Impact.MEDIUM, Urgency.MEDIUM)
    c = drive.log_and_classify(c, at(4, 7, 30))
    c = drive.hold(c, at(4, 8), at(4, 16))
    made["C"] = drive.resolve(c, at(5, 12))

    f = drive.create(at(3, 8), Impact.MEDIUM, Urgency.MEDIUM)
    f = drive.log_and_classify(f, at(3, 8))
    f = drive.resolve(f, at(3, 10))
    with time_machine.travel(at(3, 11), tick=False):
        f = services.incident_reopen(f, actor=agent_l1, reason="Still failing.")
    made["F"] = drive.resolve(f, at(3, 12))

    made["D"] = drive.create(at(9, 9), Impact.LOW, Urgency.MEDIUM)

    e = drive.create(at(9, 10), Impact.LOW, Urgency.MEDIUM)
    with time_machine.travel(at(9, 10, 30), tick=False):
        made["E"] = services.incident_cancel(
            e, actor=agent_l1, cancel_reason=CancelReason.DUPLICATE
        )

    report = ReportFilter.from_params({"start": "2026-03-02", "end": "2026-03-10"}, now=NOW)
    return Desk(incidents=made, service=service, report=report)
