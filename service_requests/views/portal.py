"""The end-user portal for requests: browse the catalog, fill in an item's form, follow my
requests, reply, add files, withdraw, confirm a fulfilled request.

Always the requester's view, whoever is signed in: only the person's own requests, only public
timeline events and files.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.selectors import attachments_for_user, timeline_for_user
from core.services import attachment_add
from core.tickets.actions import actions_of
from core.tickets.conversion import conversion_origin, conversion_successor
from core.tickets.rating import SCORE_LABELS, can_rate
from core.web.access import current_user, paginate
from core.web.forms import (
    AttachmentForm,
    ConfirmForm,
    ReplyForm,
    SatisfactionForm,
    apply_domain_errors,
)
from service_requests import services
from service_requests.choices import CancelReason, RequestStatus
from service_requests.forms import RequestForm, WithdrawForm
from service_requests.models import ServiceRequest
from service_requests.selectors import (
    catalog_categories,
    catalog_item_get,
    fields_of,
    request_get_for_user,
    request_list_for_user,
    request_pending_for_approver,
    tasks_of,
)
from service_requests.transitions import LIFECYCLE
from service_requests.views.common import answers_for, sla_promises
from sla.selectors import clocks_for_ticket

PORTAL_PAGE_SIZE = 25


def _pending_count(request: HttpRequest) -> int:
    return request_pending_for_approver(current_user(request)).count()


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    """Every active item, by category."""
    context = {"categories": catalog_categories(), "pending_approvals": _pending_count(request)}
    return render(request, "service_requests/portal/catalog.html", context)


@login_required
def catalog_item(request: HttpRequest, slug: str) -> HttpResponse:
    """The item's page and its form; a valid submission creates the request."""
    item = catalog_item_get(slug)
    specs = fields_of(item)
    form = RequestForm(request.POST or None, specs=specs)
    if request.method == "POST" and form.is_valid():
        raw = {spec.key: request.POST.get(spec.key, "") for spec in specs}
        try:
            created = services.request_create(
                requester=current_user(request),
                item=item,
                answers=raw,
                details=form.cleaned_data["details"],
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {})
        else:
            messages.success(
                request,
                f"{created.number} submitted."
                + (" It goes to its approver first." if item.needs_approval else ""),
            )
            return redirect("requests:portal_detail", number=created.number)
    return render(
        request,
        "service_requests/portal/item.html",
        {"item": item, "form": form, "tasks": list(item.tasks.all())},
    )


@login_required
def portal_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    mine = request_list_for_user(user).filter(requester=user).order_by("-created_at", "-id")
    page = paginate(request, mine, PORTAL_PAGE_SIZE)
    return render(
        request,
        "service_requests/portal/list.html",
        {"page": page, "pending_approvals": _pending_count(request)},
    )


def _my_request(request: HttpRequest, number: str) -> ServiceRequest:
    user = current_user(request)
    found = request_get_for_user(user, number)
    if found.requester_id != user.pk:
        raise Http404(f"No request {number}.")
    return found


def _detail(
    request: HttpRequest, sr: ServiceRequest, *, bound: dict[str, Form] | None = None
) -> HttpResponse:
    user = current_user(request)
    bound = bound or {}
    actions = {action.name for action, _ in actions_of(sr).legal_now(user, sr)}
    tasks = tasks_of(sr)
    context: dict[str, Any] = {
        "sr": sr,
        "answers": answers_for(sr),
        "tasks": tasks,
        "tasks_done": sum(1 for task in tasks if task.is_done),
        "sla_promises": sla_promises(sr, clocks_for_ticket(sr), timezone.now()),
        "events": timeline_for_user(ticket=sr, user=user).filter(is_public=True),
        "files": attachments_for_user(ticket=sr, user=user).filter(is_internal=False),
        "origin": conversion_origin(user, sr, public_only=True),
        "successor": conversion_successor(user, sr),
        "can_reply": sr.status not in LIFECYCLE.final,
        "reply_form": bound.get("reply") or ReplyForm(),
        "attach_form": bound.get("attach") or AttachmentForm(),
        "withdraw_form": (
            bound.get("withdraw")
            or WithdrawForm(initial={"version": sr.version}, prefix="withdraw")
        )
        if "cancel" in actions
        else None,
        "confirm_form": ConfirmForm(initial={"version": sr.version}, prefix="confirm")
        if "close" in actions and sr.status == RequestStatus.FULFILLED
        else None,
        "open_action": next(iter(bound), ""),
        "can_rate": can_rate(user, sr),
        "rating_form": bound.get("rating")
        or SatisfactionForm(
            initial={"score": sr.satisfaction_score, "comment": sr.satisfaction_comment},
            prefix="rating",
        ),
        "score_labels": SCORE_LABELS,
    }
    return render(request, "service_requests/portal/detail.html", context)


@login_required
def portal_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, _my_request(request, number))


@login_required
@require_POST
def portal_reply(request: HttpRequest, number: str) -> HttpResponse:
    sr = _my_request(request, number)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.request_comment(
                sr, author=current_user(request), body=form.cleaned_data["body"], is_internal=False
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {})
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect("requests:portal_detail", number=number)
        else:
            messages.success(request, "Your reply was sent to the service desk.")
            return redirect("requests:portal_detail", number=number)
    return _detail(request, sr, bound={"reply": form})


@login_required
@require_POST
def portal_attach(request: HttpRequest, number: str) -> HttpResponse:
    sr = _my_request(request, number)
    if sr.status in LIFECYCLE.final:
        messages.error(request, f"{sr.number} is {sr.get_status_display().lower()}.")
        return redirect("requests:portal_detail", number=number)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                attachment = attachment_add(
                    ticket=sr, uploaded_by=current_user(request), upload=form.cleaned_data["file"]
                )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {})
        else:
            messages.success(request, f"{attachment.original_name} was added.")
            return redirect("requests:portal_detail", number=number)
    return _detail(request, sr, bound={"attach": form})


@login_required
@require_POST
def portal_withdraw(request: HttpRequest, number: str) -> HttpResponse:
    sr = _my_request(request, number)
    form = WithdrawForm(request.POST, prefix="withdraw")
    if not form.is_valid():
        return _detail(request, sr, bound={"withdraw": form})
    try:
        services.request_cancel(
            sr,
            actor=current_user(request),
            cancel_reason=CancelReason.WITHDRAWN,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        )
    except (TransitionError, ConflictError, ValidationFailed) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{sr.number} is withdrawn.")
    return redirect("requests:portal_detail", number=number)


@login_required
@require_POST
def portal_confirm(request: HttpRequest, number: str) -> HttpResponse:
    sr = _my_request(request, number)
    form = ConfirmForm(request.POST, prefix="confirm")
    if not form.is_valid():
        messages.error(request, "Reload the page and try again.")
        return redirect("requests:portal_detail", number=number)
    try:
        services.request_close(
            sr, actor=current_user(request), expected_version=form.cleaned_data["version"]
        )
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Thanks for confirming. {sr.number} is closed.")
    return redirect("requests:portal_detail", number=number)


@login_required
@require_POST
def portal_rate(request: HttpRequest, number: str) -> HttpResponse:
    """The requester rates the outcome (service_requests.satisfaction decides whether they may)."""
    sr = _my_request(request, number)
    form = SatisfactionForm(request.POST, prefix="rating")
    if not form.is_valid():
        return _detail(request, sr, bound={"rating": form})
    try:
        services.request_rate(
            sr,
            actor=current_user(request),
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, sr, bound={"rating": form})
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Thank you for your rating. It helps us get better.")
    return redirect("requests:portal_detail", number=number)
