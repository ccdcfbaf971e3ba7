"""Celery entry points of outbound webhooks (found by autodiscovery of installed apps)."""

from typing import Any

from celery import shared_task

from core.outbox import outbox_task
from core.webhooks.delivery import webhook_delivery_attempt
from core.webhooks.emit import DELIVER_TASK_NAME
from core.webhooks.services import webhook_deliveries_prune


@outbox_task(DELIVER_TASK_NAME)
def webhook_deliver_task(payload: dict[str, Any]) -> None:
    """Run one attempt of a delivery: payload {"delivery": <delivery uuid>, "attempt": n}.

    Retries are new outbox rows written by the attempt itself, so this never raises for remote
    failures; a duplicate or stale message is a no-op (compare-and-set on the attempt number).
    """
    webhook_delivery_attempt(delivery_id=str(payload["delivery"]), attempt=int(payload["attempt"]))


@shared_task(name="webhooks.prune_deliveries", acks_late=True, ignore_result=True)
def webhook_deliveries_prune_task() -> int:
    return webhook_deliveries_prune()
