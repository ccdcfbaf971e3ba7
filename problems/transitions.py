"""The problem lifecycle as one table (DESIGN.md §4). Pure: no database, no settings reads.

new → investigating → known error → resolved → closed, plus cancelled; a problem whose cause is
fixed straight away may go from investigating to resolved, and a fix that did not hold reopens
it. `required` names the fields that must be filled once the transition is done (the service
checks them on the row with the submitted values applied); the HTML offers exactly the actions
`legal_actions` returns.
"""

from typing import Protocol

from core.lifecycle import Lifecycle, Transition, milestone_fields
from problems.choices import ProblemStatus as S


class ProblemState(Protocol):
    status: str


# Still being worked on (a resolved problem waits for its fix to be confirmed).
OPEN_STATUSES = frozenset(S) - {S.RESOLVED, S.CLOSED, S.CANCELLED}


LIFECYCLE = Lifecycle(
    noun="a problem",
    statuses=S,
    final=frozenset({S.CLOSED, S.CANCELLED}),
    initial=S.NEW,
    open=OPEN_STATUSES,
    # A new problem's moment is its created_at.
    milestones=milestone_fields(S, without=frozenset({S.NEW})),
    transitions=(
        Transition(
            "investigate", "Start investigating", frozenset({S.NEW}), frozenset({S.INVESTIGATING})
        ),
        Transition(
            "known_error",
            "Record as known error",
            frozenset({S.INVESTIGATING}),
            frozenset({S.KNOWN_ERROR}),
            required=("root_cause", "workaround"),
        ),
        Transition(
            "resolve",
            "Resolve",
            frozenset({S.INVESTIGATING, S.KNOWN_ERROR}),
            frozenset({S.RESOLVED}),
            required=("root_cause", "permanent_fix"),
        ),
        Transition("close", "Close", frozenset({S.RESOLVED}), frozenset({S.CLOSED})),
        Transition(
            "reopen",
            "Reopen",
            frozenset({S.RESOLVED}),
            frozenset({S.INVESTIGATING}),
            required=("reason",),
        ),
        Transition(
            "cancel",
            "Cancel",
            frozenset({S.NEW, S.INVESTIGATING, S.KNOWN_ERROR}),
            frozenset({S.CANCELLED}),
            required=("cancel_reason",),
        ),
    ),
)
TRANSITIONS = LIFECYCLE.table
FINAL = LIFECYCLE.final


def is_legal_pair(source: str, target: str) -> bool:
    """Whether any action moves a problem from `source` to `target`."""
    return LIFECYCLE.is_legal_pair(source, target)


def check(problem: ProblemState, action: str) -> Transition:
    """Return the transition for `action` now, or raise TransitionError saying why not."""
    return LIFECYCLE.check(problem, action)


def legal_actions(problem: ProblemState) -> list[Transition]:
    """The actions `check` accepts right now, in table order."""
    return LIFECYCLE.legal_actions(problem)
