"""Emails only service requests send: the approval request to its approver(s). Written to the
outbox inside the change's transaction (the kernel's core.tickets.notify). The approval request
is recorded with purpose "approval": the approver may answer it by email."""

from django.conf import settings

from core.models import User
from core.tickets.email_thread import EmailPurpose
from core.tickets.notify import notify
from service_requests.choices import ApprovalMode
from service_requests.models import ServiceRequest


def approval_link(request: ServiceRequest) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/portal/approvals/{request.number}/"


def approver_emails(request: ServiceRequest) -> list[str]:
    if request.approval_mode == ApprovalMode.MANAGER and request.approver is not None:
        return [request.approver.email] if request.approver.email else []
    if request.approval_mode == ApprovalMode.GROUP and request.approver_group_id:
        emails = (
            User.objects.filter(groups=request.approver_group_id, is_active=True)
            .exclude(pk=request.requester_id)
            .exclude(email="")
            .order_by("email")
            .values_list("email", flat=True)
        )
        return sorted(set(emails))
    return []


def notify_approvers(request: ServiceRequest) -> None:
    notify(
        request,
        approver_emails(request),
        subject=f"Approval needed: {request.title} for {request.requester.display_name}",
        body=(
            f"{request.requester.display_name} asked for {request.catalog_item.name}. "
            f"Please approve or reject it:\n\n{approval_link(request)}\n\n"
            "You can answer this email with 'approve' or 'reject: reason'.\n"
        ),
        key="approval",
        purpose=EmailPurpose.APPROVAL,
    )
