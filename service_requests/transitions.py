"""The service request lifecycle as one table (DESIGN.md §4). Pure: no database, no settings.

submitted -> awaiting_approval -> approved | rejected -> in_fulfilment -> fulfilled -> closed,
with on_hold and cancelled. Every status change goes through `check`, called by the one service
per action in service_requests.services; pages show exactly what `legal_actions` returns.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.lifecycle import Lifecycle, Transition, hold_resume_cancel, milestone_fields
from service_requests.choices import ApprovalMode
from service_requests.choices import RequestStatus as S


class RequestState(Protocol):
    status: str
    status_before_hold: str
    approval_mode: str


@dataclass(frozen=True)
class Context:
    now: datetime
    # Titles of the request's fulfilment tasks that are not done yet.
    open_tasks: tuple[str, ...] = ()


def _needs_approval(request: RequestState, ctx: Context) -> str | None:
    if request.approval_mode == ApprovalMode.NONE:
        return "This request needs no approval."
    return None


def _approval_settled(request: RequestState, ctx: Context) -> str | None:
    if request.status == S.SUBMITTED and request.approval_mode != ApprovalMode.NONE:
        return "This request must be approved before fulfilment starts."
    return None


def _tasks_done(request: RequestState, ctx: Context) -> str | None:
    if not ctx.open_tasks:
        return None
    names = ", ".join(f"'{title}'" for title in ctx.open_tasks)
    if len(ctx.open_tasks) == 1:
        return f"The task {names} is still open; finish it before fulfilling the request."
    return (
        f"{len(ctx.open_tasks)} tasks are still open ({names}); "
        "finish them before fulfilling the request."
    )


HOLDABLE = frozenset({S.SUBMITTED, S.APPROVED, S.IN_FULFILMENT})
CANCELLABLE = frozenset({S.SUBMITTED, S.AWAITING_APPROVAL, S.APPROVED, S.IN_FULFILMENT, S.ON_HOLD})
# Still being worked: queues, SLA sweeps and the backlog count these.
OPEN_STATUSES = frozenset(S) - {S.FULFILLED, S.REJECTED, S.CLOSED, S.CANCELLED}

LIFECYCLE = Lifecycle(
    noun="a request",
    statuses=S,
    final=frozenset({S.CLOSED, S.CANCELLED}),
    initial=S.SUBMITTED,
    open=OPEN_STATUSES,
    milestones=milestone_fields(
        S,
        without=frozenset({S.ON_HOLD}),
        named={
            S.AWAITING_APPROVAL: "approval_requested_at",
            S.IN_FULFILMENT: "fulfilment_started_at",
        },
    ),
    transitions=(
        Transition(
            "submit_for_approval",
            "Send for approval",
            frozenset({S.SUBMITTED}),
            frozenset({S.AWAITING_APPROVAL}),
            guards=(_needs_approval,),
        ),
        Transition("approve", "Approve", frozenset({S.AWAITING_APPROVAL}), frozenset({S.APPROVED})),
        Transition(
            "reject",
            "Reject",
            frozenset({S.AWAITING_APPROVAL}),
            frozenset({S.REJECTED}),
            required=("reason",),
        ),
        Transition(
            "start",
            "Start fulfilment",
            frozenset({S.SUBMITTED, S.APPROVED}),
            frozenset({S.IN_FULFILMENT}),
            guards=(_approval_settled,),
        ),
        Transition(
            "fulfil",
            "Fulfil",
            frozenset({S.IN_FULFILMENT}),
            frozenset({S.FULFILLED}),
            required=("fulfilment_notes",),
            guards=(_tasks_done,),
        ),
        Transition("close", "Close", frozenset({S.FULFILLED, S.REJECTED}), frozenset({S.CLOSED})),
        *hold_resume_cancel(
            holdable=HOLDABLE, on_hold=S.ON_HOLD, cancellable=CANCELLABLE, cancelled=S.CANCELLED
        ),
    ),
)
