"""The problem lifecycle as one table (DESIGN.md §4). Pure: no database, no settings reads.

new → investigating → known error → resolved → closed, plus cancelled; a problem whose cause is
fixed straight away may go from investigating to resolved, and a fix that did not hold reopens
it. `required` names the fields that must be filled once the transition is done (the service
checks them on the row with the submitted values applied); the HTML offers exactly the actions
`legal_actions` returns.
"""

from dataclasses import dataclass
from typing import Protocol

from core.exceptions import TransitionError
from problems.choices import ProblemStatus as S


class ProblemState(Protocol):
    status: str


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    required: tuple[str, ...] = ()


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("investigate", "Start investigating", frozenset({S.NEW}), S.INVESTIGATING),
        Transition(
            "known_error",
            "Record as known error",
            frozenset({S.INVESTIGATING}),
            S.KNOWN_ERROR,
            required=("root_cause", "workaround"),
        ),
        Transition(
            "resolve",
            "Resolve",
            frozenset({S.INVESTIGATING, S.KNOWN_ERROR}),
            S.RESOLVED,
            required=("root_cause", "permanent_fix"),
        ),
        Transition("close", "Close", frozenset({S.RESOLVED}), S.CLOSED),
        Transition(
            "reopen", "Reopen", frozenset({S.RESOLVED}), S.INVESTIGATING, required=("reason",)
        ),
        Transition(
            "cancel",
            "Cancel",
            frozenset({S.NEW, S.INVESTIGATING, S.KNOWN_ERROR}),
            S.CANCELLED,
            required=("cancel_reason",),
        ),
    )
}

FINAL = frozenset({S.CLOSED, S.CANCELLED})


def is_legal_pair(source: str, target: str) -> bool:
    """Whether any action moves a problem from `source` to `target`."""
    return any(source in t.sources and target == t.target for t in TRANSITIONS.values())


def _label(status: str) -> str:
    return S(status).label.lower() if status in S.values else status


def check(problem: ProblemState, action: str) -> Transition:
    """Return the transition for `action` now, or raise TransitionError saying why not."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionError(f"Unknown action '{action}'.")
    if problem.status in FINAL:
        raise TransitionError(f"The problem is {_label(problem.status)}; it cannot change anymore.")
    if problem.status not in transition.sources:
        raise TransitionError(
            f"Cannot {transition.label.lower()} a problem that is {_label(problem.status)}."
        )
    return transition


def legal_actions(problem: ProblemState) -> list[Transition]:
    """The actions `check` accepts right now, in table order."""
    return [
        t
        for t in TRANSITIONS.values()
        if problem.status in t.sources and problem.status not in FINAL
    ]
