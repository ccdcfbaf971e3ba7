"""Celery entry points of paging. Thin: they call the sweeper and the auditor.

Both run on the `paging` queue (settings.CELERY_TASK_ROUTES), served by worker slots of their
own, so a relay or email backlog never delays a page. Page deadlines live in the database,
never in ETA/countdown messages. The delivery handlers (oncall.paging.delivery) are outbox tasks
on the default queue; they are imported here so the worker's autodiscovery registers them.
"""

from celery import shared_task
from django.conf import settings

from core.leases import heartbeat
from core.sweeping import sweep_in_batches
from oncall.paging.auditor import audit
from oncall.paging.delivery import page_email_task, page_slack_task, page_webhook_task
from oncall.paging.sweeper import sweep
from oncall.reminders import shift_reminders_task


@shared_task(name="oncall.sweep_pages", acks_late=True, ignore_result=True)
def sweep_pages_task() -> int:
    """Sweep batches until nothing is due or the time budget is used; then re-queue if more."""
    heartbeat("oncall.sweep_pages")
    return sweep_in_batches(
        lambda: sweep(batch_size=settings.PAGING_SWEEP_BATCH_SIZE),
        budget_seconds=settings.PAGING_SWEEP_TIME_BUDGET_SECONDS,
        requeue=sweep_pages_task.apply_async,
    )


@shared_task(name="oncall.audit_pages", acks_late=True, ignore_result=True)
def audit_pages_task() -> int:
    """Report pages and notifications stuck past their deadline (log and managers' email)."""
    return audit()


__all__ = [
    "audit_pages_task",
    "page_email_task",
    "page_slack_task",
    "page_webhook_task",
    "shift_reminders_task",
    "sweep_pages_task",
]
