"""The change transition table (DESIGN.md §4), tested exhaustively and without a database, for
each of the three change types.

The expected tables are written out by hand from the issue, not derived from
changes.transitions, so a change to the table has to be a deliberate change here too.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from changes import transitions
from changes.choices import ChangeStatus as S
from changes.choices import ChangeType as T
from core.exceptions import TransitionError

START = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)


@dataclass
class FakeChange:
    status: str
    change_type: str = T.NORMAL
    planned_start: datetime | None = START
    planned_end: datetime | None = START + timedelta(hours=2)
    approved_at: datetime | None = None


ALL_STATUSES = list(S)
ALL_ACTIONS = [
    "assess",
    "submit",
    "approve",
    "reject",
    "revise",
    "schedule",
    "schedule_standard",
    "start",
    "start_emergency",
    "complete",
    "fail",
    "back_out",
    "review",
    "close",
    "close_review",
    "cancel",
]

# source -> targets any action may reach (guards aside).
EXPECTED_LEGAL: dict[str, set[str]] = {
    S.DRAFT: {S.ASSESSING, S.SCHEDULED, S.IMPLEMENTING, S.CANCELLED},
    S.ASSESSING: {S.AWAITING_APPROVAL, S.IMPLEMENTING, S.CANCELLED},
    S.AWAITING_APPROVAL: {S.APPROVED, S.REJECTED, S.CANCELLED},
    S.APPROVED: {S.SCHEDULED, S.CANCELLED},
    S.REJECTED: {S.ASSESSING},
    S.SCHEDULED: {S.IMPLEMENTING, S.CANCELLED},
    S.IMPLEMENTING: {S.IMPLEMENTED, S.FAILED, S.BACKED_OUT},
    S.IMPLEMENTED: {S.BACKED_OUT, S.IN_REVIEW, S.CLOSED},
    S.FAILED: {S.IN_REVIEW},
    S.BACKED_OUT: {S.IN_REVIEW},
    S.IN_REVIEW: {S.CLOSED},
    S.CLOSED: set(),
    S.CANCELLED: set(),
}

_LATER: dict[str, set[str]] = {
    S.AWAITING_APPROVAL: {"approve", "reject", "cancel"},
    S.APPROVED: {"schedule", "cancel"},
    S.REJECTED: {"revise"},
    S.SCHEDULED: {"start", "cancel"},
    S.IMPLEMENTING: {"complete", "fail", "back_out"},
    S.IMPLEMENTED: {"back_out", "review", "close"},
    S.FAILED: {"review"},
    S.BACKED_OUT: {"review"},
    S.IN_REVIEW: {"close_review"},
    S.CLOSED: set(),
    S.CANCELLED: set(),
}

# type -> status -> the actions `check` accepts, for a change with its window set and (for an
# emergency one) not approved yet.
EXPECTED_ACTIONS: dict[str, dict[str, set[str]]] = {
    T.NORMAL: {
        S.DRAFT: {"assess", "cancel"},
        S.ASSESSING: {"submit", "cancel"},
        **_LATER,
    },
    T.STANDARD: {
        S.DRAFT: {"schedule_standard", "cancel"},
        S.ASSESSING: {"cancel"},
        **_LATER,
    },
    T.EMERGENCY: {
        S.DRAFT: {"assess", "start_emergency", "cancel"},
        S.ASSESSING: {"start_emergency", "cancel"},
        **_LATER,
        # Approved after the fact before it closes.
        S.IMPLEMENTED: {"back_out", "review"},
        S.IN_REVIEW: set(),
    },
}


def test_the_expected_tables_cover_every_status_and_action() -> None:
    assert set(ALL_STATUSES) == set(S.values)
    assert set(ALL_ACTIONS) == set(transitions.TRANSITIONS)
    assert sum(len(targets) for targets in EXPECTED_LEGAL.values()) == 24
    assert all(set(table) == set(S.values) for table in EXPECTED_ACTIONS.values())


@pytest.mark.parametrize("target", ALL_STATUSES)
@pytest.mark.parametrize("source", ALL_STATUSES)
def test_every_status_pair_is_legal_or_illegal_as_designed(source: str, target: str) -> None:
    legal = transitions.LIFECYCLE.is_legal_pair(source, target)
    assert legal is (target in EXPECTED_LEGAL[source])


@pytest.mark.parametrize("change_type", list(T))
@pytest.mark.parametrize("action", ALL_ACTIONS)
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_every_action_from_every_status_for_every_type(
    status: str, action: str, change_type: str
) -> None:
    change = FakeChange(status, change_type)
    if action in EXPECTED_ACTIONS[change_type][status]:
        transition = transitions.LIFECYCLE.check(change, action)
        assert all(target in EXPECTED_LEGAL[status] for target in transition.targets)
    else:
        with pytest.raises(TransitionError):
            transitions.LIFECYCLE.check(change, action)


@pytest.mark.parametrize("change_type", list(T))
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_legal_actions_lists_exactly_what_check_accepts(status: str, change_type: str) -> None:
    listed = {
        t.action for t in transitions.LIFECYCLE.legal_actions(FakeChange(status, change_type))
    }
    assert listed == EXPECTED_ACTIONS[change_type][status]


@pytest.mark.parametrize(
    ("action", "status", "change_type"),
    [("schedule", S.APPROVED, T.NORMAL), ("schedule_standard", S.DRAFT, T.STANDARD)],
)
def test_no_change_is_scheduled_without_its_window(
    action: str, status: str, change_type: str
) -> None:
    with pytest.raises(TransitionError, match="Set the change window"):
        transitions.LIFECYCLE.check(FakeChange(status, change_type, None, None), action)
    backwards = FakeChange(status, change_type, START, START - timedelta(minutes=1))
    with pytest.raises(TransitionError, match="must end after it starts"):
        transitions.LIFECYCLE.check(backwards, action)


def test_a_normal_change_is_scheduled_only_with_its_plans_after_approval() -> None:
    schedule = transitions.TRANSITIONS["schedule"]
    assert schedule.sources == {S.APPROVED}
    assert set(schedule.required) == {"implementation_plan", "test_plan", "backout_plan"}
    assert set(transitions.TRANSITIONS["submit"].required) == {
        "risk",
        "impact",
        "implementation_plan",
        "test_plan",
        "backout_plan",
    }


@pytest.mark.parametrize("status", [S.FAILED, S.BACKED_OUT])
def test_a_failed_or_backed_out_change_closes_only_through_a_review(status: str) -> None:
    change = FakeChange(status)
    assert {t.action for t in transitions.LIFECYCLE.legal_actions(change)} == {"review"}
    assert transitions.TRANSITIONS["close_review"].required == ("review_notes",)


@pytest.mark.parametrize("action", ["close", "close_review"])
def test_an_emergency_change_closes_once_approved_after_the_fact(action: str) -> None:
    status = S.IMPLEMENTED if action == "close" else S.IN_REVIEW
    with pytest.raises(TransitionError, match="approved after the fact"):
        transitions.LIFECYCLE.check(FakeChange(status, T.EMERGENCY), action)
    approved = FakeChange(status, T.EMERGENCY, approved_at=START)
    assert transitions.LIFECYCLE.check(approved, action).action == action
