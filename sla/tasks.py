"""Celery entry points of the SLA engine. Thin: they call the sweeper and the auditor.

They run on the `sla` queue (settings.CELERY_TASK_ROUTES), so a flood of other work never
delays a breach. Deadlines live in the database, never in ETA/countdown messages.
"""

import logging

from celery import shared_task
from django.conf import settings

from core.leases import heartbeat
from core.sweeping import sweep_in_batches
from sla.sweeper import overdue_unprocessed, sweep

logger = logging.getLogger(__name__)


@shared_task(name="sla.sweep", acks_late=True, ignore_result=True)
def sweep_task() -> int:
    """Sweep batches until nothing is due or the time budget is used; then re-queue if more."""
    heartbeat("sla.sweep")
    return sweep_in_batches(
        lambda: sweep(batch_size=settings.SLA_SWEEP_BATCH_SIZE),
        budget_seconds=settings.SLA_SWEEP_TIME_BUDGET_SECONDS,
        requeue=sweep_task.apply_async,
    )


@shared_task(name="sla.audit", acks_late=True, ignore_result=True)
def audit_task() -> int:
    """Log an error when running clocks are overdue without having been processed."""
    stuck = overdue_unprocessed(grace_seconds=settings.SLA_AUDIT_GRACE_SECONDS)
    if stuck:
        logger.error(
            "SLA sweeper looks stuck: %d running clock(s) overdue by more than %ds",
            stuck,
            settings.SLA_AUDIT_GRACE_SECONDS,
        )
    return stuck


# Celery's autodiscovery reads <app>.tasks: the what-if job registers through this import.
from sla.whatif.tasks import (  # noqa: E402
    scenario_part_start,
    scenario_part_task,
    scenario_run_task,
    scenario_start,
)

__all__ = [
    "audit_task",
    "scenario_part_start",
    "scenario_part_task",
    "scenario_run_task",
    "scenario_start",
    "sweep_task",
]
