"""Resolving an incident whose alerts all recovered, through the lifecycle services.

Only an incident nobody worked on is resolved. "Nobody worked on it" is read from its timeline,
not from its status: any event with a person as its actor (accepted, claimed, assigned,
commented, classified, annotated, held...) means an agent touched it. Such an incident stays as
it is and gets a timeline note that its alerts recovered; the agent decides.

The lifecycle allows `resolve` only from classified, contained or diagnosed. An untouched alert
incident is still `identified` (or `logged`), so the system first accepts it and classifies it
(keeping its impact and urgency, with the integration's service and category when it has none),
then resolves it as No fault found — each step a normal transition on the timeline, credited to
the system (no actor) with source `alert`. Anything the lifecycle refuses (a security or major
incident not contained yet, no service) leaves the incident as it was, with an event saying why
it was not resolved.
"""

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from core.choices import Source
from core.exceptions import DomainError
from core.models import TimelineEvent
from incidents import services as incident_services
from incidents.alerts.models import Integration
from incidents.alerts.text import when
from incidents.choices import IncidentStatus, ResolutionCode
from incidents.events import alert_event
from incidents.models import Incident


def is_untouched(incident: Incident, integration: Integration) -> bool:
    """True when no person has acted on `incident`: its timeline has no event with an actor
    other than the integration's reporter (system steps, SLA and routing have no actor)."""
    return (
        not TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Incident),
            ticket_id=incident.pk,
            actor__isnull=False,
        )
        .exclude(actor_id=integration.reporter_id)
        .exists()
    )


def incident_resolve_recovered(
    *, incident: Incident, integration: Integration, recovered_at: datetime
) -> bool:
    """Resolve `incident` because every alert on it recovered, if nobody worked on it; True when
    it is resolved.

    A touched incident is left as it is with a timeline note. All steps run in one savepoint: a
    refusal half-way leaves no step behind. Call inside the intake transaction.
    """
    notes = (
        f"Recovered automatically: every alert of the integration “{integration.name}” on this "
        f"incident has recovered (the last at {when(recovered_at)}), so the system resolved it."
    )
    try:
        with transaction.atomic():
            # Re-read under lock: the row loaded with the alert link may be stale by now.
            current = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
            if not is_untouched(current, integration):
                alert_event(
                    current,
                    message=f"The alert recovered (every alert on this incident, the last at "
                    f"{when(recovered_at)}). Agents worked on this incident, so the system "
                    "left it as it is: resolve it when you are done.",
                    details={"auto_resolve": "touched"},
                )
                return False
            if current.status == IncidentStatus.IDENTIFIED:
                current = incident_services.incident_accept(
                    current, actor=None, source=Source.ALERT
                )
            if current.status == IncidentStatus.LOGGED:
                current = incident_services.incident_classify(
                    current,
                    actor=None,
                    category=current.category or integration.category,
                    impact=current.impact,
                    urgency=current.urgency,
                    service=current.service or integration.service,
                    configuration_item=current.configuration_item,
                    is_major=current.is_major,
                    source=Source.ALERT,
                )
            incident_services.incident_resolve(
                current,
                actor=None,
                resolution_code=ResolutionCode.NO_FAULT_FOUND,
                resolution_notes=notes,
                source=Source.ALERT,
            )
    except DomainError as refusal:
        alert_event(
            incident,
            message=f"Every alert recovered, but the incident was not resolved automatically: "
            f"{refusal}",
            details={"auto_resolve": "refused"},
        )
        return False
    return True
