"""The one way a ticket changes (STYLE.md, "Writes happen in one place").

`transition_run` is every kind's lifecycle action, in five steps and always in this order:
lock the row, check the kind's transition table, save only the changed fields and bump
`version`, append the typed timeline event, move the SLA clocks. Side effects (emails, webhooks)
are outbox rows written in the same transaction, so they go out only after commit.

Services own their transaction: each function here opens one (joining the caller's when there
is one), so a kind's service wrapper is a few typed lines around these.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone

from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.models import TicketBase, User
from core.tickets import clocks
from core.tickets.events import status_changed_event
from core.tickets.kinds import TicketKind, kind_of
from core.tickets.notify import notify_requester

T = TypeVar("T", bound=TicketBase)


@dataclass(frozen=True)
class Notice:
    """An email to the requester about a transition: written to the outbox in its transaction,
    sent once per (ticket, `key`)."""

    subject: str
    body: str
    key: str


Values = Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None

REQUIRED = "This field is required."


def refuse_missing(values: Mapping[str, Any], names: Iterable[str]) -> None:
    """ValidationFailed naming every field of `names` that is empty in `values`."""
    missing = {name: REQUIRED for name in names if values.get(name) in (None, "")}
    if missing:
        raise ValidationFailed(missing)


def check_choice(value: str, choices: type[models.TextChoices], field: str) -> str:
    if value not in choices.values:
        raise ValidationFailed({field: f"'{value}' is not a valid choice."})
    return value


def check_field_choice(model: type[TicketBase], field: str, value: str) -> str:
    """`value` must be one of the model field's choices (a kind's hold or cancel reasons)."""
    allowed = {str(choice) for choice, _ in model._meta.get_field(field).flatchoices}  # type: ignore[union-attr]
    if allowed and value not in allowed:
        raise ValidationFailed({field: f"'{value}' is not a valid choice."})
    return value


def ticket_lock(ticket: T, expected_version: int | None = None) -> T:
    """The ticket's row, locked for this transaction, with the kind's `lock_related` rows read
    alongside (FOR UPDATE OF the ticket only: locking the joined requester would serialise every
    change to their other tickets). Refused with ConflictError when `expected_version` is stale.
    Call inside a transaction."""
    kind = kind_of(ticket)
    manager = type(ticket)._default_manager
    locked = (
        manager.select_for_update(of=("self",)).select_related(*kind.lock_related).get(pk=ticket.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            f"{locked.number} was changed by someone else since you opened it "
            f"(version {expected_version}, now {locked.version}). Reload and try again."
        )
    return locked


def tickets_lock(
    model: type[T], ids: Iterable[int], *, related: tuple[str, ...] = ()
) -> dict[int, T]:
    """Several tickets of one kind locked in primary-key order (two batches locking the same
    rows can never deadlock). Call inside a transaction."""
    rows = (
        model._default_manager.select_for_update(of=("self",))
        .select_related(*related)
        .filter(pk__in=sorted(set(ids)))
        .order_by("pk")
    )
    return {row.pk: row for row in rows}


def ticket_apply(ticket: TicketBase, values: Mapping[str, Any]) -> dict[str, Any]:
    """Set `values` on the (locked) ticket; return the ones that changed."""
    changed: dict[str, Any] = {}
    for name, value in values.items():
        if getattr(ticket, name) != value:
            changed[name] = value
            setattr(ticket, name, value)
    return changed


def ticket_save(ticket: TicketBase, fields: Iterable[str], *, now: datetime | None = None) -> None:
    """Save only `fields`, bumping `version` and `updated_at` (to `now`) with them."""
    ticket.version += 1
    ticket.updated_at = now or timezone.now()
    ticket.save(update_fields=sorted({*fields, "version", "updated_at"}))


def refuse_unless_open(ticket: TicketBase, doing: str = "") -> None:
    """TransitionError when the ticket is no longer worked on (final or done)."""
    kind = kind_of(ticket)
    status = getattr(ticket, "status", "")
    if status not in kind.lifecycle.open:
        label = ticket.get_status_display().lower()  # type: ignore[attr-defined]
        raise TransitionError(f"{ticket.number} is {label}{doing}.")


def refuse_final(ticket: TicketBase) -> None:
    """TransitionError when the ticket is in a final status (closed, cancelled)."""
    if getattr(ticket, "status", "") in kind_of(ticket).lifecycle.final:
        label = ticket.get_status_display().lower()  # type: ignore[attr-defined]
        raise TransitionError(f"{ticket.number} is {label}; it cannot change anymore.")


def refuse_unless_permitted(kind: TicketKind, actor: User | None, ticket: Any, action: str) -> None:
    refusal = kind.permission(actor, ticket, action)
    if refusal:
        raise TransitionError(refusal)


def _refuse_unfilled(
    kind: TicketKind, ticket: TicketBase, names: Iterable[str], message: str
) -> None:
    # Required fields are checked on the row with the submitted values applied, so a field the
    # ticket already holds counts; "reason" is the action's message (reopen, reject).
    missing = {
        name: kind.required_messages.get(name, REQUIRED)
        for name in names
        if not (message if name == "reason" else getattr(ticket, name))
    }
    if missing:
        raise ValidationFailed(missing)


def _event_fields(kind: TicketKind, changed: Mapping[str, Any], message: str) -> dict[str, Any]:
    milestones = set(kind.lifecycle.milestones.values())
    fields: dict[str, Any] = {}
    for name, value in changed.items():
        if name in milestones:
            continue
        if name not in kind.note_fields:
            fields[name] = value
        elif value and str(value).strip() != message.strip():
            fields[name] = "(recorded)"
    return fields


def transition_run(
    ticket: T,
    *,
    action: str,
    actor: User | None,
    source: str,
    expected_version: int | None = None,
    values: Values = None,
    message: str = "",
    is_public: bool = True,
    notice: Callable[[T], Notice] | None = None,
) -> T:
    """Run one lifecycle action and return the saved ticket.

    `values` are the fields the action sets: a mapping, or a function of the locked row for
    fields that depend on its current state (the status before a hold). `notice` builds the
    requester's email from the saved ticket. Refusals change nothing: TransitionError (not
    allowed now, or not by this actor), ValidationFailed (a required field is empty),
    ConflictError (stale `expected_version`).
    """
    kind = kind_of(ticket)
    with transaction.atomic():
        locked = ticket_lock(ticket, expected_version)
        refuse_unless_permitted(kind, actor, locked, action)
        transition = kind.lifecycle.check(locked, action, kind.guard_context(locked, action))
        wanted = (values(locked) if callable(values) else values) or {}
        from_status: str = locked.status  # type: ignore[attr-defined]
        to_status = transition.target_for(locked)
        changed = ticket_apply(locked, wanted)
        _refuse_unfilled(kind, locked, transition.required, message)
        milestone = kind.lifecycle.milestones.get(to_status)
        if milestone and getattr(locked, milestone) is None:
            now = timezone.now()
            setattr(locked, milestone, now)
            changed[milestone] = now
        locked.status = to_status  # type: ignore[attr-defined]
        ticket_save(locked, {*changed, "status"})
        status_changed_event(
            locked,
            actor=actor,
            source=source,
            from_status=from_status,
            to_status=to_status,
            fields=_event_fields(kind, changed, message),
            message=message,
            is_public=is_public,
        )
        clocks.follow(
            locked,
            kind,
            from_status=from_status,
            to_status=to_status,
            changed=changed,
            actor=actor,
            source=source,
        )
        if notice is not None:
            told = notice(locked)
            notify_requester(locked, subject=told.subject, body=told.body, key=told.key)
    return locked
