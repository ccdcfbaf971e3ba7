"""The service-request kind, as the kernel's registry knows it (registered in
ServiceRequestsConfig.ready)."""

from typing import Any

from django.conf import settings
from django.utils import timezone

from core.choices import Role
from core.tickets.kinds import (
    AutoClose,
    ClockRules,
    Conversion,
    EmailIntake,
    RatingRules,
    ReportingExtras,
    ReportingMilestones,
    TicketKind,
)
from service_requests.choices import CancelReason
from service_requests.choices import RequestStatus as S
from service_requests.forms import ToRequestForm
from service_requests.models import ServiceRequest
from service_requests.permissions import request_permission
from service_requests.portal_spec import PORTAL
from service_requests.selectors import (
    open_task_titles,
    request_get_for_user,
    request_list_for_user,
)
from service_requests.services import request_from_email, request_from_ticket
from service_requests.transitions import LIFECYCLE, Context


def _guard_context(request: Any, action: str) -> Context:
    # Only `fulfil` reads the open tasks: the refusal names them.
    return Context(
        now=timezone.now(),
        open_tasks=open_task_titles(request) if action == "fulfil" else (),
    )


def _autoclose_days() -> int:
    return settings.REQUEST_AUTOCLOSE_DAYS


def _reply_refusal(request: Any) -> str | None:
    if request.status not in LIFECYCLE.final:
        return None
    return f"{request.number} is {request.get_status_display().lower()}; replies are closed."


SERVICE_REQUEST = TicketKind(
    name="request",
    model=ServiceRequest,
    lifecycle=LIFECYCLE,
    list_for_user=request_list_for_user,
    get_for_user=request_get_for_user,
    milestone_labels={
        S.AWAITING_APPROVAL: "Sent for approval",
        S.IN_FULFILMENT: "Fulfilment started",
    },
    created_verb="submitted the request",
    created_description="A service request was submitted.",
    permission=request_permission,
    guard_context=_guard_context,
    reply_refusal=_reply_refusal,
    lock_related=("requester", "catalog_item", "approver"),
    note_fields=frozenset({"decision_comment", "fulfilment_notes"}),
    clock_rules=ClockRules(
        cancel_on=frozenset({S.CANCELLED, S.REJECTED}),
        pause_in=frozenset({S.AWAITING_APPROVAL, S.ON_HOLD}),
        response_met_on=frozenset({S.IN_FULFILMENT}),
        resolution_met_on=frozenset({S.FULFILLED}),
        metric_labels={"response": "Start fulfilment", "resolution": "Fulfil"},
    ),
    resolved_status=S.FULFILLED,
    reporting=ReportingMilestones(started="submitted_at", acknowledged="fulfilment_started_at"),
    rating=RatingRules(
        asked_verb="asked for", wait_text="you can rate a request once it is fulfilled."
    ),
    autoclose=AutoClose(days=_autoclose_days),
    conversion=Conversion(
        create_from=request_from_ticket,
        cancel_reasons={"incident": CancelReason.CONVERTED_TO_INCIDENT},
        form=ToRequestForm,
    ),
    portal=PORTAL,
    # The request list filters neither by priority, tier and service nor by SLA state.
    reporting_extras=ReportingExtras(queue_filters=frozenset({"support_group", "assignee"})),
    view_roles=frozenset({Role.AGENT, Role.MANAGER}),
    email=EmailIntake(open_ticket=request_from_email),
)
