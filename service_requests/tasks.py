"""Celery entry points for service requests: thin wrappers around services."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.choices import Source
from core.exceptions import DomainError
from service_requests.choices import RequestStatus
from service_requests.models import ServiceRequest
from service_requests.services import request_close

logger = logging.getLogger(__name__)


@shared_task(name="requests.autoclose_fulfilled", acks_late=True, ignore_result=True)
def autoclose_fulfilled_task(batch_size: int = 500) -> int:
    """Close requests fulfilled more than REQUEST_AUTOCLOSE_DAYS ago that nobody confirmed.
    Idempotent: each close goes through the service, which refuses anything not fulfilled."""
    cutoff = timezone.now() - timedelta(days=settings.REQUEST_AUTOCLOSE_DAYS)
    ids = list(
        ServiceRequest.objects.filter(status=RequestStatus.FULFILLED, fulfilled_at__lt=cutoff)
        .order_by("fulfilled_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    closed = 0
    for request in ServiceRequest.objects.filter(pk__in=ids):
        try:
            request_close(request, actor=None, source=Source.SYSTEM)
        except DomainError as exc:
            logger.info("auto-close skipped %s: %s", request.number, exc)
            continue
        closed += 1
    if len(ids) == batch_size:
        autoclose_fulfilled_task.delay(batch_size)
    return closed
