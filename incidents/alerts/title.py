"""An alert incident's title follows its alert's latest firing."""

from datetime import datetime

from django.db.models import F

from core.choices import Source
from core.tickets.events import details_edited_event
from incidents.models import Incident


def incident_follow_alert_title(*, incident: Incident, old: str, new: str, now: datetime) -> bool:
    """Set the title to `new` if it is still `old` (the alert's previous title): a title an agent
    edited, or a storm incident's, is left alone. Compare-and-set, bumping `version`; a field
    change by the system (source alert) on the timeline. True when it changed. Call inside the
    intake transaction."""
    changed = Incident.objects.filter(pk=incident.pk, title=old).update(
        title=new, version=F("version") + 1, updated_at=now
    )
    if not changed:
        return False
    incident.title = new
    details_edited_event(
        incident,
        actor=None,
        source=Source.ALERT,
        fields={"title": new},
        message=f"The title follows the alert's latest firing (it was “{old}”).",
    )
    return True
