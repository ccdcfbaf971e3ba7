"""The incident transition table (DESIGN.md §4), tested exhaustively and without a database.

The expected tables below are written out by hand from the design, not derived from
incidents.transitions, so a change to the table has to be a deliberate change here too.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from core.exceptions import TransitionError
from incidents import transitions
from incidents.choices import IncidentStatus as S

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=7)
CTX = transitions.Context(now=NOW, reopen_window=WINDOW)


@dataclass
class FakeIncident:
    """Stands in for the model: the module only needs the IncidentState protocol."""

    status: str
    status_before_hold: str = ""
    resolved_at: datetime | None = None
    contained_at: datetime | None = None
    is_major: bool = False
    category: str = ""
    review_completed_at: datetime | None = None

    @property
    def needs_containment(self) -> bool:
        return self.is_major or self.category == "security"


ALL_STATUSES = [
    S.IDENTIFIED,
    S.LOGGED,
    S.CLASSIFIED,
    S.CONTAINED,
    S.DIAGNOSED,
    S.RESOLVED,
    S.CLOSED,
    S.ON_HOLD,
    S.CANCELLED,
]

# source -> targets any action may reach (guards aside).
EXPECTED_LEGAL: dict[str, set[str]] = {
    S.IDENTIFIED: {S.LOGGED, S.CANCELLED},
    S.LOGGED: {S.CLASSIFIED, S.ON_HOLD, S.CANCELLED},
    S.CLASSIFIED: {S.CONTAINED, S.DIAGNOSED, S.RESOLVED, S.ON_HOLD, S.CANCELLED},
    S.CONTAINED: {S.DIAGNOSED, S.RESOLVED, S.ON_HOLD, S.CANCELLED},
    S.DIAGNOSED: {S.RESOLVED, S.ON_HOLD, S.CANCELLED},
    S.RESOLVED: {S.CLOSED, S.CLASSIFIED},
    # resume goes back to the remembered working status; cancelling a held incident is allowed
    S.ON_HOLD: {S.LOGGED, S.CLASSIFIED, S.CONTAINED, S.DIAGNOSED, S.CANCELLED},
    S.CLOSED: set(),
    S.CANCELLED: set(),
}

# status -> actions `check` accepts for an incident no guard objects to.
EXPECTED_ACTIONS: dict[str, set[str]] = {
    S.IDENTIFIED: {"accept", "cancel"},
    S.LOGGED: {"classify", "hold", "cancel"},
    S.CLASSIFIED: {"contain", "diagnose", "resolve", "hold", "cancel"},
    S.CONTAINED: {"diagnose", "resolve", "hold", "cancel"},
    S.DIAGNOSED: {"resolve", "hold", "cancel"},
    S.RESOLVED: {"close", "reopen"},
    S.ON_HOLD: {"resume", "cancel"},
    S.CLOSED: set(),
    S.CANCELLED: set(),
}

ALL_ACTIONS = [
    "accept",
    "classify",
    "contain",
    "diagnose",
    "resolve",
    "close",
    "reopen",
    "hold",
    "resume",
    "cancel",
]


def test_the_expected_tables_cover_every_status_and_action() -> None:
    assert set(ALL_STATUSES) == set(S.values)
    assert set(EXPECTED_LEGAL) == set(S.values)
    assert set(ALL_ACTIONS) == set(transitions.LIFECYCLE.table)
    assert sum(len(targets) for targets in EXPECTED_LEGAL.values()) == 24


@pytest.mark.parametrize("target", ALL_STATUSES)
@pytest.mark.parametrize("source", ALL_STATUSES)
def test_every_status_pair_is_legal_or_illegal_as_designed(source: str, target: str) -> None:
    assert transitions.LIFECYCLE.is_legal_pair(source, target) is (target in EXPECTED_LEGAL[source])


def _unguarded(status: str) -> FakeIncident:
    """An incident in `status` that no guard refuses: recently resolved, known hold origin."""
    return FakeIncident(
        status=status,
        status_before_hold=S.CLASSIFIED if status == S.ON_HOLD else "",
        resolved_at=NOW - timedelta(hours=1) if status == S.RESOLVED else None,
    )


@pytest.mark.parametrize("action", ALL_ACTIONS)
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_every_action_from_every_status(status: str, action: str) -> None:
    incident = _unguarded(status)
    if action in EXPECTED_ACTIONS[status]:
        transition = transitions.LIFECYCLE.check(incident, action, CTX)
        assert transition.action == action
        assert status in transition.sources
        assert transitions.LIFECYCLE.is_legal_pair(status, transition.target_for(incident))
    else:
        with pytest.raises(TransitionError) as refused:
            transitions.LIFECYCLE.check(incident, action, CTX)
        # The refusal names the state the incident is in.
        assert S(status).label.lower() in str(refused.value)


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_legal_actions_lists_exactly_what_check_accepts(status: str) -> None:
    listed = {t.action for t in transitions.LIFECYCLE.legal_actions(_unguarded(status), CTX)}
    assert listed == EXPECTED_ACTIONS[status]


@pytest.mark.parametrize(
    ("action", "target"),
    [
        ("accept", S.LOGGED),
        ("classify", S.CLASSIFIED),
        ("contain", S.CONTAINED),
        ("diagnose", S.DIAGNOSED),
        ("resolve", S.RESOLVED),
        ("close", S.CLOSED),
        ("reopen", S.CLASSIFIED),
        ("hold", S.ON_HOLD),
        ("cancel", S.CANCELLED),
    ],
)
def test_each_action_has_its_designed_target(action: str, target: str) -> None:
    assert transitions.LIFECYCLE.table[action].targets == frozenset({target})


@pytest.mark.parametrize(
    ("action", "required"),
    [
        ("classify", {"category", "impact", "urgency", "service"}),
        ("contain", {"containment_notes"}),
        ("diagnose", {"diagnosis_notes"}),
        ("resolve", {"resolution_code", "resolution_notes"}),
        ("reopen", {"reason"}),
        ("hold", {"on_hold_reason"}),
        ("cancel", {"cancel_reason"}),
        ("accept", set()),
        ("close", set()),
        ("resume", set()),
    ],
)
def test_required_fields_per_action(action: str, required: set[str]) -> None:
    assert set(transitions.LIFECYCLE.table[action].required) == required


def test_unknown_action_is_refused_by_name() -> None:
    with pytest.raises(TransitionError, match="Unknown action 'explode'"):
        transitions.LIFECYCLE.check(_unguarded(S.LOGGED), "explode", CTX)


# --- guards ---------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["diagnose", "resolve"])
@pytest.mark.parametrize(
    "incident",
    [
        FakeIncident(status=S.CLASSIFIED, category="security"),
        FakeIncident(status=S.CLASSIFIED, category="software", is_major=True),
    ],
    ids=["security", "major"],
)
def test_containment_is_required_for_security_and_major(
    incident: FakeIncident, action: str
) -> None:
    with pytest.raises(TransitionError, match="must be contained first"):
        transitions.LIFECYCLE.check(incident, action, CTX)
    assert action not in {t.action for t in transitions.LIFECYCLE.legal_actions(incident, CTX)}


@pytest.mark.parametrize("action", ["diagnose", "resolve"])
def test_contained_security_incident_may_be_diagnosed_and_resolved(action: str) -> None:
    contained = FakeIncident(
        status=S.CONTAINED, category="security", is_major=True, contained_at=NOW
    )
    assert transitions.LIFECYCLE.check(contained, action, CTX).action == action


def test_containment_recorded_in_an_earlier_pass_still_counts() -> None:
    # Reopened security incident back in classified: it was contained before.
    reopened = FakeIncident(status=S.CLASSIFIED, category="security", contained_at=NOW)
    assert transitions.LIFECYCLE.check(reopened, "resolve", CTX).action == "resolve"


@pytest.mark.parametrize("category", ["hardware", "software", "network", "access", "data", ""])
@pytest.mark.parametrize("action", ["diagnose", "resolve"])
def test_other_incidents_may_skip_containment(category: str, action: str) -> None:
    incident = FakeIncident(status=S.CLASSIFIED, category=category)
    assert transitions.LIFECYCLE.check(incident, action, CTX).action == action


def test_reopen_exactly_at_the_end_of_the_window_is_accepted() -> None:
    incident = FakeIncident(status=S.RESOLVED, resolved_at=NOW - WINDOW)
    assert transitions.LIFECYCLE.check(incident, "reopen", CTX).target_for(incident) == S.CLASSIFIED


def test_reopen_just_outside_the_window_is_refused() -> None:
    incident = FakeIncident(status=S.RESOLVED, resolved_at=NOW - WINDOW - timedelta(seconds=1))
    with pytest.raises(TransitionError, match=r"reopen window \(7 days after resolution\)"):
        transitions.LIFECYCLE.check(incident, "reopen", CTX)
    # Closing is still possible after the window.
    assert transitions.LIFECYCLE.check(incident, "close", CTX).action == "close"


def test_reopen_window_comes_from_the_context() -> None:
    incident = FakeIncident(status=S.RESOLVED, resolved_at=NOW - timedelta(days=2))
    short = transitions.Context(now=NOW, reopen_window=timedelta(days=1))
    with pytest.raises(TransitionError, match=r"1 days"):
        transitions.LIFECYCLE.check(incident, "reopen", short)


def test_reopen_without_a_resolution_time_is_refused() -> None:
    with pytest.raises(TransitionError, match="no resolution time"):
        transitions.LIFECYCLE.check(FakeIncident(status=S.RESOLVED), "reopen", CTX)


def test_a_major_incident_is_closed_only_after_its_review() -> None:
    major = FakeIncident(status=S.RESOLVED, is_major=True, resolved_at=NOW - timedelta(hours=1))
    with pytest.raises(TransitionError, match="post-incident review is completed"):
        transitions.LIFECYCLE.check(major, "close", CTX)
    assert "close" not in {t.action for t in transitions.LIFECYCLE.legal_actions(major, CTX)}
    # Reopening is not blocked by the missing review.
    assert transitions.LIFECYCLE.check(major, "reopen", CTX).action == "reopen"
    major.review_completed_at = NOW
    assert transitions.LIFECYCLE.check(major, "close", CTX).target_for(major) == S.CLOSED


def test_the_review_guard_leaves_other_incidents_alone() -> None:
    minor = FakeIncident(status=S.RESOLVED, resolved_at=NOW - timedelta(hours=1))
    assert transitions.LIFECYCLE.check(minor, "close", CTX).action == "close"


@pytest.mark.parametrize("before", [S.LOGGED, S.CLASSIFIED, S.CONTAINED, S.DIAGNOSED])
def test_resume_goes_back_to_the_status_before_the_hold(before: str) -> None:
    incident = FakeIncident(status=S.ON_HOLD, status_before_hold=before)
    transition = transitions.LIFECYCLE.check(incident, "resume", CTX)
    assert transition.target_for(incident) == before


@pytest.mark.parametrize("before", ["", S.IDENTIFIED, S.RESOLVED, S.CLOSED, S.ON_HOLD, "bogus"])
def test_resume_refuses_an_unknown_or_non_working_origin(before: str) -> None:
    incident = FakeIncident(status=S.ON_HOLD, status_before_hold=before)
    with pytest.raises(TransitionError, match="status before the hold is unknown"):
        transitions.LIFECYCLE.check(incident, "resume", CTX)


@pytest.mark.parametrize("status", [S.CLOSED, S.CANCELLED])
@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_final_states_refuse_everything_clearly(status: str, action: str) -> None:
    with pytest.raises(TransitionError) as refused:
        transitions.LIFECYCLE.check(FakeIncident(status=status), action, CTX)
    assert str(refused.value) == f"The incident is {status}; it cannot change anymore."
