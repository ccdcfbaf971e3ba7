"""The problem action table (core.tickets.actions): what agents can do to a problem, on the
problem page and the API (registered in ProblemsConfig.ready).

Besides the lifecycle and the shared assignment and claiming, the page's own panels post rows
of their own: the details, the root-cause analysis (also an API action), linking an incident by
its number and resolving the open linked incidents after the problem was resolved. Problems do
not move between tiers (the kind does not escalate).
"""

from typing import Any

from django.http import Http404

from core import ticket_actions as common
from core.api.action_inputs import EmptyInputSerializer, ReasonInputSerializer
from core.exceptions import ValidationFailed
from core.models import User
from core.tickets.actions import Action
from core.web.forms import ConfirmForm
from problems import services
from problems.api.serializers import (
    ProblemAnalysisInputSerializer,
    ProblemCancelInputSerializer,
    ProblemKnownErrorInputSerializer,
    ProblemResolveInputSerializer,
)
from problems.forms import (
    AnalysisForm,
    CancelForm,
    KnownErrorForm,
    LinkIncidentForm,
    ProblemEditForm,
    ReopenForm,
    ResolveForm,
    ResolveLinkedForm,
)
from problems.linked_kind import linked_kind
from problems.models import Problem, ProblemIncident
from problems.services import IncidentOutcome, ProblemResolution

ANALYSIS_FIELDS = ("symptoms", "root_cause", "workaround", "permanent_fix")


def outcomes_message(outcomes: list[IncidentOutcome]) -> str:
    """What closing the loop did, for the person who asked: the incidents resolved, then each
    one that was not and why."""
    done = [o.number for o in outcomes if o.resolved]
    parts = []
    if done:
        parts.append(
            f"Resolved {len(done)} linked incident{'s' if len(done) != 1 else ''} with the fix: "
            f"{', '.join(done)}. Each requester was told."
        )
    parts += [f"{o.number} was not resolved: {o.reason}" for o in outcomes if not o.resolved]
    return " ".join(parts)


def _resolved(before: Problem, resolution: ProblemResolution) -> str:
    outcomes = outcomes_message(resolution.outcomes)
    return f"{before.number} resolved. {outcomes}".strip()


def _loop_closed(before: Problem, outcomes: list[IncidentOutcome]) -> str:
    return outcomes_message(outcomes) or "No linked incident is open."


def _linked(before: Problem, link: ProblemIncident) -> str:
    return f"{link.incident.number} linked to {before.number}."


def _analysis_initial(problem: Problem) -> dict[str, Any]:
    return {name: getattr(problem, name) for name in ANALYSIS_FIELDS}


def _resolve_initial(problem: Problem) -> dict[str, Any]:
    return {**_analysis_initial(problem), "resolve_linked": True}


def _edit_initial(problem: Problem) -> dict[str, Any]:
    return ProblemEditForm.initial_for(problem)


def _record_analysis(problem: Problem, **given: Any) -> Problem:
    """The analysis with the fields left out kept as they are (the API may send some only)."""
    values = {name: given.pop(name, getattr(problem, name)) for name in ANALYSIS_FIELDS}
    return services.problem_record_analysis(problem, **values, **given)


def _link_incident(problem: Problem, *, actor: User, source: str, incident: str) -> ProblemIncident:
    """Link the incident of that number, read through its kind's scoped selector like any read
    (one the agent may not see does not exist)."""
    try:
        found = linked_kind().get_for_user(actor, incident)
    except Http404:
        raise ValidationFailed({"incident": f"No incident {incident}."}) from None
    return services.problem_link_incident(problem, incident=found, actor=actor, source=source)


PROBLEM_ACTIONS: tuple[Action, ...] = (
    Action(
        "investigate",
        services.problem_investigate,
        "{number}: investigation started.",
        form=ConfirmForm,
        serializer=EmptyInputSerializer,
        summary="new → investigating (an unassigned problem is assigned to you)",
    ),
    Action(
        "known_error",
        services.problem_record_known_error,
        "{number} is a known error; its workaround is published.",
        form=KnownErrorForm,
        serializer=ProblemKnownErrorInputSerializer,
        summary=(
            "investigating → known error, with root cause and workaround (published from now on)"
        ),
        initial=_analysis_initial,
        api_path="known-error",
    ),
    Action(
        "resolve",
        services.problem_resolve,
        _resolved,
        form=ResolveForm,
        serializer=ProblemResolveInputSerializer,
        summary=(
            "investigating or known error → resolved, with the permanent fix "
            "(then `resolve-incidents/` resolves the open linked incidents with it)"
        ),
        initial=_resolve_initial,
    ),
    Action(
        "close",
        services.problem_close,
        "{number} closed.",
        form=ConfirmForm,
        serializer=EmptyInputSerializer,
        summary="resolved → closed (final)",
    ),
    Action(
        "reopen",
        services.problem_reopen,
        "{number} reopened.",
        form=ReopenForm,
        serializer=ReasonInputSerializer,
        summary="resolved → investigating: the fix did not hold, with a reason",
    ),
    Action(
        "cancel",
        services.problem_cancel,
        "{number} cancelled.",
        form=CancelForm,
        serializer=ProblemCancelInputSerializer,
        summary="new, investigating or known error → cancelled (final), with a reason",
    ),
    common.assign(),
    common.claim(),
    Action(
        "analysis",
        _record_analysis,
        "Analysis saved.",
        form=AnalysisForm,
        serializer=ProblemAnalysisInputSerializer,
        summary="record the root-cause analysis (fields left out keep their value)",
        transition=False,
        initial=_analysis_initial,
    ),
    Action(
        "edit",
        services.problem_update_details,
        "{number} saved.",
        form=ProblemEditForm,
        transition=False,
        initial=_edit_initial,
    ),
    Action(
        "link",
        _link_incident,
        _linked,
        form=LinkIncidentForm,
        transition=False,
        versioned=False,
    ),
    Action(
        "resolve_linked",
        services.problem_resolve_linked_incidents,
        _loop_closed,
        form=ResolveLinkedForm,
        transition=False,
        versioned=False,
    ),
)
