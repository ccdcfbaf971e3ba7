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
alert firing again opens a new incident. What one delivery changes (its result, its batch, one
alert firing) is in incidents.alerts.delivery; the storm incident in incidents.alerts.storm.
One delivery is one transaction (after the storm budget's own short one). Existing links are
read and locked in one query; their changes are written with one UPDATE and their events with
one INSERT, so repeats cost the same for 1 alert or 50.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.choices import Source
from incidents import services as incident_services
from incidents.alerts.choices import AlertStatus
from incidents.alerts.delivery import (
    DeliveryBatch,
    IntakeResult,
    alert_fired,
    lock_open_links,
    page_if_wanted,
)
from incidents.alerts.flapping import alert_reopen_incident, flapping_links
from incidents.alerts.models import AlertLink, AlertStorm, Integration
from incidents.alerts.parsers import ParsedAlert
from incidents.alerts.rate import new_alert_fingerprints, reserve_new_incidents
from incidents.alerts.recovery import incident_resolve_recovered
from incidents.alerts.repeats import alert_previous_incident, repeat_note
from incidents.alerts.routing import route_for
from incidents.alerts.severity import impact_urgency_for
from incidents.alerts.storm import join_storm, storm_for
from incidents.alerts.target_down import vanished_incidents
from incidents.alerts.text import describe, when
from incidents.events import alert_event
from incidents.models import Incident
from incidents.priority import priority_for


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
    batch = DeliveryBatch(now)
    granted = reserve_new_incidents(integration, _wanted_slots(integration, latest, now), now)
    with transaction.atomic():
        links = lock_open_links(integration, list(latest), now)
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
                alert_fired(batch, link, alert, result)
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
            page_if_wanted(integration, incident)  # its earlier page ended with the resolution
    return remaining


def _recovered(
    batch: DeliveryBatch, link: AlertLink, alert: ParsedAlert, result: IntakeResult
) -> None:
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
    batch: DeliveryBatch,
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
    storm = storm_for(integration, overflow, batch, result) if overflow else None
    for alert in opening:
        _open_incident(integration, alert, batch, result)
    if storm is not None:
        join_storm(integration, storm[0], overflow, batch, result, started=storm[1])


def _open_incident(
    integration: Integration, alert: ParsedAlert, batch: DeliveryBatch, result: IntakeResult
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
        winner = lock_open_links(integration, [alert.fingerprint], batch.now)
        if alert.fingerprint not in winner:
            raise
        alert_fired(batch, winner[alert.fingerprint], alert, result)
        return
    page_if_wanted(integration, incident)
    result.created.append(incident.number)
