"""The catalogue of outbound webhook event types: what a subscription can ask for.

An event type is `<subject>.<what happened>`. The ticket kinds' types follow from the kind
registry, so a new kind is announced without a change here; subscriptions store the chosen types
as a list.
"""

from dataclasses import dataclass

from core.exceptions import ValidationFailed
from core.tickets.kinds import kinds


@dataclass(frozen=True)
class EventType:
    name: str
    description: str


# Events about tickets of no particular kind, after the kinds' own.
_GENERAL_EVENT_TYPES: tuple[EventType, ...] = (
    EventType("comment.created", "A public reply was added to a ticket (never internal notes)."),
    EventType("sla.warning", "An SLA clock crossed a warning threshold (e.g. 75 % used)."),
    EventType("sla.breached", "An SLA response or resolution target was breached."),
    EventType("page.triggered", "The on-call was paged for a ticket (by hand or by a rule)."),
    EventType("page.acknowledged", "Someone acknowledged a page: its escalation stopped."),
    EventType("page.escalated", "Nobody acknowledged in time: the page moved to its next step."),
    EventType(
        "slo.budget_exhausted",
        "A service spent the error budget of one of its objectives (once per episode).",
    ),
)


def event_types() -> tuple[EventType, ...]:
    """The catalogue: per registered ticket kind `<kind>.created`, `<kind>.status_changed` and
    (kinds that declare a resolved status) `<kind>.resolved`; then the general ones."""
    per_kind: list[EventType] = []
    for kind in kinds():
        noun = f"{'An' if kind.noun[:1] in 'aeiou' else 'A'} {kind.noun}"
        per_kind.append(EventType(f"{kind.name}.created", kind.created_description))
        per_kind.append(
            EventType(f"{kind.name}.status_changed", f"{noun} moved to another lifecycle state.")
        )
        if kind.resolved_status is not None:
            per_kind.append(
                EventType(
                    f"{kind.name}.resolved",
                    f"{noun} reached {kind.resolved_status} (also sent as status_changed).",
                )
            )
    return (*per_kind, *_GENERAL_EVENT_TYPES)


def event_type_choices() -> list[tuple[str, str]]:
    return [(e.name, f"{e.name} — {e.description}") for e in event_types()]


# Sent only on demand from the admin ("Send a test event"); nobody subscribes to it.
TEST_EVENT_TYPE = "webhook.test"


def event_types_clean(value: object) -> list[str]:
    """The event types of a subscription, checked against the catalogue, in catalogue order.

    Raises ValidationFailed({"event_types": ...}) for anything but a non-empty list of known types.
    """
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ValidationFailed({"event_types": "Give a list of event type names."})
    catalogue = event_types()
    unknown = sorted(set(value) - {event.name for event in catalogue})
    if unknown:
        raise ValidationFailed({"event_types": f"Unknown event type(s): {', '.join(unknown)}."})
    if not value:
        raise ValidationFailed({"event_types": "Choose at least one event type."})
    chosen = set(value)
    return [event.name for event in catalogue if event.name in chosen]
