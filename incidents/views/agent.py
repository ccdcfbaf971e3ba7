"""The agent workspace's incident page: the SLA panel (ticked live by static/js/queue.js), one
small form per legal transition, escalation between tiers, claiming and assignment, public
replies and internal notes as two distinct forms, files and the full timeline.

The triage queue lives in incidents.views.queue, its bulk actions in incidents.views.bulk.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.choices import Tier
from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.models import SupportGroup
from core.selectors import attachments_for_user, timeline_for_user
from core.services import attachment_add
from core.tickets.escalation import next_tier_group
from core.web.forms import (
    AgentCommentForm,
    AssignForm,
    AttachmentForm,
    TierMoveForm,
    VersionedForm,
    apply_domain_errors,
)
from incidents import services
from incidents.bulk import transition_perform
from incidents.forms import TRANSITION_FORMS
from incidents.models import Incident
from incidents.selectors import incident_get_for_user
from incidents.views.common import (
    HtmxHttpRequest,
    agent_required,
    allowed_transitions,
    current_user,
    safe_next,
)
from sla.selectors import ClockStatus, clock_status, clocks_for_ticket, ticket_sla

# --- Incident page --------------------------------------------------------------------------

MILESTONES = (
    ("Identified", "identified_at"),
    ("Logged", "logged_at"),
    ("Classified", "classified_at"),
    ("Contained", "contained_at"),
    ("Diagnosed", "diagnosed_at"),
    ("Resolved", "resolved_at"),
    ("Closed", "closed_at"),
    ("Cancelled", "cancelled_at"),
)


def _transition_initial(action: str, incident: Incident) -> dict[str, Any]:
    initial: dict[str, Any] = {"version": incident.version}
    if action == "classify":
        initial.update(
            category=incident.category,
            impact=incident.impact,
            urgency=incident.urgency,
            service=incident.service_id,
            configuration_item=incident.configuration_item_id,
            is_major=incident.is_major,
        )
    return initial


@dataclass(frozen=True)
class TierMove:
    """One of the two tier moves offered on the incident page (escalate / de-escalate)."""

    direction: str
    label: str
    to_tier: int
    group: SupportGroup | None
    form: Form


def _tier_moves(incident: Incident, bound: dict[str, Form]) -> list[TierMove]:
    """The moves possible from the incident's tier, with the group each would land in; a move
    with no group is still listed so the page can say why it is not offered."""
    if not incident.is_open:
        return []
    moves = []
    for direction, step, verb in (("escalate", 1, "Escalate"), ("deescalate", -1, "De-escalate")):
        to_tier = incident.tier + step
        if not Tier.L1 <= to_tier <= Tier.L3:
            continue
        moves.append(
            TierMove(
                direction=direction,
                label=f"{verb} to L{to_tier}",
                to_tier=to_tier,
                group=next_tier_group(to_tier, incident.service),
                form=bound.get(direction)
                or TierMoveForm(initial={"version": incident.version}, prefix=direction),
            )
        )
    return moves


@dataclass(frozen=True)
class LiveClock:
    """A clock as the panel shows it, with its warning instant so the page can turn the badge
    "at risk" and then "breached" while it is open."""

    status: ClockStatus
    warn_at: datetime | None


def _composer(bound: dict[str, Form]) -> str:
    """Which of the two comment forms a re-shown, invalid comment belongs to."""
    form = bound.get("comment")
    if form is None:
        return ""
    visibility = form.data.get(f"{form.prefix}-visibility")
    return "reply" if visibility == AgentCommentForm.PUBLIC else "note"


def _detail(
    request: HttpRequest,
    incident: Incident,
    *,
    bound: dict[str, Form] | None = None,
) -> HttpResponse:
    """Render the incident page; `bound` holds a submitted form to show again with its errors."""
    user = current_user(request)
    bound = bound or {}
    now = timezone.now()
    clocks = clocks_for_ticket(incident)
    actions = [
        {
            "transition": transition,
            "form": bound.get(transition.action)
            or TRANSITION_FORMS[transition.action](
                initial=_transition_initial(transition.action, incident),
                prefix=transition.action,
            ),
        }
        for transition in allowed_transitions(user, incident)
    ]
    sla_clocks = [clock_status(clock, now) for clock in clocks]
    context = {
        "incident": incident,
        "actions": actions,
        "open_form": next(iter(bound), ""),
        "sla_clocks": sla_clocks,
        "sla_live_clocks": [
            LiveClock(status, clock.warn_at)
            for status, clock in zip(sla_clocks, clocks, strict=True)
        ],
        "sla": ticket_sla(clocks, now),
        "tier_moves": _tier_moves(incident, bound),
        "milestones": [
            (label, getattr(incident, name))
            for label, name in MILESTONES
            if getattr(incident, name) is not None
        ],
        "events": timeline_for_user(ticket=incident, user=user),
        "files": attachments_for_user(ticket=incident, user=user),
        "assign_form": bound.get("assign")
        or AssignForm(
            initial={
                "version": incident.version,
                "assignee": incident.assignee_id,
                "support_group": incident.support_group_id,
            },
            prefix="assign",
        ),
        "comment_form": bound.get("comment") or AgentCommentForm(prefix="comment"),
        "composer": _composer(bound),
        "attach_form": bound.get("attach") or AttachmentForm(allow_internal=True, prefix="attach"),
    }
    return render(request, "incidents/agent/detail.html", context)


def _incident(request: HttpRequest, number: str) -> Incident:
    return incident_get_for_user(current_user(request), number)


def _back(number: str) -> HttpResponse:
    return redirect("incidents:agent_detail", number=number)


@agent_required
def agent_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, _incident(request, number))


# --- Transitions ----------------------------------------------------------------------------

DONE_MESSAGES = {
    "accept": "{number} accepted and logged.",
    "classify": "{number} classified as {priority}.",
    "contain": "{number} contained.",
    "diagnose": "Diagnosis recorded on {number}.",
    "resolve": "{number} resolved; the requester was told.",
    "close": "{number} closed.",
    "reopen": "{number} reopened.",
    "hold": "{number} is on hold.",
    "resume": "{number} resumed.",
    "cancel": "{number} cancelled.",
}


@agent_required
@require_POST
def agent_transition(request: HttpRequest, number: str, action: str) -> HttpResponse:
    incident = _incident(request, number)
    form_class = TRANSITION_FORMS.get(action)
    if form_class is None:
        raise Http404("No such action.")
    form: VersionedForm = form_class(request.POST, prefix=action)
    if not form.is_valid():
        return _detail(request, incident, bound={action: form})
    try:
        updated = transition_perform(
            incident,
            actor=current_user(request),
            action=action,
            data=form.cleaned_data,
            expected_version=form.cleaned_data["version"],
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {"reason": _reason_field(form)})
        return _detail(request, incident, bound={action: form})
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
        return _back(number)
    messages.success(
        request,
        DONE_MESSAGES[action].format(
            number=updated.number, priority=updated.get_priority_display()
        ),
    )
    return _back(number)


def _reason_field(form: Form) -> str:
    # The table's "reason" requirement is the reopen reason, or the note of hold/cancel.
    return "reason" if "reason" in form.fields else "note"


# --- Escalation -----------------------------------------------------------------------------


def _move_tier(request: HttpRequest, number: str, direction: str) -> HttpResponse:
    incident = _incident(request, number)
    form = TierMoveForm(request.POST, prefix=direction)
    if not form.is_valid():
        return _detail(request, incident, bound={direction: form})
    move = services.incident_escalate if direction == "escalate" else services.incident_deescalate
    try:
        outcome = move(
            incident,
            actor=current_user(request),
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, incident, bound={direction: form})
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
        return _back(number)
    moved = _incident(request, number)
    verb = "escalated" if direction == "escalate" else "de-escalated"
    group = moved.support_group.name if moved.support_group else "no group"
    messages.success(
        request,
        f"{moved.number} {verb} from L{outcome.from_tier} to L{outcome.to_tier}: "
        f"now with {group}, unassigned.",
    )
    return _back(number)


@agent_required
@require_POST
def agent_escalate(request: HttpRequest, number: str) -> HttpResponse:
    """Move the incident to the next tier's group (unassigned), with a reason."""
    return _move_tier(request, number, "escalate")


@agent_required
@require_POST
def agent_deescalate(request: HttpRequest, number: str) -> HttpResponse:
    """Move the incident back to the previous tier's group (unassigned), with a reason."""
    return _move_tier(request, number, "deescalate")


# --- Assignment -----------------------------------------------------------------------------


@agent_required
@require_POST
def agent_assign(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number)
    form = AssignForm(request.POST, prefix="assign")
    if not form.is_valid():
        return _detail(request, incident, bound={"assign": form})
    try:
        updated = services.incident_assign(
            incident,
            actor=current_user(request),
            assignee=form.cleaned_data["assignee"],
            support_group=form.cleaned_data["support_group"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationFailed as exc:
        apply_domain_errors(form, exc, {})
        return _detail(request, incident, bound={"assign": form})
    except (TransitionError, ConflictError) as exc:
        messages.error(request, str(exc))
        return _back(number)
    if updated.version == incident.version:
        messages.info(request, "Nothing changed.")
    else:
        who = updated.assignee.display_name if updated.assignee else "nobody"
        messages.success(request, f"{updated.number} is assigned to {who}.")
    return _back(number)


@agent_required
@require_POST
def agent_claim(request: HtmxHttpRequest, number: str) -> HttpResponse:
    """Assign an unassigned incident to oneself. From the queue (HTMX) the answer is a status
    line for the page and an event that makes the rows refresh; otherwise a redirect to `next`
    (the queue, with its filters) or to the incident."""
    incident = _incident(request, number)
    try:
        services.incident_claim(incident, actor=current_user(request))
    except (TransitionError, ConflictError) as exc:
        level, text = "error", str(exc)
    else:
        level, text = "success", f"{incident.number} is yours now."
    if request.htmx:
        response = render(
            request,
            "incidents/agent/_queue_status.html",
            {"level": level, "text": text, "number": incident.number},
        )
        response["HX-Trigger"] = "queue-refresh"
        return response
    (messages.success if level == "success" else messages.error)(request, text)
    return redirect(safe_next(request, reverse("incidents:agent_detail", args=[number])))


# --- Comments and files ---------------------------------------------------------------------


@agent_required
@require_POST
def agent_comment(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number)
    form = AgentCommentForm(request.POST, prefix="comment")
    if form.is_valid():
        try:
            services.incident_comment(
                incident,
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
    return _detail(request, incident, bound={"comment": form})


@agent_required
@require_POST
def agent_attach(request: HttpRequest, number: str) -> HttpResponse:
    incident = _incident(request, number)
    form = AttachmentForm(request.POST, request.FILES, allow_internal=True, prefix="attach")
    if form.is_valid():
        try:
            with transaction.atomic():
                attachment = attachment_add(
                    ticket=incident,
                    uploaded_by=current_user(request),
                    upload=form.cleaned_data["file"],
                    is_internal=form.cleaned_data["is_internal"],
                )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {})
        else:
            messages.success(request, f"{attachment.original_name} was added.")
            return _back(number)
    return _detail(request, incident, bound={"attach": form})
