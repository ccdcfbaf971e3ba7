"""Every write to a service request: what is particular to requests, on the kernel's machinery.

Each lifecycle action runs through the kernel's executor (lock, check the table, save the
changed fields, timeline event, SLA clocks, outbox). SLA clocks (kind "request") start at
submission, pause while the request waits for its approver or is on hold (neither is the service
desk's time), the response clock stops when fulfilment starts and the resolution clock at
fulfilled; rejection and cancellation cancel them (service_requests.kind). Hold, resume,
assignment, replies and rating are the kernel's, under request names.

Views, tasks and commands call these; none of them sets `status` itself. Each service opens its
own transaction (nested calls join the caller's).
"""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.choices import Source, Tier
from core.exceptions import TransitionError, ValidationFailed
from core.models import SupportGroup, TicketBase, User
from core.roles import is_agent
from core.tickets.executor import Notice, refuse_missing, ticket_lock, transition_run
from core.tickets.notify import notify_requester
from core.tickets.opening import ticket_open
from core.tickets.rating import ticket_rate
from core.tickets.work import (
    ticket_assign,
    ticket_cancel,
    ticket_comment,
    ticket_hold,
    ticket_resume,
)
from service_requests.answers import clean_answers
from service_requests.choices import ApprovalMode, CancelReason
from service_requests.events import task_updated_event
from service_requests.models import CatalogItem, RequestTask, ServiceRequest
from service_requests.notifications import notify_approvers

# --- Submission -----------------------------------------------------------------------------


def _approver_for(item: CatalogItem, requester: User) -> dict[str, Any]:
    """The approval snapshot a new request takes from its item (ValidationFailed when the
    requester's manager is asked for but none is recorded)."""
    if item.approval_mode == ApprovalMode.MANAGER:
        manager = requester.manager
        if manager is None or not manager.is_active:
            raise ValidationFailed(
                {
                    "approval": (
                        f"{item.name} needs approval by the requester's manager, and no active "
                        f"manager is recorded for {requester.display_name}. The service desk "
                        "can set one."
                    )
                }
            )
        return {"approval_mode": ApprovalMode.MANAGER, "approver": manager}
    if item.approval_mode == ApprovalMode.GROUP:
        return {"approval_mode": ApprovalMode.GROUP, "approver_group": item.approver_group}
    return {"approval_mode": ApprovalMode.NONE}


def open_request(
    *,
    requester: User,
    item: CatalogItem,
    answers: dict[str, Any],
    title: str,
    description: str,
    actor: User | None,
    source: str,
    message: str = "",
    converted_from: str = "",
) -> ServiceRequest:
    """Write a new request with already-validated `answers`: its checklist, its created event,
    its SLA clocks, the requester's acknowledgement, and its approval step when the item has
    one. Used by request_create and by conversion from another kind; one transaction."""
    snapshot = _approver_for(item, requester)
    group: SupportGroup = item.support_group
    with transaction.atomic():
        request = ticket_open(
            ServiceRequest,
            fields={
                "title": title[:200],
                "description": description,
                "requester": requester,
                "support_group": group,
                "tier": group.tier if group else Tier.L1,
                "priority": item.priority,
                "service": item.service,
                "source": source,
                "catalog_item": item,
                "answers": answers,
                **snapshot,
            },
            actor=actor if actor is not None else requester,
            source=source,
            event_fields={"catalog_item": item.name, "priority": item.priority},
            message=message,
            converted_from=converted_from,
        )
        RequestTask.objects.bulk_create(
            RequestTask(request=request, title=task.title, order=task.order)
            for task in item.tasks.order_by("order", "id")
        )
        notify_requester(
            request,
            subject=f"We received your request: {request.title}",
            body=(
                f"Your request {request.number} ({item.name}) is with the service desk."
                + (" It goes to its approver first." if item.needs_approval else "")
            ),
            key="created",
            key_is_new=True,
        )
        if item.needs_approval:
            request = request_submit_for_approval(request)
    return request


def request_create(
    *,
    requester: User,
    item: CatalogItem,
    answers: Mapping[str, Any],
    details: str = "",
    actor: User | None = None,
    source: str = Source.WEB,
) -> ServiceRequest:
    """Submit a request for a catalog item, numbered REQ-nnnnnn.

    `answers` are raw values by CatalogField.key (form strings or JSON values); they are
    validated against the item's questions first, and any bad value raises ValidationFailed with
    one message per field before anything is written. A user picker is looked up only when
    an agent submits (service_requests.answers: no user enumeration from an end user's seat).
    """
    if not item.is_active:
        raise ValidationFailed({"item": f"{item.name} can no longer be requested."})
    details = (details or "").strip()
    if len(details) > 10_000:
        raise ValidationFailed({"details": "Keep the details under 10,000 characters."})
    typed = clean_answers(
        item.fields.order_by("order", "id"),
        answers,
        may_look_up_people=is_agent(actor or requester),
    )
    return open_request(
        requester=requester,
        item=item,
        answers=typed,
        title=item.name,
        description=details,
        actor=actor,
        source=source,
    )


def request_from_ticket(
    origin: TicketBase, *, actor: User, source: str, message: str, item: CatalogItem
) -> ServiceRequest:
    """A request for `item` replacing a ticket of another kind that was really a request
    (core.tickets.conversion): its requester, title and description; it goes through the item's
    approval step like any other but asks none of the item's questions (the origin's text
    stands for the answers)."""
    return open_request(
        requester=origin.requester,
        item=item,
        answers={},
        title=origin.title,
        description=origin.description,
        actor=actor,
        source=source,
        message=message,
        converted_from=origin.number,
    )


def request_from_email(
    *,
    requester: User,
    title: str,
    description: str,
    catalog_item: CatalogItem | None,
    source: str,
    **_defaults: Any,
) -> ServiceRequest:
    """A request opened by mail to a service-request mailbox (the kernel's EmailIntake): for the
    mailbox's catalog item, titled by the subject; the mail's text stands for the answers, as in
    a conversion, and the item's approval step applies as usual."""
    if catalog_item is None:
        raise ValidationFailed(
            {"catalog_item": "This mailbox opens requests but names no catalog item."}
        )
    if not catalog_item.is_active:
        raise ValidationFailed({"item": f"{catalog_item.name} can no longer be requested."})
    return open_request(
        requester=requester,
        item=catalog_item,
        answers={},
        title=title or catalog_item.name,
        description=description,
        actor=None,
        source=source,
    )


# --- Transitions ----------------------------------------------------------------------------


def request_submit_for_approval(request: ServiceRequest) -> ServiceRequest:
    """submitted -> awaiting_approval, by the system as the request is created; the approver
    (manager or group members) is emailed and SLA clocks pause until the decision."""
    with transaction.atomic():
        sent = transition_run(
            request, action="submit_for_approval", actor=None, source=Source.SYSTEM
        )
        notify_approvers(sent)
    return sent


def request_approve(
    request: ServiceRequest,
    *,
    actor: User,
    comment: str = "",
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ServiceRequest:
    """awaiting_approval -> approved by its approver; the requester is told, clocks resume."""
    comment = (comment or "").strip()
    return transition_run(
        request,
        action="approve",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values={"decided_by": actor, "decision_comment": comment},
        message=comment,
        notice=lambda approved: Notice(
            f"Approved: {approved.title}",
            f"{actor.display_name} approved your request {approved.number}."
            + (f"\n\n{comment}" if comment else "")
            + "\n\nThe service desk will now fulfil it.",
            "approved",
        ),
    )


def request_reject(
    request: ServiceRequest,
    *,
    actor: User,
    reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ServiceRequest:
    """awaiting_approval -> rejected -> closed, in one transaction: the reason is recorded and
    sent to the requester, and the request is closed by the system with that reason."""
    reason = (reason or "").strip()
    refuse_missing({"reason": reason}, ("reason",))
    with transaction.atomic():
        rejected = transition_run(
            request,
            action="reject",
            actor=actor,
            source=source,
            expected_version=expected_version,
            values={"decided_by": actor, "decision_comment": reason},
            message=reason,
        )
        return transition_run(
            rejected,
            action="close",
            actor=None,
            source=Source.SYSTEM,
            message=f"Closed because the request was rejected: {reason}",
            notice=lambda closed: Notice(
                f"Rejected: {closed.title}",
                f"{actor.display_name} rejected your request {closed.number}, so it is "
                f"closed.\n\nReason: {reason}",
                "rejected",
            ),
        )


def request_start(
    request: ServiceRequest,
    *,
    actor: User,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ServiceRequest:
    """submitted (no approval needed) or approved -> in_fulfilment; ends the response clock.
    An unassigned request is assigned to the agent who starts it."""
    return transition_run(
        request,
        action="start",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values=lambda locked: {"assignee": actor} if locked.assignee_id is None else {},
    )


def request_fulfil(
    request: ServiceRequest,
    *,
    actor: User,
    fulfilment_notes: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ServiceRequest:
    """in_fulfilment -> fulfilled, refused while a fulfilment task is open (the refusal names
    it). The requester sees the notes and is emailed; the resolution clock stops."""
    notes = (fulfilment_notes or "").strip()
    return transition_run(
        request,
        action="fulfil",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values={"fulfilment_notes": notes},
        message=notes,
        notice=lambda fulfilled: Notice(
            f"Fulfilled: {fulfilled.title}",
            f"{fulfilled.number} is fulfilled.\n\n{notes}",
            "fulfilled",
        ),
    )


def request_close(
    request: ServiceRequest,
    *,
    actor: User | None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ServiceRequest:
    """fulfilled -> closed (final): the requester confirms, or an agent closes it."""
    return transition_run(
        request, action="close", actor=actor, source=source, expected_version=expected_version
    )


def request_cancel(
    request: ServiceRequest,
    *,
    actor: User,
    cancel_reason: str,
    note: str = "",
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ServiceRequest:
    """-> cancelled (final): withdrawn by the requester, a duplicate, not feasible, or converted
    to an incident. Clocks are cancelled; the requester is told when someone else cancels."""
    with transaction.atomic():
        cancelled = ticket_cancel(
            request,
            actor=actor,
            cancel_reason=cancel_reason,
            note=note,
            source=source,
            expected_version=expected_version,
        )
        if actor.pk != cancelled.requester_id:
            note = (note or "").strip()
            notify_requester(
                cancelled,
                subject=f"Cancelled: {cancelled.title}",
                body=(
                    f"{cancelled.number} was cancelled "
                    f"({cancelled.get_cancel_reason_display().lower()})."
                    + (f"\n\n{note}" if note else "")
                ),
                key="cancelled",
            )
    return cancelled


def request_withdraw_or_cancel(
    request: ServiceRequest,
    *,
    actor: User,
    cancel_reason: str | None = None,
    note: str = "",
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ServiceRequest:
    """The cancel action of the request's action table: agents cancel with a reason; anyone
    else may only withdraw (their own request: the kind's permission), so no reason or
    `withdrawn` is accepted from them and any other reason is refused (ValidationFailed)."""
    if not is_agent(actor):
        if cancel_reason not in (None, "", CancelReason.WITHDRAWN):
            raise ValidationFailed(
                {"cancel_reason": "You can withdraw your own request: use 'withdrawn'."}
            )
        cancel_reason = CancelReason.WITHDRAWN
    elif not cancel_reason:
        raise ValidationFailed({"cancel_reason": "This field is required."})
    return request_cancel(
        request,
        actor=actor,
        cancel_reason=cancel_reason,
        note=note,
        source=source,
        expected_version=expected_version,
    )


# --- Work on an open request ----------------------------------------------------------------


def request_task_set_done(
    task: RequestTask, *, actor: User, done: bool, source: str = Source.WEB
) -> RequestTask:
    """Tick (or untick) one fulfilment task of an open request; agents only.

    The request row is locked first, so a tick never races a `fulfil` that is checking the
    open tasks. Ticking a task already ticked changes nothing and records nothing. Like a
    comment, a tick does not bump the request's `version`.
    """
    if not is_agent(actor):
        raise TransitionError("Only agents can work on fulfilment tasks.")
    with transaction.atomic():
        request = ticket_lock(task.request)
        if not request.is_open:
            raise TransitionError(
                f"{request.number} is {request.get_status_display().lower()}; "
                "its tasks cannot change."
            )
        now = timezone.now()
        changed = (
            RequestTask.objects.filter(pk=task.pk, request=request)
            .exclude(is_done=done)
            .update(is_done=done, done_by=actor if done else None, done_at=now if done else None)
        )
        fresh = RequestTask.objects.select_related("done_by").get(pk=task.pk)
        if not changed:
            return fresh
        ServiceRequest.objects.filter(pk=request.pk).update(updated_at=now)
        task_updated_event(request, actor=actor, source=source, title=fresh.title, done=done)
    return fresh


# What every kind does, under request names.
request_hold = ticket_hold
request_resume = ticket_resume
request_assign = ticket_assign
request_comment = ticket_comment
request_rate = ticket_rate

__all__ = [
    "request_assign",
    "request_comment",
    "request_hold",
    "request_rate",
    "request_resume",
]
