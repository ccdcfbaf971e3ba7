"""A flapping alert: one that fires again soon after auto-resolve resolved its incident.

Why: with auto-resolve on, an alert that goes firing → recovered → firing opened a new incident
on every cycle (three flaps, four incidents), splitting one problem over many tickets and
paging each time. Now, when the alert fires again within ALERTS_REOPEN_WINDOW_MINUTES (30) of
the auto-resolve, and its incident is still resolved, the incident is reopened through the
lifecycle (the `reopen` transition, credited to the system with source `alert`, its reason on
the timeline, the reopen counter moved) and the alert's link opens again.

A new incident opens instead when the window has passed, when the incident was resolved by a
person (an agent's resolution is a decision the alert must not undo), when it has been closed or
cancelled since (final states), or when the lifecycle refuses the reopen. 0 turns reopening off.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from core.choices import Source
from core.exceptions import DomainError
from incidents import services as incident_services
from incidents.alerts.choices import AlertStatus
from incidents.alerts.models import AlertLink, Integration
from incidents.alerts.parsers import ParsedAlert
from incidents.alerts.title import incident_follow_alert_title
from incidents.choices import IncidentStatus
from incidents.models import Incident


def reopen_window() -> timedelta:
    return timedelta(minutes=max(0, settings.ALERTS_REOPEN_WINDOW_MINUTES))


def flapping_links(
    integration: Integration, fingerprints: Iterable[str], now: datetime, *, lock: bool = False
) -> dict[str, AlertLink]:
    """The latest link per fingerprint that auto-resolve closed within the window and whose
    incident is still resolved: those alerts reopen their incident when they fire. `lock` locks
    the links (in id order) for the intake's transaction."""
    wanted = list(fingerprints)
    window = reopen_window()
    if not wanted or not window:
        return {}
    rows = (
        AlertLink.objects.filter(
            integration=integration,
            fingerprint__in=wanted,
            is_open=False,
            closed_by_auto_resolve=True,
            closed_at__gte=now - window,
            incident__status=IncidentStatus.RESOLVED,
        )
        .select_related("incident")
        .order_by("pk")
    )
    if lock:
        rows = rows.select_for_update(of=("self",))
    latest: dict[str, AlertLink] = {}
    for link in rows:
        if link.fingerprint not in latest or link.pk > latest[link.fingerprint].pk:
            latest[link.fingerprint] = link
    return latest


def _minutes(since: datetime, now: datetime) -> str:
    minutes = max(1, round((now - since).total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def alert_reopen_incident(*, link: AlertLink, alert: ParsedAlert, now: datetime) -> Incident | None:
    """Reopen the incident of a flapping alert and open its link again, its title following
    the reopening firing (unless an agent edited it); None (nothing changed)
    when the lifecycle refuses or a concurrent delivery opened a link for the alert first.
    Call inside the intake transaction, with the link locked (flapping_links(lock=True))."""
    closed_at = link.closed_at or now
    reason = (
        f"Alert firing again {_minutes(closed_at, now)} after it recovered and the incident "
        f"was resolved automatically: {alert.title}"
    )
    try:
        with transaction.atomic():
            incident = incident_services.incident_reopen(
                link.incident, actor=None, reason=reason, source=Source.ALERT
            )
            AlertLink.objects.filter(pk=link.pk).update(
                is_open=True,
                closed_at=None,
                closed_by_auto_resolve=False,
                alert_status=AlertStatus.FIRING,
                recovered_at=None,
                starts_at=alert.starts_at,
                occurrences=link.occurrences + 1,
                pending_occurrences=0,
                last_seen_at=now,
                last_event_at=now,
                name=alert.title or link.name,
            )
            if alert.title and alert.title != link.name:
                # The title follows the firing that reopened it ({{ $value }} may differ).
                incident_follow_alert_title(
                    incident=incident, old=link.name, new=alert.title, now=now
                )
    except (DomainError, IntegrityError):
        return None
    return incident
