"""Starting and acknowledging a page: it starts with a snapshot and notifies its first step
once; an acknowledgement stops it, takes the ticket and accepts it (MTTA); a priority rule
pages a ticket opened at that priority."""

import pytest

from core.exceptions import TransitionError
from incidents.choices import IncidentStatus
from oncall.models import Page, PageNotification, PageReason, PageStatus
from oncall.paging.services import page_acknowledge, page_start
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_manual_page_snapshots_notifies_and_ack_accepts(group, agents, policy, reachable):
    incident = IncidentFactory(support_group=group, tier=group.tier)
    page = page_start(incident, reason=PageReason.MANUAL, actor=agents[0], message="Disk full")
    assert page is not None and page.status == PageStatus.TRIGGERED
    assert page.policy_snapshot[0]["policy"] == "L1 paging"
    assert len(page.policy_snapshot[0]["steps"]) == 2
    first = PageNotification.objects.filter(page=page)
    assert first.count() == 1  # the schedule's on-call, by email
    with pytest.raises(TransitionError):
        page_start(incident, reason=PageReason.MANUAL, actor=agents[0])
    person = first.get().person
    page_acknowledge(page, actor=person)
    page.refresh_from_db()
    incident.refresh_from_db()
    assert page.status == PageStatus.ACKNOWLEDGED and page.acknowledged_by == person
    assert incident.assignee == person
    assert incident.status == IncidentStatus.LOGGED
    with pytest.raises(TransitionError):
        page_acknowledge(page, actor=agents[1])
    assert Page.objects.count() == 1


def test_priority_rule_pages_on_creation(group, agents, policy, reachable, end_user):
    from incidents.choices import Impact, Urgency
    from incidents.services import incident_create

    policy.page_priorities = [1, 2]
    policy.save()
    low = incident_create(
        requester=end_user, title="Printer jam", impact=Impact.LOW, support_group=group
    )
    high = incident_create(
        requester=end_user,
        title="Checkout down",
        impact=Impact.HIGH,
        urgency=Urgency.HIGH,
        support_group=group,
    )
    assert high.priority in (1, 2) and low.priority not in (1, 2)
    assert not Page.objects.filter(ticket_number=low.number).exists()
    page = Page.objects.get(ticket_number=high.number)
    assert page.reason == PageReason.PRIORITY
