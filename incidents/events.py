"""Timeline events only incidents have: what a monitoring alert did to the incident (fired,
repeated, recovered, joined a storm, could not auto-resolve)."""

from collections.abc import Mapping
from typing import Any

from core.choices import EventKind, Source
from core.models import TicketBase, TimelineEvent
from core.tickets.describe import EventView, describes
from core.tickets.events import event_build, event_record


def alert_event_build(
    incident: TicketBase, *, message: str, details: Mapping[str, Any]
) -> TimelineEvent:
    """An (unsaved) alert event, by the system through the alert source (internal). Intake
    appends a delivery's events together with core.tickets.events.events_record."""
    return event_build(
        incident,
        kind=EventKind.ALERT,
        actor=None,
        source=Source.ALERT,
        changes=details,
        message=message,
        is_public=False,
    )


def alert_event(incident: TicketBase, *, message: str, details: Mapping[str, Any]) -> TimelineEvent:
    return event_record(incident, alert_event_build(incident, message=message, details=details))


@describes(EventKind.ALERT)
def _alert(event: TimelineEvent, ticket: TicketBase) -> EventView:
    return EventView("recorded a monitoring alert", event.message, "markdown")
