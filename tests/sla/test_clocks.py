"""Clocks follow the incident lifecycle: start, response met, pause/resume, resolve, reopen,
re-target on priority change, cancel; snapshots keep policy edits from moving running clocks."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.choices import EventKind
from core.models import TimelineEvent
from incidents import services
from incidents.choices import Category, Impact, ResolutionCode, Urgency
from sla.choices import ClockState, Metric
from sla.services import clocks_for

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def clock(incident, metric):
    return clocks_for(incident).get(metric=metric)


def new_incident(end_user, impact=Impact.LOW, urgency=Urgency.LOW):
    return services.incident_create(
        requester=end_user, title="VPN drops", impact=impact, urgency=urgency
    )


def test_clocks_start_with_the_ticket(end_user, l1_group, incident_policies):
    with time_machine.travel(T0, tick=False):
        incident = new_incident(end_user)  # P5: respond 5h, resolve 40h
    response, resolution = clock(incident, Metric.RESPONSE), clock(incident, Metric.RESOLUTION)
    assert response.state == ClockState.RUNNING
    assert response.due_at == T0 + timedelta(hours=5)
    assert response.warn_at == T0 + timedelta(hours=3.75)
    assert resolution.due_at == T0 + timedelta(hours=40)
    incident.refresh_from_db()
    assert incident.sla_due_at == response.due_at


def test_no_policy_no_clocks(end_user, l1_group):
    incident = new_incident(end_user)
    assert not clocks_for(incident).exists()
    assert incident.sla_due_at is None


def test_first_response_meets_the_response_clock(end_user, agent_l1, incident_policies):
    with time_machine.travel(T0, tick=False):
        incident = new_incident(end_user)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        services.incident_accept(incident, actor=agent_l1)
    response = clock(incident, Metric.RESPONSE)
    assert response.state == ClockState.MET
    assert response.stopped_at == T0 + timedelta(hours=1)
    incident.refresh_from_db()
    assert incident.sla_due_at == clock(incident, Metric.RESOLUTION).due_at


def test_late_response_is_breached(end_user, agent_l1, incident_policies):
    with time_machine.travel(T0, tick=False):
        incident = new_incident(end_user)
    with time_machine.travel(T0 + timedelta(hours=6), tick=False):
        services.incident_accept(incident, actor=agent_l1)
    assert clock(incident, Metric.RESPONSE).state == ClockState.BREACHED


def _classified(end_user, agent_l1, service):
    with time_machine.travel(T0, tick=False):
        incident = new_incident(end_user)
        incident = services.incident_accept(incident, actor=agent_l1)
        return services.incident_classify(
            incident,
            actor=agent_l1,
            category=Category.SOFTWARE,
            impact=Impact.LOW,
            urgency=Urgency.LOW,
            service=service,
        )


def test_hold_pauses_and_resume_excludes_the_paused_time(
    end_user, agent_l1, service, incident_policies
):
    incident = _classified(end_user, agent_l1, service)
    due_before = clock(incident, Metric.RESOLUTION).due_at
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        incident = services.incident_hold(incident, actor=agent_l1, on_hold_reason="awaiting_user")
    paused = clock(incident, Metric.RESOLUTION)
    assert paused.state == ClockState.PAUSED
    assert paused.next_deadline_at is None
    incident.refresh_from_db()
    assert incident.sla_due_at is None  # nothing running: the queue shows it as paused
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        services.incident_resume(incident, actor=agent_l1)
    resumed = clock(incident, Metric.RESOLUTION)
    assert resumed.state == ClockState.RUNNING
    assert resumed.due_at == due_before + timedelta(hours=3)


def test_a_clock_stopped_while_paused_is_judged_by_its_moved_due_time(
    end_user, agent_l1, service, incident_policies
):
    """Paused 2 h after the start, long before its due time; stopped during the pause, past
    the due time it had before the pause: the pause moved it, so the target is met."""
    from sla.services import clock_stop

    incident = _classified(end_user, agent_l1, service)
    before = clock(incident, Metric.RESOLUTION)
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        incident = services.incident_hold(incident, actor=agent_l1, on_hold_reason="awaiting_user")
    stop = before.due_at + timedelta(hours=1)
    with time_machine.travel(stop, tick=False):
        stopped = clock_stop(incident, metric=Metric.RESOLUTION)
    assert stopped is not None
    assert (stopped.state, stopped.breached_at) == (ClockState.MET, None)
    assert stopped.due_at == before.due_at + (stop - (T0 + timedelta(hours=2)))


def test_a_late_stop_dates_the_breach_at_the_due_time(
    end_user, agent_l1, service, incident_policies
):
    incident = _classified(end_user, agent_l1, service)
    due = clock(incident, Metric.RESOLUTION).due_at
    with time_machine.travel(due + timedelta(hours=3), tick=False):
        services.incident_resolve(
            incident, actor=agent_l1, resolution_code=ResolutionCode.FIXED, resolution_notes="x"
        )
    late = clock(incident, Metric.RESOLUTION)
    assert (late.state, late.breached_at) == (ClockState.BREACHED, due)


def test_resolve_meets_and_reopen_resumes_the_resolution_clock(
    end_user, agent_l1, service, incident_policies
):
    incident = _classified(end_user, agent_l1, service)
    due_before = clock(incident, Metric.RESOLUTION).due_at
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        incident = services.incident_resolve(
            incident, actor=agent_l1, resolution_code=ResolutionCode.FIXED, resolution_notes="ok"
        )
    assert clock(incident, Metric.RESOLUTION).state == ClockState.MET
    with time_machine.travel(T0 + timedelta(hours=4), tick=False):
        services.incident_reopen(incident, actor=end_user, reason="Still broken")
    reopened = clock(incident, Metric.RESOLUTION)
    assert reopened.state == ClockState.RUNNING
    assert reopened.due_at == due_before + timedelta(hours=3)  # resolved time excluded


def test_priority_change_retargets_from_the_original_start(
    end_user, agent_l1, service, incident_policies
):
    with time_machine.travel(T0, tick=False):
        incident = new_incident(end_user)  # P5
        incident = services.incident_accept(incident, actor=agent_l1)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        incident = services.incident_classify(
            incident,
            actor=agent_l1,
            category=Category.SOFTWARE,
            impact=Impact.HIGH,
            urgency=Urgency.HIGH,
            service=service,
        )  # P1: resolve within 8h of the original start
    resolution = clock(incident, Metric.RESOLUTION)
    assert resolution.due_at == T0 + timedelta(hours=8)
    assert resolution.generation == 2
    assert resolution.policy == incident_policies[1]
    event = TimelineEvent.objects.filter(ticket_id=incident.pk, kind=EventKind.SLA).get()
    assert "P1" in event.message


def test_editing_a_policy_never_moves_running_clocks(end_user, incident_policies):
    with time_machine.travel(T0, tick=False):
        incident = new_incident(end_user)
    due = clock(incident, Metric.RESOLUTION).due_at
    policy = incident_policies[5]
    policy.resolution_target = timedelta(minutes=5)
    policy.save()
    policy.calendar.is_24x7 = False
    policy.calendar.save()
    assert clock(incident, Metric.RESOLUTION).due_at == due
    assert clock(incident, Metric.RESOLUTION).snapshot["target_seconds"] == 40 * 3600


def test_cancel_cancels_open_clocks(end_user, agent_l1, incident_policies):
    incident = new_incident(end_user)
    services.incident_cancel(incident, actor=agent_l1, cancel_reason="duplicate")
    assert set(clocks_for(incident).values_list("state", flat=True)) == {ClockState.CANCELLED}
