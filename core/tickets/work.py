"""Writes every kind shares: hold, resume, cancel, assignment, claiming, editing the title and
description, and replies/notes. A kind's services module re-exports these under its own typed
names (`incident_hold = ticket_hold` is not needed: callers may use these directly).

Each opens its own transaction (joining the caller's) and refuses with a domain error that
changes nothing.
"""

from typing import Protocol, TypeVar

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.choices import Source
from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.models import Comment, SupportGroup, TicketBase, User
from core.roles import is_agent
from core.services import comment_add
from core.tickets.events import assigned_event, details_edited_event
from core.tickets.executor import (
    check_field_choice,
    refuse_unless_open,
    ticket_lock,
    ticket_save,
    transition_run,
)
from core.tickets.kinds import kind_of
from core.tickets.notify import notify_agent, notify_requester
from core.tickets.payloads import Assignment

T = TypeVar("T", bound=TicketBase)


class NotesStep(Protocol):
    """A service made by `notes_step`: service(ticket, actor=..., <field>="...", ...)."""

    def __call__(
        self,
        ticket: T,
        *,
        actor: User,
        source: str = Source.WEB,
        expected_version: int | None = None,
        **notes: str,
    ) -> T: ...


def notes_step(action: str, field: str) -> NotesStep:
    """The service of a lifecycle action whose only input is working notes (an incident's
    contain and diagnose): `field` gets the notes, trimmed, and the event shows them as its
    message, for agents only. A required field left empty is refused by the lifecycle."""

    def service(
        ticket: T,
        *,
        actor: User,
        source: str = Source.WEB,
        expected_version: int | None = None,
        **notes: str,
    ) -> T:
        if set(notes) != {field}:
            raise TypeError(f"{action} takes {field}=..., not {sorted(notes)}")
        text = (notes[field] or "").strip()
        return transition_run(
            ticket,
            action=action,
            actor=actor,
            source=source,
            expected_version=expected_version,
            is_public=False,
            values={field: text},
            message=text,
        )

    service.__name__ = service.__qualname__ = f"ticket_{action}"
    return service


def _has_field(ticket: TicketBase, name: str) -> bool:
    return any(field.name == name for field in ticket._meta.concrete_fields)


def ticket_hold(
    ticket: T,
    *,
    actor: User | None,
    on_hold_reason: str,
    note: str = "",
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> T:
    """-> on_hold with a reason (one of the kind's hold reasons); remembers the status to
    resume to. The kind's clocks pause (ClockRules.pause_in)."""
    if on_hold_reason:
        check_field_choice(type(ticket), "on_hold_reason", on_hold_reason)
    return transition_run(
        ticket,
        action="hold",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values=lambda locked: {
            "on_hold_reason": on_hold_reason,
            "status_before_hold": locked.status,
        },
        message=(note or "").strip(),
    )


def ticket_resume(
    ticket: T,
    *,
    actor: User | None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> T:
    """on_hold -> the status it had before the hold; the clocks run again."""
    return transition_run(
        ticket,
        action="resume",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values={"on_hold_reason": "", "status_before_hold": ""},
    )


def ticket_cancel(
    ticket: T,
    *,
    actor: User | None,
    cancel_reason: str,
    note: str = "",
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> T:
    """-> cancelled (final), with a reason (a choice where the kind has a list of them); the
    clocks are cancelled."""
    if cancel_reason:
        check_field_choice(type(ticket), "cancel_reason", cancel_reason)
    values = {"cancel_reason": cancel_reason}
    if _has_field(ticket, "status_before_hold"):
        values.update(on_hold_reason="", status_before_hold="")
    return transition_run(
        ticket,
        action="cancel",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values=values,
        message=(note or "").strip(),
    )


def ticket_close(
    ticket: T,
    *,
    actor: User | None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> T:
    """-> closed (final): the requester confirms, an agent closes, or the system auto-closes."""
    return transition_run(
        ticket, action="close", actor=actor, source=source, expected_version=expected_version
    )


def _refuse_non_agent(actor: User, doing: str) -> None:
    if not is_agent(actor):
        raise TransitionError(f"Only agents can {doing}.")


def ticket_assign(
    ticket: T,
    *,
    actor: User,
    assignee: User | None,
    support_group: SupportGroup | None = None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> T:
    """Assign to an agent (or nobody) and/or a group; the tier follows the group. The new
    assignee is emailed unless they assigned themselves. Changing nothing records nothing."""
    kind = kind_of(ticket)
    _refuse_non_agent(actor, f"assign {kind.noun}s")
    if assignee is not None and not (assignee.is_active and is_agent(assignee)):
        raise ValidationFailed({"assignee": f"{assignee} is not an active agent."})
    with transaction.atomic():
        locked = ticket_lock(ticket, expected_version)
        refuse_unless_open(locked)
        assignment = Assignment()
        if locked.assignee_id != (assignee.pk if assignee else None):
            locked.assignee = assignee
            assignment = Assignment(
                assignee=str(assignee) if assignee else None, unassigned=assignee is None
            )
        if support_group is not None and locked.support_group_id != support_group.pk:
            locked.support_group = support_group
            moved_tier = support_group.tier if locked.tier != support_group.tier else None
            locked.tier = support_group.tier
            assignment = Assignment(
                assignee=assignment.assignee,
                unassigned=assignment.unassigned,
                support_group=str(support_group),
                tier=moved_tier,
            )
        if assignment.is_empty:
            return locked
        ticket_save(locked, {"assignee", "support_group", "tier"})
        assigned_event(locked, actor=actor, source=source, assignment=assignment)
        if assignee is not None and assignee.pk != actor.pk:
            notify_agent(
                locked,
                assignee,
                subject=f"Assigned to you: {locked.title}",
                body=f"{actor} assigned {locked.number} to you.",
                key=f"assigned:{locked.version}",
            )
    return locked


def ticket_claim(ticket: T, *, actor: User, source: str = Source.WEB) -> T:
    """Assign an unassigned open ticket to the acting agent. Of many agents claiming at once,
    exactly one wins (a conditional UPDATE); the others get a ConflictError."""
    kind = kind_of(ticket)
    _refuse_non_agent(actor, f"claim {kind.noun}s")
    model = type(ticket)
    with transaction.atomic():
        won = model._default_manager.filter(
            pk=ticket.pk, assignee__isnull=True, status__in=sorted(kind.lifecycle.open)
        ).update(assignee=actor, version=F("version") + 1, updated_at=timezone.now())
        fresh = model._default_manager.select_related("assignee").get(pk=ticket.pk)
        if not won:
            if fresh.assignee_id:
                raise ConflictError(f"{fresh.number} is already assigned to {fresh.assignee}.")
            refuse_unless_open(fresh)
            raise ConflictError(f"{fresh.number} could not be claimed; reload and try again.")
        assigned_event(
            fresh,
            actor=actor,
            source=source,
            assignment=Assignment(assignee=str(actor), claimed=True),
        )
    return fresh


def ticket_update_details(
    ticket: T,
    *,
    actor: User,
    title: str,
    description: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> T:
    """Edit the title and description (agents), refused when the ticket changed meanwhile."""
    kind = kind_of(ticket)
    title = (title or "").strip()
    if not title:
        raise ValidationFailed({"title": "The title cannot be empty."})
    if len(title) > 200:
        raise ValidationFailed({"title": "Keep the title under 200 characters."})
    _refuse_non_agent(actor, f"edit {kind.noun}s")
    with transaction.atomic():
        locked = ticket_lock(ticket, expected_version)
        refuse_unless_open(locked)
        fields: dict[str, str] = {}
        if locked.title != title:
            fields["title"] = locked.title = title
        if locked.description != description:
            locked.description = description
            fields["description"] = "(edited)"
        if not fields:
            return locked
        ticket_save(locked, {"title", "description"})
        details_edited_event(locked, actor=actor, source=source, fields=fields)
    return locked


def public_reply_refusal(ticket: TicketBase) -> str:
    """Why an agent's public reply on `ticket` would reach nobody, as the end of "No public
    reply: …" ("" when it reaches the requester): the kind is not followed in the portal, the
    kind declares it takes notes only (`no_public_reply`: a change's requester is an agent), or
    the requester can neither sign in nor read email (an alert integration's reporter,
    incidents.alerts: inactive, no email)."""
    kind = kind_of(ticket)
    if not kind.has_portal:
        return f"requesters do not follow {kind.plural}, so nobody would read it."
    if kind.no_public_reply:
        return kind.no_public_reply
    requester = ticket.requester
    if requester.is_active or requester.email:
        return ""
    return (
        f"{requester.display_name} cannot sign in and has no email address, "
        "so nobody would read it."
    )


def ticket_comment(
    ticket: TicketBase,
    *,
    author: User,
    body: str,
    is_internal: bool,
    source: str = Source.WEB,
) -> Comment:
    """A public reply or an internal note; agents' public replies are emailed to the requester.

    Agents may write on any ticket they can see; a requester only replies (never a note) on
    their own ticket of a kind they follow in the portal, while the kind's `reply_refusal`
    (closed, cancelled...) lets them. Returns the comment written.
    """
    kind = kind_of(ticket)
    agent = is_agent(author)
    if is_internal and not agent:
        raise TransitionError("Only agents can write internal notes.")
    if not agent:
        if not kind.has_portal:
            raise TransitionError(f"Only agents can work on {kind.noun}s.")
        # Views reach the ticket through a scoped selector; this refuses on its own too, so an
        # API or intake path that forgets the selector cannot post on someone else's ticket.
        if author.pk != ticket.requester_id:
            raise TransitionError(f"You can only reply on your own {kind.noun}s.")
        refusal = kind.reply_refusal(ticket)
        if refusal:
            raise TransitionError(refusal)
    elif not is_internal and (refusal := public_reply_refusal(ticket)):
        raise ValidationFailed(
            {"body": f"No public reply: {refusal} Add an internal note instead."}
        )
    with transaction.atomic():
        comment = comment_add(
            ticket=ticket, author=author, body=body, is_internal=is_internal, source=source
        )
        if not is_internal and author.pk != ticket.requester_id:
            notify_requester(
                ticket,
                subject=f"New reply: {ticket.title}",
                body=f"{author} wrote:\n\n{comment.body}",
                key=f"comment:{comment.pk}",
            )
    return comment
