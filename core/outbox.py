"""The transactional outbox (DESIGN.md §8).

`outbox_enqueue` writes a row in the caller's transaction. Nothing touches the broker on the
request path: the relay (`relay_outbox`, run by Celery beat every couple of seconds and by
`manage.py relay_outbox`) hands pending rows to Celery, and puts them back when the broker is
unreachable. The task that runs a message claims it with a compare-and-set first
(`outbox_task`), so a message delivered twice runs its handler once.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

OutboxHandler = Callable[[dict[str, Any]], None]


class TransientError(Exception):
    """A failure worth retrying later (network, remote 5xx); anything else fails the message."""


def outbox_enqueue(
    *,
    task_name: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    delay: timedelta | None = None,
    key_is_new: bool = False,
) -> OutboxMessage | None:
    """Write a side effect to run after the current transaction commits.

    Call inside the transaction of the change that causes the effect. A `dedupe_key` already used
    makes this a no-op (returns None), so a retried change never doubles its effects. That check
    costs a savepoint; `key_is_new=True` skips it when the key cannot exist yet (it names a row
    created in this very transaction, such as a new ticket's "created" notice).
    """
    now = timezone.now()
    message = OutboxMessage(
        task_name=task_name,
        payload=payload,
        dedupe_key=dedupe_key,
        available_at=now + (delay or timedelta()),
        created_at=now,
    )
    if dedupe_key is None or key_is_new:
        message.save()
        return message
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        return None
    return message


def outbox_enqueue_many(messages: list[OutboxMessage]) -> int:
    """Write many unsaved messages in one insert; those whose dedupe_key is taken are skipped.
    Call inside the transaction of the change. Returns how many were offered."""
    now = timezone.now()
    for message in messages:
        message.available_at = message.available_at or now
        message.created_at = now
    OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True)
    return len(messages)


def _publish(message: OutboxMessage, connection: Any) -> None:
    from config.celery import app

    # By name: the relay needs no import of the task's module. retry=False: a down broker must
    # fail this publish at once; the row stays for the next relay.
    app.send_task(message.task_name, args=[message.pk], retry=False, connection=connection)


def relay_outbox(*, batch_size: int = 200, max_batches: int = 20) -> int:
    """Hand due outbox rows to Celery; return how many were published.

    Each row is claimed with a conditional update before publishing, so two relays never publish
    the same row in the same round. A publish that fails puts the row back to pending and stops
    the round (the broker is probably down). Rows dispatched or running for longer than
    OUTBOX_REDISPATCH_AFTER_SECONDS (a lost message, a killed worker) are published again.
    """
    from config.celery import app

    with app.connection_for_write() as connection:
        return _relay_rounds(connection, batch_size=batch_size, max_batches=max_batches)


def _relay_rounds(connection: Any, *, batch_size: int, max_batches: int) -> int:
    published = 0
    stale = timezone.now() - timedelta(seconds=settings.OUTBOX_REDISPATCH_AFTER_SECONDS)
    for _ in range(max_batches):
        now = timezone.now()
        due = Q(status=OutboxStatus.PENDING, available_at__lte=now) | Q(
            status__in=[OutboxStatus.DISPATCHED, OutboxStatus.RUNNING],
            dispatched_at__lt=stale,
        )
        candidates = list(
            OutboxMessage.objects.filter(due).order_by("available_at", "id")[:batch_size]
        )
        if not candidates:
            break
        for message in candidates:
            claimed = OutboxMessage.objects.filter(
                pk=message.pk, status=message.status, dispatched_at=message.dispatched_at
            ).update(status=OutboxStatus.DISPATCHED, dispatched_at=now)
            if not claimed:
                continue
            try:
                _publish(message, connection)
            except Exception as exc:  # broker unreachable or refusing: keep the row for later
                OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.DISPATCHED).update(
                    status=OutboxStatus.PENDING, dispatched_at=None, last_error=f"publish: {exc}"
                )
                logger.warning("outbox relay: broker unavailable (%s); will retry", exc)
                return published
            published += 1
        if len(candidates) < batch_size:
            break
    return published


def run_outbox_message(message_id: int, handler: OutboxHandler) -> bool:
    """Claim message `message_id` and run `handler(payload)`; True when this call ran it.

    A message already done, failed, or being run by another delivery is left alone. A
    TransientError puts the message back with exponential backoff until OUTBOX_MAX_ATTEMPTS.
    """
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, status__in=[OutboxStatus.PENDING, OutboxStatus.DISPATCHED]
    ).update(status=OutboxStatus.RUNNING, started_at=now, dispatched_at=now)
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    attempts = message.attempts + 1
    try:
        handler(message.payload)
    except TransientError as exc:
        if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            _finish(message_id, OutboxStatus.FAILED, attempts, str(exc))
        else:
            backoff = timedelta(seconds=min(2**attempts * 5, 3600))
            OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.RUNNING).update(
                status=OutboxStatus.PENDING,
                attempts=attempts,
                available_at=timezone.now() + backoff,
                dispatched_at=None,
                last_error=str(exc),
            )
        return True
    except Exception as exc:
        logger.exception("outbox message %s (%s) failed", message_id, message.task_name)
        _finish(message_id, OutboxStatus.FAILED, attempts, f"{type(exc).__name__}: {exc}")
        return True
    _finish(message_id, OutboxStatus.DONE, attempts, "")
    return True


def _finish(message_id: int, status: str, attempts: int, error: str) -> None:
    OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.RUNNING).update(
        status=status, attempts=attempts, done_at=timezone.now(), last_error=error
    )


def outbox_task(name: str) -> Callable[[OutboxHandler], Any]:
    """Declare a Celery task that runs an outbox handler: `@outbox_task("core.send_email")`.

    The task takes the outbox row id, is acks_late, and is idempotent through run_outbox_message.
    """

    def decorate(handler: OutboxHandler) -> Any:
        @shared_task(name=name, acks_late=True, ignore_result=True)
        @wraps(handler)
        def task(message_id: int) -> bool:
            return run_outbox_message(message_id, handler)

        task.handler = handler  # type: ignore[attr-defined]
        return task

    return decorate
