"""Action-table rows every kind can take as they are (core.tickets.actions): hold, resume,
cancel, assignment, claiming and tier moves, each wired to the kernel's service, a form and an
API input. A kind's `actions.py` lists its own rows and adds these."""

from collections.abc import Callable
from typing import Any

from core.api.action_inputs import (
    AssignInputSerializer,
    EmptyInputSerializer,
    ReasonInputSerializer,
    reason_input,
)
from core.models import TicketBase
from core.tickets.actions import Action, agents_only
from core.tickets.escalation import EscalationOutcome, ticket_move_tier
from core.tickets.work import ticket_assign, ticket_cancel, ticket_claim, ticket_hold, ticket_resume
from core.web.forms import AssignForm, ConfirmForm, TierMoveForm, reason_form


def hold(model: type[TicketBase]) -> Action:
    return Action(
        "hold",
        ticket_hold,
        "{number} is on hold.",
        form=reason_form(model, "on_hold_reason", label="Waiting for"),
        serializer=reason_input(model, "on_hold_reason"),
        summary="→ on hold with a reason (SLA clocks pause)",
        aliases={"reason": "note"},
    )


def resume() -> Action:
    return Action(
        "resume",
        ticket_resume,
        "{number} resumed.",
        form=ConfirmForm,
        serializer=EmptyInputSerializer,
        summary="on hold → the status before the hold",
    )


def cancel(model: type[TicketBase], *, exclude: tuple[str, ...] = (), **options: Any) -> Action:
    """Cancel with one of the kind's reasons (`exclude`: those only the system gives, such as
    "converted to ..."); `options` override the row (a kind's own service or serializer)."""
    row: dict[str, Any] = {
        "form": reason_form(model, "cancel_reason", label="Reason", exclude=exclude, note_help=""),
        "serializer": reason_input(model, "cancel_reason"),
        "summary": "→ cancelled, with a reason",
        "aliases": {"reason": "note"},
    }
    row.update(options)
    service = row.pop("service", ticket_cancel)
    return Action("cancel", service, "{number} cancelled.", **row)


def _assigned(before: TicketBase, after: TicketBase) -> str:
    who = after.assignee.display_name if after.assignee else "nobody"
    return f"{after.number} is assigned to {who}."


def _moved(verb: str) -> Callable[[TicketBase, EscalationOutcome], str]:
    def message(before: TicketBase, outcome: EscalationOutcome) -> str:
        return (
            f"{before.number} {verb} from L{outcome.from_tier} to L{outcome.to_tier}: "
            f"now with {outcome.to_group or 'no group'}, unassigned."
        )

    return message


def assign() -> Action:
    return Action(
        "assign",
        ticket_assign,
        _assigned,
        form=AssignForm,
        serializer=AssignInputSerializer,
        summary="Assign to an agent and/or a group (agents)",
        transition=False,
        who=agents_only,
    )


def claim() -> Action:
    return Action(
        "claim",
        ticket_claim,
        "{number} is yours now.",
        serializer=EmptyInputSerializer,
        summary="Assign an unassigned ticket to yourself (one of many concurrent claims wins)",
        transition=False,
        versioned=False,
        who=agents_only,
    )


def _escalate(ticket: TicketBase, **kwargs: Any) -> Any:
    return ticket_move_tier(ticket, step=1, **kwargs)


def _deescalate(ticket: TicketBase, **kwargs: Any) -> Any:
    return ticket_move_tier(ticket, step=-1, **kwargs)


def escalate() -> Action:
    return Action(
        "escalate",
        _escalate,
        _moved("escalated"),
        form=TierMoveForm,
        serializer=ReasonInputSerializer,
        summary="Escalate to the next tier's group (agents)",
        transition=False,
        who=agents_only,
    )


def deescalate() -> Action:
    return Action(
        "deescalate",
        _deescalate,
        _moved("de-escalated"),
        form=TierMoveForm,
        serializer=ReasonInputSerializer,
        summary="De-escalate to the previous tier's group (agents)",
        transition=False,
        who=agents_only,
    )


def work_on_open_tickets() -> tuple[Action, ...]:
    """Assignment, claiming and tier moves: what agents do to any open ticket."""
    return (assign(), claim(), escalate(), deescalate())
