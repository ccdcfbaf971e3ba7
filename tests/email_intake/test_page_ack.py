"""A paged agent acknowledges the page by replying "ack" / "acknowledge" (first word, any case)
on the ticket's thread: the page is acknowledged once, through the on-call app; a refusal (not
paged, already acknowledged, no page) is answered like a refused approval and changes nothing;
a requester's "Ack, thanks" is an ordinary reply."""

import pytest

from core.models import Comment, OutboxMessage, SupportGroup, TimelineEvent, User
from email_intake.choices import InboundOutcome, InboundStatus
from incidents.models import Incident
from oncall.models import (
    ContactMethod,
    ContactMethodKind,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
    Page,
    PageReason,
    PageStatus,
    StepTarget,
)
from oncall.paging.services import page_start
from tests.email_intake.conftest import simple_mail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _reply(body: str, sender: str, mid: str = "<ack-1@desk.example>") -> bytes:
    return simple_mail(
        sender=sender,
        subject="Re: [INC-000042] Printer",
        body=body,
        message_id=mid,
        extra="In-Reply-To: <notif-42-1@desk.example>",
    )


@pytest.fixture
def paged(incident: Incident, agent: User, l1_group: SupportGroup) -> Page:
    """INC-000042 paged by hand; its policy pages `agent` by email at once."""
    policy = EscalationPolicy.objects.create(support_group=l1_group, name="L1 paging")
    step = EscalationStep.objects.create(
        policy=policy, position=1, target=StepTarget.PEOPLE, wait_minutes=5
    )
    step.people.add(agent)
    method = ContactMethod.objects.create(
        person=agent, kind=ContactMethodKind.EMAIL, label="Work", address=agent.email
    )
    NotificationRule.objects.create(contact_method=method, delay_minutes=0)
    colleague = UserFactory(username="pager", role="agent")
    l1_group.members.add(colleague)
    page = page_start(incident, reason=PageReason.MANUAL, actor=colleague)
    assert page is not None
    return page


@pytest.mark.parametrize("body", ["ack", "ACK.", "Acknowledge\n\nOn it.", "ack: looking"])
def test_an_ack_reply_acknowledges_the_page(feed, incident, agent, paged, body) -> None:
    inbound = feed(_reply(body, sender=f"Alex <{agent.email}>"))
    assert (inbound.status, inbound.outcome) == (InboundStatus.DONE, InboundOutcome.PAGE_ACK)
    assert inbound.ticket_id == incident.pk
    paged.refresh_from_db()
    assert paged.status == PageStatus.ACKNOWLEDGED
    assert (paged.acknowledged_by, paged.acknowledged_via) == (agent, "email")
    incident.refresh_from_db()
    assert incident.assignee == agent
    assert not Comment.objects.filter(author=agent).exists()  # an answer, not a comment


def test_a_second_ack_is_refused_and_told_once(feed, agent, paged) -> None:
    feed(_reply("ack", sender=agent.email))
    events = TimelineEvent.objects.count()
    again = feed(_reply("ack", sender=agent.email, mid="<ack-2@desk.example>"))
    third = feed(_reply("ack", sender=agent.email, mid="<ack-3@desk.example>"))
    assert again.status == third.status == InboundStatus.REFUSED
    assert "no page waiting" in again.reason
    assert TimelineEvent.objects.count() == events
    notices = OutboxMessage.objects.filter(
        task_name="core.send_email",
        payload__to=[agent.email],
        dedupe_key__startswith="email-notice",
    )
    assert notices.count() == 1
    assert Page.objects.get().acknowledged_by == agent


def test_an_agent_who_was_not_paged_is_refused(feed, l1_group, paged) -> None:
    other = UserFactory(username="other", email="other@desk.example", role="agent")
    l1_group.members.add(other)
    inbound = feed(_reply("ack", sender=other.email))
    assert inbound.status == InboundStatus.REFUSED
    assert "You were not paged for INC-000042." in inbound.reason
    paged.refresh_from_db()
    assert paged.status == PageStatus.TRIGGERED


def test_without_a_page_an_ack_changes_nothing(feed, incident, agent) -> None:
    events = TimelineEvent.objects.count()
    inbound = feed(_reply("ack", sender=agent.email))
    assert inbound.status == InboundStatus.REFUSED
    assert "INC-000042 has no page waiting" in inbound.reason
    assert TimelineEvent.objects.count() == events
    incident.refresh_from_db()
    assert incident.assignee is None and not Page.objects.exists()


def test_the_requesters_ack_is_a_reply(feed, incident, paged) -> None:
    inbound = feed(_reply("Ack, thanks for looking", sender="Jane Doe <jane@example.com>"))
    assert (inbound.status, inbound.outcome) == (InboundStatus.DONE, InboundOutcome.REPLY)
    paged.refresh_from_db()
    assert paged.status == PageStatus.TRIGGERED


def test_a_word_starting_with_ack_is_no_ack(feed, agent, paged) -> None:
    inbound = feed(_reply("Acked by Bob already, FYI", sender=agent.email))
    assert inbound.outcome == InboundOutcome.REPLY
    paged.refresh_from_db()
    assert paged.status == PageStatus.TRIGGERED
