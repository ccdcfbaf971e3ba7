"""The kernel's half of a page's acknowledgement (the on-call app's page_acknowledge calls it):
the paged person takes the unassigned ticket, and the kind's acknowledging action runs (an
incident is accepted, which ends MTTA). The registry of paging hooks is
core.tickets.paging_hooks."""

from django.db import transaction

from core.exceptions import DomainError
from core.models import TicketBase, User
from core.tickets.events import assigned_event
from core.tickets.executor import ticket_lock, ticket_save, transition_run
from core.tickets.kinds import kind_of
from core.tickets.payloads import Assignment


def ticket_acknowledge_for_page(ticket: TicketBase, *, actor: User, source: str) -> TicketBase:
    """The paged `actor` acknowledged: assign the ticket to them if nobody has it, and run the
    kind's `ack_action` (an incident's accept: identified -> logged, the end of MTTA) when the
    lifecycle allows it now. Neither is a reason to refuse the acknowledgement: a ticket
    already assigned, closed meanwhile, or past that step is left as it is."""
    kind = kind_of(ticket)
    with transaction.atomic():
        locked = ticket_lock(ticket, None)
        if locked.assignee_id is None and getattr(locked, "status", "") in kind.lifecycle.open:
            locked.assignee = actor
            ticket_save(locked, {"assignee"})
            assigned_event(
                locked,
                actor=actor,
                source=source,
                assignment=Assignment(assignee=str(actor), claimed=True),
            )
        if not kind.ack_action:
            return locked
        context = kind.guard_context(locked, kind.ack_action)
        legal = {t.action for t in kind.lifecycle.legal_actions(locked, context)}
        if kind.ack_action in legal:
            try:
                with transaction.atomic():
                    locked = transition_run(
                        locked, action=kind.ack_action, actor=actor, source=source
                    )
            except DomainError:
                pass  # refused for this actor (a guard): the page is acknowledged all the same
    return locked
