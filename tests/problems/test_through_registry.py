"""Problems reach incidents only through the kind registry: what the incident kind declares
(ClosedLoop, Review), that problems call exactly that, and that no module of problems imports
incidents."""

import ast
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from core.exceptions import TransitionError, ValidationFailed
from core.tickets.kinds import ClosedLoop, Review, kind_named, register
from incidents.choices import HoldReason, IncidentStatus, ResolutionCode
from problems import reviews, services
from problems.api.serializers import ResolveIncidentsInputSerializer
from problems.choices import ProblemStatus
from problems.forms import ResolveForm, ResolveLinkedForm
from problems.models import Problem

pytestmark = pytest.mark.django_db

OFFERED = (
    (ResolutionCode.FIXED.value, "Fixed"),
    (ResolutionCode.WORKAROUND.value, "Workaround applied"),
)


def _loop() -> ClosedLoop:
    loop = kind_named("incident").closed_loop
    assert loop is not None
    return loop


def _review() -> Review:
    review = kind_named("incident").review
    assert review is not None
    return review


@pytest.fixture
def investigating(agent_l1, service) -> Problem:
    problem = services.problem_create(actor=agent_l1, title="Relay certificate", service=service)
    return services.problem_investigate(problem, actor=agent_l1)


@pytest.fixture
def incident_kind_replaced():
    """Register, for one test, the incident kind with other hooks (restored afterwards)."""
    original = kind_named("incident")

    def use(**hooks):
        register(replace(original, **hooks))

    yield use
    register(original)


# --- what the incident kind declares --------------------------------------------------------


def test_the_incident_kind_offers_fixed_and_workaround_and_the_problem_inputs_follow_it():
    assert _loop().resolution_codes == OFFERED
    assert list(ResolveForm(open_incidents=1).fields["incident_resolution_code"].choices) == [
        *OFFERED
    ]
    assert list(ResolveLinkedForm().fields["resolution_code"].choices) == [*OFFERED]
    field = ResolveIncidentsInputSerializer().fields["incident_resolution_code"]
    assert list(field.choices.items()) == [*OFFERED]
    assert field.default == ResolutionCode.FIXED


def test_resolving_with_a_fix_resumes_a_held_incident_first(make_incident, agent_l1):
    held = make_incident(
        IncidentStatus.ON_HOLD,
        on_hold_reason=HoldReason.AWAITING_PROBLEM,
        status_before_hold=IncidentStatus.DIAGNOSED,
    )
    resolved = _loop().resolve_with_fix(
        held, actor=agent_l1, resolution_code=ResolutionCode.WORKAROUND, notes="Patched."
    )
    held.refresh_from_db()
    assert (held.status, held.resolution_code, held.resolution_notes) == (
        IncidentStatus.RESOLVED,
        ResolutionCode.WORKAROUND,
        "Patched.",
    )
    assert (held.on_hold_reason, resolved.pk) == ("", held.pk)


def test_resolving_with_a_fix_is_all_or_nothing(make_incident, agent_l1):
    # Resumed to `logged`, which cannot be resolved: the resume is rolled back with the refusal.
    held = make_incident(
        IncidentStatus.ON_HOLD,
        on_hold_reason=HoldReason.AWAITING_PROBLEM,
        status_before_hold=IncidentStatus.LOGGED,
    )
    with pytest.raises(TransitionError):
        _loop().resolve_with_fix(
            held, actor=agent_l1, resolution_code=ResolutionCode.FIXED, notes="Patched."
        )
    held.refresh_from_db()
    assert (held.status, held.on_hold_reason) == (
        IncidentStatus.ON_HOLD,
        HoldReason.AWAITING_PROBLEM,
    )


def test_the_review_hooks_read_and_record_on_the_incident(make_incident, agent_l1):
    major = make_incident(
        IncidentStatus.RESOLVED,
        is_major=True,
        contained_at=timezone.now() - timedelta(hours=2),
        resolved_at=timezone.now() - timedelta(hours=1),
        diagnosis_notes="Expired certificate.",
    )
    minor = make_incident(IncidentStatus.RESOLVED)
    assert (_review().is_needed(major), _review().is_needed(minor)) == (True, False)
    assert _review().findings(major) == "Expired certificate."
    _review().mark_completed(major, actor=agent_l1, summary="Done.")
    major.refresh_from_db()
    completed_at = major.review_completed_at
    assert completed_at is not None
    _review().mark_completed(major, actor=agent_l1, summary="Again.")
    major.refresh_from_db()
    assert major.review_completed_at == completed_at
    with pytest.raises(TransitionError, match="once it is resolved"):
        _review().mark_completed(make_incident(IncidentStatus.DIAGNOSED), actor=agent_l1)


# --- problems call what the kind declares ---------------------------------------------------


def test_closing_the_loop_goes_through_the_registered_hook(
    incident_kind_replaced, investigating, make_incident, agent_l1
):
    calls = []

    def resolve_with_fix(incident, **kwargs):
        calls.append((incident.number, kwargs["resolution_code"], kwargs["notes"]))
        return incident

    incident_kind_replaced(
        closed_loop=ClosedLoop(resolve_with_fix, (("patched", "Patched"), ("other", "Other")))
    )
    incident = make_incident(IncidentStatus.DIAGNOSED)
    services.problem_link_incident(investigating, incident=incident, actor=agent_l1)
    resolved_problem = services.problem_resolve(
        investigating, actor=agent_l1, root_cause="Expired", permanent_fix="Renewed"
    ).problem
    outcomes = services.problem_resolve_linked_incidents(resolved_problem, actor=agent_l1)
    assert [(o.number, o.resolved) for o in outcomes] == [(incident.number, True)]
    [(number, code, notes)] = calls
    assert (number, code) == (incident.number, "patched")  # the kind's usual code
    assert resolved_problem.number in notes and "Renewed" in notes
    with pytest.raises(ValidationFailed):
        services.problem_resolve_linked_incidents(
            resolved_problem, actor=agent_l1, resolution_code=ResolutionCode.FIXED
        )


def test_completing_a_review_goes_through_the_registered_hook(
    incident_kind_replaced, make_incident, agent_l1
):
    completed = []
    incident_kind_replaced(
        review=Review(
            is_needed=lambda incident: True,
            findings=lambda incident: "From the hook.",
            mark_completed=lambda incident, **kwargs: completed.append(incident.number),
        )
    )
    incident = make_incident(IncidentStatus.RESOLVED)  # not major: the hook says it needs one
    review = reviews.review_start(incident, actor=agent_l1)
    assert review.root_cause == "From the hook."
    review = reviews.review_update(
        review, actor=agent_l1, values=dict.fromkeys(reviews.REQUIRED_TO_COMPLETE, "Written.")
    )
    reviews.review_complete(review, actor=agent_l1)
    assert completed == [incident.number]


def test_the_cancelled_statuses_are_where_the_cancel_action_leads():
    assert kind_named("incident").lifecycle.cancelled == {IncidentStatus.CANCELLED}
    assert kind_named("problem").lifecycle.cancelled == {ProblemStatus.CANCELLED}


def test_problems_import_nothing_from_incidents():
    root = Path(__file__).resolve().parents[2] / "problems"
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            if any(name == "incidents" or name.startswith("incidents.") for name in names):
                offenders.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert offenders == []
