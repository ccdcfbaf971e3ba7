"""Timeline events only changes write: approval decisions. Links (to the problems a change
fixes, the incidents it caused) and closing the loop are the kernel's (core.tickets.events)."""

from core.choices import EventKind
from core.models import TicketBase, TimelineEvent, User
from core.tickets.events import event_append


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
