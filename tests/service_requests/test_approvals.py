"""Approval flow: the requester's manager or a named group approves or rejects with a comment;
the requester is emailed; a rejected request is closed with the reason."""

import pytest
from django.contrib.contenttypes.models import ContentType

from core.exceptions import TransitionError, ValidationFailed
from core.models import OutboxMessage, TimelineEvent
from service_requests import services
from service_requests.choices import ApprovalMode, RequestStatus
from service_requests.models import ServiceRequest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LAPTOP_ANSWERS = {"model": "Standard", "needed_by": "2030-01-15", "justification": "Old one died"}


def _emails(request: ServiceRequest) -> dict[str, dict]:
    return {
        m.dedupe_key.rsplit(":", 1)[-1]: m.payload
        for m in OutboxMessage.objects.filter(dedupe_key__startswith=f"request:{request.pk}:")
    }


def _events(request: ServiceRequest) -> list[tuple[str, str]]:
    return list(
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(ServiceRequest), ticket_id=request.pk
        )
        .order_by("id")
        .values_list("from_status", "to_status")
    )


def test_manager_approval_goes_to_the_requesters_manager(requester, manager, laptop):
    request = services.request_create(requester=requester, item=laptop, answers=LAPTOP_ANSWERS)
    assert request.status == RequestStatus.AWAITING_APPROVAL
    assert request.approval_mode == ApprovalMode.MANAGER
    assert request.approver == manager
    assert request.approval_requested_at is not None
    emails = _emails(request)
    assert emails["approval"]["to"] == [manager.email]
    assert "/portal/approvals/REQ-" in emails["approval"]["body"]
    assert _events(request) == [("", "submitted"), ("submitted", "awaiting_approval")]

    approved = services.request_approve(request, actor=manager, comment="Go ahead")
    assert approved.status == RequestStatus.APPROVED
    assert approved.decided_by == manager
    assert approved.decision_comment == "Go ahead"
    emails = _emails(request)
    assert emails["approved"]["to"] == [requester.email]
    assert "Go ahead" in emails["approved"]["body"]


def test_the_manager_is_snapshotted_at_submission(requester, manager, laptop):
    request = services.request_create(requester=requester, item=laptop, answers=LAPTOP_ANSWERS)
    new_manager = UserFactory(username="newboss")
    requester.manager = new_manager
    requester.save()
    with pytest.raises(TransitionError):
        services.request_approve(request, actor=new_manager)
    assert services.request_approve(request, actor=manager).status == RequestStatus.APPROVED


def test_group_approval_any_member_decides(requester, approver, approver_group, vpn):
    colleague = UserFactory(username="colleague")
    colleague.groups.add(approver_group)
    request = services.request_create(requester=requester, item=vpn, answers={})
    assert request.status == RequestStatus.AWAITING_APPROVAL
    assert request.approver_group == approver_group
    assert sorted(_emails(request)["approval"]["to"]) == sorted([approver.email, colleague.email])
    approved = services.request_approve(request, actor=colleague)
    assert approved.status == RequestStatus.APPROVED


def test_reject_closes_the_request_with_the_reason(requester, manager, laptop):
    request = services.request_create(requester=requester, item=laptop, answers=LAPTOP_ANSWERS)
    closed = services.request_reject(request, actor=manager, reason="Budget is frozen")
    assert closed.status == RequestStatus.CLOSED
    assert closed.rejected_at is not None and closed.closed_at is not None
    assert closed.decision_comment == "Budget is frozen"
    assert _events(request)[-2:] == [("awaiting_approval", "rejected"), ("rejected", "closed")]
    last = TimelineEvent.objects.filter(ticket_id=request.pk).order_by("-id").first()
    assert last.actor is None and "Budget is frozen" in last.message
    rejected_mail = _emails(request)["rejected"]
    assert rejected_mail["to"] == [requester.email]
    assert "Budget is frozen" in rejected_mail["body"]


def test_reject_needs_a_reason_and_changes_nothing_without_one(requester, manager, laptop):
    request = services.request_create(requester=requester, item=laptop, answers=LAPTOP_ANSWERS)
    with pytest.raises(ValidationFailed) as exc:
        services.request_reject(request, actor=manager, reason="  ")
    assert "reason" in exc.value.errors
    request.refresh_from_db()
    assert request.status == RequestStatus.AWAITING_APPROVAL


@pytest.mark.parametrize("who", ["agent_l1", "other_end_user", "admin_user"])
def test_only_the_approver_decides(request, requester, laptop, who):
    outsider = request.getfixturevalue(who)
    sr = services.request_create(requester=requester, item=laptop, answers=LAPTOP_ANSWERS)
    with pytest.raises(TransitionError, match="not allowed"):
        services.request_approve(sr, actor=outsider)
    with pytest.raises(TransitionError, match="not allowed"):
        services.request_reject(sr, actor=outsider, reason="no")
    sr.refresh_from_db()
    assert sr.status == RequestStatus.AWAITING_APPROVAL


def test_nobody_approves_their_own_request(approver, vpn):
    request = services.request_create(requester=approver, item=vpn, answers={})
    with pytest.raises(TransitionError):
        services.request_approve(request, actor=approver)


def test_manager_approval_without_a_manager_is_refused_and_stores_nothing(end_user, laptop):
    with pytest.raises(ValidationFailed) as exc:
        services.request_create(requester=end_user, item=laptop, answers=LAPTOP_ANSWERS)
    assert "no active manager" in exc.value.errors["approval"]
    assert not ServiceRequest.objects.exists()


def test_fulfilment_cannot_start_before_approval(requester, agent_l1, laptop):
    request = services.request_create(requester=requester, item=laptop, answers=LAPTOP_ANSWERS)
    with pytest.raises(TransitionError, match="Cannot start fulfilment"):
        services.request_start(request, actor=agent_l1)


def test_no_approval_item_skips_the_approval_step(requester, mfa):
    request = services.request_create(requester=requester, item=mfa, answers={})
    assert request.status == RequestStatus.SUBMITTED
    assert "approval" not in _emails(request)
