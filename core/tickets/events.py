"""The timeline's vocabulary: one typed constructor per event kind (STYLE.md, "Events have a
vocabulary", after Saleor's order/events.py).

Every write path — a transition, a comment, the SLA sweeper's batch, alert intake — appends its
events through these functions, and every appended event is offered to outbound webhooks the
same way (`event_record`, `events_record`), and to paging's priority triggers
(core.tickets.paging_hooks). What an event *means* is read back in one place,
`core.tickets.describe.describe`, used by every timeline and by the webhooks that announce an
event; nothing else reads an event's JSON or compares its message.

Call these inside the transaction of the change they record. Kind-specific events (alerts,
fulfilment tasks, change approvals) have their constructors in their app's `events.py`, built on
`event_build`/`event_record` below, and their descriptions registered with
`core.tickets.describe.describes`. Links between tickets and closing the loop over them are
shared by the kinds that link (problems and their incidents, changes and their problems), so
their constructors are here.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.choices import EventKind, Source
from core.models import Attachment, Comment, TicketBase, TimelineEvent, User
from core.tickets.describe import RESOLVED_PREFIX, describe
from core.tickets.paging_hooks import paging_after_events
from core.tickets.payloads import Assignment, Rating, TierMove
from core.webhooks.emit import webhook_emit_for_timeline_event, webhook_emit_for_timeline_events


def jsonable(value: Any) -> Any:
    """A field value as the timeline stores it: objects by their name, instants as ISO text."""
    if hasattr(value, "pk"):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def event_build(
    ticket: TicketBase,
    *,
    kind: str,
    actor: User | None,
    source: str,
    changes: Mapping[str, Any] | None = None,
    message: str = "",
    is_public: bool = True,
    from_status: str = "",
    to_status: str = "",
    comment: Comment | None = None,
    attachment: Attachment | None = None,
) -> TimelineEvent:
    """An unsaved event (for the constructors below and for writers that append in bulk)."""
    return TimelineEvent(
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        actor=actor,
        source=source,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        changes={name: jsonable(value) for name, value in (changes or {}).items()},
        message=message,
        is_public=is_public,
        comment=comment,
        attachment=attachment,
        created_at=timezone.now(),
    )


def event_record(ticket: TicketBase, event: TimelineEvent) -> TimelineEvent:
    """Append one built event and offer it to outbound webhooks (creations, status changes and
    public replies are announced; core.webhooks.emit)."""
    event.save()
    webhook_emit_for_timeline_event(
        event=event, ticket=ticket, comment=event.comment, describe=describe
    )
    paging_after_events([(ticket, event)])
    return event


def event_append(ticket: TicketBase, **fields: Any) -> TimelineEvent:
    """Build and record one event (`fields` as event_build takes them)."""
    return event_record(ticket, event_build(ticket, **fields))


def events_record(pairs: Iterable[tuple[TicketBase, TimelineEvent]]) -> list[TimelineEvent]:
    """Append many built events with one INSERT, announced to webhooks exactly as
    `event_record` would announce each (the batch paths: SLA sweeper, escalation, alerts)."""
    pairs = list(pairs)
    if not pairs:
        return []
    events = TimelineEvent.objects.bulk_create([event for _, event in pairs])
    webhook_emit_for_timeline_events(pairs, describe=describe)
    paging_after_events(pairs)
    return events


# --- Constructors -----------------------------------------------------------------------------


def created_event(
    ticket: TicketBase,
    *,
    actor: User | None,
    source: str,
    to_status: str,
    fields: Mapping[str, Any],
    message: str = "",
    is_public: bool = True,
    converted_from: str = "",
) -> TimelineEvent:
    """The ticket was opened (by `actor`, or by the system for the requester when None).
    `converted_from` names the ticket it was converted from."""
    changes = {**fields, "converted_from": converted_from} if converted_from else fields
    return event_append(
        ticket,
        kind=EventKind.CREATED,
        actor=actor,
        source=source,
        to_status=to_status,
        changes=changes,
        message=message,
        is_public=is_public,
    )


def status_changed_event(
    ticket: TicketBase,
    *,
    actor: User | None,
    source: str,
    from_status: str,
    to_status: str,
    fields: Mapping[str, Any],
    message: str = "",
    is_public: bool = True,
) -> TimelineEvent:
    """A lifecycle transition, with the fields it set (already redacted by the executor)."""
    return event_append(
        ticket,
        kind=EventKind.STATUS_CHANGED,
        actor=actor,
        source=source,
        from_status=from_status,
        to_status=to_status,
        changes=fields,
        message=message,
        is_public=is_public,
    )


def details_edited_event(
    ticket: TicketBase,
    *,
    actor: User | None,
    source: str,
    fields: Mapping[str, Any],
    message: str = "",
) -> TimelineEvent:
    """Fields changed outside the lifecycle (title, description, analysis, review...); for
    agents only, like the edit itself."""
    return event_append(
        ticket,
        kind=EventKind.FIELDS_CHANGED,
        is_public=False,
        actor=actor,
        source=source,
        changes=fields,
        message=message,
    )


def assigned_event(
    ticket: TicketBase, *, actor: User, source: str, assignment: Assignment
) -> TimelineEvent:
    """The assignee and/or the group changed (internal: the requester is not shown who)."""
    return event_append(
        ticket,
        kind=EventKind.ASSIGNED,
        actor=actor,
        source=source,
        changes=assignment.as_changes(),
        is_public=False,
    )


def commented_event(ticket: TicketBase, *, comment: Comment, source: str) -> TimelineEvent:
    """A public reply (announced as `comment.created`) or an internal note."""
    return event_append(
        ticket,
        kind=EventKind.COMMENTED,
        actor=comment.author,
        source=source,
        is_public=not comment.is_internal,
        comment=comment,
    )


def attached_event(ticket: TicketBase, *, attachment: Attachment, source: str) -> TimelineEvent:
    return event_append(
        ticket,
        kind=EventKind.ATTACHED,
        actor=attachment.uploaded_by,
        source=source,
        message=attachment.original_name,
        is_public=not attachment.is_internal,
        attachment=attachment,
    )


def tier_moved_event_build(
    ticket: TicketBase,
    *,
    actor: User | None,
    source: str,
    move: TierMove,
    reason: str,
) -> TimelineEvent:
    """An (unsaved) escalation or de-escalation: single moves record it at once, the sweeper's
    batches with events_record."""
    return event_build(
        ticket,
        kind=EventKind.ESCALATED if move.to_tier > move.from_tier else EventKind.DEESCALATED,
        actor=actor,
        source=source,
        changes=move.as_changes(),
        message=reason,
        is_public=False,
    )


def sla_event_build(
    ticket: TicketBase,
    *,
    actor: User | None,
    source: str,
    message: str,
    details: Mapping[str, Any] | None = None,
) -> TimelineEvent:
    """An (unsaved) SLA note: a warning, a breach, a refused escalation, re-targeted clocks.
    `message` may carry ISO instants; pages show them in local time."""
    return event_build(
        ticket,
        kind=EventKind.SLA,
        actor=actor,
        source=source,
        changes=details,
        message=message,
        is_public=False,
    )


def rated_event(
    ticket: TicketBase,
    *,
    actor: User,
    source: str,
    rating: Rating,
    label: str,
    comment: str,
) -> TimelineEvent:
    """The requester rated the outcome (internal: the requester sees their rating on the page).
    The message quotes the comment."""
    if rating.previous_score is None:
        message = f"Rated the outcome {rating.satisfaction_score} of 5 ({label})."
    else:
        message = (
            f"Changed the rating from {rating.previous_score} to "
            f"{rating.satisfaction_score} of 5 ({label})."
        )
    if comment:
        quoted = "\n".join(f"> {line}" if line else ">" for line in comment.splitlines())
        message = f"{message}\n\n{quoted}"
    return event_append(
        ticket,
        kind=EventKind.RATED,
        actor=actor,
        source=source,
        changes=rating.as_changes(),
        message=message,
        is_public=False,
    )


def review_event(
    ticket: TicketBase, *, actor: User, source: str, message: str, completed: bool = False
) -> TimelineEvent:
    """The ticket's post-incident review was started (or, `completed`, finished)."""
    return event_append(
        ticket,
        kind=EventKind.REVIEW,
        actor=actor,
        source=source,
        changes={"completed": True} if completed else {},
        message=message,
        is_public=False,
    )


def linked_events_build(
    ticket: TicketBase,
    other: TicketBase,
    *,
    actor: User,
    source: str,
    messages: tuple[str, str],
    linked: bool = True,
) -> list[tuple[TicketBase, TimelineEvent]]:
    """The two unsaved events of a link between `ticket` and `other` made (or, linked=False,
    removed), one on each timeline, `messages` being (what `ticket`'s says, what `other`'s
    says), for `events_record` (each side of a link has its own wording; internal)."""
    kind = EventKind.LINKED if linked else EventKind.UNLINKED
    return [
        (
            side,
            event_build(
                side,
                kind=kind,
                actor=actor,
                source=source,
                changes={"other": far.number},
                message=message,
                is_public=False,
            ),
        )
        for side, far, message in ((ticket, other, messages[0]), (other, ticket, messages[1]))
    ]


def linked_events(
    ticket: TicketBase,
    other: TicketBase,
    *,
    actor: User,
    source: str,
    messages: tuple[str, str],
    linked: bool = True,
) -> None:
    """A link between `ticket` and `other` made (or removed): its two events recorded
    (`linked_events_build`)."""
    events_record(
        linked_events_build(
            ticket, other, actor=actor, source=source, messages=messages, linked=linked
        )
    )


def linked_resolved_event(
    ticket: TicketBase,
    *,
    actor: User,
    source: str,
    noun: str,
    resolved_with: str,
    resolved: Sequence[str],
    refused: Sequence[str],
) -> TimelineEvent:
    """Closing the loop: which of the tickets linked to `ticket` (`noun`, plural: "incidents")
    its fix resolved, which refused and why. `resolved_with` opens the list of the resolved
    ("Resolved with the fix"). The count is stored as `resolved_<noun>`, which the timeline
    reads back (core.tickets.describe)."""
    lines = []
    if resolved:
        lines.append(f"{resolved_with}: {', '.join(resolved)}.")
    if refused:
        lines.append(f"Not resolved: {'; '.join(refused)}")
    return event_append(
        ticket,
        kind=EventKind.LINKED_RESOLVED,
        actor=actor,
        source=source,
        changes={f"{RESOLVED_PREFIX}{noun}": len(resolved), "not_resolved": len(refused)},
        message="\n\n".join(lines),
        is_public=False,
    )


def email_bounced_event(
    ticket: TicketBase,
    *,
    recipient: str,
    status: str,
    diagnostic: str,
    message_id: str,
    inbound_email_id: int | None = None,
) -> TimelineEvent:
    """An email about the ticket (`message_id`) could not be delivered to `recipient`: a bounce
    the desk received (`inbound_email_id`, the stored report). Internal: the requester is not
    shown other people's addresses."""
    if status and status not in diagnostic:
        reason = f"{status} {diagnostic}".strip()
    else:
        reason = diagnostic or "no reason given"
    return event_append(
        ticket,
        kind=EventKind.EMAIL_BOUNCED,
        actor=None,
        source=Source.EMAIL,
        changes={
            "recipient": recipient,
            "status": status,
            "diagnostic": diagnostic,
            "message_id": message_id,
            "inbound_email_id": inbound_email_id,
        },
        message=f"Email to {recipient} could not be delivered: {reason}",
        is_public=False,
    )
