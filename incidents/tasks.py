"""Celery entry points for incidents: thin wrappers around services."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.choices import Source
from core.exceptions import DomainError
from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.services import incident_close

logger = logging.getLogger(__name__)


@shared_task(name="incidents.autoclose_resolved", acks_late=True, ignore_result=True)
def autoclose_resolved_task(batch_size: int = 500) -> int:
    """Close incidents resolved more than INCIDENT_AUTOCLOSE_DAYS ago. Idempotent: each close goes
    through the service, which refuses anything no longer resolved."""
    cutoff = timezone.now() - timedelta(days=settings.INCIDENT_AUTOCLOSE_DAYS)
    ids = list(
        Incident.objects.filter(status=IncidentStatus.RESOLVED, resolved_at__lt=cutoff)
        .order_by("resolved_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    closed = 0
    for incident in Incident.objects.filter(pk__in=ids):
        try:
            incident_close(incident, actor=None, source=Source.SYSTEM)
        except DomainError as exc:
            logger.info("auto-close skipped %s: %s", incident.number, exc)
            continue
        closed += 1
    if len(ids) == batch_size:
        autoclose_resolved_task.delay(batch_size)
    return closed
