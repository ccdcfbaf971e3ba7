"""Manual escalation and de-escalation between tiers."""

import pytest

from core.choices import EventKind, Tier
from core.exceptions import TransitionError, ValidationFailed
from core.models import TimelineEvent
from incidents import services
from incidents.models import Incident
from tests.factories import ServiceFactory, SupportGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(end_user, l1_group, l2_group, l3_group, agent_l1):
    created = services.incident_create(requester=end_user, title="ERP slow")
    services.incident_claim(created, actor=agent_l1)
    return Incident.objects.get(pk=created.pk)


def test_escalate_moves_to_the_next_tier_unassigned_with_time_in_tier(incident, agent_l1, l2_group):
    outcome = services.incident_escalate(incident, actor=agent_l1, reason="Needs app team")
    incident.refresh_from_db()
    assert outcome.escalated and (outcome.from_tier, outcome.to_tier) == (1, 2)
    assert (incident.tier, incident.support_group, incident.assignee) == (Tier.L2, l2_group, None)
    event = TimelineEvent.objects.get(ticket_id=incident.pk, kind=EventKind.ESCALATED)
    assert event.actor == agent_l1
    assert event.message == "Needs app team"
    assert event.changes["from_tier"] == 1 and event.changes["to_tier"] == 2
    assert event.changes["time_in_tier_seconds"] >= 0
    assert not event.is_public


def test_escalate_prefers_the_service_owner_at_that_tier(end_user, l1_group, l2_group, agent_l1):
    owner = SupportGroupFactory(name="AAA ERP team", tier=Tier.L2)
    erp = ServiceFactory(name="ERP", owner_group=owner)
    incident = services.incident_create(requester=end_user, title="ERP down", service=erp)
    services.incident_escalate(incident, actor=agent_l1, reason="ERP")
    incident.refresh_from_db()
    assert incident.support_group == owner


def test_l3_is_the_top_and_l1_the_bottom(incident, agent_l1, l1_group):
    services.incident_escalate(incident, actor=agent_l1, reason="1")
    services.incident_escalate(incident, actor=agent_l1, reason="2")
    with pytest.raises(TransitionError, match="L3"):
        services.incident_escalate(incident, actor=agent_l1, reason="3")
    services.incident_deescalate(incident, actor=agent_l1, reason="back")
    services.incident_deescalate(incident, actor=agent_l1, reason="back again")
    incident.refresh_from_db()
    assert incident.tier == Tier.L1 and incident.support_group == l1_group
    with pytest.raises(TransitionError, match="L1"):
        services.incident_deescalate(incident, actor=agent_l1, reason="below")
    assert (
        TimelineEvent.objects.filter(ticket_id=incident.pk, kind=EventKind.DEESCALATED).count() == 2
    )


def test_escalation_needs_a_reason_an_agent_and_an_open_incident(incident, agent_l1, end_user):
    with pytest.raises(ValidationFailed):
        services.incident_escalate(incident, actor=agent_l1, reason=" ")
    with pytest.raises(TransitionError):
        services.incident_escalate(incident, actor=end_user, reason="please")
    services.incident_cancel(incident, actor=agent_l1, cancel_reason="duplicate")
    with pytest.raises(TransitionError):
        services.incident_escalate(incident, actor=agent_l1, reason="late")
    incident.refresh_from_db()
    assert incident.tier == Tier.L1


def test_no_group_at_the_next_tier_is_refused(end_user, l1_group, agent_l1):
    incident = services.incident_create(requester=end_user, title="x")
    with pytest.raises(TransitionError, match="no active L2"):
        services.incident_escalate(incident, actor=agent_l1, reason="up")
