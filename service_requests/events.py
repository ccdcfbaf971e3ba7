"""Timeline events only service requests have: a fulfilment task ticked or reopened."""

from core.choices import EventKind
from core.models import TicketBase, TimelineEvent, User
from core.tickets.describe import EventView, describes
from core.tickets.events import event_append


def task_updated_event(
    request: TicketBase, *, actor: User, source: str, title: str, done: bool
) -> TimelineEvent:
    """A fulfilment task was ticked (`done`) or reopened (internal)."""
    return event_append(
        request,
        kind=EventKind.TASK_UPDATED,
        actor=actor,
        source=source,
        changes={"task": title, "done": done},
        message=f"{'Done' if done else 'Reopened'}: {title}",
        is_public=False,
    )


@describes(EventKind.TASK_UPDATED)
def _task_updated(event: TimelineEvent, ticket: TicketBase) -> EventView:
    done = bool((event.changes or {}).get("done"))
    return EventView("finished a task" if done else "reopened a task", event.message, "markdown")
