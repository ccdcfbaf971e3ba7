"""Resolving an incident the system opened once what fired it recovered: the one rule alert
intake (incidents.alerts.recovery) and the kernel's `Recovery` hook (an SLO's fast burn that
ended) share.

Only an incident nobody worked on is resolved. "Nobody worked on it" is read from its timeline,
not from its status: any event with a person as its actor (accepted, claimed, assigned,
commented, classified, annotated, held...) means an agent touched it, and the incident stays as
it is for the agent to decide.

The lifecycle allows `resolve` only from classified, contained or diagnosed. An untouched
incident is still `identified` (or `logged`), so the system first accepts it and classifies it
(keeping its impact and urgency, with the given service and category when it has none), then
resolves it as No fault found — each step a normal transition on the timeline, credited to the
system (no actor). Anything the lifecycle refuses (a security or major incident not contained
yet, no service) leaves the incident as it was.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from core.choices import EventKind
from core.exceptions import DomainError
from core.models import Service, TimelineEvent
from core.tickets.kinds import (
    RECOVERY_DONE,
    RECOVERY_REFUSED,
    RECOVERY_RESOLVED,
    RECOVERY_TOUCHED,
    RecoveryOutcome,
)
from incidents import services as incident_services
from incidents.choices import Category, IncidentStatus, ResolutionCode
from incidents.models import Incident


def is_untouched(
    incident: Incident, *, reporter_id: int | None = None, ignore_creation: bool = False
) -> bool:
    """True when no person has acted on `incident`: its timeline has no event with an actor
    other than `reporter_id` (and, with `ignore_creation`, other than its creation)."""
    events = TimelineEvent.objects.filter(
        ticket_type=ContentType.objects.get_for_model(Incident),
        ticket_id=incident.pk,
        actor__isnull=False,
    )
    if reporter_id is not None:
        events = events.exclude(actor_id=reporter_id)
    if ignore_creation:
        events = events.exclude(kind=EventKind.CREATED)
    return not events.exists()


def incident_resolve_untouched(
    incident: Incident,
    *,
    notes: str,
    source: str,
    category: str = "",
    service: Service | None = None,
    reporter_id: int | None = None,
    ignore_creation: bool = False,
) -> RecoveryOutcome:
    """Resolve `incident` as No fault found with `notes` if it is open and nobody worked on it
    (`is_untouched`); `category` and `service` fill in what its classification lacks.

    All steps run in one savepoint: a refusal half-way leaves no step behind. Records no event
    of its own (the caller says what happened). Call inside a transaction.
    """
    try:
        with transaction.atomic():
            # Re-read under lock: the row the caller holds may be stale by now.
            current = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
            if not current.is_open:
                return RecoveryOutcome(RECOVERY_DONE)
            if not is_untouched(current, reporter_id=reporter_id, ignore_creation=ignore_creation):
                return RecoveryOutcome(RECOVERY_TOUCHED)
            if current.status == IncidentStatus.IDENTIFIED:
                current = incident_services.incident_accept(current, actor=None, source=source)
            if current.status == IncidentStatus.LOGGED:
                current = incident_services.incident_classify(
                    current,
                    actor=None,
                    category=current.category or category,
                    impact=current.impact,
                    urgency=current.urgency,
                    service=current.service or service,
                    configuration_item=current.configuration_item,
                    is_major=current.is_major,
                    source=source,
                )
            incident_services.incident_resolve(
                current,
                actor=None,
                resolution_code=ResolutionCode.NO_FAULT_FOUND,
                resolution_notes=notes,
                source=source,
            )
    except DomainError as refusal:
        return RecoveryOutcome(RECOVERY_REFUSED, str(refusal))
    return RecoveryOutcome(RECOVERY_RESOLVED)


def incident_resolve_recovered(incident: Incident, *, notes: str, source: str) -> RecoveryOutcome:
    """The kernel's `Recovery` hook: the system opened `incident` (an SLO's fast burn), so its
    creation is not work on it; an incident without a category is classified as Other."""
    return incident_resolve_untouched(
        incident,
        notes=notes,
        source=source,
        category=Category.OTHER,
        ignore_creation=True,
    )
