"""Storm protection's rate: which new alerts of an integration may open an incident now.

A fixed one-minute window per integration, kept on its row: it starts with the first new
incident after the previous window ended and grants at most `max_new_incidents_per_minute`
slots, one per distinct alert. The window remembers which alerts hold a slot (digests of their
fingerprints), so duplicate deliveries of one alert, sequential or concurrent, use one slot:
twenty copies of a new alert arriving at once used to take eleven of twenty slots.
"""

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction

from incidents.alerts.models import AlertLink, Integration
from incidents.alerts.parsers import ParsedAlert
from incidents.transitions import OPEN_STATUSES

STORM_WINDOW = timedelta(minutes=1)


def new_alert_fingerprints(integration: Integration, latest: dict[str, ParsedAlert]) -> list[str]:
    """The firing alerts that have no open incident yet (a read without locks)."""
    firing = [fingerprint for fingerprint, alert in latest.items() if alert.is_firing]
    if not firing or not integration.max_new_incidents_per_minute:
        return firing
    known = set(
        AlertLink.objects.filter(
            integration=integration,
            is_open=True,
            fingerprint__in=firing,
            incident__status__in=sorted(OPEN_STATUSES),
        ).values_list("fingerprint", flat=True)
    )
    return [fingerprint for fingerprint in firing if fingerprint not in known]


def _slot(fingerprint: str) -> str:
    # A short digest: the window's list stays small whatever the fingerprints look like.
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:16]


def reserve_new_incidents(
    integration: Integration, wanted: Sequence[str], now: datetime
) -> frozenset[str] | None:
    """Take slots of the integration's one-minute window for the alerts `wanted` (fingerprints,
    the most important first); return the fingerprints that may open an incident, or None when
    the integration has no limit. An alert that already holds a slot in this window keeps it at
    no cost. Its own short transaction: the integration row stays locked for two statements,
    not for the whole delivery."""
    limit = integration.max_new_incidents_per_minute
    if not limit:
        return None
    if not wanted:
        return frozenset()
    with transaction.atomic():
        row = (
            Integration.objects.select_for_update()
            .only("rate_window_started_at", "rate_window_used", "rate_window_alerts")
            .get(pk=integration.pk)
        )
        started, used, holders = (
            row.rate_window_started_at,
            row.rate_window_used,
            row.rate_window_alerts,
        )
        if started is None or now - started >= STORM_WINDOW:
            started, used, holders = now, 0, []
        held = set(holders)
        granted = {fingerprint for fingerprint in wanted if _slot(fingerprint) in held}
        for fingerprint in wanted:
            slot = _slot(fingerprint)
            if used >= limit:
                break
            if slot not in held:
                held.add(slot)
                holders = [*holders, slot]
                used += 1
                granted.add(fingerprint)
        Integration.objects.filter(pk=integration.pk).update(
            rate_window_started_at=started, rate_window_used=used, rate_window_alerts=holders
        )
    return frozenset(granted)
