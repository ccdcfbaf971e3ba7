"""Writes to many tickets at once (a list's bulk bar), for every kind.

Each ticket goes through its kind's single-ticket service, one after the other, each in its own
transaction: one refusal (an illegal transition, a conflict, a missing field) changes nothing
on that ticket and does not stop or undo the others. The outcome names every ticket that was
changed, left as it was, or refused with the reason, so a page can report them one by one.

Call these outside any transaction (a surrounding atomic block would make a late failure roll
back the earlier successes). The tickets must come from a scoped selector.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from core.choices import Source
from core.exceptions import DomainError, TransitionError, ValidationFailed
from core.lifecycle import Transition
from core.models import SupportGroup, TicketBase, User
from core.tickets.actions import actions_of
from core.tickets.kinds import TicketKind
from core.tickets.work import ticket_assign

T = TypeVar("T", bound=TicketBase)


@dataclass(frozen=True)
class BulkRefusal:
    number: str
    reason: str


@dataclass
class BulkOutcome:
    """What a bulk action did, ticket by ticket (numbers in the order they were given)."""

    label: str
    done: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[BulkRefusal] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.done) + len(self.unchanged) + len(self.refused)

    @property
    def refused_numbers(self) -> list[str]:
        return [refusal.number for refusal in self.refused]

    def refuse(self, number: str, error: Exception | str) -> None:
        if isinstance(error, ValidationFailed):
            reason = " ".join(error.errors.values())
        else:
            reason = str(error)
        self.refused.append(BulkRefusal(number, reason))


def tickets_bulk(tickets: Sequence[T], *, label: str, change: Callable[[T], Any]) -> BulkOutcome:
    """Apply `change` to each ticket; a ticket whose version did not move is "unchanged"."""
    outcome = BulkOutcome(label=label)
    for ticket in tickets:
        try:
            result = change(ticket)
        except DomainError as exc:
            outcome.refuse(ticket.number, exc)
            continue
        moved = not isinstance(result, TicketBase) or result.version != ticket.version
        (outcome.done if moved else outcome.unchanged).append(ticket.number)
    return outcome


def bulk_common_actions(
    kind: TicketKind, user: User, tickets: Sequence[TicketBase]
) -> list[Transition]:
    """The lifecycle actions legal right now for every one of `tickets` and allowed to `user`,
    in table order (no query). Empty for an empty selection."""
    if not tickets:
        return []
    table = actions_of(kind)
    common: set[str] | None = None
    for ticket in tickets:
        names = {action.name for action, _ in table.legal_now(user, ticket)}
        common = names if common is None else common & names
        if not common:
            return []
    return [t for t in kind.lifecycle.transitions if common and t.action in common]


def tickets_bulk_assign(
    tickets: Sequence[TicketBase],
    *,
    actor: User,
    assignee: User | None,
    keep_assignee: bool,
    support_group: SupportGroup | None,
) -> BulkOutcome:
    """Assign each ticket to `assignee` (None: unassigned) or keep its assignee, and/or move it
    to `support_group` (None: keep). A ticket changed by someone else since it was read is
    refused, not overwritten."""
    target = "its current assignee" if keep_assignee else (assignee or "nobody")
    label = f"Assign to {target}" + (f" in {support_group.name}" if support_group else "")
    return tickets_bulk(
        tickets,
        label=label,
        change=lambda ticket: ticket_assign(
            ticket,
            actor=actor,
            assignee=ticket.assignee if keep_assignee else assignee,
            support_group=support_group,
            expected_version=ticket.version,
        ),
    )


def tickets_bulk_transition(
    kind: TicketKind,
    tickets: Sequence[TicketBase],
    *,
    actor: User,
    action: str,
    data: dict[str, Any],
) -> BulkOutcome:
    """Run one lifecycle action of the kind's table on each ticket with the same fields. The
    table is checked again for each ticket under its lock, so one that moved on since the
    selection was made is refused with the table's reason."""
    transition = kind.lifecycle.table.get(action)
    row = actions_of(kind).get(action)
    if transition is None or row is None or not row.transition:
        raise TransitionError(f"Unknown action '{action}'.")

    def change(ticket: TicketBase) -> Any:
        refusal = row.refusal(kind, actor, ticket)
        if refusal:
            raise TransitionError(refusal)
        row.run(ticket, actor=actor, source=Source.WEB, expected_version=None, data=data)
        return None  # every ticket that went through changed

    return tickets_bulk(tickets, label=transition.label, change=change)
