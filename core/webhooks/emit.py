"""The webhook emitter: turns something that happened into delivery rows + outbox rows.

Call it inside the transaction of the change. It reads the active subscriptions with one query
on a small table (none while no subscription is active; nothing else when nobody subscribed to
the event type), builds the payload only
when someone did, and writes one WebhookDelivery and one outbox row per subscription with two
inserts. Nothing is sent before commit; a rolled-back change leaves no trace and sends nothing.
Event ids derive from a stable key of the occurrence (a timeline event, an SLA clock stage), so an
occurrence emitted twice reaches each subscription once (a unique constraint skips the repeat).
An event about a restricted ticket (a security incident, core.tickets.visibility) goes only to
subscriptions that receive restricted tickets; the others are not told it exists.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.choices import EventKind
from core.config_memo import ConfigMemo
from core.models import Comment, OutboxMessage, TicketBase, TimelineEvent, User
from core.outbox import outbox_enqueue_many
from core.tickets.kinds import find_kind
from core.tickets.visibility import is_restricted
from core.webhooks.models import WebhookDelivery, WebhookSubscription

DELIVER_TASK_NAME = "webhooks.deliver"
EVENT_ID_NAMESPACE = uuid.UUID("6f1f7d0e-3c55-4d0c-9a0e-0b7c2f1d9a41")

PayloadData = dict[str, Any]


@dataclass(frozen=True)
class WebhookEvent:
    """One occurrence to announce. `key` identifies the occurrence (stable across retries of the
    code that emits it); `data` is the payload's "data", or a function building it (called only
    when someone subscribed). A `restricted` event (about a security incident) reaches only the
    subscriptions that receive restricted tickets."""

    event_type: str
    key: str
    data: PayloadData | Callable[[], PayloadData]
    occurred_at: datetime | None = None
    restricted: bool = False

    @property
    def event_id(self) -> uuid.UUID:
        return uuid.uuid5(EVENT_ID_NAMESPACE, f"{self.event_type}:{self.key}")

    def envelope(self, now: datetime) -> PayloadData:
        data = self.data() if callable(self.data) else self.data
        return {
            "id": str(self.event_id),
            "type": self.event_type,
            "created_at": (self.occurred_at or now).isoformat(),
            "data": data,
        }


# Whether any subscription is active, per process (connected in WebhooksConfig.ready()): an
# installation without webhooks reads nothing for its events. The subscriptions themselves are
# always read fresh, so a delivery never names one deleted meanwhile.
ANY_SUBSCRIPTION_MEMO = ConfigMemo("webhook-subscriptions", ["webhooks.WebhookSubscription"])


def _any_active_subscription() -> bool:
    return ANY_SUBSCRIPTION_MEMO.get(
        "any", WebhookSubscription.objects.filter(is_active=True).exists
    )


def _subscribers(event_types: set[str]) -> dict[str, list[tuple[int, bool]]]:
    """Active subscriptions per wanted event type, as (id, receives restricted tickets): one
    query on a table of a few rows, none while no subscription is active."""
    by_type: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    if not _any_active_subscription():
        return by_type
    rows = WebhookSubscription.objects.filter(is_active=True).values_list(
        "pk", "event_types", "receives_restricted"
    )
    for pk, types, receives_restricted in rows:
        for event_type in set(types or ()) & event_types:
            by_type[event_type].append((pk, receives_restricted))
    return by_type


def delivery_message(delivery: WebhookDelivery, *, attempt: int, dedupe_key: str) -> OutboxMessage:
    """The (unsaved) outbox row that runs `attempt` of `delivery`."""
    return OutboxMessage(
        task_name=DELIVER_TASK_NAME,
        payload={"delivery": str(delivery.delivery_id), "attempt": attempt},
        dedupe_key=dedupe_key,
    )


def webhook_emit_many(events: Iterable[WebhookEvent]) -> int:
    """Queue every event for every active subscription that wants its type; return how many
    deliveries were offered. Call inside the transaction of the change (never sends anything)."""
    events = list(events)
    if not events:
        return 0
    subscribers = _subscribers({event.event_type for event in events})
    if not subscribers:
        return 0
    now = timezone.now()
    deliveries: list[WebhookDelivery] = []
    messages: list[OutboxMessage] = []
    for event in events:
        subscription_ids = [
            pk
            for pk, receives_restricted in subscribers.get(event.event_type, ())
            if receives_restricted or not event.restricted
        ]
        if not subscription_ids:
            continue
        envelope = event.envelope(now)
        for subscription_id in subscription_ids:
            delivery = WebhookDelivery(
                subscription_id=subscription_id,
                event_id=event.event_id,
                event_type=event.event_type,
                payload=envelope,
                created_at=now,
                next_attempt_at=now,
            )
            deliveries.append(delivery)
            # Same key as the delivery's unique (subscription, event): a repeat skips both rows.
            key = f"webhook:{subscription_id}:{event.event_id}"
            messages.append(delivery_message(delivery, attempt=1, dedupe_key=key))
    if not deliveries:
        return 0
    with transaction.atomic(savepoint=False):
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        outbox_enqueue_many(messages)
    return len(deliveries)


def webhook_emit(
    *,
    event_type: str,
    key: str,
    data: PayloadData | Callable[[], PayloadData],
    occurred_at: datetime | None = None,
) -> int:
    """Queue one event (see webhook_emit_many). Call inside the transaction of the change."""
    return webhook_emit_many([WebhookEvent(event_type, key, data, occurred_at)])


# --- Ticket payloads --------------------------------------------------------------------------


def ticket_kind(ticket: TicketBase) -> str | None:
    """The kind's name ("incident", "request", ...); None for a model that is no registered
    ticket kind."""
    kind = find_kind(ticket)
    return kind.name if kind is not None else None


def ticket_url(ticket: TicketBase) -> str:
    kind = find_kind(ticket)
    return kind.agent_url(ticket.number) if kind is not None else ""


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def person_data(user: User | None) -> dict[str, str] | None:
    """What an agent sees of a person: username and name, never the email address."""
    if user is None:
        return None
    return {"username": user.username, "name": user.get_full_name() or user.username}


def ticket_data(
    ticket: TicketBase,
    *,
    from_status: str = "",
    to_status: str = "",
    actor: User | None = None,
) -> PayloadData:
    """The ticket part of a payload, from the row alone (no query): never the description,
    internal notes or anyone's email."""
    return {
        "number": ticket.number,
        "kind": ticket_kind(ticket),
        "title": ticket.title,
        "status": getattr(ticket, "status", ""),
        "priority": ticket.priority,
        "priority_label": ticket.get_priority_display(),
        "tier": ticket.tier,
        "from_status": from_status or None,
        "to_status": to_status or None,
        "source": ticket.source,
        "created_at": _when(ticket.created_at),
        "updated_at": _when(ticket.updated_at),
        "url": ticket_url(ticket),
        "actor": person_data(actor),
    }


def _timeline_event_types(event: TimelineEvent, ticket: TicketBase) -> list[str]:
    kind = find_kind(ticket)
    if kind is None:
        return []
    if event.kind == EventKind.CREATED:
        return [f"{kind.name}.created"]
    if event.kind == EventKind.STATUS_CHANGED:
        types = [f"{kind.name}.status_changed"]
        if kind.resolved_status is not None and event.to_status == kind.resolved_status:
            types.append(f"{kind.name}.resolved")
        return types
    comment = event.comment
    public = event.is_public and comment is not None and not comment.is_internal
    if event.kind == EventKind.COMMENTED and public:
        return ["comment.created"]
    return []


# describe(event, ticket) -> what the event means (core.tickets.describe); passed in by the
# timeline's writers, which sit above this module.
Describe = Callable[[TimelineEvent, TicketBase], Any]


def _timeline_webhook_events(
    event: TimelineEvent, ticket: TicketBase, describe: Describe | None
) -> Iterable[WebhookEvent]:
    types = _timeline_event_types(event, ticket)
    if not types:
        return ()

    def build() -> PayloadData:
        data = ticket_data(
            ticket, from_status=event.from_status, to_status=event.to_status, actor=event.actor
        )
        if describe is not None:
            actor = person_data(event.actor)
            who = actor["name"] if actor else "System"
            data["event"] = {
                "kind": event.kind,
                "source": event.source,
                "description": f"{who} {describe(event, ticket).verb}",
            }
        comment = event.comment
        if comment is not None:
            data["comment"] = {
                "id": comment.pk,
                "author": person_data(comment.author),
                "body": comment.body,
                # Where the reply came from: web, api, email (a reply by mail), ...
                "source": comment.source,
                "created_at": _when(comment.created_at),
            }
        return data

    restricted = is_restricted(ticket)
    return [
        WebhookEvent(event_type, f"timeline:{event.pk}", build, event.created_at, restricted)
        for event_type in types
    ]


def webhook_emit_for_timeline_event(
    *,
    event: TimelineEvent,
    ticket: TicketBase,
    comment: Comment | None = None,
    describe: Describe | None = None,
) -> int:
    """Announce a saved timeline event: `<kind>.created`, `<kind>.status_changed`,
    `<kind>.resolved` (kinds that declare a resolved status), `comment.created` (public replies
    only). Other events cost nothing; these cost one query when nobody subscribed."""
    if comment is not None and event.comment is None:
        event.comment = comment
    return webhook_emit_many(_timeline_webhook_events(event, ticket, describe))


def webhook_emit_for_timeline_events(
    pairs: Iterable[tuple[TicketBase, TimelineEvent]], *, describe: Describe | None = None
) -> int:
    """Announce many saved timeline events (a batch writer's), as one emission."""
    return webhook_emit_many(
        webhook_event
        for ticket, event in pairs
        for webhook_event in _timeline_webhook_events(event, ticket, describe)
    )
