"""Timeline events only changes write: links to the problems a change fixes and the incidents it
caused (on both timelines), approval decisions, and closing the loop (the problems the change's
implementation resolved, and those it could not)."""

from collections.abc import Sequence

from core.choices import EventKind
from core.models import TicketBase, TimelineEvent, User
from core.tickets.describe import EventView, describes
from core.tickets.events import event_append


def change_linked_event(
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


def approval_decided_event(
    change: TicketBase, *, actor: User, source: str, decision: str, comment: str
) -> TimelineEvent:
    """One member of the change advisory group decided (internal)."""
    return event_append(
        change,
        kind=EventKind.FIELDS_CHANGED,
        actor=actor,
        source=source,
        changes={"approval": decision},
        message=comment,
        is_public=False,
    )


def problems_resolved_event(
    change: TicketBase,
    *,
    actor: User,
    source: str,
    resolved: Sequence[str],
    refused: Sequence[str],
) -> TimelineEvent:
    """Closing the loop: which linked problems the change resolved, which refused and why."""
    lines = []
    if resolved:
        lines.append(f"Resolved with this change: {', '.join(resolved)}.")
    if refused:
        lines.append(f"Not resolved: {'; '.join(refused)}")
    return event_append(
        change,
        kind=EventKind.LINKED_RESOLVED,
        actor=actor,
        source=source,
        changes={"resolved_problems": len(resolved), "not_resolved": len(refused)},
        message="\n\n".join(lines),
        is_public=False,
    )


@describes(EventKind.LINKED_RESOLVED)
def _linked_resolved(event: TimelineEvent, ticket: TicketBase) -> EventView:
    # Problems write this kind too (their incidents resolved with the fix); a change's event
    # counts the problems its implementation resolved.
    noun = "problems" if "resolved_problems" in event.changes else "incidents"
    return EventView(f"resolved the linked {noun}", event.message, "markdown")
