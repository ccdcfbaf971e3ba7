"""The outbox relay: hands due outbox rows to Celery, in batches, one relay at a time.

Due rows are: pending rows whose time has come; dispatched rows nobody claimed within
OUTBOX_REDISPATCH_AFTER_SECONDS (the broker lost the message, or a task was dropped while the
database was down); running rows older than OUTBOX_RUNNING_LEASE_SECONDS (the worker died).
Rows are claimed with one conditional UPDATE per round and published grouped by task, up to
OUTBOX_TASK_BATCH_SIZE ids per Celery message, so a backlog costs a few messages, not one per row.

Bounded on every side (DESIGN.md §8): a lease makes the relay a singleton, so beat's frequent
runs never fill the worker's slots with relays; each run does at most `max_batches` rounds;
and it stops publishing while OUTBOX_MAX_IN_FLIGHT rows are already waiting in the broker, which
keeps the queue short enough that "dispatched and not claimed for 30 s" really means "lost".
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core.leases import heartbeat, lease_release, lease_take
from core.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

RELAY_LEASE = "outbox.relay"


def relay_outbox(*, batch_size: int | None = None, max_batches: int = 20) -> int:
    """Hand due outbox rows to Celery; return how many rows were published (0 when another
    relay holds the lease)."""
    from config.celery import app

    if not lease_take(RELAY_LEASE, seconds=settings.OUTBOX_RELAY_LEASE_SECONDS):
        return 0
    try:
        heartbeat(RELAY_LEASE)
        with app.connection_for_write() as connection:
            return _relay_rounds(
                connection,
                batch_size=batch_size or settings.OUTBOX_RELAY_BATCH_SIZE,
                max_batches=max_batches,
            )
    finally:
        lease_release(RELAY_LEASE)


def _due(now: datetime) -> Q:
    lost = now - timedelta(seconds=settings.OUTBOX_REDISPATCH_AFTER_SECONDS)
    died = now - timedelta(seconds=settings.OUTBOX_RUNNING_LEASE_SECONDS)
    return (
        Q(status=OutboxStatus.PENDING, available_at__lte=now)
        | Q(status=OutboxStatus.DISPATCHED, dispatched_at__lt=lost)
        | Q(status=OutboxStatus.RUNNING, started_at__lt=died)
    )


def _in_flight(now: datetime) -> int:
    """Rows handed to the broker recently and not yet claimed by a worker."""
    lost = now - timedelta(seconds=settings.OUTBOX_REDISPATCH_AFTER_SECONDS)
    return OutboxMessage.objects.filter(
        status=OutboxStatus.DISPATCHED, dispatched_at__gte=lost
    ).count()


def _relay_rounds(connection: Any, *, batch_size: int, max_batches: int) -> int:
    published = 0
    for _ in range(max_batches):
        lease_take(RELAY_LEASE, seconds=settings.OUTBOX_RELAY_LEASE_SECONDS)
        now = timezone.now()
        room = settings.OUTBOX_MAX_IN_FLIGHT - _in_flight(now)
        if room <= 0:
            break
        limit = min(batch_size, room)
        rows = list(
            OutboxMessage.objects.filter(_due(now))
            .order_by("available_at", "id")
            .values_list("id", "task_name")[:limit]
        )
        if not rows:
            break
        ids = [pk for pk, _name in rows]
        # Conditional: a row a worker claimed since the read keeps its state (publishing its id
        # anyway is harmless, the task's compare-and-set makes that copy a no-op).
        OutboxMessage.objects.filter(_due(now), pk__in=ids).update(
            status=OutboxStatus.DISPATCHED, dispatched_at=now
        )
        sent = _publish_grouped(connection, rows, now)
        published += sent
        if sent < len(rows) or len(rows) < limit:
            break
    return published


def _publish_grouped(connection: Any, rows: list[tuple[int, str]], now: datetime) -> int:
    """Publish the rows as batches per task; on a broker error put the unsent rows back."""
    from config.celery import app

    by_task: dict[str, list[int]] = defaultdict(list)
    for pk, task_name in rows:
        by_task[task_name].append(pk)
    size = max(1, settings.OUTBOX_TASK_BATCH_SIZE)
    batches = [
        (name, ids[start : start + size])
        for name, ids in by_task.items()
        for start in range(0, len(ids), size)
    ]
    sent = 0
    for index, (task_name, ids) in enumerate(batches):
        try:
            # By name: the relay needs no import of the task's module. retry=False: a down
            # broker must fail this publish at once; the rows stay for the next relay.
            app.send_task(task_name, args=[ids], retry=False, connection=connection)
        except Exception as exc:
            unsent = [pk for _name, batch in batches[index:] for pk in batch]
            OutboxMessage.objects.filter(
                pk__in=unsent, status=OutboxStatus.DISPATCHED, dispatched_at=now
            ).update(status=OutboxStatus.PENDING, dispatched_at=None, last_error=f"publish: {exc}")
            logger.warning("outbox relay: broker unavailable (%s); will retry", exc)
            return sent
        sent += len(ids)
    return sent
