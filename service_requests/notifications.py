"""Emails about service requests, written to the outbox inside the change's transaction."""

from django.conf import settings

from core.models import User
from core.outbox import outbox_enqueue
from service_requests.choices import ApprovalMode
from service_requests.models import ServiceRequest


def portal_link(request: ServiceRequest) -> str:
    return f"{settings.SITE_URL}/portal/requests/{request.number}/"


def agent_link(request: ServiceRequest) -> str:
    return f"{settings.SITE_URL}/agent/requests/{request.number}/"


def approval_link(request: ServiceRequest) -> str:
    return f"{settings.SITE_URL}/portal/approvals/{request.number}/"


def _send(request: ServiceRequest, to: list[str], subject: str, body: str, key: str) -> None:
    if not to:
        return
    outbox_enqueue(
        task_name="core.send_email",
        payload={"to": to, "subject": f"[{request.number}] {subject}", "body": body},
        dedupe_key=f"request:{request.pk}:{key}",
    )


def notify_requester(request: ServiceRequest, *, subject: str, body: str, key: str) -> None:
    email = request.requester.email
    _send(
        request,
        [email] if email else [],
        subject,
        f"{body}\n\nFollow it here: {portal_link(request)}\n",
        key,
    )


def notify_agent(
    request: ServiceRequest, agent: User, *, subject: str, body: str, key: str
) -> None:
    _send(
        request,
        [agent.email] if agent.email else [],
        subject,
        f"{body}\n\n{agent_link(request)}\n",
        key,
    )


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
    _send(
        request,
        approver_emails(request),
        f"Approval needed: {request.title} for {request.requester.display_name}",
        f"{request.requester.display_name} asked for {request.catalog_item.name}. "
        f"Please approve or reject it:\n\n{approval_link(request)}\n",
        "approval",
    )
