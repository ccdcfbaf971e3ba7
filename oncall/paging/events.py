"""The timeline's words for paging: one event kind, `page`, with what happened in `changes`
("what": triggered, notified, acknowledged, escalated, exhausted, resolved). Internal: the
requester is not shown who was woken up.

Three of them are also outbound webhook events (`page.triggered`, `page.acknowledged`,
`page.escalated`), queued in the same transaction as the timeline event. The event key is the
page, what happened and the step it happened at (else the timeline event), so a repeat of the
same occurrence reaches each subscription once. An event about a restricted ticket goes only to
subscriptions that receive restricted tickets. The payload is built only when someone
subscribed.
"""

from dataclasses import dataclass
from typing import Any

from core.choices import EventKind, Source
from core.models import TicketBase, TimelineEvent, User
from core.tickets.describe import EventView, describes
from core.tickets.events import event_append
from core.tickets.visibility import is_restricted
from core.webhooks.emit import (
    PayloadData,
    WebhookEvent,
    person_data,
    ticket_kind,
    ticket_url,
    webhook_emit_many,
)
from oncall.models import Page

WEBHOOK_EVENTS = frozenset({"triggered", "acknowledged", "escalated"})


@dataclass(frozen=True)
class PageEvent:
    what: str
    page_id: int
    details: dict[str, Any]


def page_event(
    ticket: TicketBase,
    *,
    what: str,
    page_id: int,
    message: str,
    actor: User | None = None,
    source: str = Source.ONCALL,
    **details: Any,
) -> TimelineEvent:
    event = event_append(
        ticket,
        kind=EventKind.PAGE,
        actor=actor,
        source=source,
        changes={"what": what, "page_id": page_id, **details},
        message=message,
        is_public=False,
    )
    if what in WEBHOOK_EVENTS:
        _page_webhook(ticket, event, what=what, page_id=page_id, details=details)
    return event


def _page_webhook(
    ticket: TicketBase, event: TimelineEvent, *, what: str, page_id: int, details: dict[str, Any]
) -> None:
    step = details.get("step_key") or details.get("step") or event.pk

    def build() -> PayloadData:
        page = Page.objects.select_related("support_group", "acknowledged_by").get(pk=page_id)
        group = page.support_group
        tier = page.policy_snapshot[page.tier_index] if page.policy_snapshot else {}
        return {
            "page": {
                "id": page.pk,
                "status": page.status,
                "reason": page.reason,
                "message": page.message,
                "tier": tier.get("tier"),
                "policy": tier.get("policy"),
                "round": page.round,
                "step": page.step_index + 1,
                "created_at": page.created_at.isoformat(),
                "acknowledged_at": (
                    page.acknowledged_at.isoformat() if page.acknowledged_at else None
                ),
                "acknowledged_by": person_data(page.acknowledged_by),
                "acknowledged_via": page.acknowledged_via or None,
            },
            "group": {"id": group.pk, "name": group.name} if group else None,
            "ticket": {
                "number": page.ticket_number,
                "kind": ticket_kind(ticket),
                "title": ticket.title,
                "priority": page.priority,
                "url": ticket_url(ticket),
            },
            "actor": person_data(event.actor),
        }

    webhook_emit_many(
        [
            WebhookEvent(
                f"page.{what}",
                f"page:{page_id}:{what}:{step}",
                build,
                occurred_at=event.created_at,
                restricted=is_restricted(ticket),
            )
        ]
    )


def page_event_read(event: TimelineEvent) -> PageEvent:
    changes = dict(event.changes or {})
    return PageEvent(str(changes.pop("what", "")), int(changes.pop("page_id", 0) or 0), changes)


_VERBS = {
    "triggered": "paged the on-call",
    "notified": "notified the on-call",
    "acknowledged": "acknowledged the page",
    "escalated": "escalated the page",
    "exhausted": "ended the page: nobody acknowledged",
    "resolved": "ended the page",
}


@describes(EventKind.PAGE)
def _page(event: TimelineEvent, ticket: TicketBase) -> EventView:
    read = page_event_read(event)
    return EventView(_VERBS.get(read.what, "updated a page"), event.message, "system")
