"""Resolving an incident whose alerts all recovered, by the rule of incidents.recovery: only an
incident nobody worked on is resolved (accepted, classified and resolved as No fault found by
the system, source `alert`); one an agent touched stays as it is with a timeline note that its
alerts recovered, and one the lifecycle refuses to resolve (a security or major incident not
contained yet, no service) stays as it was, with an event saying why.

The integration's reporter opened the incident, so its events are not work on it; the
integration's service and category fill in what the classification lacks.
"""

from datetime import datetime

from core.choices import Source
from core.tickets.kinds import RECOVERY_DONE, RECOVERY_RESOLVED, RECOVERY_TOUCHED
from incidents.alerts.models import Integration
from incidents.alerts.text import when
from incidents.events import alert_event
from incidents.models import Incident
from incidents.recovery import incident_resolve_untouched


def incident_resolve_recovered(
    *, incident: Incident, integration: Integration, recovered_at: datetime
) -> bool:
    """Resolve `incident` because every alert on it recovered, if nobody worked on it; True when
    it is resolved. Call inside the intake transaction."""
    notes = (
        f"Recovered automatically: every alert of the integration “{integration.name}” on this "
        f"incident has recovered (the last at {when(recovered_at)}), so the system resolved it."
    )
    outcome = incident_resolve_untouched(
        incident,
        notes=notes,
        source=Source.ALERT,
        category=integration.category,
        service=integration.service,
        reporter_id=integration.reporter_id,
    )
    if outcome.result == RECOVERY_RESOLVED:
        return True
    if outcome.result == RECOVERY_TOUCHED:
        alert_event(
            incident,
            message=f"The alert recovered (every alert on this incident, the last at "
            f"{when(recovered_at)}). Agents worked on this incident, so the system "
            "left it as it is: resolve it when you are done.",
            details={"auto_resolve": "touched"},
        )
    elif outcome.result == RECOVERY_DONE:
        alert_event(
            incident,
            message=f"Every alert recovered (the last at {when(recovered_at)}); the incident "
            "is no longer open, so the system left it as it is.",
            details={"auto_resolve": "done"},
        )
    else:
        alert_event(
            incident,
            message=f"Every alert recovered, but the incident was not resolved automatically: "
            f"{outcome.reason}",
            details={"auto_resolve": "refused"},
        )
    return False
