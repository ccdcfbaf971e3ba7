"""Subscription and delivery services: validation that stores nothing, redelivery, pruning."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.exceptions import ValidationFailed
from core.webhooks.events import event_types, event_types_clean
from core.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from core.webhooks.services import (
    webhook_deliveries_prune,
    webhook_redeliver,
    webhook_send_test,
    webhook_subscription_create,
)
from core.webhooks.tasks import webhook_deliveries_prune_task

pytestmark = pytest.mark.django_db


def test_create_returns_the_secret_and_orders_types_like_the_catalogue(admin_user):
    subscription, secret = webhook_subscription_create(
        name=" Pager ",
        url="https://pager.example.com/in",
        event_types=["sla.breached", "incident.created", "sla.breached"],
        created_by=admin_user,
    )
    assert secret == subscription.secret
    assert subscription.name == "Pager"
    assert subscription.event_types == ["incident.created", "sla.breached"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "ftp://files.example.com"}, "url"),
        ({"event_types": []}, "event_types"),
        ({"event_types": ["incident.created", "nope"]}, "event_types"),
        ({"event_types": "incident.created"}, "event_types"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(admin_user, fields, field):
    values = {
        "name": "Pager",
        "url": "https://pager.example.com/in",
        "event_types": ["incident.created"],
        **fields,
    }
    with pytest.raises(ValidationFailed) as caught:
        webhook_subscription_create(created_by=admin_user, **values)
    assert field in caught.value.errors
    assert not WebhookSubscription.objects.exists()


def test_catalogue_names_are_unique_and_dotted():
    catalogue = event_types()
    names = [event.name for event in catalogue]
    assert len(names) == len(set(names))
    assert all(
        name.count(".") == 1 and event.description
        for name, event in zip(names, catalogue, strict=True)
    )
    assert event_types_clean(list(reversed(names))) == names


def test_a_pending_delivery_cannot_be_redelivered(admin_user):
    subscription, _ = webhook_subscription_create(
        name="Pager",
        url="https://pager.example.com/in",
        event_types=["sla.breached"],
        created_by=admin_user,
    )
    delivery = webhook_send_test(subscription=subscription, actor=admin_user)
    with pytest.raises(ValidationFailed):
        webhook_redeliver(delivery=delivery)
    assert WebhookDelivery.objects.count() == 1


def test_prune_deletes_old_finished_deliveries_only(admin_user):
    subscription, _ = webhook_subscription_create(
        name="Pager",
        url="https://pager.example.com/in",
        event_types=["sla.breached"],
        created_by=admin_user,
    )
    old = timezone.now() - timedelta(days=40)
    rows = {
        status: webhook_send_test(subscription=subscription, actor=None)
        for status in DeliveryStatus
    }
    for status, delivery in rows.items():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=status, created_at=old)
    fresh = webhook_send_test(subscription=subscription, actor=None)
    WebhookDelivery.objects.filter(pk=fresh.pk).update(status=DeliveryStatus.SUCCEEDED)
    redelivered = webhook_redeliver(delivery=WebhookDelivery.objects.get(pk=fresh.pk))
    WebhookDelivery.objects.filter(pk=fresh.pk).update(created_at=old)

    assert webhook_deliveries_prune(batch_size=1) == 3
    remaining = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert remaining == {rows[DeliveryStatus.PENDING].pk, redelivered.pk}
    redelivered.refresh_from_db()
    assert redelivered.redelivery_of is None
    assert webhook_deliveries_prune_task() == 0
