"""The request lifecycle table, exhaustively: every (source, target) pair, legal or not, is
written out here by hand, and the guards are checked without a database."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from core.exceptions import TransitionError
from service_requests.choices import ApprovalMode, RequestStatus
from service_requests.transitions import LIFECYCLE, Context

S = RequestStatus
ALL = list(S)

LEGAL = {
    (S.SUBMITTED, S.AWAITING_APPROVAL),
    (S.SUBMITTED, S.IN_FULFILMENT),
    (S.SUBMITTED, S.ON_HOLD),
    (S.SUBMITTED, S.CANCELLED),
    (S.AWAITING_APPROVAL, S.APPROVED),
    (S.AWAITING_APPROVAL, S.REJECTED),
    (S.AWAITING_APPROVAL, S.CANCELLED),
    (S.APPROVED, S.IN_FULFILMENT),
    (S.APPROVED, S.ON_HOLD),
    (S.APPROVED, S.CANCELLED),
    (S.REJECTED, S.CLOSED),
    (S.IN_FULFILMENT, S.FULFILLED),
    (S.IN_FULFILMENT, S.ON_HOLD),
    (S.IN_FULFILMENT, S.CANCELLED),
    (S.FULFILLED, S.CLOSED),
    (S.ON_HOLD, S.SUBMITTED),
    (S.ON_HOLD, S.APPROVED),
    (S.ON_HOLD, S.IN_FULFILMENT),
    (S.ON_HOLD, S.CANCELLED),
}
NOW = Context(now=datetime(2026, 3, 2, 12, tzinfo=UTC))


@dataclass
class State:
    status: str
    status_before_hold: str = ""
    approval_mode: str = ApprovalMode.NONE


@pytest.mark.parametrize("source", ALL)
@pytest.mark.parametrize("target", ALL)
def test_every_pair(source, target):
    assert LIFECYCLE.is_legal_pair(source, target) == ((source, target) in LEGAL)


def test_the_legal_set_is_what_it_says():
    assert len(LEGAL) == 19
    assert len(ALL) ** 2 - len(LEGAL) == 62


@pytest.mark.parametrize(
    ("status", "approval", "actions"),
    [
        (S.SUBMITTED, ApprovalMode.NONE, ["start", "hold", "cancel"]),
        (S.SUBMITTED, ApprovalMode.MANAGER, ["submit_for_approval", "hold", "cancel"]),
        (S.AWAITING_APPROVAL, ApprovalMode.MANAGER, ["approve", "reject", "cancel"]),
        (S.APPROVED, ApprovalMode.GROUP, ["start", "hold", "cancel"]),
        (S.IN_FULFILMENT, ApprovalMode.NONE, ["fulfil", "hold", "cancel"]),
        (S.FULFILLED, ApprovalMode.NONE, ["close"]),
        (S.REJECTED, ApprovalMode.MANAGER, ["close"]),
        (S.CLOSED, ApprovalMode.NONE, []),
        (S.CANCELLED, ApprovalMode.NONE, []),
    ],
)
def test_legal_actions_per_state(status, approval, actions):
    state = State(status, approval_mode=approval)
    assert [t.action for t in LIFECYCLE.legal_actions(state, NOW)] == actions


def test_start_before_approval_is_refused():
    with pytest.raises(TransitionError, match="must be approved"):
        LIFECYCLE.check(State(S.SUBMITTED, approval_mode=ApprovalMode.MANAGER), "start", NOW)


def test_send_for_approval_needs_an_approval_step():
    with pytest.raises(TransitionError, match="needs no approval"):
        LIFECYCLE.check(State(S.SUBMITTED), "submit_for_approval", NOW)


def test_fulfil_names_the_open_tasks():
    one = Context(now=NOW.now, open_tasks=("Order the laptop",))
    with pytest.raises(TransitionError, match="The task 'Order the laptop' is still open"):
        LIFECYCLE.check(State(S.IN_FULFILMENT), "fulfil", one)
    two = Context(now=NOW.now, open_tasks=("A", "B"))
    with pytest.raises(TransitionError, match=r"2 tasks are still open \('A', 'B'\)"):
        LIFECYCLE.check(State(S.IN_FULFILMENT), "fulfil", two)
    assert LIFECYCLE.check(State(S.IN_FULFILMENT), "fulfil", NOW).action == "fulfil"


@pytest.mark.parametrize("before", [S.SUBMITTED, S.APPROVED, S.IN_FULFILMENT])
def test_resume_returns_to_the_status_before_the_hold(before):
    state = State(S.ON_HOLD, status_before_hold=before)
    assert LIFECYCLE.check(state, "resume", NOW).target_for(state) == before


def test_resume_with_unknown_previous_status_is_refused():
    with pytest.raises(TransitionError, match="unknown"):
        LIFECYCLE.check(State(S.ON_HOLD, status_before_hold=""), "resume", NOW)


@pytest.mark.parametrize("final", [S.CLOSED, S.CANCELLED])
def test_final_states_refuse_everything(final):
    with pytest.raises(TransitionError, match="cannot change anymore"):
        LIFECYCLE.check(State(final), "cancel", NOW)


def test_wrong_source_names_the_state():
    with pytest.raises(TransitionError, match="Cannot fulfil a request that is submitted"):
        LIFECYCLE.check(State(S.SUBMITTED), "fulfil", NOW)
    with pytest.raises(TransitionError, match="Unknown action"):
        LIFECYCLE.check(State(S.SUBMITTED), "explode", NOW)
