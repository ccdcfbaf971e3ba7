"""Closing tickets nobody confirmed: every kind that declares `AutoClose` (an incident resolved
INCIDENT_AUTOCLOSE_DAYS ago, a request fulfilled REQUEST_AUTOCLOSE_DAYS ago...)."""

import logging
from datetime import timedelta
from typing import Any

from django.utils import timezone

from core.choices import Source
from core.exceptions import DomainError
from core.tickets.executor import transition_run
from core.tickets.kinds import TicketKind

logger = logging.getLogger(__name__)


def tickets_autoclose(kind: TicketKind, *, batch_size: int = 500) -> tuple[int, bool]:
    """Close up to `batch_size` of the kind's tickets due for auto-close, oldest first, each
    through the lifecycle as the system; returns (closed, whether more may be due).

    Idempotent: a ticket that left the status meanwhile (reopened, confirmed by its requester)
    is refused by the lifecycle and skipped.
    """
    rule = kind.autoclose
    if rule is None:
        return 0, False
    cutoff = timezone.now() - timedelta(days=rule.days())
    manager: Any = kind.model._default_manager  # status and milestones are per kind
    ids = list(
        manager.filter(status=kind.resolved_status, **{f"{kind.resolved_field}__lt": cutoff})
        .order_by(kind.resolved_field)
        .values_list("pk", flat=True)[:batch_size]
    )
    closed = 0
    for ticket in manager.filter(pk__in=ids):
        try:
            transition_run(ticket, action="close", actor=None, source=Source.SYSTEM)
        except DomainError as exc:
            logger.info("auto-close skipped %s: %s", ticket.number, exc)
            continue
        closed += 1
    return closed, len(ids) == batch_size
