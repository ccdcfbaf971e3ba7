"""The timeline's words for paging: one event kind, `page`, with what happened in `changes`
("what": triggered, notified, acknowledged, escalated, exhausted, resolved). Internal: the
requester is not shown who was woken up."""

from dataclasses import dataclass
from typing import Any

from core.choices import EventKind, Source
from core.models import TicketBase, TimelineEvent, User
from core.tickets.describe import EventView, describes
from core.tickets.events import event_append


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
    return event_append(
        ticket,
        kind=EventKind.PAGE,
        actor=actor,
        source=source,
        changes={"what": what, "page_id": page_id, **details},
        message=message,
        is_public=False,
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
