"""A priority change on an overdue ticket (alone or from the bulk bar): the breach the sweeper
already escalated is not escalated again, warnings already sent are not sent again, and the
auditor does not call the sweeper stuck for a deadline written after it last looked."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.choices import EventKind, Tier
from core.models import OutboxMessage, TimelineEvent
from incidents import services
from incidents.bulk import incident_bulk_change_priority
from incidents.choices import Impact, Urgency
from sla.choices import Metric
from sla.services import clocks_for
from sla.sweeper import overdue_unprocessed, sweep
from sla.tasks import audit_task

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def new_incident(end_user, *, impact=Impact.LOW, urgency=Urgency.LOW):
    with time_machine.travel(T0, tick=False):
        return services.incident_create(
            requester=end_user, title="Share is slow", impact=impact, urgency=urgency
        )


def change_priority(incident, agent, priority, when):
    incident.refresh_from_db()  # the bulk bar sends the version the agent saw
    with time_machine.travel(when, tick=False):
        outcome = incident_bulk_change_priority(
            [incident], actor=agent, priority=priority, reason="re-judged"
        )
    assert not outcome.refused
    incident.refresh_from_db()
    return incident


def escalations(incident):
    return TimelineEvent.objects.filter(ticket_id=incident.pk, kind=EventKind.ESCALATED)


def sla_emails():
    return OutboxMessage.objects.filter(task_name="core.send_email", dedupe_key__startswith="sla:")


def response_clock(incident):
    return clocks_for(incident).get(metric=Metric.RESPONSE)


def test_bulk_priority_change_on_a_breached_ticket_does_not_escalate_it_again(
    end_user, agent_l1, tiers, incident_policies, caplog
):
    incident = new_incident(end_user)  # P5: respond within 5 h
    sweep(now=at(6))
    incident.refresh_from_db()
    assert incident.tier == Tier.L2
    breached_at = response_clock(incident).breached_at

    incident = change_priority(incident, agent_l1, 4, at(6.5))  # respond within 4 h: still late

    clock = response_clock(incident)
    assert clock.due_at == at(4)
    assert clock.breached_at == breached_at  # the breach stands, dated as before
    assert clock.next_deadline_at is None
    with time_machine.travel(at(6.5) + timedelta(minutes=10), tick=False):
        assert audit_task.run() == 0
    assert "sweeper looks stuck" not in caplog.text
    sweep(now=at(6.5) + timedelta(seconds=30))
    incident.refresh_from_db()
    assert incident.tier == Tier.L2
    assert escalations(incident).count() == 1


def test_warnings_already_sent_are_not_sent_again(end_user, agent_l1, tiers, incident_policies):
    incident = new_incident(end_user, urgency=Urgency.MEDIUM)  # P4: respond 4 h, warn at 3 h
    sweep(now=at(3.5))
    assert response_clock(incident).stage == 1

    # P5: warn at 3 h 45, due at 5 h. The warning instant has passed again: not re-sent.
    incident = change_priority(incident, agent_l1, 5, at(4))

    clock = response_clock(incident)
    assert (clock.stage, clock.breached_at, clock.next_deadline_at) == (1, None, at(5))
    assert sweep(now=at(4.5)).processed == 0
    assert sla_emails().count() == 1  # the P4 warning only


def test_a_breach_the_new_priority_brings_is_escalated_once(
    end_user, agent_l1, tiers, incident_policies
):
    incident = new_incident(end_user)  # P5: respond within 5 h, nothing due yet at 2 h
    incident = change_priority(incident, agent_l1, 1, at(2))  # P1: respond within 1 h

    clock = response_clock(incident)
    assert (clock.stage, clock.breached_at, clock.next_deadline_at) == (0, None, at(0.75))
    # Due for the sweeper since the change, not since 09:45: not stuck within the grace.
    assert overdue_unprocessed(now=at(2) + timedelta(minutes=4)) == 0
    assert overdue_unprocessed(now=at(2) + timedelta(minutes=6)) == 1
    sweep(now=at(2) + timedelta(seconds=30))
    sweep(now=at(2) + timedelta(seconds=60))
    incident.refresh_from_db()
    assert incident.tier == Tier.L2
    assert escalations(incident).count() == 1
    assert response_clock(incident).breached_at is not None


def test_a_lowered_priority_lifts_the_breach_when_the_new_target_is_ahead(
    end_user, agent_l1, tiers, incident_policies
):
    incident = new_incident(end_user, impact=Impact.HIGH, urgency=Urgency.HIGH)  # P1: 1 h
    sweep(now=at(1.5))
    assert response_clock(incident).breached_at is not None

    incident = change_priority(incident, agent_l1, 5, at(2))  # P5: respond within 5 h

    clock = response_clock(incident)
    assert (clock.stage, clock.breached_at, clock.next_deadline_at) == (0, None, at(3.75))
