"""The agent's problem pages: the list (ProblemFilterSet), a new problem, and the problem page
with its legal transitions, details, root-cause analysis, linked incidents, closing the loop
and internal notes."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.exceptions import ConflictError, DomainError, TransitionError, ValidationFailed
from core.models import User
from core.selectors import timeline_for_user
from core.web.access import agent_required, current_user, paginate, safe_next
from core.web.forms import VersionedForm, apply_domain_errors
from problems import services
from problems.filtersets import ProblemFilterSet
from problems.forms import (
    TRANSITION_FORMS,
    AnalysisForm,
    CommentForm,
    LinkIncidentForm,
    LinkProblemForm,
    ProblemCreateForm,
    ProblemEditForm,
    ResolveForm,
    ResolveLinkedForm,
)
from problems.linked_kind import LinkedTicket, linked_kind
from problems.models import Problem
from problems.selectors import (
    linkable_problems,
    open_linked_incidents,
    problem_get_for_user,
    problem_links,
    problem_list_for_user,
)
from problems.services import IncidentOutcome
from problems.transitions import legal_actions

# --- List and creation ----------------------------------------------------------------------


@agent_required
def problem_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    filterset = ProblemFilterSet(request.GET, queryset=problem_list_for_user(user))
    page = paginate(request, filterset.qs, settings.QUEUE_PAGE_SIZE)
    statuses = filterset.form.cleaned_data.get("status") if filterset.form.is_valid() else None
    return render(
        request,
        "problems/agent/list.html",
        {"filterset": filterset, "page": page, "open_only": not statuses},
    )


def _from_incident(user: User, number: str) -> LinkedTicket | None:
    """The incident a problem is raised from (scope-checked like any read), if any."""
    if not number:
        return None
    try:
        return linked_kind().get_for_user(user, number)
    except Http404:
        return None


@agent_required
def problem_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    source = _from_incident(
        user, (request.POST.get("from_incident") or request.GET.get("incident") or "").strip()
    )
    initial: dict[str, Any] = {}
    if source is not None:
        initial = {
            "from_incident": source.number,
            "title": source.title,
            "service": source.service_id,
            "configuration_item": source.configuration_item_id,
            "category": source.category,
            "priority": source.priority,
        }
    form = ProblemCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # One unit: a problem raised from an incident exists only with its link.
            with transaction.atomic():
                problem = services.problem_create(
                    actor=user,
                    title=data["title"],
                    description=data["description"],
                    symptoms=data["symptoms"],
                    service=data["service"],
                    configuration_item=data["configuration_item"],
                    category=data["category"],
                    priority=data["priority"],
                    support_group=data["support_group"],
                    assignee=data["assignee"],
                )
                if source is not None:
                    services.problem_link_incident(problem, incident=source, actor=user)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {})
        except TransitionError as exc:
            messages.error(request, str(exc))
        else:
            linked = f" and {source.number} linked to it" if source is not None else ""
            messages.success(request, f"{problem.number} created{linked}.")
            return redirect("problems:agent_detail", number=problem.number)
    return render(request, "problems/agent/new.html", {"form": form, "source": source})


# --- Problem page ---------------------------------------------------------------------------

MILESTONES = (
    ("Raised", "created_at"),
    ("Investigating", "investigating_at"),
    ("Known error", "known_error_at"),
    ("Resolved", "resolved_at"),
    ("Closed", "closed_at"),
    ("Cancelled", "cancelled_at"),
)


def _transition_form(action: str, problem: Problem, open_incidents: int) -> VersionedForm:
    initial: dict[str, Any] = {"version": problem.version}
    if action in ("known_error", "resolve"):
        initial.update(
            root_cause=problem.root_cause,
            workaround=problem.workaround,
            permanent_fix=problem.permanent_fix,
            resolve_linked=True,
        )
    if action == "resolve":
        return ResolveForm(initial=initial, prefix=action, open_incidents=open_incidents)
    return TRANSITION_FORMS[action](initial=initial, prefix=action)


def _detail(
    request: HttpRequest, problem: Problem, *, bound: dict[str, Form] | None = None
) -> HttpResponse:
    """Render the problem page; `bound` holds a submitted form to show again with its errors."""
    user = current_user(request)
    bound = bound or {}
    open_count = open_linked_incidents(problem).count()
    actions = [
        {
            "transition": t,
            "form": bound.get(t.action) or _transition_form(t.action, problem, open_count),
        }
        for t in legal_actions(problem)
    ]
    context = {
        "problem": problem,
        "actions": actions,
        "open_form": next(iter(bound), ""),
        "links": problem_links(problem),
        "open_incident_count": open_count,
        "milestones": [
            (label, getattr(problem, name))
            for label, name in MILESTONES
            if getattr(problem, name) is not None
        ],
        "edit_form": bound.get("edit")
        or ProblemEditForm(initial=ProblemEditForm.initial_for(problem), prefix="edit"),
        "analysis_form": bound.get("analysis")
        or AnalysisForm(initial=AnalysisForm.initial_for(problem), prefix="analysis"),
        "link_form": bound.get("link") or LinkIncidentForm(prefix="link"),
        "resolve_linked_form": bound.get("resolve_linked")
        or ResolveLinkedForm(prefix="resolve_linked"),
        "comment_form": bound.get("comment") or CommentForm(prefix="comment"),
        "events": timeline_for_user(ticket=problem, user=user),
        "proposal": problem.proposals.first(),
    }
    return render(request, "problems/agent/detail.html", context)


def _message(error: DomainError) -> str:
    """A domain error as one sentence for a flash message (field names left out)."""
    if isinstance(error, ValidationFailed):
        return " ".join(error.errors.values())
    return str(error)


def _problem(request: HttpRequest, number: str) -> Problem:
    return problem_get_for_user(current_user(request), number)


def _back(number: str) -> HttpResponse:
    return redirect("problems:agent_detail", number=number)


@agent_required
def problem_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, _problem(request, number))


DONE_MESSAGES = {
    "investigate": "{number}: investigation started.",
    "known_error": "{number} is a known error; its workaround is published.",
    "resolve": "{number} resolved.",
    "close": "{number} closed.",
    "reopen": "{number} reopened.",
    "cancel": "{number} cancelled.",
}


def _report_outcomes(request: HttpRequest, outcomes: list[IncidentOutcome]) -> None:
    done = [o.number for o in outcomes if o.resolved]
    if done:
        messages.success(
            request,
            f"Resolved {len(done)} linked incident{'s' if len(done) != 1 else ''} with the fix: "
            f"{', '.join(done)}. Each requester was told.",
        )
    for outcome in outcomes:
        if not outcome.resolved:
            messages.warning(request, f"{outcome.number} was not resolved: {outcome.reason}")


def _perform(action: str, problem: Problem, actor: User, data: dict[str, Any]) -> Problem:
    version: int = data["version"]
    match action:
        case "investigate":
            return services.problem_investigate(problem, actor=actor, expected_version=version)
        case "known_error":
            return services.problem_record_known_error(
                problem,
                actor=actor,
                root_cause=data["root_cause"],
                workaround=data["workaround"],
                expected_version=version,
            )
        case "close":
            return services.problem_close(problem, actor=actor, expected_version=version)
        case "reopen":
            return services.problem_reopen(
                problem, actor=actor, reason=data["reason"], expected_version=version
            )
        case "cancel":
            return services.problem_cancel(
                problem, actor=actor, cancel_reason=data["cancel_reason"], expected_version=version
            )
    raise Http404("No such action.")


@agent_required
@require_POST
def problem_transition(request: HttpRequest, number: str, action: str) -> HttpResponse:
    problem = _problem(request, number)
    form_class = TRANSITION_FORMS.get(action)
    if form_class is None:
        raise Http404("No such action.")
    actor = current_user(request)
    form: VersionedForm
    if action == "resolve":
        form = ResolveForm(
            request.POST,
            prefix=action,
            open_incidents=open_linked_incidents(problem).count(),
        )
    else:
        form = form_class(request.POST, prefix=action)
    if not form.is_valid():
        return _detail(request, problem, bound={action: form})
    data = form.cleaned_data
    outcomes: list[IncidentOutcome] = []
    try:
        if action == "resolve":
            result = services.problem_resolve(
                problem,
                actor=actor,
                root_cause=data["root_cause"],
                permanent_fix=data["permanent_fix"],
                resolve_linked=bool(data.get("resolve_linked")),
                incident_resolution_code=data.get("incident_resolution_code") or "fixed",
                expected_version=data["version"],
            )
            updated, outcomes = result.problem, result.outcomes
        else:
            updated = _perform(action, problem, actor, data)
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, problem, bound={action: form})
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
        return _back(number)
    messages.success(request, DONE_MESSAGES[action].format(number=updated.number))
    _report_outcomes(request, outcomes)
    return _back(number)


@agent_required
@require_POST
def problem_resolve_linked(request: HttpRequest, number: str) -> HttpResponse:
    """Closing the loop again later: resolve the linked incidents still open."""
    problem = _problem(request, number)
    form = ResolveLinkedForm(request.POST, prefix="resolve_linked")
    if not form.is_valid():
        return _detail(request, problem, bound={"resolve_linked": form})
    try:
        outcomes = services.problem_resolve_linked_incidents(
            problem,
            actor=current_user(request),
            resolution_code=form.cleaned_data["resolution_code"],
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, problem, bound={"resolve_linked": form})
    except TransitionError as exc:
        messages.error(request, str(exc))
        return _back(number)
    if not outcomes:
        messages.info(request, "No linked incident is open.")
    _report_outcomes(request, outcomes)
    return _back(number)


@agent_required
@require_POST
def problem_edit(request: HttpRequest, number: str) -> HttpResponse:
    problem = _problem(request, number)
    form = ProblemEditForm(request.POST, prefix="edit")
    if not form.is_valid():
        return _detail(request, problem, bound={"edit": form})
    data = form.cleaned_data
    try:
        services.problem_update_details(
            problem,
            actor=current_user(request),
            title=data["title"],
            description=data["description"],
            service=data["service"],
            configuration_item=data["configuration_item"],
            category=data["category"],
            priority=data["priority"],
            support_group=data["support_group"],
            assignee=data["assignee"],
            expected_version=data["version"],
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, problem, bound={"edit": form})
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
        return _back(number)
    messages.success(request, f"{problem.number} saved.")
    return _back(number)


@agent_required
@require_POST
def problem_analysis(request: HttpRequest, number: str) -> HttpResponse:
    problem = _problem(request, number)
    form = AnalysisForm(request.POST, prefix="analysis")
    if not form.is_valid():
        return _detail(request, problem, bound={"analysis": form})
    data = form.cleaned_data
    try:
        services.problem_record_analysis(
            problem,
            actor=current_user(request),
            symptoms=data["symptoms"],
            root_cause=data["root_cause"],
            workaround=data["workaround"],
            permanent_fix=data["permanent_fix"],
            expected_version=data["version"],
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, problem, bound={"analysis": form})
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
        return _back(number)
    messages.success(request, "Analysis saved.")
    return _back(number)


@agent_required
@require_POST
def problem_comment(request: HttpRequest, number: str) -> HttpResponse:
    problem = _problem(request, number)
    form = CommentForm(request.POST, prefix="comment")
    if not form.is_valid():
        return _detail(request, problem, bound={"comment": form})
    try:
        services.problem_comment(
            problem, author=current_user(request), body=form.cleaned_data["body"]
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, problem, bound={"comment": form})
    messages.success(request, "Note added.")
    return _back(number)


# --- Links, from either side ----------------------------------------------------------------


@agent_required
@require_POST
def problem_link(request: HttpRequest, number: str) -> HttpResponse:
    """From the problem page: link an incident by its number."""
    problem = _problem(request, number)
    user = current_user(request)
    form = LinkIncidentForm(request.POST, prefix="link")
    if not form.is_valid():
        return _detail(request, problem, bound={"link": form})
    try:
        # IDs in a write are checked against the user's scope like any read.
        incident = linked_kind().get_for_user(user, form.cleaned_data["incident"])
    except Http404:
        form.add_error("incident", f"No incident {form.cleaned_data['incident']}.")
        return _detail(request, problem, bound={"link": form})
    try:
        services.problem_link_incident(problem, incident=incident, actor=user)
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, problem, bound={"link": form})
    except TransitionError as exc:
        messages.error(request, str(exc))
        return _back(number)
    messages.success(request, f"{incident.number} linked to {problem.number}.")
    return _back(number)


@agent_required
@require_POST
def problem_unlink(request: HttpRequest, number: str, incident_number: str) -> HttpResponse:
    problem = _problem(request, number)
    user = current_user(request)
    incident = linked_kind().get_for_user(user, incident_number)
    try:
        services.problem_unlink_incident(problem, incident=incident, actor=user)
    except (ValidationFailed, TransitionError) as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, f"{incident.number} unlinked from {problem.number}.")
    return redirect(safe_next(request, reverse("problems:agent_detail", args=[number])))


@agent_required
@require_POST
def incident_link_problem(request: HttpRequest, incident_number: str) -> HttpResponse:
    """From the incident page: link the incident to an open problem."""
    user = current_user(request)
    incident = linked_kind().get_for_user(user, incident_number)
    back = reverse("incidents:agent_detail", args=[incident.number])
    form = LinkProblemForm(request.POST, prefix="problem_link", problems=linkable_problems(user))
    if not form.is_valid():
        messages.error(request, "Choose an open problem to link the incident to.")
        return redirect(back)
    problem: Problem = form.cleaned_data["problem"]
    try:
        services.problem_link_incident(problem, incident=incident, actor=user)
    except (ValidationFailed, TransitionError) as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, f"{incident.number} linked to {problem.number}.")
    return redirect(back)
