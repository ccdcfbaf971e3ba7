"""The transactional outbox (DESIGN.md §8).

`outbox_enqueue` writes a row in the caller's transaction. Nothing touches the broker on the
request path: the relay (core/outbox_relay.py, run by Celery beat every couple of seconds and by
`manage.py relay_outbox`) hands due rows to Celery in batches, and puts them back when the broker
is unreachable. The task that runs a message claims its row with a compare-and-set first
(`run_outbox_message`), so a message delivered twice runs its handler once.

When a worker dies in the middle of a handler its row stays "running"; once the running lease has
passed the relay hands it out again. Handlers declared `rerun_interrupted=True` (signed webhooks:
the receiver deduplicates by delivery id) then run again; the others (email) are marked failed
with the reason, because a message that may already have gone out must never go out twice.
"""

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from functools import wraps
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from core.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

OutboxHandler = Callable[[dict[str, Any]], None]

# The database did not answer: not the message's fault, so never a reason to fail it.
DATABASE_ERRORS = (OperationalError, InterfaceError)


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


INTERRUPTED_ERROR = (
    "interrupted: the worker running it stopped before it finished; not run again, because "
    "it may already have been sent"
)


def run_outbox_message(
    message_id: int, handler: OutboxHandler, *, rerun_interrupted: bool = True
) -> bool:
    """Claim message `message_id` and run `handler(payload)`; True when this call ran it.

    A message already done, failed, or being run by another delivery is left alone. A
    TransientError puts the message back with exponential backoff until OUTBOX_MAX_ATTEMPTS. A
    message whose earlier run was interrupted (it carries a start time) runs again only when
    `rerun_interrupted`, else it fails with INTERRUPTED_ERROR.
    """
    message = (
        OutboxMessage.objects.filter(
            pk=message_id, status__in=[OutboxStatus.PENDING, OutboxStatus.DISPATCHED]
        )
        .only("status", "dispatched_at", "started_at", "attempts", "payload", "task_name")
        .first()
    )
    if message is None:
        return False
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, status=message.status, dispatched_at=message.dispatched_at
    ).update(status=OutboxStatus.RUNNING, started_at=now, dispatched_at=now)
    if not claimed:
        return False
    attempts = message.attempts + 1
    if message.started_at is not None and not rerun_interrupted:
        _finish(message_id, OutboxStatus.FAILED, attempts, INTERRUPTED_ERROR)
        logger.warning("outbox %s (%s): %s", message_id, message.task_name, INTERRUPTED_ERROR)
        return True
    try:
        handler(message.payload)
    except TransientError as exc:
        _retry_later(message_id, attempts, str(exc))
        return True
    except DATABASE_ERRORS:
        raise  # the row stays "running"; the task retries, the relay re-dispatches after the lease
    except Exception as exc:
        logger.exception("outbox message %s (%s) failed", message_id, message.task_name)
        _finish(message_id, OutboxStatus.FAILED, attempts, f"{type(exc).__name__}: {exc}")
        return True
    _finish(message_id, OutboxStatus.DONE, attempts, "")
    return True


def _retry_later(message_id: int, attempts: int, error: str) -> None:
    if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _finish(message_id, OutboxStatus.FAILED, attempts, error)
        return
    backoff = timedelta(seconds=min(2**attempts * 5, 3600))
    OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.RUNNING).update(
        status=OutboxStatus.PENDING,
        attempts=attempts,
        available_at=timezone.now() + backoff,
        dispatched_at=None,
        started_at=None,  # a clean stop: the next run is a retry, not a rerun after a crash
        last_error=error,
    )


def _finish(message_id: int, status: str, attempts: int, error: str) -> None:
    OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.RUNNING).update(
        status=status, attempts=attempts, done_at=timezone.now(), last_error=error
    )


BatchContext = Callable[[], AbstractContextManager[object]]


def outbox_task(
    name: str, *, rerun_interrupted: bool = True, batch_context: BatchContext | None = None
) -> Callable[[OutboxHandler], Any]:
    """Declare a Celery task that runs an outbox handler: `@outbox_task("core.send_email")`.

    The task takes one outbox row id or a list of them (the relay sends batches), is acks_late,
    and is idempotent through run_outbox_message. `batch_context` wraps one batch (email opens
    one SMTP connection for all of it). A database error retries the task with backoff: rows
    already done are no-ops the second time. `rerun_interrupted` says whether a message whose
    worker died mid-run may run again (see the module docstring).
    """

    def decorate(handler: OutboxHandler) -> Any:
        @shared_task(
            name=name,
            acks_late=True,
            ignore_result=True,
            autoretry_for=DATABASE_ERRORS,
            retry_backoff=2,
            retry_backoff_max=30,
            retry_jitter=False,
            max_retries=settings.OUTBOX_TASK_MAX_RETRIES,
        )
        @wraps(handler)
        def task(message_ids: int | list[int]) -> int:
            ids = [message_ids] if isinstance(message_ids, int) else list(message_ids)
            context = batch_context() if batch_context is not None else nullcontext()
            with context:
                return sum(
                    run_outbox_message(pk, handler, rerun_interrupted=rerun_interrupted)
                    for pk in ids
                )

        task.handler = handler  # type: ignore[attr-defined]
        return task

    return decorate
