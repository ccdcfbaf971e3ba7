"""Celery entry point of SLO evaluation: thin, idempotent (alert episodes are unique while
open, slo.alerts), run by beat every SLO_EVALUATE_INTERVAL_SECONDS."""

from celery import shared_task

from slo.alerts import slo_evaluate


@shared_task(name="slo.evaluate", acks_late=True, ignore_result=True)
def slo_evaluate_task() -> int:
    """Evaluate every objective; returns how many alert episodes started or ended."""
    result = slo_evaluate()
    return len(result.fired) + len(result.cleared)
