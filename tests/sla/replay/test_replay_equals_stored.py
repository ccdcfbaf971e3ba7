"""Replay = stored: tickets driven through the real services under time travel, then replayed
from their timelines under the current policies; every clock field must match the stored row."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from core.tickets.kinds import kind_named
from incidents import services
from incidents.bulk import incident_change_priority
from incidents.choices import Category, Impact, ResolutionCode, Urgency
from incidents.models import Incident
from sla.choices import ThresholdAction
from sla.models import Calendar, Holiday, SlaPolicy, SlaThreshold, WorkingHours
from sla.replay.compare import compare_tickets

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = datetime(2027, 1, 1, tzinfo=UTC)


def at(hours: float):  # type: ignore[no-untyped-def]
    return time_machine.travel(T0 + timedelta(hours=hours), tick=False)


def mismatches(now: datetime = LATER) -> list[str]:
    kind = kind_named("incident")
    ids = list(Incident.objects.values_list("pk", flat=True))
    tally, first = compare_tickets(kind, ids, now, keep=50)
    assert tally.tickets == len(ids)
    return [str(m) for m in first]


def new_incident(end_user, impact=Impact.LOW, urgency=Urgency.LOW):  # type: ignore[no-untyped-def]
    return services.incident_create(
        requester=end_user, title="VPN drops", impact=impact, urgency=urgency
    )


def classify(incident, agent, service, impact=Impact.LOW):  # type: ignore[no-untyped-def]
    return services.incident_classify(
        incident,
        actor=agent,
        category=Category.SOFTWARE,
        impact=impact,
        urgency=Urgency.LOW,
        service=service,
    )


def resolve(incident, agent):  # type: ignore[no-untyped-def]
    return services.incident_resolve(
        incident, actor=agent, resolution_code=ResolutionCode.FIXED, resolution_notes="fixed"
    )


def test_response_met_hold_resume_resolve_reopen(end_user, agent_l1, service, incident_policies):
    with at(0):
        incident = new_incident(end_user)
    with at(1):
        incident = services.incident_accept(incident, actor=agent_l1)
        incident = classify(incident, agent_l1, service)
    with at(2):
        incident = services.incident_hold(incident, actor=agent_l1, on_hold_reason="awaiting_user")
    with at(5):
        incident = services.incident_resume(incident, actor=agent_l1)
    with at(7):
        incident = resolve(incident, agent_l1)
    with at(9):
        services.incident_reopen(incident, actor=end_user, reason="Still broken")
    assert mismatches() == []


def test_late_resolution_and_running_breach(end_user, agent_l1, service, incident_policies):
    with at(0):
        late = new_incident(end_user)
        new_incident(end_user)
    with at(50):
        late = services.incident_accept(late, actor=agent_l1)
        late = classify(late, agent_l1, service)
        resolve(late, agent_l1)
    assert mismatches() == []


def test_cancel_and_priority_changes(end_user, agent_l1, service, incident_policies):
    with at(0):
        cancelled = new_incident(end_user)
        classified = new_incident(end_user)
        bumped = new_incident(end_user)
    with at(1):
        services.incident_cancel(cancelled, actor=agent_l1, cancel_reason="duplicate")
        classified = services.incident_accept(classified, actor=agent_l1)
        bumped = services.incident_accept(bumped, actor=agent_l1)
    with at(2):
        services.incident_classify(
            classified,
            actor=agent_l1,
            category=Category.SOFTWARE,
            impact=Impact.HIGH,
            urgency=Urgency.HIGH,
            service=service,
        )
        incident_change_priority(bumped, actor=agent_l1, priority=2, reason="VIP")
    assert mismatches() == []


def test_policy_edited_while_a_clock_runs(end_user, agent_l1, incident_policies):
    with at(0):
        incident = new_incident(end_user)
    policy = incident_policies[5]
    policy.response_target = timedelta(minutes=10)
    policy.resolution_target = timedelta(hours=1)
    policy.save()
    with at(3):
        services.incident_accept(incident, actor=agent_l1)
    assert mismatches() == []


def test_business_hours_across_dst_and_a_holiday(end_user, agent_l1, service):
    office = Calendar.objects.create(name="Berlin office", timezone="Europe/Berlin")
    for day in range(5):
        WorkingHours.objects.create(calendar=office, weekday=day, start=time(8), end=time(18))
    Holiday.objects.create(calendar=office, date=date(2026, 3, 30), name="Closed")
    for priority in range(1, 6):
        policy = SlaPolicy.objects.create(
            name=f"Office P{priority}",
            ticket_kind="incident",
            priority=priority,
            response_target=timedelta(hours=4),
            resolution_target=timedelta(hours=30),
            calendar=office,
        )
        SlaThreshold.objects.create(policy=policy, percent=50, action=ThresholdAction.ESCALATE)
    start = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)  # Friday; clocks go forward on Sunday
    with time_machine.travel(start, tick=False):
        incident = new_incident(end_user)
    with time_machine.travel(start + timedelta(days=3, hours=1), tick=False):
        incident = services.incident_accept(incident, actor=agent_l1)
        incident = classify(incident, agent_l1, service, impact=Impact.MEDIUM)
        incident = services.incident_hold(incident, actor=agent_l1, on_hold_reason="awaiting_user")
    with time_machine.travel(start + timedelta(days=4), tick=False):
        incident = services.incident_resume(incident, actor=agent_l1)
    with time_machine.travel(start + timedelta(days=9), tick=False):
        resolve(incident, agent_l1)
    assert mismatches() == []
