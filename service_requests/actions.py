"""The service request action table (core.tickets.actions): what agents, requesters and
approvers can do to a request, on the agent's request page, the approvals page and the API
(registered in ServiceRequestsConfig.ready).

Approving and rejecting are the approver's alone and happen on the approvals page (its own
forms), so their rows have no agent-page form. `submit_for_approval` is the system's:
request_create runs it as a request for an item with an approval step is submitted.
"""

from core import ticket_actions as common
from core.api.action_inputs import EmptyInputSerializer
from core.models import User
from core.tickets.actions import Action
from core.web.forms import ConfirmForm, reason_form
from service_requests import services
from service_requests.api.serializers import (
    RequestApproveInputSerializer,
    RequestCancelInputSerializer,
    RequestFulfilInputSerializer,
    RequestRejectInputSerializer,
)
from service_requests.choices import CancelReason
from service_requests.forms import FulfilForm
from service_requests.models import ServiceRequest
from service_requests.permissions import can_approve

SYSTEM_ONLY = ("submit_for_approval",)


def approver_only(actor: User, request: ServiceRequest) -> str | None:
    if can_approve(actor, request):
        return None
    return "Only the approver this request was sent to can approve or reject it."


REQUEST_ACTIONS: tuple[Action, ...] = (
    Action(
        "approve",
        services.request_approve,
        "{number} approved; the requester was told.",
        serializer=RequestApproveInputSerializer,
        summary="awaiting approval → approved, by its approver (optional comment)",
        who=approver_only,
    ),
    Action(
        "reject",
        services.request_reject,
        "{number} rejected and closed; the requester was told.",
        serializer=RequestRejectInputSerializer,
        summary="awaiting approval → rejected → closed, by its approver, with a reason",
        who=approver_only,
    ),
    Action(
        "start",
        services.request_start,
        "Fulfilment of {number} started.",
        form=ConfirmForm,
        serializer=EmptyInputSerializer,
        summary="submitted (no approval needed) or approved → in fulfilment",
    ),
    Action(
        "fulfil",
        services.request_fulfil,
        "{number} fulfilled; the requester was told.",
        form=FulfilForm,
        serializer=RequestFulfilInputSerializer,
        summary="in fulfilment → fulfilled, with notes for the requester (every task done first)",
    ),
    Action(
        "close",
        services.request_close,
        "{number} closed.",
        form=ConfirmForm,
        serializer=EmptyInputSerializer,
        summary="fulfilled → closed (the requester may confirm their own)",
    ),
    common.hold(ServiceRequest),
    common.resume(),
    common.cancel(
        ServiceRequest,
        service=services.request_withdraw_or_cancel,
        form=reason_form(
            ServiceRequest,
            "cancel_reason",
            label="Reason",
            note_help="The requester sees this note.",
            exclude=(CancelReason.CONVERTED_TO_INCIDENT,),
        ),
        serializer=RequestCancelInputSerializer,
        summary="→ cancelled, with a reason (requesters withdraw their own)",
    ),
    *common.work_on_open_tickets(),
)
