"""A worker killed in the middle of a delivery: the delivery is retried within 60 s with the same
delivery id (at-least-once, receivers deduplicate by X-ServiceDesk-Delivery)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from config.celery import app
from core.models import OutboxStatus
from core.outbox_relay import relay_outbox
from core.webhooks.models import DeliveryStatus, WebhookDelivery
from incidents import services as incidents
from tests.brokers import drain
from tests.webhooks.conftest import webhook_messages

pytestmark = pytest.mark.django_db


def test_an_interrupted_delivery_is_sent_again_within_60_s_with_the_same_id(
    receiver, subscribe, end_user, use_broker, settings
):
    assert settings.OUTBOX_RUNNING_LEASE_SECONDS + settings.OUTBOX_RELAY_INTERVAL_SECONDS <= 60
    use_broker("memory://")
    drain()
    subscribe("incident.created")
    incidents.incident_create(requester=end_user, title="Mail is down")
    delivery = WebhookDelivery.objects.get()
    message = webhook_messages().get()
    relay_outbox()  # everything the create wrote goes to the broker, the delivery with it
    drain()
    # The worker claimed it, POSTed (the receiver may or may not have it), and was SIGKILLed.
    killed_at = timezone.now()
    message.__class__.objects.filter(pk=message.pk).update(
        status=OutboxStatus.RUNNING, started_at=killed_at, dispatched_at=killed_at
    )
    assert relay_outbox() == 0
    later = killed_at + timedelta(seconds=settings.OUTBOX_RUNNING_LEASE_SECONDS + 1)
    with time_machine.travel(later):
        assert relay_outbox() == 2  # the delivery, and the drained (lost) email with it
    app.loader.import_default_modules()
    for task_name, args in drain():
        app.tasks[task_name].run(*args)
    [got] = receiver.received
    assert got.headers["X-ServiceDesk-Delivery"] == str(delivery.delivery_id)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.DONE
