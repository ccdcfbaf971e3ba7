"""Celery entry points of the reporting app."""

from celery import shared_task

from reporting.services import reports_send_due


@shared_task(name="reporting.send_scheduled", acks_late=True, ignore_result=True)
def send_scheduled_task() -> int:
    """Beat, every 15 minutes: queue the weekly summaries that are due (idempotent)."""
    return reports_send_due()
