"""An alert firing again after its incident was resolved, closed or cancelled: the new incident
names the previous one and how often the same alert fired in the last REPEAT_WINDOW."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, Subquery

from incidents.alerts.models import AlertLink, Integration
from incidents.models import Incident

REPEAT_WINDOW = timedelta(days=7)


def alert_previous_incident(
    integration: Integration, fingerprint: str, now: datetime
) -> tuple[int | None, int]:
    """The incident this alert was last on (its links are closed by now; None: never seen) and
    how many times it fired in the last REPEAT_WINDOW, this firing included (one query)."""
    links = AlertLink.objects.filter(integration=integration, fingerprint=fingerprint)
    latest = links.order_by("-created_at", "-id").values("pk")[:1]
    since = now - REPEAT_WINDOW
    rows = list(
        links.filter(Q(last_seen_at__gte=since) | Q(pk=Subquery(latest)))
        .order_by("-created_at", "-id")
        .values_list("incident_id", "occurrences", "last_seen_at")
    )
    if not rows:
        return None, 1
    fired = 1 + sum(count for _, count, seen in rows if seen >= since)
    return rows[0][0], fired


def repeat_note(previous_id: int, fired: int) -> tuple[str, dict[str, Any]]:
    """The new incident's timeline note (message, changes) naming the previous incident."""
    previous = Incident.objects.only("pk", "number", "status").get(pk=previous_id)
    return (
        f"The same alert fired {fired} time{'s' if fired != 1 else ''} in 7 days: it was on "
        f"{previous.number} ({previous.get_status_display().lower()}) before.",
        {"repeat_of": previous.number, "fired_in_7_days": fired},
    )
