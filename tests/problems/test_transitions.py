"""The problem transition table (DESIGN.md §4), tested exhaustively and without a database.

The expected tables are written out by hand from the design, not derived from
problems.transitions, so a change to the table has to be a deliberate change here too.
"""

from dataclasses import dataclass

import pytest

from core.exceptions import TransitionError
from problems import transitions
from problems.choices import ProblemStatus as S


@dataclass
class FakeProblem:
    status: str


ALL_STATUSES = [S.NEW, S.INVESTIGATING, S.KNOWN_ERROR, S.RESOLVED, S.CLOSED, S.CANCELLED]
ALL_ACTIONS = ["investigate", "known_error", "resolve", "close", "reopen", "cancel"]

# source -> targets any action may reach.
EXPECTED_LEGAL: dict[str, set[str]] = {
    S.NEW: {S.INVESTIGATING, S.CANCELLED},
    S.INVESTIGATING: {S.KNOWN_ERROR, S.RESOLVED, S.CANCELLED},
    S.KNOWN_ERROR: {S.RESOLVED, S.CANCELLED},
    S.RESOLVED: {S.CLOSED, S.INVESTIGATING},
    S.CLOSED: set(),
    S.CANCELLED: set(),
}

EXPECTED_ACTIONS: dict[str, set[str]] = {
    S.NEW: {"investigate", "cancel"},
    S.INVESTIGATING: {"known_error", "resolve", "cancel"},
    S.KNOWN_ERROR: {"resolve", "cancel"},
    S.RESOLVED: {"close", "reopen"},
    S.CLOSED: set(),
    S.CANCELLED: set(),
}


def test_the_expected_tables_cover_every_status_and_action() -> None:
    assert set(ALL_STATUSES) == set(S.values)
    assert set(ALL_ACTIONS) == set(transitions.TRANSITIONS)
    assert sum(len(targets) for targets in EXPECTED_LEGAL.values()) == 9


@pytest.mark.parametrize("target", ALL_STATUSES)
@pytest.mark.parametrize("source", ALL_STATUSES)
def test_every_status_pair_is_legal_or_illegal_as_designed(source: str, target: str) -> None:
    assert transitions.is_legal_pair(source, target) is (target in EXPECTED_LEGAL[source])


@pytest.mark.parametrize("action", ALL_ACTIONS)
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_every_action_from_every_status(status: str, action: str) -> None:
    problem = FakeProblem(status)
    if action in EXPECTED_ACTIONS[status]:
        transition = transitions.check(problem, action)
        assert transition.action == action
        assert all(transitions.is_legal_pair(status, target) for target in transition.targets)
    else:
        with pytest.raises(TransitionError) as refused:
            transitions.check(problem, action)
        assert S(status).label.lower() in str(refused.value)


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_legal_actions_lists_exactly_what_check_accepts(status: str) -> None:
    listed = {t.action for t in transitions.legal_actions(FakeProblem(status))}
    assert listed == EXPECTED_ACTIONS[status]


@pytest.mark.parametrize(
    ("action", "target", "required"),
    [
        ("investigate", S.INVESTIGATING, set()),
        ("known_error", S.KNOWN_ERROR, {"root_cause", "workaround"}),
        ("resolve", S.RESOLVED, {"root_cause", "permanent_fix"}),
        ("close", S.CLOSED, set()),
        ("reopen", S.INVESTIGATING, {"reason"}),
        ("cancel", S.CANCELLED, {"cancel_reason"}),
    ],
)
def test_each_action_has_its_target_and_required_fields(
    action: str, target: str, required: set[str]
) -> None:
    transition = transitions.TRANSITIONS[action]
    assert transition.targets == {target}
    assert set(transition.required) == required


def test_unknown_action_is_refused_by_name() -> None:
    with pytest.raises(TransitionError, match="Unknown action 'explode'"):
        transitions.check(FakeProblem(S.NEW), "explode")


@pytest.mark.parametrize("status", [S.CLOSED, S.CANCELLED])
@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_final_states_refuse_everything_clearly(status: str, action: str) -> None:
    with pytest.raises(TransitionError) as refused:
        transitions.check(FakeProblem(status), action)
    assert str(refused.value) == f"The problem is {status}; it cannot change anymore."
