"""The end-user portal: report an incident, follow my incidents, reply, confirm or reopen.

The portal always shows the requester's view, whoever is signed in: only the person's own
incidents, only public timeline events and files. Agents use the agent workspace for the rest.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.selectors import attachments_for_user, timeline_for_user
from core.services import attachment_add
from core.tickets.actions import actions_of
from core.tickets.rating import SCORE_LABELS, can_rate
from core.web.access import current_user, paginate
from core.web.forms import (
    AttachmentForm,
    ConfirmForm,
    ReplyForm,
    SatisfactionForm,
    VersionedForm,
    apply_domain_errors,
)
from incidents import services
from incidents.choices import WAITING_FOR, IncidentStatus
from incidents.forms import IncidentReportForm, ReopenForm
from incidents.models import Incident
from incidents.selectors import incident_get_for_user, incident_list_for_user
from incidents.services import incident_rate
from sla.choices import ClockState, Metric
from sla.models import SlaClock
from sla.selectors import clocks_for_ticket

PORTAL_PAGE_SIZE = 25
# What a requester may do from the portal (confirm the fix, or reopen), with its form.
PORTAL_ACTIONS: dict[str, type[VersionedForm]] = {
    "close": ConfirmForm,
    "reopen": ReopenForm,
}
FINAL_STATUSES = frozenset({IncidentStatus.CLOSED, IncidentStatus.CANCELLED})


@dataclass(frozen=True)
class Promise:
    """One line of what the service desk aims for: text, then the instant (if any) and the
    text after it, so the template formats the instant in the site's time zone."""

    text: str
    when: datetime | None = None
    after: str = ""
    is_late: bool = False


def sla_promises(incident: Incident, clocks: list[SlaClock], now: datetime) -> list[Promise]:
    """What the requester is promised: the running targets as absolute times, or that they are
    paused while on hold. Nothing when no SLA applies or every target is behind us."""
    promises = []
    for clock in clocks:
        if clock.state != ClockState.RUNNING or clock.due_at is None:
            continue
        aim = "respond" if clock.metric == Metric.RESPONSE else "resolve this"
        if clock.due_at > now:
            promises.append(Promise(f"We aim to {aim} by", clock.due_at, "."))
        else:
            promises.append(
                Promise(
                    f"We aimed to {aim} by",
                    clock.due_at,
                    ". We are running late, sorry: it is still being worked on.",
                    is_late=True,
                )
            )
    if any(clock.state == ClockState.PAUSED for clock in clocks):
        who = WAITING_FOR.get(incident.on_hold_reason, "someone outside the service desk")
        promises.append(Promise(f"Our target times are paused while we wait for {who}."))
    return promises


def _my_incident(request: HttpRequest, number: str) -> Incident:
    user = current_user(request)
    incident = incident_get_for_user(user, number)
    if incident.requester_id != user.pk:
        raise Http404(f"No incident {number}.")
    return incident


def _refuse_final(request: HttpRequest, incident: Incident) -> HttpResponse:
    # Nobody works a closed or cancelled incident, so a reply there would go unread.
    messages.error(
        request,
        f"{incident.number} is {incident.get_status_display().lower()}. "
        "If the problem is back, report a new incident.",
    )
    return redirect("incidents:portal_detail", number=incident.number)


@login_required
def portal_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    mine = incident_list_for_user(user).filter(requester=user).order_by("-created_at", "-id")
    page = paginate(request, mine, PORTAL_PAGE_SIZE)
    return render(request, "incidents/portal/list.html", {"page": page})


@login_required
def portal_report(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    # ?title= pre-fills the form, e.g. from a known-error search that found nothing.
    initial = {"title": request.GET.get("title", "")[:200]}
    form = IncidentReportForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        effect = form.chosen_effect
        uploads = form.cleaned_data.get("attachment") or []
        try:
            # One transaction: a refused attachment leaves no incident behind either.
            with transaction.atomic():
                incident = services.incident_create(
                    requester=user,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    impact=effect.impact,
                    urgency=effect.urgency,
                    service=form.cleaned_data["service"],
                )
                for upload in uploads:
                    attachment_add(ticket=incident, uploaded_by=user, upload=upload)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {"file": "attachment"})
        else:
            messages.success(
                request,
                f"{incident.number} received. We will keep you posted here and by email.",
            )
            return redirect("incidents:portal_detail", number=incident.number)
    return render(request, "incidents/portal/report.html", {"form": form})


def _detail(
    request: HttpRequest,
    incident: Incident,
    *,
    bound: dict[str, Any] | None = None,
) -> HttpResponse:
    user = current_user(request)
    bound = bound or {}
    legal = actions_of(incident).legal_now(user, incident)
    actions = {action.name for action, _ in legal} & set(PORTAL_ACTIONS)
    action_forms = {
        action: bound.get(action)
        or PORTAL_ACTIONS[action](initial={"version": incident.version}, prefix=action)
        for action in sorted(actions)
    }
    # The portal is the requester's view even for an agent who reported something themselves.
    events = timeline_for_user(ticket=incident, user=user).filter(is_public=True)
    files = attachments_for_user(ticket=incident, user=user).filter(is_internal=False)
    context = {
        "incident": incident,
        "sla_promises": sla_promises(incident, clocks_for_ticket(incident), timezone.now()),
        "events": events,
        "files": files,
        "action_forms": action_forms,
        "open_action": next(iter(bound), ""),
        "can_reply": incident.status not in FINAL_STATUSES,
        "reply_form": bound.get("reply") or ReplyForm(),
        "attach_form": bound.get("attach") or AttachmentForm(),
        "can_rate": can_rate(user, incident),
        "rating_form": bound.get("rating") or _rating_form(incident),
        "score_labels": SCORE_LABELS,
        **_resolution_dates(incident),
    }
    return render(request, "incidents/portal/detail.html", context)


def _rating_form(ticket: Incident) -> SatisfactionForm:
    initial = {"score": ticket.satisfaction_score, "comment": ticket.satisfaction_comment}
    return SatisfactionForm(initial=initial, prefix="rating")


def _resolution_dates(incident: Incident) -> dict[str, datetime | None]:
    """Until when a resolved incident can be reopened, and when it closes by itself."""
    if incident.status != IncidentStatus.RESOLVED or incident.resolved_at is None:
        return {"reopen_until": None, "autoclose_at": None}
    reopen_days = settings.INCIDENT_REOPEN_WINDOW_DAYS
    autoclose_days = settings.INCIDENT_AUTOCLOSE_DAYS
    return {
        "reopen_until": incident.resolved_at + timedelta(days=reopen_days),
        "autoclose_at": incident.resolved_at + timedelta(days=autoclose_days),
    }


@login_required
def portal_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, _my_incident(request, number))


@login_required
@require_POST
def portal_reply(request: HttpRequest, number: str) -> HttpResponse:
    incident = _my_incident(request, number)
    if incident.status in FINAL_STATUSES:
        return _refuse_final(request, incident)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.incident_comment(
                incident,
                author=current_user(request),
                body=form.cleaned_data["body"],
                is_internal=False,
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {})
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect("incidents:portal_detail", number=number)
        else:
            messages.success(request, "Your reply was sent to the service desk.")
            return redirect("incidents:portal_detail", number=number)
    return _detail(request, incident, bound={"reply": form})


@login_required
@require_POST
def portal_attach(request: HttpRequest, number: str) -> HttpResponse:
    incident = _my_incident(request, number)
    if incident.status in FINAL_STATUSES:
        return _refuse_final(request, incident)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                attachment = attachment_add(
                    ticket=incident,
                    uploaded_by=current_user(request),
                    upload=form.cleaned_data["file"],
                )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {})
        else:
            messages.success(request, f"{attachment.original_name} was added.")
            return redirect("incidents:portal_detail", number=number)
    return _detail(request, incident, bound={"attach": form})


@login_required
@require_POST
def portal_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    incident = _my_incident(request, number)
    form_class = PORTAL_ACTIONS.get(action)
    if form_class is None:
        raise Http404("No such action.")
    form = form_class(request.POST, prefix=action)
    if not form.is_valid():
        return _detail(request, incident, bound={action: form})
    user = current_user(request)
    version = form.cleaned_data["version"]
    try:
        if action == "close":
            services.incident_close(incident, actor=user, expected_version=version)
            messages.success(request, f"Thanks for confirming. {incident.number} is closed.")
        else:
            services.incident_reopen(
                incident, actor=user, reason=form.cleaned_data["reason"], expected_version=version
            )
            messages.success(
                request, f"{incident.number} is reopened; the service desk will look at it again."
            )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, incident, bound={action: form})
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
    return redirect("incidents:portal_detail", number=number)


@login_required
@require_POST
def portal_rate(request: HttpRequest, number: str) -> HttpResponse:
    """The requester rates the outcome (incidents.satisfaction decides whether they may)."""
    incident = _my_incident(request, number)
    form = SatisfactionForm(request.POST, prefix="rating")
    if not form.is_valid():
        return _detail(request, incident, bound={"rating": form})
    try:
        incident_rate(
            incident,
            actor=current_user(request),
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, incident, bound={"rating": form})
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Thank you for your rating. It helps us get better.")
    return redirect("incidents:portal_detail", number=number)
