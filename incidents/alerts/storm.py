"""Storm protection's incident: beyond an integration's rate of new incidents, new alerts join
one storm incident (opened by the first delivery that needs it), summarised on its timeline at
most once per ALERTS_OCCURRENCE_EVENT_MINUTES."""

from datetime import datetime

from django.db import IntegrityError, transaction

from core.choices import Source
from incidents import services as incident_services
from incidents.alerts.delivery import (
    DeliveryBatch,
    IntakeResult,
    alert_fired,
    event_interval,
    lock_open_links,
    page_if_wanted,
)
from incidents.alerts.models import AlertLink, AlertStorm, Integration
from incidents.alerts.parsers import ParsedAlert, clip
from incidents.alerts.severity import impact_urgency_for
from incidents.alerts.text import describe_storm, names_summary, when

STORM_NAMES_SHOWN = 10


def storm_for(
    integration: Integration, alerts: list[ParsedAlert], batch: DeliveryBatch, result: IntakeResult
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
    page_if_wanted(integration, incident)
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


def join_storm(
    integration: Integration,
    storm: AlertStorm,
    alerts: list[ParsedAlert],
    batch: DeliveryBatch,
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
    for fingerprint, link in lock_open_links(integration, list(by_fingerprint), now).items():
        ours = (
            link.incident_id == storm.incident_id
            and link.created_at == now
            and not link.opened_incident
            and link.occurrences == 1
        )
        if ours:
            joined.append(link.name)
        else:
            alert_fired(batch, link, by_fingerprint[fingerprint], result)
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
