"""An incident's alert state, read with the incident: "firing since …" or "recovered at …".

Two correlated subqueries on the incident's alert links (index alertlink_incident_open), so a
queue page of any length stays one query:

- `alert_firing_since`: when the earliest of its open alerts still firing started (the sender's
  startsAt, else when the desk first saw it); None when none is firing;
- `alert_recovered_at`: when its alerts last recovered, only when none is firing any more.

Both None: not an alert incident (or its alerts' links closed while firing).
"""

from datetime import datetime
from typing import Any

from django.db.models import DateTimeField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from incidents.alerts.choices import AlertStatus
from incidents.alerts.models import AlertLink
from incidents.models import Incident


def with_alert_state(queryset: QuerySet[Incident]) -> QuerySet[Incident]:
    """`queryset` (incidents) annotated with alert_firing_since and alert_recovered_at."""
    links = AlertLink.objects.filter(incident=OuterRef("pk"))
    firing = (
        links.filter(is_open=True, alert_status=AlertStatus.FIRING)
        .annotate(since=Coalesce("starts_at", "first_seen_at"))
        .order_by("since")
        .values("since")[:1]
    )
    recovered = (
        links.filter(recovered_at__isnull=False)
        .order_by("-recovered_at")
        .values("recovered_at")[:1]
    )
    return queryset.annotate(
        alert_firing_since=Subquery(firing, output_field=DateTimeField()),
        alert_last_recovered_at=Subquery(recovered, output_field=DateTimeField()),
    )


def alert_state(incident: Any) -> tuple[datetime | None, datetime | None]:
    """(firing since, recovered at) of an incident, from with_alert_state's annotations when it
    was read with them, else read now (one query, remembered on the instance: an incident a
    service just returned)."""
    if not hasattr(incident, "alert_firing_since"):
        row = None
        if incident.pk is not None:
            # Typed Any: the stubs do not see the annotations through with_alert_state.
            annotated: Any = with_alert_state(Incident.objects.filter(pk=incident.pk))
            row = annotated.values_list("alert_firing_since", "alert_last_recovered_at").first()
        incident.alert_firing_since, incident.alert_last_recovered_at = row or (None, None)
    since = incident.alert_firing_since
    return since, None if since is not None else incident.alert_last_recovered_at
