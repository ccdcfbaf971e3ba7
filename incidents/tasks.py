"""Celery entry points of the incidents app. Thin: they call the app's own functions."""

import logging

from celery import shared_task

from incidents.open_tally import audit_open_tally, compact_open_tally

logger = logging.getLogger(__name__)


@shared_task(name="incidents.compact_open_tally", acks_late=True, ignore_result=True)
def compact_open_tally_task() -> int:
    """Fold the open incidents' tally (incidents.open_tally): idempotent, each run sums what
    is there; returns the rows folded."""
    before, _ = compact_open_tally()
    return before


@shared_task(name="incidents.audit_open_tally", acks_late=True, ignore_result=True)
def audit_open_tally_task() -> int:
    """Make the open incidents' tally again if it no longer matches them (it should never
    differ: something wrote incidents without their triggers); returns the keys that differed."""
    drift = audit_open_tally()
    if drift:
        logger.error("The open incidents' tally differed in %d key(s); it was made again.", drift)
    return drift
