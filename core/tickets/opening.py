"""Opening a ticket of any kind: number, initial status and milestone, SLA clocks, creation event.

A kind's create service validates its own input, then calls `ticket_open` with the row's fields.
"""

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from core.models import TicketBase, User
from core.numbering import allocate_number
from core.tickets import clocks
from core.tickets.events import created_event
from core.tickets.kinds import kind_of

T = TypeVar("T", bound=TicketBase)


def ticket_open(
    model: type[T],
    *,
    fields: Mapping[str, Any],
    actor: User | None,
    source: str,
    event_fields: Mapping[str, Any],
    message: str = "",
    is_public: bool = True,
    converted_from: str = "",
) -> T:
    """Insert a new ticket in its kind's initial status and return it.

    Its SLA clocks are planned before the INSERT, so the row carries its nearest deadline and
    the clocks are written after it (`opened.started_clocks`). The creation event is credited
    to `actor` (None: the system opened it on the requester's behalf) and records
    `event_fields`. No savepoint of its own: a failure fails the caller's transaction.
    """
    kind = kind_of(model)
    now = timezone.now()
    initial = kind.lifecycle.initial
    planned = clocks.plan(
        kind,
        priority=int(fields.get("priority", 0)),
        service_id=_pk(fields.get("service")),
        started_at=now,
    )
    row: dict[str, Any] = {
        "number": allocate_number(kind.prefix),
        "status": initial,
        "created_at": now,
        "updated_at": now,
        "sla_due_at": planned.due_at,
        "sla_warn_at": planned.warn_at,
        **fields,
    }
    milestone = kind.lifecycle.milestones.get(initial)
    if milestone:
        row.setdefault(milestone, now)
    with transaction.atomic(savepoint=False):
        ticket = model._default_manager.create(**row)
        created_event(
            ticket,
            actor=actor,
            source=source,
            to_status=initial,
            fields=event_fields,
            message=message,
            is_public=is_public,
            converted_from=converted_from,
        )
        ticket.started_clocks = clocks.start(ticket, kind, planned)
    return ticket


def _pk(value: Any) -> int | None:
    if value is None:
        return None
    return int(value.pk) if hasattr(value, "pk") else int(value)
