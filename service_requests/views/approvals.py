"""The approver's pages: what waits for my decision, and one request to approve or reject.

Open to anyone signed in (approvers are often not agents); the selectors only ever return the
requests sent to this person or to an approver group they belong to, so anything else is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.choices import Source
from core.exceptions import DomainError, ValidationFailed
from core.selectors import timeline_for_user
from core.tickets.actions import actions_of
from core.web.access import current_user, paginate
from core.web.forms import VersionedForm, apply_domain_errors
from service_requests.choices import RequestStatus
from service_requests.forms import ApproveForm, RejectForm
from service_requests.models import ServiceRequest
from service_requests.permissions import can_approve
from service_requests.selectors import (
    request_get_for_approver,
    request_list_for_approver,
    request_pending_for_approver,
)
from service_requests.views.common import answers_for

APPROVALS_PAGE_SIZE = 25
RECENT_DECISIONS = 10
# The approver's two actions of the request's action table, with this page's forms.
DECISION_FORMS: dict[str, type[VersionedForm]] = {"approve": ApproveForm, "reject": RejectForm}


@login_required
def approval_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    page = paginate(request, request_pending_for_approver(user), APPROVALS_PAGE_SIZE)
    decided = list(
        request_list_for_approver(user)
        .filter(decided_by=user)
        .order_by("-updated_at", "-id")[:RECENT_DECISIONS]
    )
    return render(
        request, "service_requests/approvals/list.html", {"page": page, "decided": decided}
    )


def _detail(
    request: HttpRequest, sr: ServiceRequest, *, bound: dict[str, Form] | None = None
) -> HttpResponse:
    user = current_user(request)
    bound = bound or {}
    pending = sr.status == RequestStatus.AWAITING_APPROVAL and can_approve(user, sr)
    context = {
        "sr": sr,
        "answers": answers_for(sr),
        "pending": pending,
        "approve_form": bound.get("approve")
        or ApproveForm(initial={"version": sr.version}, prefix="approve"),
        "reject_form": bound.get("reject")
        or RejectForm(initial={"version": sr.version}, prefix="reject"),
        "open_action": next(iter(bound), ""),
        "events": timeline_for_user(ticket=sr, user=user).filter(is_public=True),
    }
    return render(request, "service_requests/approvals/detail.html", context)


@login_required
def approval_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, request_get_for_approver(current_user(request), number))


@login_required
@require_POST
def approval_decide(request: HttpRequest, number: str, decision: str) -> HttpResponse:
    """Approve or reject through the request's action table (its rows decide who may and say
    what was done)."""
    user = current_user(request)
    sr = request_get_for_approver(user, number)
    table = actions_of(sr)
    form_class = DECISION_FORMS.get(decision)
    row = table.get(decision)
    if form_class is None or row is None:
        raise Http404("No such decision.")
    form = form_class(request.POST, prefix=decision)
    if not form.is_valid():
        return _detail(request, sr, bound={decision: form})
    try:
        refusal = row.refusal(table.kind, user, sr)
        if refusal:
            raise DomainError(refusal)
        result = row.run(
            sr,
            actor=user,
            source=Source.WEB,
            expected_version=form.cleaned_data["version"],
            data=form.cleaned_data,
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, sr, bound={decision: form})
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("requests:approval_detail", number=number)
    messages.success(request, row.done_message(sr, result))
    return redirect("requests:approval_list")
