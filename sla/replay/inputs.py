"""What a replay reads from the database, as plain data for the pure engine.

A batch of tickets costs a constant number of queries whatever its size: the tickets, their
SLA-relevant timeline events, the services they name, and (for the comparison) their stored
clocks. The current policies are read once per replay (policy_book).
"""

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import TextField
from django.db.models.functions import Cast

from core.choices import EventKind
from core.models import Service, TimelineEvent
from core.tickets.kinds import TicketKind
from sla.models import SlaClock, SlaPolicy
from sla.replay.engine import Change, TicketHistory
from sla.snapshot import Snapshot, snapshot_of

BATCH_SIZE = 500
EVENT_KINDS = (EventKind.CREATED, EventKind.STATUS_CHANGED, EventKind.FIELDS_CHANGED)


@dataclass(frozen=True)
class PolicyBook:
    """Active policies of one kind as the snapshots a clock would take, per (priority, service id)
    and metric; the service's own policy wins over the default (sla.services.policy_for)."""

    snapshots: dict[tuple[int, int | None], dict[str, Snapshot]]

    def lookup(self, priority: int, service_id: int | None, metric: str) -> Snapshot | None:
        found = self.snapshots.get((priority, service_id)) if service_id is not None else None
        found = found or self.snapshots.get((priority, None))
        return found[metric] if found else None


def policy_book(kind: TicketKind) -> PolicyBook:
    """The kind's active policies (four queries)."""
    policies = (
        SlaPolicy.objects.filter(ticket_kind=kind.name, is_active=True)
        .select_related("calendar")
        .prefetch_related("calendar__hours", "calendar__holidays", "thresholds")
    )
    return PolicyBook(
        {
            (p.priority, p.service_id): {m: snapshot_of(p, m) for m in ("response", "resolution")}
            for p in policies
        }
    )


@dataclass(frozen=True)
class Batch:
    """One batch of tickets: their histories and (keyed by ticket id, then metric) their
    stored clocks."""

    histories: list[TicketHistory]
    stored: dict[int, dict[str, SlaClock]]


def ticket_ids(kind: TicketKind, since: datetime, until: datetime | None) -> list[int]:
    """Ids of the kind's tickets created in [since, until), oldest first."""
    tickets = kind.model._default_manager.filter(created_at__gte=since)
    if until is not None:
        tickets = tickets.filter(created_at__lt=until)
    return list(tickets.order_by("created_at", "pk").values_list("pk", flat=True))


def batches(kind: TicketKind, ids: Sequence[int], size: int = BATCH_SIZE) -> Iterator[Batch]:
    """The tickets `ids` in batches of `size`, four queries each."""
    content_type = ContentType.objects.get_for_model(kind.model)
    for offset in range(0, len(ids), size):
        yield _batch(kind, content_type, list(ids[offset : offset + size]))


def _batch(kind: TicketKind, content_type: ContentType, ids: list[int]) -> Batch:
    tickets = kind.model._default_manager.filter(pk__in=ids).values(
        "pk", "number", "created_at", "priority", "service_id"
    )
    histories = histories_of(content_type, list(tickets))
    stored: dict[int, dict[str, SlaClock]] = {}
    for clock in SlaClock.objects.filter(ticket_type=content_type, ticket_id__in=ids):
        stored.setdefault(clock.ticket_id, {})[clock.metric] = clock
    return Batch(histories, stored)


def histories_of(
    content_type: ContentType, tickets: Sequence[Mapping[str, Any]]
) -> list[TicketHistory]:
    """The histories of `tickets` (rows with pk, number, created_at, priority, service_id),
    oldest first: two queries, their SLA-relevant events and the services those name."""
    ids = [t["pk"] for t in tickets]
    events: dict[int, list[Mapping[str, Any]]] = {}
    # A few texts make up most events' changes ("{}", a priority from the matrix): each
    # distinct text is decoded once and its dict shared, read-only, by the events that carry it.
    decoded: dict[str, Mapping[str, Any]] = {}
    for event in (
        TimelineEvent.objects.filter(
            ticket_type=content_type, ticket_id__in=ids, kind__in=EVENT_KINDS
        )
        .annotate(changes_text=Cast("changes", TextField()))
        .order_by("ticket_id", "created_at", "pk")
        .values_list("ticket_id", "kind", "from_status", "to_status", "changes_text", "created_at")
    ):
        ticket_id, kind, from_status, to_status, text, created_at = event
        changes = decoded.get(text)
        if changes is None:
            changes = decoded[text] = _json_object(text)
        events.setdefault(ticket_id, []).append(
            {
                "kind": kind,
                "from_status": from_status,
                "to_status": to_status,
                "changes": changes,
                "created_at": created_at,
            }
        )
    return histories_from(tickets, events)


def histories_from(
    tickets: Sequence[Mapping[str, Any]], events: Mapping[int, list[Mapping[str, Any]]]
) -> list[TicketHistory]:
    """The histories of `tickets` from their SLA-relevant events (per ticket id, in timeline
    order: kind, from_status, to_status, changes, created_at), oldest first; one query for the
    services the events name, none if they name none."""
    names = {
        str(e["changes"]["service"])
        for rows in events.values()
        for e in rows
        if e["changes"].get("service")
    }
    service_ids = dict(Service.objects.filter(name__in=names).values_list("name", "pk"))
    histories = [_history(t, events.get(t["pk"], []), service_ids) for t in tickets]
    histories.sort(key=lambda h: (h.created_at, h.ticket_id))
    return histories


def _json_object(text: str) -> Mapping[str, Any]:
    value: Any = json.loads(text)
    # SQLite hands back the JSON text itself; a driver may hand back a JSON string of it.
    if isinstance(value, str):
        value = json.loads(value)
    assert isinstance(value, Mapping)
    return value


def _history(
    ticket: Mapping[str, Any], events: list[Mapping[str, Any]], service_ids: dict[str, int]
) -> TicketHistory:
    """A ticket's history, starting with its creation at the ticket's own `created_at` (the
    instant its clocks started). The creation event records the priority; the service it was opened
    with is the ticket's current one unless a later event changed it (then the creation event
    or nothing names it, and the replay starts without one)."""
    changes = [Change(ticket["created_at"], "", is_creation=True)]
    priority = int(ticket["priority"])
    changed_service = any("service" in e["changes"] for e in events)
    service_id = None if changed_service else ticket["service_id"]
    for event in events:
        fields = event["changes"]
        if event["kind"] == EventKind.CREATED:
            priority = int(fields.get("priority", priority))
            if "service" in fields:
                service_id = service_ids.get(str(fields["service"])) if fields["service"] else None
            continue
        new_service = None
        if "service" in fields:
            new_service = service_ids.get(str(fields["service"]), 0) if fields["service"] else 0
        changes.append(
            Change(
                event["created_at"],
                event["to_status"],
                from_status=event["from_status"],
                priority=int(fields["priority"]) if "priority" in fields else None,
                service_id=new_service,
                is_status_change=event["kind"] == EventKind.STATUS_CHANGED,
            )
        )
    return TicketHistory(
        ticket_id=ticket["pk"],
        number=ticket["number"],
        created_at=ticket["created_at"],
        priority=priority,
        service_id=service_id,
        changes=changes,
    )
