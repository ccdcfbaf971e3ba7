"""Timeline events only problems write: incidents linked and unlinked (on both timelines), and
the linked incidents resolved with the fix."""

from collections.abc import Sequence

from core.choices import EventKind
from core.models import TicketBase, TimelineEvent, User
from core.tickets.describe import EventView, describes
from core.tickets.events import event_append


def linked_event(
    ticket: TicketBase,
    *,
    other: TicketBase,
    actor: User,
    source: str,
    message: str,
    linked: bool = True,
) -> TimelineEvent:
    """`ticket` was linked to (or, with linked=False, unlinked from) `other` (internal); each
    side of a link gets its own event with its own wording."""
    return event_append(
        ticket,
        kind=EventKind.LINKED if linked else EventKind.UNLINKED,
        actor=actor,
        source=source,
        changes={"other": other.number},
        message=message,
        is_public=False,
    )


def linked_resolved_event(
    problem: TicketBase,
    *,
    actor: User,
    source: str,
    resolved: Sequence[str],
    refused: Sequence[str],
) -> TimelineEvent:
    """Closing the loop: which linked incidents the fix resolved, which refused and why."""
    lines = []
    if resolved:
        lines.append(f"Resolved with the fix: {', '.join(resolved)}.")
    if refused:
        lines.append(f"Not resolved: {'; '.join(refused)}")
    return event_append(
        problem,
        kind=EventKind.LINKED_RESOLVED,
        actor=actor,
        source=source,
        changes={"resolved_incidents": len(resolved), "not_resolved": len(refused)},
        message="\n\n".join(lines),
        is_public=False,
    )


@describes(EventKind.LINKED)
def _linked(event: TimelineEvent, ticket: TicketBase) -> EventView:
    return EventView("changed the linked tickets", event.message, "markdown")


describes(EventKind.UNLINKED)(_linked)


@describes(EventKind.LINKED_RESOLVED)
def _linked_resolved(event: TimelineEvent, ticket: TicketBase) -> EventView:
    return EventView("resolved the linked incidents", event.message, "markdown")
