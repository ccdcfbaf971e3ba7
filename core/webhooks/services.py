"""Writes on subscriptions and deliveries (the emitter itself is core.webhooks.emit)."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from core.exceptions import ValidationFailed
from core.models import User
from core.outbox import outbox_enqueue_many
from core.webhooks.emit import delivery_message
from core.webhooks.events import TEST_EVENT_TYPE, event_types_clean
from core.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from core.webhooks.outbound import target_refusal_at_save
from core.webhooks.signing import webhook_secret_generate

_URL_VALIDATOR = URLValidator(schemes=["http", "https"])


def _url_clean(url: str) -> str:
    url = (url or "").strip()
    try:
        _URL_VALIDATOR(url)
    except ValidationError as exc:
        raise ValidationFailed({"url": "Give a full http:// or https:// URL."}) from exc
    if len(url) > 500:
        raise ValidationFailed({"url": "Keep the URL under 500 characters."})
    refusal = target_refusal_at_save(url)
    if refusal:
        raise ValidationFailed({"url": f"This URL cannot be called: {refusal}."})
    return url


def webhook_subscription_create(
    *,
    name: str,
    url: str,
    event_types: list[str],
    created_by: User | None,
    is_active: bool = True,
    receives_restricted: bool = False,
) -> tuple[WebhookSubscription, str]:
    """Create a subscription with a new secret; return it and the secret (show it once).
    `receives_restricted` lets it hear about security incidents (core.webhooks.emit).

    Raises ValidationFailed (nothing stored) for an empty name, a non-http(s) URL, a URL whose
    host is not public (core.webhooks.outbound) or unknown event types.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed({"name": "Give the subscription a name (up to 100 characters)."})
    subscription = WebhookSubscription.objects.create(
        name=name,
        url=_url_clean(url),
        event_types=event_types_clean(event_types),
        secret=webhook_secret_generate(),
        is_active=is_active,
        receives_restricted=receives_restricted,
        created_by=created_by,
    )
    return subscription, subscription.secret


def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    """Give the subscription a new secret and return it (show it once). Deliveries attempted
    from now on are signed with it, including retries of deliveries queued before."""
    secret = webhook_secret_generate()
    now = timezone.now()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        secret=secret, secret_rotated_at=now, updated_at=now
    )
    subscription.secret = secret
    subscription.secret_rotated_at = now
    return secret


def _queue(delivery: WebhookDelivery) -> WebhookDelivery:
    # Called inside a transaction: the row and its first attempt are written together.
    delivery.save()
    outbox_enqueue_many(
        [delivery_message(delivery, attempt=1, dedupe_key=f"webhook:{delivery.delivery_id}:1")]
    )
    return delivery


def webhook_send_test(*, subscription: WebhookSubscription, actor: User | None) -> WebhookDelivery:
    """Queue a `webhook.test` event to one subscription (active or not), signed like any other."""
    now = timezone.now()
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": TEST_EVENT_TYPE,
        "created_at": now.isoformat(),
        "data": {
            "subscription": subscription.name,
            "requested_by": actor.username if actor is not None else None,
            "message": "Test event from the service desk.",
        },
    }
    with transaction.atomic():
        return _queue(
            WebhookDelivery(
                subscription=subscription,
                event_id=event_id,
                event_type=TEST_EVENT_TYPE,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
        )


def webhook_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue the same event (same payload and event id) again as a new delivery to the same
    subscription. Refused while the delivery is still pending (it will be attempted anyway)."""
    if delivery.status == DeliveryStatus.PENDING:
        raise ValidationFailed({"delivery": "This delivery is still pending; wait for its result."})
    now = timezone.now()
    with transaction.atomic():
        return _queue(
            WebhookDelivery(
                subscription_id=delivery.subscription_id,
                event_id=delivery.event_id,
                event_type=delivery.event_type,
                payload=delivery.payload,
                is_redelivery=True,
                redelivery_of=delivery,
                created_at=now,
                next_attempt_at=now,
            )
        )


def webhook_deliveries_prune(*, older_than_days: int | None = None, batch_size: int = 1000) -> int:
    """Delete finished deliveries (succeeded or failed) older than the retention period
    (WEBHOOK_DELIVERY_RETENTION_DAYS); pending ones are kept. Returns how many."""
    days = (
        older_than_days if older_than_days is not None else settings.WEBHOOK_DELIVERY_RETENTION_DAYS
    )
    cutoff = timezone.now() - timedelta(days=days)
    finished = [DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED]
    deleted = 0
    while True:
        ids = list(
            WebhookDelivery.objects.filter(status__in=finished, created_at__lt=cutoff)
            .order_by("id")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        # Redeliveries of a pruned row keep their own log; only their link is cleared.
        deleted += WebhookDelivery.objects.filter(pk__in=ids).delete()[0]
