"""Resolving an incident whose alerts all recovered, through the lifecycle services.

The lifecycle allows `resolve` only from classified, contained or diagnosed. An alert incident
nobody has touched is still `identified` (or `logged`), so the system first accepts it and
classifies it (keeping its impact and urgency, with the integration's service and category when
it has none), then resolves it — each step a normal transition on the timeline, credited to the
system (no actor) with source `alert`. Anything the lifecycle refuses (on hold, a security or
major incident not contained yet, no service) leaves the incident as it was, with an event
saying why it was not resolved.
"""

from datetime import datetime

from django.db import transaction

from core.choices import Source
from core.exceptions import DomainError
from incidents import services as incident_services
from incidents.alerts.models import Integration
from incidents.alerts.text import when
from incidents.choices import IncidentStatus, ResolutionCode
from incidents.events import alert_event
from incidents.models import Incident

UNTOUCHED = frozenset({IncidentStatus.IDENTIFIED, IncidentStatus.LOGGED})


def incident_resolve_recovered(
    *, incident: Incident, integration: Integration, recovered_at: datetime
) -> bool:
    """Resolve `incident` because every alert on it recovered; True when it is resolved.

    Resolution code: `no_fault_found` when nobody had classified it (it went away on its own),
    `fixed` when agents were working on it. All steps run in one savepoint: a refusal half-way
    leaves no step behind. Call inside the intake transaction.
    """
    notes = (
        f"Recovered automatically: every alert of the integration “{integration.name}” on this "
        f"incident has recovered (the last at {when(recovered_at)}), so the system resolved it."
    )
    try:
        with transaction.atomic():
            # Re-read under lock: the row loaded with the alert link may be stale by now.
            current = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
            untouched = current.status in UNTOUCHED
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
                resolution_code=(
                    ResolutionCode.NO_FAULT_FOUND if untouched else ResolutionCode.FIXED
                ),
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
