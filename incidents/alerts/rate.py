"""Storm protection's rate: how many new incidents an integration may open now.

A fixed one-minute window per integration, kept on its row: it starts with the first new
incident after the previous window ended and grants at most `max_new_incidents_per_minute`.
"""

from datetime import datetime, timedelta

from django.db import transaction

from incidents.alerts.models import AlertLink, Integration
from incidents.alerts.parsers import ParsedAlert
from incidents.transitions import OPEN_STATUSES

STORM_WINDOW = timedelta(minutes=1)


def count_new(integration: Integration, latest: dict[str, ParsedAlert]) -> int:
    """How many of the firing alerts have no open incident yet (a read without locks)."""
    firing = [fingerprint for fingerprint, alert in latest.items() if alert.is_firing]
    if not firing or not integration.max_new_incidents_per_minute:
        return len(firing)
    known = AlertLink.objects.filter(
        integration=integration,
        is_open=True,
        fingerprint__in=firing,
        incident__status__in=sorted(OPEN_STATUSES),
    ).count()
    return len(firing) - known


def reserve_new_incidents(integration: Integration, wanted: int, now: datetime) -> int:
    """Take up to `wanted` new incidents from the integration's one-minute window; return how
    many were granted. The window starts with the first new incident after the previous one
    ended and grants at most `max_new_incidents_per_minute`. Its own short transaction: the
    integration row stays locked for two statements, not for the whole delivery."""
    limit = integration.max_new_incidents_per_minute
    if not wanted or not limit:
        return wanted
    with transaction.atomic():
        row = (
            Integration.objects.select_for_update()
            .only("rate_window_started_at", "rate_window_used")
            .get(pk=integration.pk)
        )
        started, used = row.rate_window_started_at, row.rate_window_used
        if started is None or now - started >= STORM_WINDOW:
            started, used = now, 0
        granted = max(0, min(wanted, limit - used))
        Integration.objects.filter(pk=integration.pk).update(
            rate_window_started_at=started, rate_window_used=used + granted
        )
    return granted
