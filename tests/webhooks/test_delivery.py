"""Delivery against a real local receiver: signature, headers, retries, the delivery log."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import OutboxStatus
from core.outbox import run_outbox_message
from core.webhooks.delivery import retry_delay
from core.webhooks.models import DeliveryStatus, WebhookDelivery
from core.webhooks.services import webhook_subscription_rotate_secret
from core.webhooks.tasks import webhook_deliver_task
from incidents import services as incidents
from tests.webhooks.conftest import run_queued, verify_signature, webhook_messages

pytestmark = pytest.mark.django_db


def create_incident(end_user):
    return incidents.incident_create(requester=end_user, title="Mail is down")


def test_receiver_verifies_the_signature_and_gets_the_documented_envelope(
    receiver, subscribe, end_user
):
    subscribe("incident.created")
    incident = create_incident(end_user)
    delivery = WebhookDelivery.objects.get()
    assert run_queued() == 1
    [got] = receiver.received
    assert got.verified
    assert got.headers["X-ServiceDesk-Event"] == "incident.created"
    assert got.headers["X-ServiceDesk-Delivery"] == str(delivery.delivery_id)
    assert got.headers["Content-Type"] == "application/json"
    body = got.json
    assert body["type"] == "incident.created"
    assert body["id"] == str(delivery.event_id)
    assert set(body) == {"id", "type", "created_at", "data"}
    data = body["data"]
    assert data["number"] == incident.number
    assert data["kind"] == "incident"
    assert data["title"] == "Mail is down"
    assert data["status"] == "identified"
    assert data["to_status"] == "identified" and data["from_status"] is None
    assert data["priority"] == incident.priority
    assert data["url"].endswith(f"/agent/incidents/{incident.number}/")
    assert data["actor"] == {"username": end_user.username, "name": end_user.get_full_name()}


def test_a_wrong_secret_fails_verification_at_the_receiver(receiver, subscribe, end_user):
    subscription = subscribe("incident.created")
    webhook_subscription_rotate_secret(subscription=subscription)  # receiver keeps the old one
    create_incident(end_user)
    run_queued()
    assert receiver.received[0].verified is False


def test_delivery_log_records_success(receiver, subscribe, end_user):
    subscribe("incident.created")
    create_incident(end_user)
    run_queued()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.duration_ms is not None and delivery.duration_ms >= 0
    assert delivery.last_error == ""
    assert delivery.completed_at is not None and delivery.last_attempt_at is not None
    assert delivery.next_attempt_at is None


def test_500_is_retried_with_backoff_then_succeeds(receiver, subscribe, end_user):
    subscribe("incident.created")
    create_incident(end_user)
    receiver.answers.append((500, {}))
    before = timezone.now()
    run_queued()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500: nope"
    retry = webhook_messages().get(status=OutboxStatus.PENDING)
    assert retry.payload == {"delivery": str(delivery.delivery_id), "attempt": 2}
    assert retry.available_at >= before + timedelta(seconds=30)  # not due before the backoff
    assert delivery.next_attempt_at == retry.available_at

    run_queued()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 2
    assert delivery.last_status_code == 200
    assert delivery.last_error == ""
    assert len(receiver.received) == 2
    assert all(r.verified for r in receiver.received)
    # Same delivery id on every attempt: receivers dedupe on it.
    assert {r.headers["X-ServiceDesk-Delivery"] for r in receiver.received} == {
        str(delivery.delivery_id)
    }


def test_429_is_retried_no_sooner_than_retry_after(receiver, subscribe, end_user):
    subscribe("incident.created")
    create_incident(end_user)
    receiver.answers.append((429, {"Retry-After": "600"}))
    before = timezone.now()
    run_queued()
    retry = webhook_messages().get(status=OutboxStatus.PENDING)
    assert retry.available_at >= before + timedelta(seconds=600)
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_4xx_and_redirects_fail_at_once_without_retry(receiver, subscribe, end_user, status):
    subscribe("incident.created")
    create_incident(end_user)
    receiver.answers.append((status, {"Location": "http://127.0.0.1:1/elsewhere"}))
    run_queued()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1
    assert delivery.last_status_code == status
    assert delivery.completed_at is not None
    assert not webhook_messages().filter(status=OutboxStatus.PENDING).exists()
    assert run_queued() == 0
    assert len(receiver.received) == 1


def test_unreachable_endpoint_is_retried_and_logged(subscribe, end_user, free_tcp_port):
    subscribe("incident.created", url=f"http://127.0.0.1:{free_tcp_port}/hook")
    create_incident(end_user)
    run_queued()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("ConnectError")
    assert webhook_messages().filter(status=OutboxStatus.PENDING).count() == 1


def test_retries_are_bounded(receiver, subscribe, end_user, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    subscribe("incident.created")
    create_incident(end_user)
    receiver.answers.extend([(503, {})] * 5)
    while run_queued():
        pass
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 3
    assert delivery.last_status_code == 503
    assert delivery.next_attempt_at is None
    assert len(receiver.received) == 3


def test_backoff_doubles_and_is_capped(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 3600
    assert [retry_delay(n).total_seconds() for n in range(1, 9)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
    ]
    assert retry_delay(1, retry_after=90).total_seconds() == 90
    assert retry_delay(1, retry_after=10**6).total_seconds() == 3600


def test_a_succeeded_delivery_is_never_sent_again(receiver, subscribe, end_user):
    subscribe("incident.created")
    create_incident(end_user)
    first = webhook_messages().get()
    run_queued()
    # The same message delivered twice by the broker, or its row re-queued by hand.
    webhook_messages().filter(pk=first.pk).update(status=OutboxStatus.PENDING)
    assert run_outbox_message(first.pk, webhook_deliver_task.handler)
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.get().attempts == 1


def test_a_stale_retry_message_is_a_no_op(receiver, subscribe, end_user):
    subscribe("incident.created")
    create_incident(end_user)
    delivery = WebhookDelivery.objects.get()
    webhook_deliver_task.handler({"delivery": str(delivery.delivery_id), "attempt": 3})
    webhook_deliver_task.handler({"delivery": str(uuid.uuid4()), "attempt": 1})
    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.attempts == 0 and delivery.status == DeliveryStatus.PENDING


def test_deactivated_subscription_gets_nothing_more(receiver, subscribe, end_user):
    subscription = subscribe("incident.created")
    create_incident(end_user)
    subscription.is_active = False
    subscription.save()
    run_queued()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "deactivated" in delivery.last_error
    assert receiver.received == []


def test_retries_after_a_rotation_are_signed_with_the_new_secret(receiver, subscribe, end_user):
    subscription = subscribe("incident.created")
    create_incident(end_user)
    receiver.answers.append((502, {}))
    run_queued()
    old_secret = receiver.secret
    receiver.secret = webhook_subscription_rotate_secret(subscription=subscription)
    run_queued()
    first, retry = receiver.received
    assert first.verified and retry.verified
    assert not verify_signature(old_secret, retry.body, retry.headers["X-ServiceDesk-Signature"])
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED
