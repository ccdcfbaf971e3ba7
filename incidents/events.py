"""Timeline events only incidents have: what a monitoring alert did to the incident (fired,
repeated, recovered, joined a storm, could not auto-resolve), and a change of category outside
classification (which may make it a restricted security incident)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.choices import EventKind, Source
from core.models import TicketBase, TimelineEvent, User
from core.tickets.describe import EventView, describes
from core.tickets.events import event_build, event_record
from incidents.choices import Category


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


@dataclass(frozen=True)
class Recategorization:
    """`recategorized`: the category before and after. Moving to or from security changes who
    sees the incident (incidents.visibility), which the timeline says."""

    from_category: str
    to_category: str

    def as_changes(self) -> dict[str, str]:
        return {"from_category": self.from_category, "category": self.to_category}

    @classmethod
    def read(cls, event: TimelineEvent) -> "Recategorization":
        changes = event.changes or {}
        return cls(str(changes.get("from_category", "")), str(changes.get("category", "")))

    @property
    def restricts(self) -> bool:
        return self.to_category == Category.SECURITY != self.from_category

    @property
    def lifts_restriction(self) -> bool:
        return self.from_category == Category.SECURITY != self.to_category


def recategorized_event(
    incident: TicketBase,
    *,
    actor: User,
    source: str,
    change: Recategorization,
    reason: str,
) -> TimelineEvent:
    """The category changed outside classification, with the reason (internal)."""
    return event_record(
        incident,
        event_build(
            incident,
            kind=EventKind.RECATEGORIZED,
            actor=actor,
            source=source,
            changes=change.as_changes(),
            message=reason,
            is_public=False,
        ),
    )


def _category_words(value: str) -> str:
    return str(Category(value).label) if value in Category.values else (value or "none")


@describes(EventKind.RECATEGORIZED)
def _recategorized(event: TimelineEvent, ticket: TicketBase) -> EventView:
    change = Recategorization.read(event)
    verb = (
        f"changed the category from {_category_words(change.from_category)} "
        f"to {_category_words(change.to_category)}"
    )
    note = ""
    if change.restricts:
        note = "Now visible only to the security team, the assignee, the requester and managers."
    elif change.lifts_restriction:
        note = "Visible to every agent again."
    return EventView(verb, event.message, "markdown", note=note)
