"""The SLO's own timeline event on the incident a fast burn opened: the burn ended, and what
the system did about the incident (core.tickets.kinds.Recovery: resolved it, or left it as it
is because agents worked on it, it is no longer open, or the lifecycle refused)."""

from dataclasses import dataclass

from core.choices import EventKind, Source
from core.models import TicketBase, TimelineEvent
from core.tickets.describe import EventView, describes
from core.tickets.events import event_append


@dataclass(frozen=True)
class BurnEnded:
    """`slo`: which objective's fast burn ended, and the outcome of the recovery (one of
    core.tickets.kinds' RECOVERY_* values)."""

    objective_id: int
    outcome: str

    def as_changes(self) -> dict[str, object]:
        return {"objective": self.objective_id, "auto_resolve": self.outcome}

    @classmethod
    def read(cls, event: TimelineEvent) -> "BurnEnded":
        changes = event.changes or {}
        return cls(int(changes.get("objective") or 0), str(changes.get("auto_resolve", "")))


def burn_ended_event(ticket: TicketBase, *, ended: BurnEnded, message: str) -> TimelineEvent:
    """The fast burn that opened `ticket` ended (internal, by the system)."""
    return event_append(
        ticket,
        kind=EventKind.SLO,
        actor=None,
        source=Source.SYSTEM,
        changes=ended.as_changes(),
        message=message,
        is_public=False,
    )


@describes(EventKind.SLO)
def _slo(event: TimelineEvent, ticket: TicketBase) -> EventView:
    return EventView("recorded that the SLO fast burn ended", event.message, "system")
