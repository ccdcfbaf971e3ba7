"""Celery entry points of the API: housekeeping of stored Idempotency-Key responses.

Registered through core/tasks.py (autodiscovery imports each app's tasks module only)."""

from celery import shared_task

from core.api.idempotency import idempotency_purge_expired


@shared_task(name="core.purge_idempotency_records", acks_late=True, ignore_result=True)
def purge_idempotency_records_task() -> int:
    """Delete Idempotency-Key records past API_IDEMPOTENCY_TTL_HOURS (idempotent: a second run
    finds nothing to delete)."""
    return idempotency_purge_expired()
