"""Alert intake: the parsed alerts of one delivery, deduplicated into incidents.

Per alert, by its fingerprint (or dedup key) among the integration's open alert links:

- firing, no open link, but auto-resolve closed its link moments ago: its incident is reopened
  (incidents.alerts.flapping);
- firing, no open link: a new incident in `identified` (impact and urgency from the severity),
  requested by the integration's reporter, created by the system with source `alert`; beyond
  the integration's rate (max_new_incidents_per_minute distinct alerts, counted in a fixed
  one-minute window that starts with the first new incident) it joins the integration's storm
  incident instead;
- firing, open link: one more occurrence on that incident. The timeline gets an event when the
  alert fires again after recovering, and otherwise at most one "fired again" summary per
  ALERTS_OCCURRENCE_EVENT_MINUTES (default 15);
- resolved, open firing link: the recovery on the timeline; with auto-resolve, the incident is
  resolved once every alert on it has recovered (incidents.alerts.recovery);
- resolved, otherwise: nothing to do (counted as ignored).

A link whose incident is no longer open (resolved, closed, cancelled) is closed first, so the
alert firing again opens a new incident. One delivery is one transaction (after the storm
budget's own short one). Existing links are read and locked in one query; their changes are
written with one UPDATE and their events with one INSERT, so repeats cost the same for 1 alert
or 50.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.choices import Source
from core.models import TimelineEvent
from core.tickets.events import events_record
from core.tickets.paging_hooks import page_request
from incidents import services as incident_services
from incidents.alerts.choices import AlertStatus
from incidents.alerts.flapping import alert_reopen_incident, flapping_links
from incidents.alerts.models import AlertLink, AlertStorm, Integration
from incidents.alerts.parsers import ParsedAlert, clip
from incidents.alerts.rate import new_alert_fingerprints, reserve_new_incidents
from incidents.alerts.recovery import incident_resolve_recovered
from incidents.alerts.repeats import alert_previous_incident, repeat_note
from incidents.alerts.routing import route_for
from incidents.alerts.severity import impact_urgency_for
from incidents.alerts.target_down import vanished_incidents
from incidents.alerts.text import describe, describe_storm, names_summary, when
from incidents.alerts.title import incident_follow_alert_title
from incidents.events import alert_event, alert_event_build
from incidents.models import Incident
from incidents.priority import priority_for

# The on-call app's reason for a page an alert integration asked for (oncall PageReason.ALERT;
# the kernel's paging registry takes it as a string, incidents do not import the on-call app).
PAGE_REASON_ALERT = "alert"

logger = logging.getLogger(__name__)

STORM_NAMES_SHOWN = 10
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


class _Batch:
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


def alerts_ingest(*, integration: Integration, alerts: Sequence[ParsedAlert]) -> IntakeResult:
    """Apply one delivery's alerts to incidents (see the module docstring for the rules).

    The alerts are applied in one transaction: all of it happens or none. Before it, storm
    protection reserves a slot per distinct new alert in a short transaction of its own, so
    concurrent deliveries count each other's and copies of one alert share its slot (a slot a
    failed delivery did not use stays with its alert for the minute); flapping alerts, which
    reopen their incident, take none. Call it outside a transaction, as the intake view does.
    Concurrent deliveries of the same new alert open one incident: the unique constraint on open
    links refuses the second, which then counts as an occurrence of the first. Expects
    `integration.reporter` and `.service` loaded (integration_get_by_token does).
    """
    latest = {alert.fingerprint: alert for alert in alerts}  # the last word on a fingerprint
    result = IntakeResult(received=len(alerts))
    now = timezone.now()
    batch = _Batch(now)
    granted = reserve_new_incidents(integration, _wanted_slots(integration, latest, now), now)
    with transaction.atomic():
        links = _lock_open_links(integration, list(latest), now)
        new: list[ParsedAlert] = []
        recovered: dict[int, tuple[Incident, datetime]] = {}
        recovered_labels: dict[int, list[dict[str, str]]] = {}
        for fingerprint in sorted(latest):
            alert = latest[fingerprint]
            link = links.get(fingerprint)
            if link is None:
                if alert.is_firing:
                    new.append(alert)
                else:
                    result.ignored += 1
            elif alert.is_firing:
                _fired(batch, link, alert, result)
            elif link.alert_status == AlertStatus.FIRING:
                _recovered(batch, link, alert, result)
                recovered[link.incident_id] = (link.incident, link.recovered_at or now)
                recovered_labels.setdefault(link.incident_id, []).append(link.labels)
            else:
                result.ignored += 1
        batch.flush()
        if integration.auto_resolve and recovered:
            vanished = vanished_incidents(integration, latest.values(), recovered_labels)
            _resolve_recovered(integration, recovered, result, now, vanished)
        if new:
            new = _reopen_flapping(integration, new, result, now)
        if new:
            _open_new(integration, new, batch, result, granted=granted)
        batch.flush()
    return result


def _wanted_slots(
    integration: Integration, latest: dict[str, ParsedAlert], now: datetime
) -> list[str]:
    """The alerts that may open an incident, the most severe first (a read without locks)."""
    fingerprints = new_alert_fingerprints(integration, latest)
    flapping = flapping_links(integration, fingerprints, now)
    wanted = [fingerprint for fingerprint in fingerprints if fingerprint not in flapping]
    return sorted(wanted, key=lambda fingerprint: _rank(latest[fingerprint], integration))


def _reopen_flapping(
    integration: Integration, new: list[ParsedAlert], result: IntakeResult, now: datetime
) -> list[ParsedAlert]:
    """Reopen the incidents of the flapping alerts among `new`; return the others."""
    flapping = flapping_links(integration, [alert.fingerprint for alert in new], now, lock=True)
    remaining: list[ParsedAlert] = []
    for alert in new:
        link = flapping.get(alert.fingerprint)
        incident = alert_reopen_incident(link=link, alert=alert, now=now) if link else None
        if incident is None:
            remaining.append(alert)
        else:
            result.reopened.append(incident.number)
            result.updated.append(incident.number)
            _page_if_wanted(integration, incident)  # its earlier page ended with the resolution
    return remaining


def _lock_open_links(
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


def _is_new_firing(link: AlertLink, alert: ParsedAlert) -> bool:
    """A new firing, not the sender re-sending the current one: a different `startsAt` (or no
    `startsAt` to tell, or the alert was recovered)."""
    return (
        alert.starts_at is None
        or link.starts_at != alert.starts_at
        or link.alert_status == AlertStatus.RESOLVED
    )


def _fired(batch: _Batch, link: AlertLink, alert: ParsedAlert, result: IntakeResult) -> None:
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
    if not _is_new_firing(link, alert):
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


def _recovered(batch: _Batch, link: AlertLink, alert: ParsedAlert, result: IntakeResult) -> None:
    now = batch.now
    link.alert_status = AlertStatus.RESOLVED
    link.recovered_at = min(alert.ends_at or now, now)
    link.last_seen_at = now
    unreported = link.pending_occurrences
    link.pending_occurrences = 0
    link.last_event_at = now
    note = f" (it fired {unreported} more time{'s' if unreported != 1 else ''} before)"
    batch.event(
        link.incident,
        f"Alert recovered at {when(link.recovered_at)}{note if unreported else ''}: "
        f"{alert.title or link.name}",
        {
            "alert": link.fingerprint,
            "alert_status": AlertStatus.RESOLVED,
            "occurrences": link.occurrences,
        },
    )
    batch.links[link.pk] = link
    result.recovered.append(link.incident.number)


def _resolve_recovered(
    integration: Integration,
    recovered: dict[int, tuple[Incident, datetime]],
    result: IntakeResult,
    now: datetime,
    vanished: dict[int, tuple[str, str]],
) -> None:
    """Resolve the incidents none of whose open alerts is still firing; those whose alert
    vanished with its dead target (incidents.alerts.target_down) stay open, with a note."""
    still_firing = set(
        AlertLink.objects.filter(
            incident_id__in=list(recovered), is_open=True, alert_status=AlertStatus.FIRING
        ).values_list("incident_id", flat=True)
    )
    for incident_id, (incident, recovered_at) in sorted(recovered.items()):
        if incident_id in still_firing:
            continue
        if incident_id in vanished:
            job, instance = vanished[incident_id]
            alert_event(
                incident,
                message=f"The alert stopped firing, but its target {instance}"
                f"{f' (job {job})' if job else ''} is down (its target-down alert is firing): "
                "the alert vanished rather than recovered, so the incident stays open.",
                details={"auto_resolve": "target_down", "instance": instance, "job": job},
            )
            continue
        if incident_resolve_recovered(
            incident=incident,
            integration=integration,
            recovered_at=recovered_at,
        ):
            AlertLink.objects.filter(incident_id=incident_id, is_open=True).update(
                is_open=False, closed_at=now, closed_by_auto_resolve=True
            )
            AlertStorm.objects.filter(incident_id=incident_id, is_open=True).update(is_open=False)
            result.resolved.append(incident.number)


def _rank(alert: ParsedAlert, integration: Integration) -> tuple[int, str]:
    impact, urgency = impact_urgency_for(alert.severity, integration.severity_map)
    return priority_for(impact, urgency), alert.fingerprint


def _open_new(
    integration: Integration,
    new: list[ParsedAlert],
    batch: _Batch,
    result: IntakeResult,
    *,
    granted: frozenset[str] | None,
) -> None:
    """Open incidents for the new alerts that hold a slot of the rate window (`granted`, None:
    no limit), the most severe first; the rest join the storm incident."""
    new = sorted(new, key=lambda alert: _rank(alert, integration))
    opening = [alert for alert in new if granted is None or alert.fingerprint in granted]
    overflow = [alert for alert in new if granted is not None and alert.fingerprint not in granted]
    # The storm row is locked before any new link is inserted: every delivery takes its locks
    # in the same order (existing links, storm, new links by rank), so two cannot deadlock.
    storm = _storm_for(integration, overflow, batch, result) if overflow else None
    for alert in opening:
        _open_incident(integration, alert, batch, result)
    if storm is not None:
        _join_storm(integration, storm[0], overflow, batch, result, started=storm[1])


def _open_incident(
    integration: Integration, alert: ParsedAlert, batch: _Batch, result: IntakeResult
) -> None:
    impact, urgency = impact_urgency_for(alert.severity, integration.severity_map)
    route = route_for(integration, alert)
    previous_id, fired = alert_previous_incident(integration, alert.fingerprint, batch.now)
    message = f"Opened by the alert integration {integration.name}. {route.rule}"
    try:
        with transaction.atomic():
            incident = incident_services.incident_create(
                requester=integration.reporter,
                title=alert.title,
                description=describe(
                    alert,
                    integration_name=integration.name,
                    kind_label=integration.get_kind_display(),
                ),
                impact=impact,
                urgency=urgency,
                service=route.service,
                configuration_item=route.configuration_item,
                category=integration.category,
                source=Source.ALERT,
                # A service chosen by a label brings its own first-line group.
                support_group=None if route.from_label else integration.support_group,
                by_system=True,
                message=message,
            )
            AlertLink.objects.create(
                integration=integration,
                incident=incident,
                fingerprint=alert.fingerprint,
                name=alert.title,
                labels=alert.labels,
                starts_at=alert.starts_at,
                previous_incident_id=previous_id,
                first_seen_at=batch.now,
                last_seen_at=batch.now,
                last_event_at=batch.now,
                created_at=batch.now,
            )
            if previous_id is not None:
                message, changes = repeat_note(previous_id, fired)
                batch.event(incident, message, changes)
    except IntegrityError:
        # A concurrent delivery opened this alert's incident first: count an occurrence on it.
        winner = _lock_open_links(integration, [alert.fingerprint], batch.now)
        if alert.fingerprint not in winner:
            raise
        _fired(batch, winner[alert.fingerprint], alert, result)
        return
    _page_if_wanted(integration, incident)
    result.created.append(incident.number)


def _page_if_wanted(integration: Integration, incident: Incident) -> None:
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


def _storm_for(
    integration: Integration, alerts: list[ParsedAlert], batch: _Batch, result: IntakeResult
) -> tuple[AlertStorm, bool]:
    """The integration's open storm, locked, and whether this delivery started it (opening
    its incident) because there was none."""
    storm = _lock_open_storm(integration)
    if storm is not None:
        return storm, False
    impact, urgency = impact_urgency_for(alerts[0].severity, integration.severity_map)
    try:
        with transaction.atomic():
            incident = incident_services.incident_create(
                requester=integration.reporter,
                title=clip(f"Alert storm: {integration.name}", 200),
                description=describe_storm(
                    integration_name=integration.name,
                    limit=integration.max_new_incidents_per_minute,
                ),
                impact=impact,
                urgency=urgency,
                service=integration.service,
                category=integration.category,
                source=Source.ALERT,
                support_group=integration.support_group,
                by_system=True,
            )
            storm = AlertStorm.objects.create(
                integration=integration,
                incident=incident,
                started_at=batch.now,
                last_event_at=batch.now,
            )
    except IntegrityError:
        storm = _lock_open_storm(integration)
        if storm is None:
            raise
        return storm, False
    _page_if_wanted(integration, incident)
    result.created.append(incident.number)
    return storm, True


def _lock_open_storm(integration: Integration) -> AlertStorm | None:
    storm = (
        AlertStorm.objects.select_for_update(of=("self",))
        .select_related("incident")
        .filter(integration=integration, is_open=True)
        .first()
    )
    if storm is not None and not storm.incident.is_open:
        AlertStorm.objects.filter(pk=storm.pk).update(is_open=False)
        return None
    return storm


def _link_to_storm(
    integration: Integration, storm: AlertStorm, alerts: list[ParsedAlert], now: datetime
) -> None:
    """One insert; alerts a concurrent delivery linked first are skipped (the caller re-reads)."""
    AlertLink.objects.bulk_create(
        [
            AlertLink(
                integration=integration,
                incident=storm.incident,
                fingerprint=alert.fingerprint,
                name=alert.title,
                labels=alert.labels,
                starts_at=alert.starts_at,
                opened_incident=False,
                first_seen_at=now,
                last_seen_at=now,
                last_event_at=now,
                created_at=now,
            )
            for alert in alerts
        ],
        ignore_conflicts=True,
    )


def _join_storm(
    integration: Integration,
    storm: AlertStorm,
    alerts: list[ParsedAlert],
    batch: _Batch,
    result: IntakeResult,
    *,
    started: bool,
) -> None:
    """Link the alerts to the storm incident in one insert, count them and summarise them on
    its timeline: at once when this delivery started the storm, then at most once per
    interval."""
    now = batch.now
    by_fingerprint = {alert.fingerprint: alert for alert in alerts}
    _link_to_storm(integration, storm, alerts, now)
    # Re-read to tell ours from alerts a concurrent delivery linked first (the insert skipped
    # those): ours point at the storm and carry this delivery's timestamp.
    joined: list[str] = []
    for fingerprint, link in _lock_open_links(integration, list(by_fingerprint), now).items():
        ours = (
            link.incident_id == storm.incident_id
            and link.created_at == now
            and not link.opened_incident
            and link.occurrences == 1
        )
        if ours:
            joined.append(link.name)
        else:
            _fired(batch, link, by_fingerprint[fingerprint], result)
    storm.alerts_count += len(joined)
    storm.pending_count += len(joined)
    room = STORM_NAMES_SHOWN - len(storm.pending_names)
    storm.pending_names = [*storm.pending_names, *joined[: max(0, room)]]
    due = started or now - storm.last_event_at >= event_interval()
    if due and storm.pending_count:
        since = "" if started else f" since {when(storm.last_event_at)}"
        batch.event(
            storm.incident,
            f"Alert storm: {storm.pending_count} alert{'s' if storm.pending_count != 1 else ''} "
            f"joined this incident{since} "
            f"({storm.alerts_count} in total; the integration's limit is "
            f"{integration.max_new_incidents_per_minute} new incidents a minute): "
            f"{names_summary(storm.pending_names, storm.pending_count)}",
            {"storm_alerts": storm.alerts_count, "joined": storm.pending_count},
        )
        storm.pending_count = 0
        storm.pending_names = []
        storm.last_event_at = now
    storm.save(update_fields=["alerts_count", "pending_count", "pending_names", "last_event_at"])
    result.storm = storm.incident.number
    result.storm_alerts += len(joined)
    if joined and not started:
        result.updated.append(storm.incident.number)
