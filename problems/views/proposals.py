"""Recurrence proposals: clusters of incidents the detector suggests as problems; problem
managers accept (a problem is created and linked) or dismiss them."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.exceptions import ConflictError, TransitionError
from core.web.access import agent_required, current_user, paginate
from problems.choices import ProposalStatus
from problems.forms import AcceptProposalForm
from problems.recurrence import proposal_accept, proposal_dismiss
from problems.selectors import proposal_get_for_user, proposal_list_for_user

TABS = (
    (ProposalStatus.OPEN, "Open"),
    (ProposalStatus.ACCEPTED, "Accepted"),
    (ProposalStatus.DISMISSED, "Dismissed"),
)


@agent_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or ProposalStatus.OPEN
    if status not in ProposalStatus.values:
        status = ProposalStatus.OPEN
    proposals = proposal_list_for_user(current_user(request), status=status)
    page = paginate(request, proposals, 25)
    return render(
        request,
        "problems/agent/proposals.html",
        {
            "page": page,
            "status": status,
            "tabs": TABS,
            "accept_form": AcceptProposalForm(),
            "min_incidents": settings.PROBLEM_RECURRENCE_MIN_INCIDENTS,
            "window_days": settings.PROBLEM_RECURRENCE_WINDOW_DAYS,
        },
    )


@agent_required
@require_POST
def proposal_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    proposal = proposal_get_for_user(user, pk)
    form = AcceptProposalForm(request.POST)
    title = form.cleaned_data["title"] if form.is_valid() else ""
    try:
        problem = proposal_accept(proposal, actor=user, title=title)
    except (ConflictError, TransitionError) as exc:
        messages.error(request, str(exc))
        return redirect("problems:proposals")
    messages.success(
        request, f"{problem.number} created with {problem.links.count()} linked incidents."
    )
    return redirect("problems:agent_detail", number=problem.number)


@agent_required
@require_POST
def proposal_dismiss_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    proposal = proposal_get_for_user(user, pk)
    try:
        proposal_dismiss(proposal, actor=user)
    except (ConflictError, TransitionError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Proposal dismissed; these incidents will not be proposed again.")
    return redirect("problems:proposals")
