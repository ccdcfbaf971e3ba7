"""The change lifecycle as one table (DESIGN.md §4, ITIL change enablement). Pure: no database,
no settings reads.

draft → assessing → awaiting approval → approved / rejected → scheduled → implementing →
implemented / failed / backed out → in review → closed, plus cancelled.

The three change types walk it differently, and the guards say so:

- a **standard** change comes from a pre-approved template: it is scheduled straight from draft
  (no assessment, no approval step) and may close once implemented;
- a **normal** change is assessed, then submitted to its change advisory group, and cannot be
  scheduled before it is approved with its window and its implementation, test and back-out
  plans recorded;
- an **emergency** change may start implementing from draft or assessing; it is approved after
  the fact (`approved_at` is set by that approval) and cannot close before.

A failed or backed-out change cannot close without a review: it goes through in review, and
`close_review` needs the review's findings (an implemented change may close at once, or be
reviewed too). A rejected change may be revised (back to assessing).
"""

from typing import Any

from changes.choices import ChangeStatus as S
from changes.choices import ChangeType as T
from core.lifecycle import Lifecycle, Transition, milestone_fields

OPEN_STATUSES = frozenset(S) - {S.CLOSED, S.CANCELLED, S.REJECTED}
# Planned or running: what the calendar shows and what conflicts are checked against.
ACTIVE_STATUSES = frozenset({S.AWAITING_APPROVAL, S.APPROVED, S.SCHEDULED, S.IMPLEMENTING})
PLANS = ("implementation_plan", "test_plan", "backout_plan")


def _type_is(*types: str, refusal: str) -> Any:
    def guard(change: Any, ctx: Any) -> str | None:
        return None if change.change_type in types else refusal

    return guard


_not_standard = _type_is(
    T.NORMAL, T.EMERGENCY, refusal="A standard change is pre-approved; schedule it instead."
)
_normal_only = _type_is(T.NORMAL, refusal="Only a normal change goes to the change advisory group.")
_standard_only = _type_is(
    T.STANDARD,
    refusal="Only a standard change is scheduled without approval; submit it for approval.",
)
_emergency_only = _type_is(
    T.EMERGENCY, refusal="Only an emergency change starts before it is scheduled."
)


def _window_set(change: Any, ctx: Any) -> str | None:
    if change.planned_start is None or change.planned_end is None:
        return "Set the change window (planned start and end) first."
    if change.planned_end <= change.planned_start:
        return "The change window must end after it starts."
    return None


def _approved_if_emergency(change: Any, ctx: Any) -> str | None:
    if change.change_type == T.EMERGENCY and change.approved_at is None:
        return "An emergency change is approved after the fact before it closes."
    return None


LIFECYCLE = Lifecycle(
    noun="a change",
    statuses=S,
    final=frozenset({S.CLOSED, S.CANCELLED}),
    initial=S.DRAFT,
    open=OPEN_STATUSES,
    milestones=milestone_fields(S, without=frozenset({S.DRAFT})),
    transitions=(
        Transition(
            "assess",
            "Start assessment",
            frozenset({S.DRAFT}),
            frozenset({S.ASSESSING}),
            guards=(_not_standard,),
        ),
        Transition(
            "submit",
            "Submit for approval",
            frozenset({S.ASSESSING}),
            frozenset({S.AWAITING_APPROVAL}),
            required=("risk", "impact", *PLANS),
            guards=(_normal_only,),
        ),
        Transition(
            "approve",
            "Approve",
            frozenset({S.AWAITING_APPROVAL}),
            frozenset({S.APPROVED}),
        ),
        Transition(
            "reject",
            "Reject",
            frozenset({S.AWAITING_APPROVAL}),
            frozenset({S.REJECTED}),
            required=("rejection_reason",),
        ),
        Transition(
            "revise",
            "Revise",
            frozenset({S.REJECTED}),
            frozenset({S.ASSESSING}),
            required=("reason",),
        ),
        Transition(
            "schedule",
            "Schedule",
            frozenset({S.APPROVED}),
            frozenset({S.SCHEDULED}),
            required=PLANS,
            guards=(_window_set,),
        ),
        Transition(
            "schedule_standard",
            "Schedule",
            frozenset({S.DRAFT}),
            frozenset({S.SCHEDULED}),
            guards=(_standard_only, _window_set),
        ),
        Transition(
            "start",
            "Start implementing",
            frozenset({S.SCHEDULED}),
            frozenset({S.IMPLEMENTING}),
        ),
        Transition(
            "start_emergency",
            "Start implementing now",
            frozenset({S.DRAFT, S.ASSESSING}),
            frozenset({S.IMPLEMENTING}),
            required=("implementation_plan", "backout_plan"),
            guards=(_emergency_only,),
        ),
        Transition(
            "complete",
            "Mark implemented",
            frozenset({S.IMPLEMENTING}),
            frozenset({S.IMPLEMENTED}),
        ),
        Transition(
            "fail",
            "Mark failed",
            frozenset({S.IMPLEMENTING}),
            frozenset({S.FAILED}),
            required=("outcome_notes",),
        ),
        Transition(
            "back_out",
            "Back out",
            frozenset({S.IMPLEMENTING, S.IMPLEMENTED}),
            frozenset({S.BACKED_OUT}),
            required=("outcome_notes",),
        ),
        Transition(
            "review",
            "Start review",
            frozenset({S.IMPLEMENTED, S.FAILED, S.BACKED_OUT}),
            frozenset({S.IN_REVIEW}),
        ),
        Transition(
            "close",
            "Close",
            frozenset({S.IMPLEMENTED}),
            frozenset({S.CLOSED}),
            guards=(_approved_if_emergency,),
        ),
        Transition(
            "close_review",
            "Close with the review",
            frozenset({S.IN_REVIEW}),
            frozenset({S.CLOSED}),
            required=("review_notes",),
            guards=(_approved_if_emergency,),
        ),
        Transition(
            "cancel",
            "Cancel",
            frozenset({S.DRAFT, S.ASSESSING, S.AWAITING_APPROVAL, S.APPROVED, S.SCHEDULED}),
            frozenset({S.CANCELLED}),
            required=("cancel_reason",),
        ),
    ),
)
TRANSITIONS = LIFECYCLE.table
FINAL = LIFECYCLE.final
