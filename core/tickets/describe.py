"""What a timeline event means, in words: the one reading of events that every timeline, email
and webhook uses (core.tickets.events writes them).

`describe(event, ticket)` returns an `EventView`: the verb after the actor's name ("claimed
it", "escalated L1 → L2 (Network)"), the body to show (Markdown the user wrote, or a system
text whose ISO instants the page shows in local time), the changed fields in words for agents,
and a short note. Apps register the meaning of their own event kinds with `@describes(kind)`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model

from core.choices import EventKind
from core.models import TicketBase, TimelineEvent
from core.tickets.kinds import find_kind
from core.tickets.payloads import Assignment, Rating, TierMove


@dataclass(frozen=True)
class EventView:
    verb: str
    # Text to show under the head: "markdown" (people's words), "system" (ours, with ISO
    # instants to localise) or "" (nothing; comments and files have their own rendering).
    body: str = ""
    body_format: str = ""
    # (label, readable value) pairs, shown to agents.
    changes: tuple[tuple[str, str], ...] = ()
    note: str = ""

    @property
    def sentence(self) -> str:
        """The verb as the start of a plain-text line (emails, webhook summaries)."""
        return self.verb


Describer = Callable[[TimelineEvent, TicketBase], EventView]
_DESCRIBERS: dict[str, Describer] = {}


def describes(kind: str) -> Callable[[Describer], Describer]:
    """Register the description of one event kind (apps do it for their own kinds)."""

    def register(describer: Describer) -> Describer:
        _DESCRIBERS[kind] = describer
        return describer

    return register


def describe(event: TimelineEvent, ticket: TicketBase) -> EventView:
    describer = _DESCRIBERS.get(event.kind)
    if describer is None:
        return EventView(event.get_kind_display().lower(), *_message_body(event))
    return describer(event, ticket)


# --- Readable values --------------------------------------------------------------------------


def choice_label(model: type[Model], field_name: str, value: Any) -> str:
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return str(value)
    for choice_value, label in getattr(field, "flatchoices", ()) or ():
        if str(choice_value) == str(value):
            return str(label)
    return str(value)


def readable_value(model: type[Model], name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if name == "tier" and isinstance(value, int):
        return f"L{value}"
    return choice_label(model, name, value)


def readable_name(model: type[Model], name: str) -> str:
    try:
        field = model._meta.get_field(name)
        verbose = str(getattr(field, "verbose_name", name.replace("_", " ")))
    except FieldDoesNotExist:
        verbose = name.replace("_", " ")
    return verbose[:1].upper() + verbose[1:]


def readable_changes(
    ticket: TicketBase, event: TimelineEvent, *, skip: frozenset[str] = frozenset()
) -> tuple[tuple[str, str], ...]:
    """The event's changed fields in words. A note that is already the event's message is
    left out, so it is not shown twice."""
    model = type(ticket)
    message = (event.message or "").strip()
    pairs = []
    for name, value in (event.changes or {}).items():
        if name in skip:
            continue
        if isinstance(value, str) and value.strip() and value.strip() == message:
            continue
        pairs.append((readable_name(model, name), readable_value(model, name, value)))
    return tuple(pairs)


def span_words(seconds: float | None) -> str:
    """A wall-clock length for the timeline: "<1m", "45m", "3h 10m", "2d 4h"."""
    if seconds is None:
        return ""
    minutes = int(max(0, seconds) // 60)
    if minutes < 1:
        return "<1m"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes}m"
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def _message_body(event: TimelineEvent, body_format: str = "markdown") -> tuple[str, str]:
    return (event.message, body_format) if event.message else ("", "")


# --- The kernel's event kinds -----------------------------------------------------------------


@describes(EventKind.CREATED)
def _created(event: TimelineEvent, ticket: TicketBase) -> EventView:
    kind = find_kind(ticket)
    origin = (event.changes or {}).get("converted_from")
    if origin:
        verb = f"converted {origin} into this {kind.noun if kind else 'ticket'}"
    else:
        verb = kind.created_verb if kind is not None else "created it"
    return EventView(
        verb, *_message_body(event), changes=readable_changes(ticket, event, skip=_ORIGIN)
    )


_ORIGIN = frozenset({"converted_from"})


@describes(EventKind.STATUS_CHANGED)
def _status_changed(event: TimelineEvent, ticket: TicketBase) -> EventView:
    return EventView(
        "changed the status", *_message_body(event), changes=readable_changes(ticket, event)
    )


@describes(EventKind.FIELDS_CHANGED)
def _fields_changed(event: TimelineEvent, ticket: TicketBase) -> EventView:
    changes = event.changes or {}
    # Events written before their kinds had their own: conversions, tasks, problem links.
    if "converted_from" in changes:
        return EventView(
            f"converted {changes['converted_from']} into this ticket", *_message_body(event)
        )
    legacy = _LEGACY_DETAIL_VERBS.get(next(iter(changes), ""), "")
    if legacy:
        return EventView(legacy, *_message_body(event), changes=readable_changes(ticket, event))
    if "task" in changes:
        verb = "finished a task" if changes.get("done") else "reopened a task"
        return EventView(verb, *_message_body(event))
    return EventView(
        "edited the details", *_message_body(event), changes=readable_changes(ticket, event)
    )


_LEGACY_DETAIL_VERBS = {
    "linked_incident": "changed the linked incidents",
    "unlinked_incident": "changed the linked incidents",
    "problem": "changed the linked problem",
    "resolved_incidents": "resolved the linked incidents",
}


@describes(EventKind.ASSIGNED)
def _assigned(event: TimelineEvent, ticket: TicketBase) -> EventView:
    assignment = Assignment.read(event)
    if assignment.claimed:
        return EventView("claimed it")
    skip = frozenset({"claimed"})
    return EventView("changed the assignment", changes=readable_changes(ticket, event, skip=skip))


@describes(EventKind.COMMENTED)
def _commented(event: TimelineEvent, ticket: TicketBase) -> EventView:
    kind = find_kind(ticket)
    if kind is not None and not kind.has_portal:
        return EventView("added a note")
    comment = event.comment
    internal = comment.is_internal if comment is not None else not event.is_public
    return EventView("added an internal note" if internal else "replied")


@describes(EventKind.ATTACHED)
def _attached(event: TimelineEvent, ticket: TicketBase) -> EventView:
    return EventView("attached a file")


def _tier_moved(event: TimelineEvent, ticket: TicketBase) -> EventView:
    move = TierMove.read(event)
    verb = "escalated" if event.kind == EventKind.ESCALATED else "de-escalated"
    route = f"L{move.from_tier} → L{move.to_tier}" if move.from_tier and move.to_tier else ""
    # Older events recorded groups as str(group), "Name (L2)"; the route already says the tier.
    group = move.to_group.removesuffix(f" (L{move.to_tier})")
    spent = (
        span_words(move.time_in_tier_seconds)
        if "time_in_tier_seconds" in (event.changes or {})
        else ""
    )
    return EventView(
        " ".join(part for part in (verb, route, f"({group})" if group else "") if part),
        *_message_body(event, "system"),
        note=f"After {spent} in L{move.from_tier}." if spent and move.from_tier else "",
    )


describes(EventKind.ESCALATED)(_tier_moved)
describes(EventKind.DEESCALATED)(_tier_moved)


@describes(EventKind.SLA)
def _sla(event: TimelineEvent, ticket: TicketBase) -> EventView:
    return EventView("updated the SLA", *_message_body(event, "system"))


@describes(EventKind.RATED)
def _rated(event: TimelineEvent, ticket: TicketBase) -> EventView:
    rating = Rating.read(event)
    return EventView(
        "rated the outcome",
        *_message_body(event),
        changes=(("Satisfaction score", f"{rating.satisfaction_score} of 5"),)
        if rating.satisfaction_score
        else (),
    )


@describes(EventKind.REVIEW)
def _review(event: TimelineEvent, ticket: TicketBase) -> EventView:
    completed = bool((event.changes or {}).get("completed"))
    verb = "completed the post-incident review" if completed else "started the post-incident review"
    return EventView(verb, *_message_body(event))


@describes(EventKind.LINKED)
def _linked(event: TimelineEvent, ticket: TicketBase) -> EventView:
    return EventView("changed the linked tickets", event.message, "markdown")


describes(EventKind.UNLINKED)(_linked)

# core.tickets.events.linked_resolved_event counts the resolved as `resolved_<plural noun>`.
RESOLVED_PREFIX = "resolved_"


@describes(EventKind.LINKED_RESOLVED)
def _linked_resolved(event: TimelineEvent, ticket: TicketBase) -> EventView:
    counted = next((name for name in event.changes or {} if name.startswith(RESOLVED_PREFIX)), "")
    noun = counted.removeprefix(RESOLVED_PREFIX) or "tickets"
    return EventView(f"resolved the linked {noun}", event.message, "markdown")


@describes(EventKind.EMAIL_BOUNCED)
def _email_bounced(event: TimelineEvent, ticket: TicketBase) -> EventView:
    recipient = str((event.changes or {}).get("recipient", ""))
    verb = (
        f"could not deliver an email to {recipient}" if recipient else "could not deliver an email"
    )
    return EventView(verb, *_message_body(event, "system"))
