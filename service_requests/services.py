"""Every write to a service request. One service per lifecycle transition, all through
`_transition`:

1. lock the row, 2. check the transition table, 3. save the changed fields and bump `version`,
4. append a timeline event, 5. write side effects (emails) to the outbox, delivered after commit.

SLA clocks (kind "request") follow the lifecycle: they start at submission; they are paused while
the request waits for its approver or is on hold (neither is the service desk's time); the
response clock stops when fulfilment starts; the resolution clock stops at fulfilled; rejection
and cancellation cancel them.

Views, tasks and commands call these; none of them sets `status` itself. Each service opens its
own transaction (nested calls join the caller's).
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.choices import EventKind, Source, Tier
from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.models import SupportGroup, User
from core.numbering import allocate_number
from core.roles import is_agent
from core.services import comment_add, event_append
from service_requests import notifications, transitions
from service_requests.answers import clean_answers
from service_requests.choices import (
    ApprovalMode,
    CancelReason,
    HoldReason,
    RequestStatus,
)
from service_requests.models import CatalogItem, RequestTask, ServiceRequest
from service_requests.permissions import can_perform
from sla import services as sla
from sla.choices import Metric, TicketKind

MILESTONE_FIELDS: dict[str, str] = {
    RequestStatus.AWAITING_APPROVAL: "approval_requested_at",
    RequestStatus.APPROVED: "approved_at",
    RequestStatus.REJECTED: "rejected_at",
    RequestStatus.IN_FULFILMENT: "fulfilment_started_at",
    RequestStatus.FULFILLED: "fulfilled_at",
    RequestStatus.CLOSED: "closed_at",
    RequestStatus.CANCELLED: "cancelled_at",
}
MILESTONES = frozenset(MILESTONE_FIELDS.values())


def _require(values: dict[str, Any], names: tuple[str, ...]) -> None:
    missing = {name: "This field is required." for name in names if values.get(name) in (None, "")}
    if missing:
        raise ValidationFailed(missing)


def _choice(value: str, choices: type, field: str) -> str:
    if value not in choices.values:  # type: ignore[attr-defined]
        raise ValidationFailed({field: f"'{value}' is not a valid choice."})
    return value


def _jsonable(value: Any) -> Any:
    if hasattr(value, "pk"):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _lock(request: ServiceRequest, expected_version: int | None) -> ServiceRequest:
    # of=("self",): lock only the request, not the joined requester/item rows.
    locked = (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("requester", "catalog_item", "approver")
        .get(pk=request.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            f"{locked.number} was changed by someone else since you opened it "
            f"(version {expected_version}, now {locked.version}). Reload and try again."
        )
    return locked


def _save(request: ServiceRequest, fields: set[str]) -> None:
    request.version += 1
    request.updated_at = timezone.now()
    request.save(update_fields=sorted({*fields, "version", "updated_at"}))


def _open_task_titles(request: ServiceRequest) -> tuple[str, ...]:
    return tuple(
        request.tasks.filter(is_done=False).order_by("order", "id").values_list("title", flat=True)
    )


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
    changes: dict[str, Any] | None = None,
) -> ServiceRequest:
    """Write a new request with already-validated `answers`: its checklist, its created event,
    its SLA clocks, the requester's acknowledgement, and its approval step when the item has
    one. Used by request_create and by conversion from an incident; runs in one transaction."""
    snapshot = _approver_for(item, requester)
    group: SupportGroup = item.support_group
    now = timezone.now()
    with transaction.atomic():
        request = ServiceRequest.objects.create(
            number=allocate_number(ServiceRequest.NUMBER_PREFIX),
            title=title[:200],
            description=description,
            requester=requester,
            support_group=group,
            tier=group.tier if group else Tier.L1,
            priority=item.priority,
            service=item.service,
            source=source,
            status=RequestStatus.SUBMITTED,
            catalog_item=item,
            answers=answers,
            submitted_at=now,
            created_at=now,
            updated_at=now,
            **snapshot,
        )
        RequestTask.objects.bulk_create(
            RequestTask(request=request, title=task.title, order=task.order)
            for task in item.tasks.order_by("order", "id")
        )
        event_append(
            ticket=request,
            kind=EventKind.CREATED,
            actor=actor if actor is not None else requester,
            source=source,
            to_status=RequestStatus.SUBMITTED,
            changes={"catalog_item": item.name, "priority": request.priority, **(changes or {})},
            message=message,
        )
        sla.clocks_start(request, kind=TicketKind.REQUEST)
        notifications.notify_requester(
            request,
            subject=f"We received your request: {request.title}",
            body=(
                f"Your request {request.number} ({item.name}) is with the service desk."
                + (" It goes to its approver first." if item.needs_approval else "")
            ),
            key="created",
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
    one message per field before anything is written.
    """
    if not item.is_active:
        raise ValidationFailed({"item": f"{item.name} can no longer be requested."})
    details = (details or "").strip()
    if len(details) > 10_000:
        raise ValidationFailed({"details": "Keep the details under 10,000 characters."})
    typed = clean_answers(item.fields.order_by("order", "id"), answers)
    return open_request(
        requester=requester,
        item=item,
        answers=typed,
        title=item.name,
        description=details,
        actor=actor,
        source=source,
    )


# --- Transitions ----------------------------------------------------------------------------


def _transition(
    request: ServiceRequest,
    *,
    action: str,
    actor: User | None,
    source: str,
    expected_version: int | None,
    values: dict[str, Any] | Callable[[ServiceRequest], dict[str, Any]] | None = None,
    message: str = "",
    is_public: bool = True,
) -> ServiceRequest:
    """Run one lifecycle action. `values` are the fields it sets: a dict, or a function of the
    locked row for fields that depend on its current state (e.g. the status before a hold)."""
    with transaction.atomic():
        locked = _lock(request, expected_version)
        if not can_perform(actor, locked, action):
            raise TransitionError("You are not allowed to do that to this request.")
        ctx = transitions.Context(
            now=timezone.now(),
            open_tasks=_open_task_titles(locked) if action == "fulfil" else (),
        )
        transition = transitions.check(locked, action, ctx)
        values = (values(locked) if callable(values) else values) or {}
        _require({"reason": message, **values}, transition.required)
        from_status = locked.status
        to_status = transition.target_for(locked)
        changed: dict[str, Any] = {}
        for name, value in values.items():
            if getattr(locked, name) != value:
                changed[name] = value
                setattr(locked, name, value)
        now = timezone.now()
        milestone = MILESTONE_FIELDS.get(to_status)
        if milestone and getattr(locked, milestone) is None:
            setattr(locked, milestone, now)
            changed[milestone] = now
        locked.status = to_status
        _save(locked, {*changed, "status"})
        event_append(
            ticket=locked,
            kind=EventKind.STATUS_CHANGED,
            actor=actor,
            source=source,
            from_status=from_status,
            to_status=to_status,
            changes={
                k: _jsonable(v)
                for k, v in changed.items()
                if k not in MILESTONES and k not in {"decision_comment", "fulfilment_notes"}
            },
            message=message,
            is_public=is_public,
        )
        _follow_with_clocks(locked, from_status=from_status, to_status=to_status)
    return locked


def _follow_with_clocks(request: ServiceRequest, *, from_status: str, to_status: str) -> None:
    """Keep the SLA clocks in step with the lifecycle (inside the transition's transaction)."""
    if to_status in (RequestStatus.CANCELLED, RequestStatus.REJECTED):
        sla.clocks_cancel(request)
        return
    if to_status in (RequestStatus.AWAITING_APPROVAL, RequestStatus.ON_HOLD):
        sla.clocks_pause(request)
    elif from_status in (RequestStatus.AWAITING_APPROVAL, RequestStatus.ON_HOLD):
        sla.clocks_resume(request)
    if to_status == RequestStatus.IN_FULFILMENT:
        sla.clock_stop(request, metric=Metric.RESPONSE)
    if to_status == RequestStatus.FULFILLED:
        sla.clock_stop(request, metric=Metric.RESOLUTION)


def request_submit_for_approval(request: ServiceRequest) -> ServiceRequest:
    """submitted -> awaiting_approval, by the system as the request is created; the approver
    (manager or group members) is emailed and SLA clocks pause until the decision."""
    with transaction.atomic():
        sent = _transition(
            request,
            action="submit_for_approval",
            actor=None,
            source=Source.SYSTEM,
            expected_version=None,
        )
        notifications.notify_approvers(sent)
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
    with transaction.atomic():
        approved = _transition(
            request,
            action="approve",
            actor=actor,
            source=source,
            expected_version=expected_version,
            values={"decided_by": actor, "decision_comment": comment},
            message=comment,
        )
        notifications.notify_requester(
            approved,
            subject=f"Approved: {approved.title}",
            body=(
                f"{actor.display_name} approved your request {approved.number}."
                + (f"\n\n{comment}" if comment else "")
                + "\n\nThe service desk will now fulfil it."
            ),
            key="approved",
        )
    return approved


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
    _require({"reason": reason}, ("reason",))
    with transaction.atomic():
        rejected = _transition(
            request,
            action="reject",
            actor=actor,
            source=source,
            expected_version=expected_version,
            values={"decided_by": actor, "decision_comment": reason},
            message=reason,
        )
        closed = _transition(
            rejected,
            action="close",
            actor=None,
            source=Source.SYSTEM,
            expected_version=None,
            message=f"Closed because the request was rejected: {reason}",
        )
        notifications.notify_requester(
            closed,
            subject=f"Rejected: {closed.title}",
            body=(
                f"{actor.display_name} rejected your request {closed.number}, so it is "
                f"closed.\n\nReason: {reason}"
            ),
            key="rejected",
        )
    return closed


def request_start(
    request: ServiceRequest,
    *,
    actor: User,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ServiceRequest:
    """submitted (no approval needed) or approved -> in_fulfilment; ends the response clock.
    An unassigned request is assigned to the agent who starts it."""
    return _transition(
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
    with transaction.atomic():
        fulfilled = _transition(
            request,
            action="fulfil",
            actor=actor,
            source=source,
            expected_version=expected_version,
            values={"fulfilment_notes": notes},
            message=notes,
        )
        notifications.notify_requester(
            fulfilled,
            subject=f"Fulfilled: {fulfilled.title}",
            body=f"{fulfilled.number} is fulfilled.\n\n{notes}",
            key="fulfilled",
        )
    return fulfilled


def request_close(
    request: ServiceRequest,
    *,
    actor: User | None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ServiceRequest:
    """fulfilled -> closed (final): the requester confirms, or an agent closes it."""
    return _transition(
        request, action="close", actor=actor, source=source, expected_version=expected_version
    )


def request_hold(
    request: ServiceRequest,
    *,
    actor: User,
    on_hold_reason: str,
    note: str = "",
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ServiceRequest:
    """-> on_hold with a reason; remembers the status; SLA clocks pause."""
    if on_hold_reason:
        _choice(on_hold_reason, HoldReason, "on_hold_reason")
    return _transition(
        request,
        action="hold",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values=lambda locked: {
            "on_hold_reason": on_hold_reason,
            "status_before_hold": locked.status,
        },
        message=(note or "").strip(),
    )


def request_resume(
    request: ServiceRequest,
    *,
    actor: User,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ServiceRequest:
    """on_hold -> the status it had before the hold; SLA clocks run again."""
    return _transition(
        request,
        action="resume",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values={"on_hold_reason": "", "status_before_hold": ""},
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
    if cancel_reason:
        _choice(cancel_reason, CancelReason, "cancel_reason")
    note = (note or "").strip()
    with transaction.atomic():
        cancelled = _transition(
            request,
            action="cancel",
            actor=actor,
            source=source,
            expected_version=expected_version,
            values={
                "cancel_reason": cancel_reason,
                "on_hold_reason": "",
                "status_before_hold": "",
            },
            message=note,
        )
        if actor.pk != cancelled.requester_id:
            notifications.notify_requester(
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


# --- Work on an open request ----------------------------------------------------------------


def request_assign(
    request: ServiceRequest,
    *,
    actor: User,
    assignee: User | None,
    support_group: SupportGroup | None = None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> ServiceRequest:
    """Assign to an agent and/or a group (the tier follows the group)."""
    if not is_agent(actor):
        raise TransitionError("Only agents can assign requests.")
    if assignee is not None and not (assignee.is_active and is_agent(assignee)):
        raise ValidationFailed({"assignee": f"{assignee} is not an active agent."})
    with transaction.atomic():
        locked = _lock(request, expected_version)
        if not locked.is_open:
            raise TransitionError(f"{locked.number} is {locked.get_status_display().lower()}.")
        changed: dict[str, Any] = {}
        if locked.assignee_id != (assignee.pk if assignee else None):
            changed["assignee"] = str(assignee) if assignee else None
            locked.assignee = assignee
        if support_group is not None and locked.support_group_id != support_group.pk:
            changed["support_group"] = str(support_group)
            locked.support_group = support_group
            if locked.tier != support_group.tier:
                changed["tier"] = support_group.tier
                locked.tier = support_group.tier
        if not changed:
            return locked
        _save(locked, {"assignee", "support_group", "tier"})
        event_append(
            ticket=locked,
            kind=EventKind.ASSIGNED,
            actor=actor,
            source=source,
            changes=changed,
            is_public=False,
        )
        if assignee is not None and assignee.pk != actor.pk:
            notifications.notify_agent(
                locked,
                assignee,
                subject=f"Assigned to you: {locked.title}",
                body=f"{actor} assigned {locked.number} to you.",
                key=f"assigned:{locked.version}",
            )
    return locked


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
        request = _lock(task.request, None)
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
        event_append(
            ticket=request,
            kind=EventKind.FIELDS_CHANGED,
            actor=actor,
            source=source,
            changes={"task": fresh.title, "done": done},
            message=f"{'Done' if done else 'Reopened'}: {fresh.title}",
            is_public=False,
        )
    return fresh


def request_comment(
    request: ServiceRequest,
    *,
    author: User,
    body: str,
    is_internal: bool,
    source: str = Source.WEB,
) -> None:
    """A public reply or an internal note; agents' public replies are emailed to the requester."""
    if is_internal and not is_agent(author):
        raise TransitionError("Only agents can write internal notes.")
    if not is_agent(author) and author.pk != request.requester_id:
        raise TransitionError("You can only reply on your own requests.")
    if request.status in transitions.FINAL:
        raise TransitionError(
            f"{request.number} is {request.get_status_display().lower()}; replies are closed."
        )
    with transaction.atomic():
        comment = comment_add(
            ticket=request, author=author, body=body, is_internal=is_internal, source=source
        )
        if not is_internal and author.pk != request.requester_id:
            notifications.notify_requester(
                request,
                subject=f"New reply: {request.title}",
                body=f"{author} wrote:\n\n{comment.body}",
                key=f"comment:{comment.pk}",
            )
