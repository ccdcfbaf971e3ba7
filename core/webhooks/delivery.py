"""One delivery attempt: sign, POST with httpx, record the outcome, schedule the next attempt.

The POST goes through core.webhooks.outbound: to the checked, public address of the URL's host
(unless WEBHOOK_ALLOW_PRIVATE_TARGETS). A refused target fails the delivery at once, without a
connection and without retries (the log says why); a host name that does not resolve right now
is retried like a network error.

Runs from the outbox (task "webhooks.deliver"), outside any transaction of the request. Outcomes:
2xx succeeded; network errors, timeouts, 429 and 5xx are retried with exponential backoff
(WEBHOOK_RETRY_BASE_SECONDS doubling, capped by WEBHOOK_RETRY_MAX_SECONDS, at least a 429/503's
Retry-After) until WEBHOOK_MAX_ATTEMPTS; anything else (other 4xx, 3xx: redirects are not followed)
fails at once. The next attempt is a new outbox row with `available_at` in the future, so no
long Celery countdown is ever used (DESIGN.md §8).
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.outbox import outbox_enqueue_many
from core.webhooks.emit import delivery_message
from core.webhooks.events import TEST_EVENT_TYPE
from core.webhooks.models import DeliveryStatus, WebhookDelivery
from core.webhooks.outbound import TargetRefused, TargetUnresolved, outbound_post
from core.webhooks.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    webhook_body,
    webhook_signature,
)

logger = logging.getLogger(__name__)

USER_AGENT = "ServiceDesk-Webhooks/1"
_ERROR_BODY_BYTES = 300


def max_attempts() -> int:
    return max(1, settings.WEBHOOK_MAX_ATTEMPTS)


def timeout_seconds() -> float:
    return settings.WEBHOOK_TIMEOUT_SECONDS


def retry_delay(attempt: int, retry_after: int | None = None) -> timedelta:
    """The wait before the attempt after `attempt` (1-based): base * 2**(attempt-1), capped."""
    base = float(settings.WEBHOOK_RETRY_BASE_SECONDS)
    cap = float(settings.WEBHOOK_RETRY_MAX_SECONDS)
    seconds = min(base * 2 ** (attempt - 1), cap)
    if retry_after is not None:
        seconds = max(seconds, min(float(retry_after), cap))
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    duration_ms: int
    error: str
    transient: bool
    retry_after: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None


def webhook_post(*, url: str, secret: str, delivery: WebhookDelivery) -> AttemptResult:
    """POST the delivery's payload once, signed now; never raises for remote failures."""
    body = webhook_body(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: webhook_signature(secret=secret, body=body, timestamp=int(time.time())),
        EVENT_HEADER: delivery.event_type,
        DELIVERY_HEADER: str(delivery.delivery_id),
    }
    started = time.perf_counter()
    try:
        # Streamed: only the start of an error body is read, whatever the receiver sends back.
        with outbound_post(
            url, content=body, headers=headers, timeout=timeout_seconds()
        ) as response:
            snippet = b""
            if not 200 <= response.status_code < 300:
                for chunk in response.iter_bytes():
                    snippet += chunk
                    if len(snippet) >= _ERROR_BODY_BYTES:
                        break
    except TargetRefused as refused:
        return AttemptResult(
            None, 0, f"Refused, no connection made: {refused.reason}."[:500], False
        )
    except (httpx.HTTPError, TargetUnresolved) as exc:
        elapsed = int((time.perf_counter() - started) * 1000)
        return AttemptResult(None, elapsed, f"{type(exc).__name__}: {exc}"[:500], transient=True)
    elapsed = int((time.perf_counter() - started) * 1000)
    code = response.status_code
    if 200 <= code < 300:
        return AttemptResult(code, elapsed, "", transient=False)
    text = snippet[:_ERROR_BODY_BYTES].decode("utf-8", "replace").strip()
    error = f"HTTP {code}" + (f": {text}" if text else "")
    transient = code == 429 or code >= 500
    return AttemptResult(code, elapsed, error, transient, _retry_after(response))


def webhook_delivery_attempt(*, delivery_id: str, attempt: int) -> DeliveryStatus | None:
    """Run attempt number `attempt` of a delivery; return its status afterwards, or None when
    this call did nothing (the delivery is gone, finished, or already past this attempt)."""
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(delivery_id=delivery_id)
        .first()
    )
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    if delivery.attempts != attempt - 1:
        return None
    subscription = delivery.subscription
    if not subscription.is_active and delivery.event_type != TEST_EVENT_TYPE:
        result = AttemptResult(None, 0, "Subscription deactivated before delivery.", False)
    else:
        result = webhook_post(url=subscription.url, secret=subscription.secret, delivery=delivery)
    return _record(delivery, attempt, result)


def _record(
    delivery: WebhookDelivery, attempt: int, result: AttemptResult
) -> DeliveryStatus | None:
    now = timezone.now()
    retry = result.transient and attempt < max_attempts()
    if result.succeeded:
        status = DeliveryStatus.SUCCEEDED
    else:
        status = DeliveryStatus.PENDING if retry else DeliveryStatus.FAILED
    delay = retry_delay(attempt, result.retry_after) if retry else None
    fields: dict[str, Any] = {
        "status": status,
        "attempts": attempt,
        "last_status_code": result.status_code,
        "duration_ms": result.duration_ms,
        "last_error": result.error,
        "last_attempt_at": now,
        "next_attempt_at": now + delay if delay else None,
        "completed_at": None if status == DeliveryStatus.PENDING else now,
    }
    with transaction.atomic():
        # Compare-and-set on the attempt number: a concurrent copy of this attempt records nothing.
        changed = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=attempt - 1
        ).update(**fields)
        if not changed:
            return None
        if delay is not None:
            message = delivery_message(
                delivery,
                attempt=attempt + 1,
                dedupe_key=f"webhook:{delivery.delivery_id}:{attempt + 1}",
            )
            message.available_at = fields["next_attempt_at"]
            outbox_enqueue_many([message])
    if status == DeliveryStatus.FAILED:
        logger.warning(
            "webhook delivery %s to subscription %s failed after %s attempt(s): %s",
            delivery.delivery_id,
            delivery.subscription_id,
            attempt,
            result.error,
        )
    return status
