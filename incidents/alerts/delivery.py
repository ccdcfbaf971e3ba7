"""What one alert delivery changes, shared by intake and storm handling: the result returned
to the sender, the batch of link changes and timeline events written together, the open links
of a delivery (locked), one alert firing on its link, and the page an integration that pages
asks for."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from core.models import TimelineEvent
from core.tickets.events import events_record
from core.tickets.paging_hooks import page_request
from incidents.alerts.choices import AlertStatus
from incidents.alerts.models import AlertLink, Integration
from incidents.alerts.parsers import ParsedAlert
from incidents.alerts.text import when
from incidents.alerts.title import incident_follow_alert_title
from incidents.events import alert_event_build
from incidents.models import Incident

# The on-call app's reason for a page an alert integration asked for (oncall PageReason.ALERT;
# the kernel's paging registry takes it as a string, incidents do not import the on-call app).
PAGE_REASON_ALERT = "alert"

logger = logging.getLogger(__name__)

LINK_FIELDS = [
    "name",
    "starts_at",
    "alert_status",
    "occurrences",
    "pending_occurrences",
    "labels",
    "last_seen_at",
    "last_event_at",
    "recovered_at",
]


def event_interval() -> timedelta:
    return timedelta(minutes=settings.ALERTS_OCCURRENCE_EVENT_MINUTES)


@dataclass
class IntakeResult:
    """What one delivery did, by incident number (returned to the sender as JSON)."""

    received: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    ignored: int = 0
    storm: str | None = None
    storm_alerts: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "incidents_created": list(dict.fromkeys(self.created)),
            "incidents_updated": list(dict.fromkeys(self.updated)),
            "incidents_recovered": list(dict.fromkeys(self.recovered)),
            "incidents_resolved": list(dict.fromkeys(self.resolved)),
            "incidents_reopened": list(dict.fromkeys(self.reopened)),
            "ignored": self.ignored,
            "storm_incident": self.storm,
            "storm_alerts": self.storm_alerts,
        }


class DeliveryBatch:
    """Link changes and timeline events of one delivery, written together."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.links: dict[int, AlertLink] = {}
        self.events: list[tuple[Incident, TimelineEvent]] = []
        self.titles: dict[int, tuple[Incident, str, str]] = {}

    def event(self, incident: Incident, message: str, changes: dict[str, Any]) -> None:
        self.events.append(
            (incident, alert_event_build(incident, message=message, details=changes))
        )

    def flush(self) -> None:
        for incident, old, new in self.titles.values():
            incident_follow_alert_title(incident=incident, old=old, new=new, now=self.now)
        self.titles.clear()
        if self.links:
            AlertLink.objects.bulk_update(list(self.links.values()), LINK_FIELDS)
            self.links.clear()
        if self.events:
            events_record(self.events)
            self.events.clear()


def lock_open_links(
    integration: Integration, fingerprints: Iterable[str], now: datetime
) -> dict[str, AlertLink]:
    """The open links of these fingerprints, locked in id order (no deadlock between two
    deliveries); links whose incident is no longer open are closed on the way."""
    rows = (
        AlertLink.objects.select_for_update(of=("self",))
        .select_related("incident")
        .filter(integration=integration, is_open=True, fingerprint__in=list(fingerprints))
        .order_by("pk")
    )
    links: dict[str, AlertLink] = {}
    stale: list[int] = []
    for link in rows:
        if link.incident.is_open:
            links[link.fingerprint] = link
        else:
            stale.append(link.pk)
    if stale:
        AlertLink.objects.filter(pk__in=stale).update(is_open=False, closed_at=now)
    return links


def is_new_firing(link: AlertLink, alert: ParsedAlert) -> bool:
    """A new firing, not the sender re-sending the current one: a different `startsAt` (or no
    `startsAt` to tell, or the alert was recovered)."""
    return (
        alert.starts_at is None
        or link.starts_at != alert.starts_at
        or link.alert_status == AlertStatus.RESOLVED
    )


def alert_fired(
    batch: DeliveryBatch, link: AlertLink, alert: ParsedAlert, result: IntakeResult
) -> None:
    now = batch.now
    link.last_seen_at = now
    if alert.labels:
        link.labels = alert.labels
    if alert.title and alert.title != link.name:
        # The title follows the latest firing ({{ $value }} in the summary changes).
        first = batch.titles.get(link.incident_id)
        batch.titles[link.incident_id] = (
            link.incident,
            first[1] if first else link.name,
            alert.title,
        )
        link.name = alert.title
    batch.links[link.pk] = link
    result.updated.append(link.incident.number)
    if not is_new_firing(link, alert):
        return
    link.occurrences += 1
    link.starts_at = alert.starts_at
    changes = {"alert": link.fingerprint, "alert_status": AlertStatus.FIRING}
    if link.alert_status == AlertStatus.RESOLVED:
        link.alert_status = AlertStatus.FIRING
        link.recovered_at = None
        link.pending_occurrences = 0
        link.last_event_at = now
        batch.event(
            link.incident,
            f"Alert firing again: {alert.title}",
            {**changes, "occurrences": link.occurrences},
        )
    elif now - link.last_event_at >= event_interval():
        repeats = link.pending_occurrences + 1
        batch.event(
            link.incident,
            f"Alert fired again {repeats} time{'s' if repeats != 1 else ''} since "
            f"{when(link.last_event_at)} ({link.occurrences} in total): {alert.title}",
            {**changes, "occurrences": link.occurrences},
        )
        link.pending_occurrences = 0
        link.last_event_at = now
    else:
        link.pending_occurrences += 1


def page_if_wanted(integration: Integration, incident: Incident) -> None:
    """Page the on-call of the incident's group for a new (or reopened) incident of an
    integration that pages, in the delivery's transaction (a rolled-back delivery pages
    nobody). An incident already paged (its priority pages too) keeps its one page; a group
    without an escalation policy pages nobody."""
    if not integration.pages:
        return
    try:
        with transaction.atomic():
            page_request(incident, reason=PAGE_REASON_ALERT)
    except Exception:
        # The incident matters more than its page: a page that cannot start must not fail
        # the delivery (Alertmanager would retry it and no incident would ever open).
        logger.exception("Paging for the alert incident %s failed.", incident.number)
