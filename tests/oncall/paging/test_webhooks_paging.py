"""page.triggered / page.acknowledged / page.escalated: in the catalogue, emitted from the page's
timeline event in the same transaction, once per occurrence, and restricted tickets only to the
subscriptions that receive them."""

import pytest

from core.models import SupportGroup, User
from core.webhooks.events import event_types_clean
from core.webhooks.models import WebhookDelivery, WebhookSubscription
from incidents.choices import Category
from oncall.models import Page, PageReason
from oncall.paging.events import page_event
from oncall.paging.services import page_acknowledge, page_start, page_ticket
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

TYPES = ["page.triggered", "page.acknowledged", "page.escalated"]


def subscribe(*, restricted: bool = False) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        name="pager-mirror",
        url="https://hooks.example.com/in",
        event_types=TYPES,
        secret="s" * 40,
        receives_restricted=restricted,
    )


def start(group: SupportGroup, actor: User, **fields: object) -> Page:
    incident = IncidentFactory(support_group=group, tier=group.tier, **fields)
    page = page_start(incident, reason=PageReason.MANUAL, actor=actor, message="Disk full")
    assert page is not None
    return page


def test_the_catalogue_offers_the_page_events() -> None:
    assert event_types_clean(list(reversed(TYPES))) == TYPES


def test_triggered_and_acknowledged_reach_a_subscription(group, agents, policy, reachable) -> None:
    subscription = subscribe()
    page = start(group, agents[0])
    page_acknowledge(page, actor=agents[1])
    deliveries = {
        d.event_type: d.payload for d in WebhookDelivery.objects.filter(subscription=subscription)
    }
    assert set(deliveries) == {"page.triggered", "page.acknowledged"}
    triggered = deliveries["page.triggered"]["data"]
    assert triggered["page"]["id"] == page.pk
    assert triggered["page"]["reason"] == "manual" and triggered["page"]["tier"] == 1
    assert triggered["page"]["policy"] == "L1 paging"
    assert triggered["ticket"]["number"] == page.ticket_number
    assert triggered["ticket"]["kind"] == "incident"
    assert triggered["ticket"]["url"].endswith(page.ticket_number + "/")
    assert triggered["group"] == {"id": group.pk, "name": group.name}
    assert triggered["actor"]["username"] == agents[0].username
    acknowledged = deliveries["page.acknowledged"]["data"]
    assert acknowledged["page"]["status"] == "acknowledged"
    assert acknowledged["page"]["acknowledged_by"]["username"] == agents[1].username
    assert "email" not in str(acknowledged)


def test_escalated_is_sent_once_per_step(group, agents, policy, reachable) -> None:
    subscribe()
    page = start(group, agents[0])
    ticket = page_ticket(page)
    for _ in range(2):  # a repeat of the same occurrence (a stale sweeper copy)
        page_event(ticket, what="escalated", page_id=page.pk, message="Step 2", step_key="0.0.1")
    page_event(ticket, what="notified", page_id=page.pk, message="Notified")
    escalated = WebhookDelivery.objects.filter(event_type="page.escalated")
    assert escalated.count() == 1
    assert not WebhookDelivery.objects.filter(event_type="page.notified").exists()


def test_pages_of_restricted_tickets_reach_only_flagged_subscriptions(
    group, agents, policy, reachable
) -> None:
    plain = subscribe()
    soc = subscribe(restricted=True)
    start(group, agents[0], category=Category.SECURITY)
    assert not WebhookDelivery.objects.filter(subscription=plain).exists()
    assert WebhookDelivery.objects.filter(subscription=soc, event_type="page.triggered").exists()


def test_a_subscription_to_other_types_gets_no_page_events(
    group, agents, policy, reachable
) -> None:
    other = subscribe()
    other.event_types = ["sla.breached"]
    other.save()
    start(group, agents[0])
    assert not WebhookDelivery.objects.exists()
