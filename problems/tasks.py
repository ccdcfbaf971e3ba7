"""Celery entry points for problems: thin wrappers around services."""

import logging

from celery import shared_task

from problems.link_tally import audit_link_tally, compact_link_tally
from problems.recurrence import proposals_detect

logger = logging.getLogger(__name__)


@shared_task(name="problems.detect_recurring", acks_late=True, ignore_result=True)
def detect_recurring_task() -> int:
    """Propose problems for clusters of recurring incidents. Idempotent: a cluster is stored once
    under a unique key, so a duplicated or concurrent run proposes nothing twice."""
    created = proposals_detect()
    if created:
        logger.info("recurrence detection proposed %d problem(s)", len(created))
    return len(created)


@shared_task(name="problems.compact_link_tally", acks_late=True, ignore_result=True)
def compact_link_tally_task() -> int:
    """Fold the problems' link tally (problems.link_tally): idempotent, each run sums what is
    there; returns the rows folded."""
    before, _ = compact_link_tally()
    return before


@shared_task(name="problems.audit_link_tally", acks_late=True, ignore_result=True)
def audit_link_tally_task() -> int:
    """Make the problems' link tally again if it no longer matches the links (it should never
    differ: something wrote links or incidents without their triggers); returns the keys that
    differed."""
    drift = audit_link_tally()
    if drift:
        logger.error("The problems' link tally differed in %d key(s); it was made again.", drift)
    return drift
