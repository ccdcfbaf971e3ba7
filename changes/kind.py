"""The change kind, as the kernel's registry knows it (registered in ChangesConfig.ready).

Everything a change shares with the other kinds — numbering, the timeline, notes and files,
assignment, the executor, SLA clocks, webhooks `change.*`, the API's actions — comes from these
declarations; only what is a change's own (approvals, the calendar, links, patches,
deployments) has code in this app.
"""

from changes.choices import ChangeStatus as S
from changes.models import Change
from changes.permissions import can_work_changes
from changes.selectors import change_get_for_user, change_list_for_user
from changes.transitions import LIFECYCLE
from core.models import User
from core.tickets.kinds import ClockRules, TicketKind


def _permission(actor: User | None, change: Change, action: str) -> str | None:
    # Agents work changes; the system too (deployments, the closed loop) with actor None.
    if actor is None or can_work_changes(actor):
        return None
    return "Only agents can work on changes."


CHANGE = TicketKind(
    name="change",
    model=Change,
    lifecycle=LIFECYCLE,
    list_for_user=change_list_for_user,
    get_for_user=change_get_for_user,
    created_verb="raised the change",
    created_description="A change was raised.",
    # Requesters read changes linked to their tickets on the change's portal page, but a change
    # is not theirs to follow in "My tickets".
    has_portal=True,
    no_public_reply=(
        "a change's requester is the agent who raised it, so it takes internal notes only."
    ),
    permission=_permission,
    lock_related=(),
    required_messages={
        "risk": "Assess the risk first.",
        "impact": "Assess the impact first.",
        "implementation_plan": "Write the implementation plan.",
        "test_plan": "Write the test plan.",
        "backout_plan": "Write the back-out plan.",
        "rejection_reason": "Say why the change is rejected.",
        "outcome_notes": "Say what happened.",
        "review_notes": "Record what the review found.",
        "cancel_reason": "Say why the change is cancelled.",
        "reason": "Say what is revised.",
    },
    note_fields=frozenset(
        {
            "implementation_plan",
            "test_plan",
            "backout_plan",
            "rejection_reason",
            "outcome_notes",
            "review_notes",
            "cancel_reason",
        }
    ),
    # An SLA policy for changes times the approval step (its response target: raised →
    # approved or rejected) and, where it sets one, the whole change (→ implemented).
    clock_rules=ClockRules(
        cancel_on=frozenset({S.CANCELLED}),
        pause_in=frozenset(),
        response_met_on=frozenset({S.APPROVED, S.REJECTED, S.SCHEDULED, S.IMPLEMENTING}),
        resolution_met_on=frozenset({S.IMPLEMENTED, S.FAILED, S.BACKED_OUT, S.IN_REVIEW, S.CLOSED}),
        metric_labels={"response": "Approval decision", "resolution": "Implementation"},
    ),
    milestone_labels={S.ASSESSING: "Assessment started", S.AWAITING_APPROVAL: "Submitted"},
    # Changes are worked by their implementer; no tier moves.
    escalates=False,
    view_roles=frozenset(),
)
