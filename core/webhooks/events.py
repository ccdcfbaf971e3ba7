"""The catalogue of outbound webhook event types: what a subscription can ask for.

An event type is `<subject>.<what happened>`. The list is a constant: adding a type here (and a
place that emits it) is the whole change; subscriptions store the chosen types as a list.
"""

from dataclasses import dataclass

from core.exceptions import ValidationFailed


@dataclass(frozen=True)
class EventType:
    name: str
    description: str


EVENT_TYPES: tuple[EventType, ...] = (
    EventType("incident.created", "An incident was reported (portal, API, alert or email)."),
    EventType("incident.status_changed", "An incident moved to another lifecycle state."),
    EventType("incident.resolved", "An incident reached resolved (also sent as status_changed)."),
    EventType("request.created", "A service request was submitted."),
    EventType("request.status_changed", "A service request moved to another lifecycle state."),
    EventType("problem.created", "A problem was raised."),
    EventType("problem.status_changed", "A problem moved to another lifecycle state."),
    EventType("problem.resolved", "A problem reached resolved (also sent as status_changed)."),
    EventType("comment.created", "A public reply was added to a ticket (never internal notes)."),
    EventType("sla.warning", "An SLA clock crossed a warning threshold (e.g. 75 % used)."),
    EventType("sla.breached", "An SLA response or resolution target was breached."),
)

EVENT_TYPE_NAMES: frozenset[str] = frozenset(event.name for event in EVENT_TYPES)
EVENT_TYPE_CHOICES: list[tuple[str, str]] = [
    (e.name, f"{e.name} — {e.description}") for e in EVENT_TYPES
]

# Sent only on demand from the admin ("Send a test event"); nobody subscribes to it.
TEST_EVENT_TYPE = "webhook.test"


def event_types_clean(value: object) -> list[str]:
    """The event types of a subscription, checked against the catalogue, in catalogue order.

    Raises ValidationFailed({"event_types": ...}) for anything but a non-empty list of known types.
    """
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ValidationFailed({"event_types": "Give a list of event type names."})
    unknown = sorted(set(value) - EVENT_TYPE_NAMES)
    if unknown:
        raise ValidationFailed({"event_types": f"Unknown event type(s): {', '.join(unknown)}."})
    if not value:
        raise ValidationFailed({"event_types": "Choose at least one event type."})
    chosen = set(value)
    return [event.name for event in EVENT_TYPES if event.name in chosen]
