"""Every write to an incident: what is particular to incidents, on the kernel's machinery.

Each lifecycle action runs through the kernel's executor (core.tickets.executor.transition_run:
lock, check the table, save the changed fields, timeline event, SLA clocks, outbox); the
functions here add the incident's own rules — the priority matrix, classification, the
requester's emails. Hold, resume, cancel, assignment, claiming, editing, replies, rating and
escalation are the kernel's, under incident names. Every service owns its transaction (nested
calls join the caller's).
"""

import copy
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.choices import Source, Tier
from core.config_memo import ConfigMemo
from core.exceptions import TransitionError, ValidationFailed
from core.models import ConfigurationItem, Service, SupportGroup, TicketBase, User
from core.roles import is_agent
from core.tickets.escalation import EscalationOutcome, ticket_move_tier
from core.tickets.events import review_event
from core.tickets.executor import (
    Notice,
    check_choice,
    refuse_missing,
    ticket_lock,
    ticket_save,
    transition_run,
)
from core.tickets.notify import notify_agent, notify_requester
from core.tickets.opening import ticket_open
from core.tickets.rating import ticket_rate
from core.tickets.work import (
    notes_step,
    ticket_assign,
    ticket_cancel,
    ticket_claim,
    ticket_close,
    ticket_comment,
    ticket_hold,
    ticket_resume,
    ticket_update_details,
)
from incidents.choices import Category, Impact, IncidentStatus, ResolutionCode, Urgency
from incidents.events import Recategorization, recategorized_event
from incidents.models import Incident
from incidents.priority import priority_for

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


def _check_ci(service: Service | None, ci: ConfigurationItem | None) -> None:
    if ci is not None and (service is None or ci.service_id != service.pk):
        raise ValidationFailed(
            {"configuration_item": "The configuration item belongs to another service."}
        )


def _clean_report(title: str, impact: str, urgency: str, category: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed({"title": "Give the incident a short title."})
    if len(title) > 200:
        raise ValidationFailed({"title": "Keep the title under 200 characters."})
    check_choice(impact, Impact, "impact")
    check_choice(urgency, Urgency, "urgency")
    if category:
        check_choice(category, Category, "category")
    return title


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
    message: str = "",
    converted_from: str = "",
) -> Incident:
    """Open a new incident in `identified`, numbered INC-nnnnnn, with priority from the matrix.

    The creation event is credited to `actor`, else to the requester; with `by_system=True` (alert
    intake) it has no actor: the system opened it on the requester's behalf. `support_group`
    overrides the default first-line group for the service; `converted_from` names the ticket
    it replaces (with `message` saying so on the timeline). The returned incident carries the
    SLA clocks it started as `started_clocks`, for callers that show it at once.
    """
    title = _clean_report(title, impact, urgency, category)
    _check_ci(service, configuration_item)
    group = support_group if support_group is not None else default_group_for(service)
    priority = priority_for(impact, urgency)
    with transaction.atomic(savepoint=False):
        incident = ticket_open(
            Incident,
            fields={
                "title": title,
                "description": description or "",
                "requester": requester,
                "support_group": group,
                "tier": group.tier if group else Tier.L1,
                "impact": impact,
                "urgency": urgency,
                "priority": priority,
                "category": category,
                "service": service,
                "configuration_item": configuration_item,
                "source": source,
            },
            actor=None if by_system else (actor if actor is not None else requester),
            source=source,
            event_fields={"priority": priority, "impact": impact, "urgency": urgency},
            message=message,
            converted_from=converted_from,
        )
        notify_requester(
            incident,
            subject=f"We received your report: {incident.title}",
            body=f"Your incident {incident.number} is logged with the service desk.",
            key="created",
            key_is_new=True,
        )
    return incident


def incident_from_email(
    *,
    requester: User,
    title: str,
    description: str,
    service: Service | None,
    support_group: SupportGroup | None,
    source: str,
    **_defaults: Any,
) -> Incident:
    """An incident opened by mail (the kernel's EmailIntake): the subject is its title, the
    mailbox gives its service and group; impact and urgency wait for triage (the defaults)."""
    return incident_create(
        requester=requester,
        title=title or "(no subject)",
        description=description,
        service=service,
        support_group=support_group,
        source=source,
    )


def incident_from_ticket(
    origin: TicketBase,
    *,
    actor: User,
    source: str,
    message: str,
    impact: str = Impact.LOW,
    urgency: str = Urgency.MEDIUM,
) -> Incident:
    """An incident replacing a ticket of another kind that was really an incident (something is
    broken): its requester, title, description and service (core.tickets.conversion)."""
    return incident_create(
        requester=origin.requester,
        title=origin.title,
        description=origin.description,
        impact=impact,
        urgency=urgency,
        service=origin.service,
        actor=actor,
        source=source,
        message=message,
        converted_from=origin.number,
    )


def incident_accept(
    incident: Incident,
    *,
    actor: User | None,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """identified -> logged: an agent accepts the report as a real incident (ends MTTA)."""
    return transition_run(
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
    """logged -> classified: category, service, impact and urgency set; priority from the matrix;
    the SLA clocks follow a new priority or service."""
    refuse_missing(
        {"category": category, "impact": impact, "urgency": urgency, "service": service},
        ("category", "impact", "urgency", "service"),
    )
    check_choice(category, Category, "category")
    check_choice(impact, Impact, "impact")
    check_choice(urgency, Urgency, "urgency")
    _check_ci(service, configuration_item)
    values = {
        "category": category,
        "impact": impact,
        "urgency": urgency,
        "priority": priority_for(impact, urgency),
        "service": service,
        "configuration_item": configuration_item,
        "is_major": is_major,
    }
    if support_group is not None:
        values.update(support_group=support_group, tier=support_group.tier)
    return transition_run(
        incident,
        action="classify",
        actor=actor,
        source=source,
        expected_version=expected_version,
        values=values,
    )


def incident_recategorize(
    incident: Incident,
    *,
    actor: User,
    category: str,
    reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """Change the category outside classification, in any status: a software fault that turns
    out to be a breach becomes a security incident, seen from then on only by the security
    team, its assignee, its requester and managers (incidents.visibility); a false alarm goes
    back to every agent. A `recategorized` event records both categories and the reason.

    Agents only (callers reach the incident through the scoped selector). The same category
    changes nothing and records nothing; a missing reason or an unknown category is refused
    with nothing stored, as is a stale `expected_version`.
    """
    if not is_agent(actor):
        raise TransitionError("Only agents can change the category of incidents.")
    reason = (reason or "").strip()
    refuse_missing({"category": category, "reason": reason}, ("category", "reason"))
    check_choice(category, Category, "category")
    with transaction.atomic():
        locked = ticket_lock(incident, expected_version)
        if locked.category == category:
            return locked
        change = Recategorization(from_category=locked.category, to_category=category)
        locked.category = category
        ticket_save(locked, {"category"})
        recategorized_event(locked, actor=actor, source=source, change=change, reason=reason)
    return locked


# classified -> contained: the spread is stopped or a workaround is in place.
incident_contain = notes_step("contain", "containment_notes")

# -> diagnosed: the cause is found and recorded.
incident_diagnose = notes_step("diagnose", "diagnosis_notes")


def incident_resolve(
    incident: Incident,
    *,
    actor: User | None,
    resolution_code: str,
    resolution_notes: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """-> resolved: service restored; the requester sees the resolution notes (ends MTTR).
    `service_restored_at` becomes now unless an agent recorded it before (MTBF)."""
    notes = (resolution_notes or "").strip()
    if resolution_code:
        check_choice(resolution_code, ResolutionCode, "resolution_code")
    return transition_run(
        incident,
        action="resolve",
        actor=actor,
        source=source,
        expected_version=expected_version,
        # The service is back now, unless an agent recorded an earlier instant already; read
        # before the milestone is stamped, so it is never after the resolution.
        values=lambda locked: {
            "resolution_code": resolution_code,
            "resolution_notes": notes,
            "service_restored_at": locked.service_restored_at or timezone.now(),
        },
        message=notes,
        notice=lambda resolved: Notice(
            f"Resolved: {resolved.title}",
            f"{resolved.number} is resolved.\n\n{notes}\n\nIf it is not fixed, you can reopen "
            f"it within {settings.INCIDENT_REOPEN_WINDOW_DAYS} days.",
            f"resolved:{resolved.version}",
        ),
    )


def incident_reopen(
    incident: Incident,
    *,
    actor: User | None,
    reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Incident:
    """resolved -> classified within the reopen window; starts a new pass (resolved_at cleared).
    `actor` None is the system (a flapping alert, incidents.alerts.flapping)."""
    reason = (reason or "").strip()
    refuse_missing({"reason": reason}, ("reason",))
    with transaction.atomic():
        reopened = transition_run(
            incident,
            action="reopen",
            actor=actor,
            source=source,
            expected_version=expected_version,
            values=lambda locked: {
                "resolved_at": None,
                # Down again: the pass that ended keeps its value in the timeline (MTBF).
                "service_restored_at": None,
                "resolution_code": "",
                "resolution_notes": "",
                "reopen_count": locked.reopen_count + 1,
            },
            message=reason,
        )
        if reopened.assignee is not None:
            notify_agent(
                reopened,
                reopened.assignee,
                subject="Reopened",
                body=f"{reopened.number} was reopened: {reason}",
                key=f"reopened:{reopened.version}",
            )
    return reopened


def incident_mark_review_completed(
    incident: Incident,
    *,
    actor: User,
    summary: str = "",
    source: str = Source.WEB,
) -> Incident:
    """Record that the incident's post-incident review is completed (the problems app calls this
    through the kind registry), which lets a major incident be closed. Only
    agents; only once the incident is resolved or closed. Idempotent: a second call changes
    nothing."""
    if not is_agent(actor):
        raise TransitionError("Only agents can complete post-incident reviews.")
    with transaction.atomic():
        locked = ticket_lock(incident)
        if locked.review_completed_at is not None:
            return locked
        if locked.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            raise TransitionError(
                f"{locked.number} is {locked.get_status_display().lower()}; its review can be "
                "completed once it is resolved."
            )
        now = timezone.now()
        locked.review_completed_at = now
        ticket_save(locked, {"review_completed_at"}, now=now)
        review_event(
            locked,
            actor=actor,
            source=source,
            message=(summary or "").strip() or "Post-incident review completed.",
            completed=True,
        )
    return locked


def incident_escalate(
    incident: Incident,
    *,
    actor: User | None,
    reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> EscalationOutcome:
    """Move an open incident to the next tier's group (L1 -> L2 -> L3), unassigned, with the
    reason and the time spent in the previous tier on the timeline. Refused at L3."""
    return ticket_move_tier(
        incident,
        step=1,
        actor=actor,
        reason=reason,
        source=source,
        expected_version=expected_version,
    )


def incident_deescalate(
    incident: Incident,
    *,
    actor: User,
    reason: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> EscalationOutcome:
    """Move an open incident back to the previous tier's group. Refused at L1."""
    return ticket_move_tier(
        incident,
        step=-1,
        actor=actor,
        reason=reason,
        source=source,
        expected_version=expected_version,
    )


# What every kind does, under incident names.
incident_hold = ticket_hold
incident_resume = ticket_resume
incident_cancel = ticket_cancel
incident_assign = ticket_assign
incident_claim = ticket_claim
incident_close = ticket_close
incident_update_details = ticket_update_details
incident_comment = ticket_comment
incident_rate = ticket_rate

__all__ = [
    "incident_assign",
    "incident_cancel",
    "incident_claim",
    "incident_close",
    "incident_comment",
    "incident_hold",
    "incident_rate",
    "incident_resume",
    "incident_update_details",
]
