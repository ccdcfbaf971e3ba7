"""The agent workspace for requests: the filtered list, the request page with its legal
transitions, fulfilment tasks, assignment, comments and files, and conversion between
incidents and requests (both directions)."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.models import User
from core.selectors import attachments_for_user, timeline_for_user
from core.services import attachment_add
from core.tickets.conversion import conversion_origin, conversion_successor, ticket_convert
from core.tickets.kinds import kind_named
from core.web.access import HtmxHttpRequest, agent_required, current_user
from core.web.forms import AgentCommentForm, AttachmentForm, VersionedForm, apply_domain_errors
from service_requests import services
from service_requests.filtersets import DEFAULT_ORDERING, ORDERINGS, RequestFilterSet
from service_requests.forms import (
    AGENT_TRANSITION_FORMS,
    AssignForm,
    TaskForm,
    ToIncidentForm,
    ToRequestForm,
)
from service_requests.models import RequestTask, ServiceRequest
from service_requests.permissions import can_approve
from service_requests.selectors import request_get_for_user, request_list_for_user, tasks_of
from service_requests.transitions import CANCELLABLE
from service_requests.views.common import (
    allowed_transitions,
    answers_for,
    paginate,
)
from sla.selectors import TicketSla, clock_status, clocks_for_ticket, clocks_for_tickets, ticket_sla

# --- List -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRow:
    sr: ServiceRequest
    sla: TicketSla


@agent_required
def agent_list(request: HtmxHttpRequest) -> HttpResponse:
    user = current_user(request)
    filterset = RequestFilterSet(request.GET, queryset=request_list_for_user(user), request=request)
    page = paginate(request, filterset.qs, settings.QUEUE_PAGE_SIZE)
    rows = list(page)
    clocks = clocks_for_tickets(rows)
    now = timezone.now()
    cleaned = filterset.form.cleaned_data if filterset.form.is_valid() else {}
    ordering = cleaned.get("ordering") or DEFAULT_ORDERING
    context = {
        "filterset": filterset,
        "page": page,
        "rows": [RequestRow(sr, ticket_sla(clocks[sr.pk], now)) for sr in rows],
        "open_only": bool(cleaned.get("open")) and not cleaned.get("status"),
        "ordering_label": ORDERINGS.get(ordering, ORDERINGS[DEFAULT_ORDERING])[0],
    }
    return render(request, "service_requests/agent/list.html", context)


# --- Request page ---------------------------------------------------------------------------

MILESTONES = (
    ("Submitted", "submitted_at"),
    ("Sent for approval", "approval_requested_at"),
    ("Approved", "approved_at"),
    ("Rejected", "rejected_at"),
    ("Fulfilment started", "fulfilment_started_at"),
    ("Fulfilled", "fulfilled_at"),
    ("Closed", "closed_at"),
    ("Cancelled", "cancelled_at"),
)
AGENT_ACTIONS = frozenset(AGENT_TRANSITION_FORMS)


def _detail(
    request: HttpRequest, sr: ServiceRequest, *, bound: dict[str, Form] | None = None
) -> HttpResponse:
    user = current_user(request)
    bound = bound or {}
    now = timezone.now()
    clocks = clocks_for_ticket(sr)
    actions = [
        {
            "transition": transition,
            "form": bound.get(transition.action)
            or AGENT_TRANSITION_FORMS[transition.action](
                initial={"version": sr.version}, prefix=transition.action
            ),
        }
        for transition in allowed_transitions(user, sr)
        if transition.action in AGENT_ACTIONS
    ]
    context: dict[str, Any] = {
        "sr": sr,
        "actions": actions,
        "open_form": next(iter(bound), ""),
        "answers": answers_for(sr),
        "tasks": tasks_of(sr),
        "sla_clocks": [clock_status(clock, now) for clock in clocks],
        "sla": ticket_sla(clocks, now),
        "milestones": [
            (label, getattr(sr, name)) for label, name in MILESTONES if getattr(sr, name)
        ],
        "events": timeline_for_user(ticket=sr, user=user),
        "files": attachments_for_user(ticket=sr, user=user),
        "origin": conversion_origin(user, sr),
        "successor": conversion_successor(user, sr),
        "can_approve": can_approve(user, sr),
        "assign_form": bound.get("assign")
        or AssignForm(
            initial={
                "version": sr.version,
                "assignee": sr.assignee_id,
                "support_group": sr.support_group_id,
            },
            prefix="assign",
        ),
        "comment_form": bound.get("comment") or AgentCommentForm(prefix="comment"),
        "attach_form": bound.get("attach") or AttachmentForm(allow_internal=True, prefix="attach"),
        "to_incident_form": (
            bound.get("to_incident")
            or ToIncidentForm(initial={"version": sr.version}, prefix="to_incident")
        )
        if sr.status in CANCELLABLE
        else None,
    }
    return render(request, "service_requests/agent/detail.html", context)


def _request(request: HttpRequest, number: str) -> ServiceRequest:
    return request_get_for_user(current_user(request), number)


def _back(number: str) -> HttpResponse:
    return redirect("requests:agent_detail", number=number)


@agent_required
def agent_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, _request(request, number))


DONE_MESSAGES = {
    "start": "Fulfilment of {number} started.",
    "fulfil": "{number} fulfilled; the requester was told.",
    "close": "{number} closed.",
    "hold": "{number} is on hold.",
    "resume": "{number} resumed.",
    "cancel": "{number} cancelled.",
}


def _perform(action: str, sr: ServiceRequest, actor: User, data: dict[str, Any]) -> None:
    version: int = data["version"]
    match action:
        case "start":
            services.request_start(sr, actor=actor, expected_version=version)
        case "fulfil":
            services.request_fulfil(
                sr,
                actor=actor,
                fulfilment_notes=data["fulfilment_notes"],
                expected_version=version,
            )
        case "close":
            services.request_close(sr, actor=actor, expected_version=version)
        case "hold":
            services.request_hold(
                sr,
                actor=actor,
                on_hold_reason=data["on_hold_reason"],
                note=data["note"],
                expected_version=version,
            )
        case "resume":
            services.request_resume(sr, actor=actor, expected_version=version)
        case "cancel":
            services.request_cancel(
                sr,
                actor=actor,
                cancel_reason=data["cancel_reason"],
                note=data["note"],
                expected_version=version,
            )
        case _:
            raise Http404("No such action.")


@agent_required
@require_POST
def agent_transition(request: HttpRequest, number: str, action: str) -> HttpResponse:
    sr = _request(request, number)
    form_class = AGENT_TRANSITION_FORMS.get(action)
    if form_class is None:
        raise Http404("No such action.")
    form: VersionedForm = form_class(request.POST, prefix=action)
    if not form.is_valid():
        return _detail(request, sr, bound={action: form})
    try:
        _perform(action, sr, current_user(request), form.cleaned_data)
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {"reason": "note"})
        return _detail(request, sr, bound={action: form})
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
        return _back(number)
    messages.success(request, DONE_MESSAGES[action].format(number=sr.number))
    return _back(number)


@agent_required
@require_POST
def agent_assign(request: HttpRequest, number: str) -> HttpResponse:
    sr = _request(request, number)
    form = AssignForm(request.POST, prefix="assign")
    if not form.is_valid():
        return _detail(request, sr, bound={"assign": form})
    try:
        updated = services.request_assign(
            sr,
            actor=current_user(request),
            assignee=form.cleaned_data["assignee"],
            support_group=form.cleaned_data["support_group"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, sr, bound={"assign": form})
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
        return _back(number)
    if updated.version == sr.version:
        messages.info(request, "Nothing changed.")
    else:
        who = updated.assignee.display_name if updated.assignee else "nobody"
        messages.success(request, f"{updated.number} is assigned to {who}.")
    return _back(number)


@agent_required
@require_POST
def agent_task(request: HttpRequest, number: str, task_id: int) -> HttpResponse:
    sr = _request(request, number)
    task = get_object_or_404(RequestTask, pk=task_id, request=sr)
    form = TaskForm(request.POST)
    done = form.is_valid() and form.cleaned_data["done"]
    try:
        services.request_task_set_done(task, actor=current_user(request), done=done)
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{'Done' if done else 'Reopened'}: {task.title}")
    return _back(number)


@agent_required
@require_POST
def agent_comment(request: HttpRequest, number: str) -> HttpResponse:
    sr = _request(request, number)
    form = AgentCommentForm(request.POST, prefix="comment")
    if form.is_valid():
        try:
            services.request_comment(
                sr,
                author=current_user(request),
                body=form.cleaned_data["body"],
                is_internal=form.is_internal,
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {})
        except TransitionError as exc:
            messages.error(request, str(exc))
            return _back(number)
        else:
            messages.success(
                request,
                "Internal note added." if form.is_internal else "Reply sent to the requester.",
            )
            return _back(number)
    return _detail(request, sr, bound={"comment": form})


@agent_required
@require_POST
def agent_attach(request: HttpRequest, number: str) -> HttpResponse:
    sr = _request(request, number)
    form = AttachmentForm(request.POST, request.FILES, allow_internal=True, prefix="attach")
    if form.is_valid():
        try:
            with transaction.atomic():
                attachment = attachment_add(
                    ticket=sr,
                    uploaded_by=current_user(request),
                    upload=form.cleaned_data["file"],
                    is_internal=form.cleaned_data["is_internal"],
                )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {})
        else:
            messages.success(request, f"{attachment.original_name} was added.")
            return _back(number)
    return _detail(request, sr, bound={"attach": form})


# --- Conversion -----------------------------------------------------------------------------


@agent_required
@require_POST
def agent_to_incident(request: HttpRequest, number: str) -> HttpResponse:
    """Convert this request into an incident; the request is cancelled, the two are linked."""
    sr = _request(request, number)
    form = ToIncidentForm(request.POST, prefix="to_incident")
    if not form.is_valid():
        return _detail(request, sr, bound={"to_incident": form})
    try:
        incident = ticket_convert(
            sr,
            into="incident",
            actor=current_user(request),
            impact=form.cleaned_data["impact"],
            urgency=form.cleaned_data["urgency"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, sr, bound={"to_incident": form})
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
        return _back(number)
    messages.success(request, f"{sr.number} was converted to incident {incident.number}.")
    return redirect("incidents:agent_detail", number=incident.number)


@agent_required
@require_POST
def incident_to_request(request: HttpRequest, number: str) -> HttpResponse:
    """Convert an incident into a request for the chosen catalog item (posted from the incident
    page); the incident is cancelled as converted_to_request, the two are linked."""
    incident = kind_named("incident").get_for_user(current_user(request), number)
    form = ToRequestForm(request.POST, prefix="to_request")
    if not form.is_valid():
        messages.error(request, "Choose the catalog item the request is for.")
        return redirect("incidents:agent_detail", number=number)
    try:
        created = ticket_convert(
            incident,
            into="request",
            actor=current_user(request),
            item=form.cleaned_data["item"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationFailed as exc:
        messages.error(request, " ".join(exc.errors.values()))
        return redirect("incidents:agent_detail", number=number)
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
        return redirect("incidents:agent_detail", number=number)
    messages.success(request, f"{incident.number} was converted to request {created.number}.")
    return _back(created.number)
