"""Celery entry points for changes: thin wrappers around services."""

import logging

from celery import shared_task

from changes.services.emergency import emergency_approvals_remind

logger = logging.getLogger(__name__)


@shared_task(name="changes.remind_emergency_approvals", acks_late=True, ignore_result=True)
def emergency_approvals_remind_task() -> int:
    """Tell the managers about emergency changes overdue for approval. Idempotent: each change
    is claimed by a compare-and-set before its email is written, so a duplicated or concurrent
    run tells nobody twice."""
    told = emergency_approvals_remind()
    if told:
        logger.info("told the managers about %d overdue emergency change(s)", told)
    return told
