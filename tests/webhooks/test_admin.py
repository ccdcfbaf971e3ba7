"""Admin: subscriptions with event-type checkboxes, the secret shown once, rotation, test
events; the delivery log read-only with filters and redelivery."""

import pytest
from django.urls import reverse

from core.models import OutboxMessage
from core.webhooks.events import event_types
from core.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from core.webhooks.services import webhook_send_test, webhook_subscription_create
from tests.webhooks.conftest import run_queued

pytestmark = pytest.mark.django_db

ADD = "admin:webhooks_webhooksubscription_add"
LOG = "admin:webhooks_webhookdelivery_changelist"


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)


def _subscription(admin_user, url="https://hooks.example.com/sd"):
    subscription, _ = webhook_subscription_create(
        name="Chat bridge", url=url, event_types=["incident.created"], created_by=admin_user
    )
    return subscription


def test_add_page_offers_every_event_type_as_a_checkbox(admin_client):
    body = admin_client.get(reverse(ADD)).content.decode()
    assert body.count('type="checkbox" name="event_types"') == len(event_types())
    assert "sla.breached" in body
    assert "secret" not in body.lower().split("<form", 1)[1].split("</form>", 1)[0]


def test_creating_shows_the_secret_once(admin_client, admin_user):
    response = admin_client.post(
        reverse(ADD),
        {
            "name": "Monitoring",
            "url": "https://hooks.example.com/sd",
            "event_types": ["incident.created", "sla.breached"],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert subscription.event_types == ["incident.created", "sla.breached"]
    assert subscription.created_by == admin_user
    change = admin_client.get(
        reverse("admin:webhooks_webhooksubscription_change", args=[subscription.pk])
    )
    assert change.status_code == 200
    assert subscription.secret not in change.content.decode()
    listing = admin_client.get(reverse("admin:webhooks_webhooksubscription_changelist"))
    assert subscription.secret not in listing.content.decode()


@pytest.mark.parametrize(
    ("url", "event_types"),
    [
        ("ftp://hooks.example.com/sd", ["incident.created"]),
        ("https://hooks.example.com/sd", []),
        ("https://hooks.example.com/sd", ["incident.deleted"]),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(admin_client, url, event_types):
    response = admin_client.post(
        reverse(ADD), {"name": "Bad", "url": url, "event_types": event_types}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not WebhookSubscription.objects.exists()


def test_rotating_asks_first_then_shows_the_new_secret_once(admin_client, admin_user):
    subscription = _subscription(admin_user)
    old = subscription.secret
    url = reverse("admin:webhooks_webhooksubscription_rotate_secret", args=[subscription.pk])
    confirm = admin_client.get(url)
    assert confirm.status_code == 200
    assert old not in confirm.content.decode()
    subscription.refresh_from_db()
    assert subscription.secret == old  # a GET changes nothing
    response = admin_client.post(url)
    subscription.refresh_from_db()
    assert subscription.secret != old
    assert subscription.secret_rotated_at is not None
    assert subscription.secret in response.content.decode()


def test_rotation_needs_the_change_permission(client_for, manager, admin_user):
    manager.is_staff = True
    manager.save()
    subscription = _subscription(admin_user)
    old = subscription.secret
    client_for(manager).post(
        reverse("admin:webhooks_webhooksubscription_rotate_secret", args=[subscription.pk])
    )
    subscription.refresh_from_db()
    assert subscription.secret == old


def test_send_test_event_action(admin_client, admin_user, receiver):
    subscription = _subscription(admin_user, url=receiver.url)
    receiver.secret = subscription.secret
    admin_client.post(
        reverse("admin:webhooks_webhooksubscription_changelist"),
        {"action": "send_test_event", "_selected_action": [subscription.pk]},
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "webhook.test"
    run_queued()
    [got] = receiver.received
    assert got.verified
    assert got.json["type"] == "webhook.test"


def test_delivery_log_lists_filters_and_is_read_only(admin_client, admin_user):
    subscription = _subscription(admin_user)
    delivery = webhook_send_test(subscription=subscription, actor=admin_user)
    listing = admin_client.get(reverse(LOG))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "webhook.test" in body
    assert "Add webhook delivery" not in body
    for params, expected in (
        ({"status__exact": "pending"}, [delivery]),
        ({"status__exact": "failed"}, []),
        ({"event_type": "webhook.test"}, [delivery]),
        ({"subscription__id__exact": subscription.pk}, [delivery]),
        ({"q": str(delivery.delivery_id)}, [delivery]),
        ({"q": str(delivery.event_id)}, [delivery]),
        ({"q": "not-a-uuid"}, []),
    ):
        response = admin_client.get(reverse(LOG), params)
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == expected, params
    detail = admin_client.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))
    assert detail.status_code == 200
    assert "Test event from the service desk." in detail.content.decode()
    assert 'name="last_error"' not in detail.content.decode()  # nothing editable


def test_redeliver_action_queues_finished_deliveries_only(admin_client, admin_user):
    subscription = _subscription(admin_user)
    done = webhook_send_test(subscription=subscription, actor=admin_user)
    WebhookDelivery.objects.filter(pk=done.pk).update(status=DeliveryStatus.FAILED, attempts=8)
    pending = webhook_send_test(subscription=subscription, actor=admin_user)
    before = OutboxMessage.objects.count()
    admin_client.post(
        reverse(LOG), {"action": "redeliver", "_selected_action": [done.pk, pending.pk]}
    )
    again = WebhookDelivery.objects.get(redelivery_of=done)
    assert again.event_id == done.event_id
    assert again.payload == done.payload
    assert again.status == DeliveryStatus.PENDING and again.attempts == 0
    assert again.delivery_id != done.delivery_id
    assert OutboxMessage.objects.count() == before + 1
    assert not WebhookDelivery.objects.filter(redelivery_of=pending).exists()


def test_non_staff_cannot_see_the_log(client_for, agent_l1):
    response = client_for(agent_l1).get(reverse(LOG))
    assert response.status_code == 302
