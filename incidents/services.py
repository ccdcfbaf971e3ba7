"""Every write to an incident. One service per lifecycle transition, all through `_transition`:

1. lock the row, 2. check the transition table, 3. save the changed fields and bump `version`,
4. append a timeline event, 5. write side effects to the outbox (delivered after commit).

Views, tasks and commands call these; none of them sets `status` itself. Each service opens its
own transaction (nested calls join the caller's).
"""

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.choices import EventKind, Source, Tier
from core.config_memo import ConfigMemo
from core.exceptions import ConflictError, TransitionError, ValidationFailed
from core.models import Comment, ConfigurationItem, Service, SupportGroup, User
from core.numbering import allocate_number
from core.roles import is_agent
from core.services import event_append
from incidents import notifications, transitions
from incidents.choices import (
    OPEN_STATUSES,
    CancelReason,
    Category,
    HoldReason,
    Impact,
    IncidentStatus,
    ResolutionCode,
    Urgency,
)
from incidents.models import Incident
from incidents.permissions import can_perform
from incidents.priority import priority_for
from sla import services as sla
from sla.choices import Metric, TicketKind

MILESTONE_FIELDS: dict[str, str] = {
    IncidentStatus.LOGGED: "logged_at",
    IncidentStatus.CLASSIFIED: "classified_at",
    IncidentStatus.CONTAINED: "contained_at",
    IncidentStatus.DIAGNOSED: "diagnosed_at",
    IncidentStatus.RESOLVED: "resolved_at",
    IncidentStatus.CLOSED: "closed_at",
    IncidentStatus.CANCELLED: "cancelled_at",
}


def transition_context() -> transitions.Context:
    return transitions.Context(
        now=timezone.now(),
        reopen_window=timedelta(days=settings.INCIDENT_REOPEN_WINDOW_DAYS),
    )


# The first-line group per service id, read once per process (connected in IncidentsConfig).
DEFAULT_GROUP_MEMO = ConfigMemo("incident-default-groups", ["core.SupportGroup", "core.Service"])


def default_group_for(service: Service | None) -> SupportGroup | None:
    """First-line group for a new incident: the service's owner if it works at L1, else any L1."""

    def load() -> SupportGroup | None:
        if service is not None and service.owner_group.tier == Tier.L1:
            return service.owner_group
        return SupportGroup.objects.filter(tier=Tier.L1, is_active=True).order_by("name").first()

    group = DEFAULT_GROUP_MEMO.get(service.pk if service is not None else None, load)
    return copy.copy(group) if group is not None else None


def _require(values: dict[str, Any], names: tuple[str, ...]) -> None:
    missing = {name: "This field is required." for name in names if values.get(name) in (None, "")}
    if missing:
        raise ValidationFailed(missing)


def _choice(value: str, choices: type, field: str) -> str:
    if value not in choices.values:  # type: ignore[attr-defined]
        raise ValidationFailed({field: f"'{value}' is not a valid choice."})
    return value


def _check_ci(service: Service | None, ci: ConfigurationItem | None) -> None:
    if ci is not None and (service is None or ci.service_id != service.pk):
        raise ValidationFailed(
            {"configuration_item": "The configuration item belongs to another service."}
        )


def _lock(incident: Incident, expected_version: int | None) -> Incident:
    # of=("self",): lock only the incident. A plain FOR UPDATE over the join would also lock the
    # requester's user row, serialising every change to their other tickets (and their logins).
    locked = (
        Incident.objects.select_for_update(of=("self",))
        .select_related("requester")
        .get(pk=incident.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            f"{locked.number} was changed by someone else since you opened it "
            f"(version {expected_version}, now {locked.version}). Reload and try again."
        )
    return locked


def _save(incident: Incident, fields: set[str]) -> None:
    incident.version += 1
    incident.updated_at = timezone.now()
    incident.save(update_fields=sorted({*fields, "version", "updated_at"}))


def incident_create(
    *,
    requester: User,
    title: str,
    description: str = "",
    impact: str = Impact.LOW,
    urgency: str = Urgency.MEDIUM,
    service: Service | None = None,
    configuration_item: ConfigurationItem | None = None,
    category: str = "",
    actor: User | None = None,
    source: str = Source.WEB,
    support_group: SupportGroup | None = None,
    by_system: bool = False,
) -> Incident:
    """Open a new incident in `identified`, numbered INC-nnnnnn, with priority from the matrix.

    The creation event is credited to `actor`, else to the requester; with `by_system=True` (alert
    intake) it has no actor: the system opened it on the requester's behalf. `support_group`
    overrides the default first-line group for the service. The returned incident carries the
    SLA clocks it started as `started_clocks`, for callers that show it at once.
    """
    title = (title or "").strip()
    if not title:
        raise ValidationFailed({"title": "Give the incident a short title."})
    if len(title) > 200:
        raise ValidationFailed({"title": "Keep the title under 200 characters."})
    _choice(impact, Impact, "impact")
    _choice(urgency, Urgency, "urgency")
    if category:
        _choice(category, Category, "category")
    _check_ci(service, configuration_item)
    group = support_group if support_group is not None else default_group_for(service)
    now = timezone.now()
    priority = priority_for(impact, urgency)
    # The clocks are planned first, so the incident's INSERT carries its nearest deadline.
    clocks = sla.clocks_plan(
        kind=TicketKind.INCIDENT,
        priority=priority,
        service_id=service.pk if service is not None else None,
        started_at=now,
    )
    due, warn = sla.nearest_deadlines(clocks)
    # No savepoint of its own: a failure here fails the caller's transaction (or the caller's
    # own savepoint) as a whole.
    with transaction.atomic(savepoint=False):
        incident = Incident.objects.create(
            number=allocate_number(Incident.NUMBER_PREFIX),
            title=title,
            description=description or "",
            requester=requester,
            support_group=group,
            tier=group.tier if group else Tier.L1,
            impact=impact,
            urgency=urgency,
            priority=priority,
            category=category,
            service=service,
            configuration_item=configuration_item,
            source=source,
            status=IncidentStatus.IDENTIFIED,
            identified_at=now,
            created_at=now,
            updated_at=now,
            sla_due_at=due,
            sla_warn_at=warn,
        )
        event_append(
            ticket=incident,
            kind=EventKind.CREATED,
            actor=None if by_system else (actor if actor is not None else requester),
            source=source,
            to_status=IncidentStatus.IDENTIFIED,
            changes={"priority": incident.priority, "impact": impact, "urgency": urgency},
        )
        incident.started_clocks = sla.clocks_save(incident, clocks)
        notifications.notify_requester(
            incident,
            subject=f"We received your report: {incident.title}",
            body=f"Your incident {incident.number} is logged with the service desk.",
            key="created",
            key_is_new=True,
        )
    return incident


def _transition(
    incident: Incident,
    *,
    action: str,
    actor: User | None,
    source: str,
    expected_version: int | None,
    values: dict[str, Any] | Callable[[Incident], dict[str, Any]] | None = None,
    message: str = "",
    is_public: bool = True,
) -> Incident:
    """Run one lifecycle action. `values` are the fields it sets: a dict, or a function of the
    locked row for fields that depend on its current state (e.g. the status before a hold)."""
    with transaction.atomic():
        locked = _lock(incident, expected_version)
        if not can_perform(actor, locked, action):
            raise TransitionError("You are not allowed to do that to this incident.")
        transition = transitions.check(locked, action, transition_context())
        values = (values(locked) if callable(values) else values) or {}
        _require({"reason": message, **values}, transition.required)
        from_status = locked.status
        to_status = transition.target_for(locked)
        changed: dict[str, Any] = {}
        for name, value in values.items():
            if hasattr(locked, name) and getattr(locked, name) != value:
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
            changes={k: _jsonable(v) for k, v in changed.items() if k not in MILESTONES},
            message=message,
            is_public=is_public,
        )
        _follow_with_clocks(
            locked,
            from_status=from_status,
            to_status=to_status,
            changed=changed,
            actor=actor,
            source=source,
        )
    return locked


def _follow_with_clocks(
    incident: Incident,
    *,
    from_status: str,
    to_status: str,
    changed: dict[str, Any],
    actor: User | None,
    source: str,
) -> None:
    """Keep the SLA clocks in step with the lifecycle (inside the transition's transaction)."""
    if to_status == IncidentStatus.CANCELLED:
        sla.clocks_cancel(incident)
        return
    if from_status == IncidentStatus.IDENTIFIED:
        sla.clock_stop(incident, metric=Metric.RESPONSE)
    if to_status == IncidentStatus.ON_HOLD:
        sla.clocks_pause(incident)
    elif from_status == IncidentStatus.ON_HOLD:
        sla.clocks_resume(incident)
    if to_status == IncidentStatus.RESOLVED:
        sla.clock_stop(incident, metric=Metric.RESOLUTION)
    elif from_status == IncidentStatus.RESOLVED and to_status != IncidentStatus.CLOSED:
        sla.clock_reopen(incident, metric=Metric.RESOLUTION)
    if "priority" in changed or "service" in changed:
        retargeted = sla.clocks_retarget(incident, kind=TicketKind.INCIDENT)
        if retargeted:
            event_append(
                ticket=incident,
                kind=EventKind.SLA,
                actor=actor,
                source=source,
                changes={"priority": incident.priority, "clocks": retargeted},
                message=f"SLA re-targeted for priority P{incident.priority}.",
                is_public=False,
            )


MILESTONES = frozenset(MILESTONE_FIELDS.values())


def _jsonable(value: Any) -> Any:
    if hasattr(value, "pk"):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def incident_accept(
    incident: Incident,
    *,
    actor: User | None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """identified -> logged: an agent accepts the report as a real incident (ends MTTA)."""
    return _transition(
        incident, action="accept", actor=actor, source=source, expected_version=expected_version
    )


def incident_classify(
    incident: Incident,
    *,
    actor: User | None,
    category: str,
    impact: str,
    urgency: str,
    service: Service | None,
    configuration_item: ConfigurationItem | None = None,
    support_group: SupportGroup | None = None,
    is_major: bool = False,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """logged -> classified: category, service, impact and urgency set; priority from the matrix."""
    _require(
        {"category": category, "impact": impact, "urgency": urgency, "service": service},
        ("category", "impact", "urgency", "service"),
    )
    _choice(category, Category, "category")
    _choice(impact, Impact, "impact")
    _choice(urgency, Urgency, "urgency")
    _check_ci(service, configuration_item)
    values: dict[str, Any] = {
        "category": category,
        "impact": impact,
        "urgency": urgency,
        "priority": priority_for(impact, urgency),
        "service": service,
        "configuration_item": configuration_item,
        "is_major": is_major,
    }
    if support_group is not None:
        values["support_group"] = support_group
        values["tier"] = support_group.tier
    return _transition(
        incident,
        action="classify",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values=values,
    )


def incident_contain(
    incident: Incident,
    *,
    actor: User,
    containment_notes: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """classified -> contained: the spread is stopped or a workaround is in place."""
    notes = (containment_notes or "").strip()
    return _transition(
        incident,
        action="contain",
        actor=actor,
        source=source,
        expected_version=expected_version,
        is_public=False,  # working notes are for agents; the requester sees the resolution
        values={"containment_notes": notes},
        message=notes,
    )


def incident_diagnose(
    incident: Incident,
    *,
    actor: User,
    diagnosis_notes: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """-> diagnosed: the cause is found and recorded."""
    notes = (diagnosis_notes or "").strip()
    return _transition(
        incident,
        action="diagnose",
        actor=actor,
        source=source,
        expected_version=expected_version,
        is_public=False,  # working notes are for agents; the requester sees the resolution
        values={"diagnosis_notes": notes},
        message=notes,
    )


def incident_resolve(
    incident: Incident,
    *,
    actor: User | None,
    resolution_code: str,
    resolution_notes: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """-> resolved: service restored; the requester sees the resolution notes (ends MTTR)."""
    notes = (resolution_notes or "").strip()
    if resolution_code:
        _choice(resolution_code, ResolutionCode, "resolution_code")
    with transaction.atomic():
        resolved = _transition(
            incident,
            action="resolve",
            actor=actor,
            source=source,
            expected_version=expected_version,
            values={"resolution_code": resolution_code, "resolution_notes": notes},
            message=notes,
        )
        notifications.notify_requester(
            resolved,
            subject=f"Resolved: {resolved.title}",
            body=(
                f"{resolved.number} is resolved.\n\n{notes}\n\n"
                f"If it is not fixed, you can reopen it within "
                f"{settings.INCIDENT_REOPEN_WINDOW_DAYS} days."
            ),
            key=f"resolved:{resolved.version}",
        )
    return resolved


def incident_close(
    incident: Incident,
    *,
    actor: User | None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """resolved -> closed (final): the requester confirms, an agent closes, or auto-close."""
    return _transition(
        incident, action="close", actor=actor, source=source, expected_version=expected_version
    )


def incident_reopen(
    incident: Incident,
    *,
    actor: User,
    reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """resolved -> classified within the reopen window; starts a new pass (resolved_at cleared)."""
    reason = (reason or "").strip()
    _require({"reason": reason}, ("reason",))
    with transaction.atomic():
        reopened = _transition(
            incident,
            action="reopen",
            actor=actor,
            source=source,
            expected_version=expected_version,
            values=lambda locked: {
                "resolved_at": None,
                "resolution_code": "",
                "resolution_notes": "",
                "reopen_count": locked.reopen_count + 1,
            },
            message=reason,
        )
        if reopened.assignee is not None:
            notifications.notify_agent(
                reopened,
                reopened.assignee,
                subject="Reopened",
                body=f"{reopened.number} was reopened: {reason}",
                key=f"reopened:{reopened.version}",
            )
    return reopened


def incident_hold(
    incident: Incident,
    *,
    actor: User,
    on_hold_reason: str,
    note: str = "",
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """-> on_hold with a reason (awaiting user, vendor, change or problem); remembers the status."""
    if on_hold_reason:
        _choice(on_hold_reason, HoldReason, "on_hold_reason")
    return _transition(
        incident,
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


def incident_resume(
    incident: Incident,
    *,
    actor: User,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """on_hold -> the status it had before the hold."""
    return _transition(
        incident,
        action="resume",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values={"on_hold_reason": "", "status_before_hold": ""},
    )


def incident_cancel(
    incident: Incident,
    *,
    actor: User,
    cancel_reason: str,
    note: str = "",
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """-> cancelled (final): a duplicate, not an incident, or converted to a request."""
    if cancel_reason:
        _choice(cancel_reason, CancelReason, "cancel_reason")
    return _transition(
        incident,
        action="cancel",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values={"cancel_reason": cancel_reason, "on_hold_reason": "", "status_before_hold": ""},
        message=(note or "").strip(),
    )


def incident_assign(
    incident: Incident,
    *,
    actor: User,
    assignee: User | None,
    support_group: SupportGroup | None = None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """Assign to an agent and/or a group (the tier follows the group)."""
    if not is_agent(actor):
        raise TransitionError("Only agents can assign incidents.")
    if assignee is not None and not (assignee.is_active and is_agent(assignee)):
        raise ValidationFailed({"assignee": f"{assignee} is not an active agent."})
    with transaction.atomic():
        locked = _lock(incident, expected_version)
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
        fields = {"assignee", "support_group", "tier"}
        _save(locked, fields)
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


def incident_claim(incident: Incident, *, actor: User, source: str = Source.WEB) -> Incident:
    """Assign an unassigned open incident to the acting agent. Of many agents claiming at once,
    exactly one wins (conditional update); the others get a ConflictError."""
    if not is_agent(actor):
        raise TransitionError("Only agents can claim incidents.")
    with transaction.atomic():
        won = Incident.objects.filter(
            pk=incident.pk, assignee__isnull=True, status__in=sorted(OPEN_STATUSES)
        ).update(assignee=actor, version=F("version") + 1, updated_at=timezone.now())
        fresh = Incident.objects.select_related("assignee").get(pk=incident.pk)
        if not won:
            if fresh.assignee_id:
                raise ConflictError(f"{fresh.number} is already assigned to {fresh.assignee}.")
            raise TransitionError(f"{fresh.number} is {fresh.get_status_display().lower()}.")
        event_append(
            ticket=fresh,
            kind=EventKind.ASSIGNED,
            actor=actor,
            source=source,
            changes={"assignee": str(actor)},
            message="Claimed",
            is_public=False,
        )
    return fresh


def incident_update_details(
    incident: Incident,
    *,
    actor: User,
    title: str,
    description: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """Edit title and description (agents), refused when the incident changed meanwhile."""
    title = (title or "").strip()
    if not title:
        raise ValidationFailed({"title": "The title cannot be empty."})
    if not is_agent(actor):
        raise TransitionError("Only agents can edit incidents.")
    with transaction.atomic():
        locked = _lock(incident, expected_version)
        if not locked.is_open:
            raise TransitionError(f"{locked.number} is {locked.get_status_display().lower()}.")
        changed = {}
        if locked.title != title:
            changed["title"] = title
            locked.title = title
        if locked.description != description:
            changed["description"] = "(edited)"
            locked.description = description
        if not changed:
            return locked
        _save(locked, {"title", "description"})
        event_append(
            ticket=locked,
            kind=EventKind.FIELDS_CHANGED,
            actor=actor,
            source=source,
            changes=changed,
            is_public=False,
        )
    return locked


def incident_mark_review_completed(
    incident: Incident,
    *,
    actor: User,
    summary: str = "",
    source: str = Source.WEB,
) -> Incident:
    """Record that the incident's post-incident review is completed (the problems app calls this
    when a review is completed), which lets a major incident be closed. Only agents; only once
    the incident is resolved or closed. Idempotent: a second call changes nothing."""
    if not is_agent(actor):
        raise TransitionError("Only agents can complete post-incident reviews.")
    with transaction.atomic():
        locked = _lock(incident, None)
        if locked.review_completed_at is not None:
            return locked
        if locked.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            raise TransitionError(
                f"{locked.number} is {locked.get_status_display().lower()}; its review can be "
                "completed once it is resolved."
            )
        locked.review_completed_at = timezone.now()
        _save(locked, {"review_completed_at"})
        event_append(
            ticket=locked,
            kind=EventKind.FIELDS_CHANGED,
            actor=actor,
            source=source,
            changes={"review_completed_at": locked.review_completed_at.isoformat()},
            message=(summary or "").strip() or "Post-incident review completed.",
            is_public=False,
        )
    return locked


def incident_comment(
    incident: Incident, *, author: User, body: str, is_internal: bool, source: str = Source.WEB
) -> Comment:
    """A public reply or an internal note; agents' public replies are emailed to the requester.
    Returns the comment written."""
    from core.services import comment_add

    if is_internal and not is_agent(author):
        raise TransitionError("Only agents can write internal notes.")
    # Views reach the incident through a scoped selector; the service refuses on its own too, so
    # an API or intake path that forgets the selector cannot post on someone else's ticket.
    if not is_agent(author) and author.pk != incident.requester_id:
        raise TransitionError("You can only reply on your own incidents.")
    if not is_agent(author) and not incident.is_open and incident.status != IncidentStatus.RESOLVED:
        raise TransitionError(
            f"{incident.number} is {incident.get_status_display().lower()}; "
            "report a new incident instead."
        )
    with transaction.atomic():
        comment = comment_add(
            ticket=incident, author=author, body=body, is_internal=is_internal, source=source
        )
        if not is_internal and author.pk != incident.requester_id:
            notifications.notify_requester(
                incident,
                subject=f"New reply: {incident.title}",
                body=f"{author} wrote:\n\n{comment.body}",
                key=f"comment:{comment.pk}",
            )
    return comment


# Escalation lives in its own module; re-exported here so callers have one place for writes.
from incidents.escalation import (  # noqa: E402
    incident_deescalate,
    incident_escalate,
    incident_escalate_many,
)

__all__ = ["incident_deescalate", "incident_escalate", "incident_escalate_many"]
