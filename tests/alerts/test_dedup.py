"""Deduplication: new alerts open incidents, repeats add occurrences, recoveries are recorded."""

from datetime import timedelta

import time_machine

from core.choices import EventKind, Source, Tier
from core.models import TimelineEvent
from incidents import services
from incidents.alerts.choices import AlertStatus, IntegrationKind
from incidents.alerts.models import AlertLink
from incidents.choices import IncidentStatus
from incidents.models import Incident
from tests.alerts.conftest import Hook, Poster, timeline
from tests.alerts.payloads import GENERIC, GRAFANA, alertmanager, am_alert
from tests.factories import SupportGroupFactory


def test_new_alert_opens_an_incident_by_the_system(
    hook: Hook, post: Poster, clock: time_machine.Traveller
) -> None:
    response = post(hook, alertmanager())
    assert response.status_code == 200
    body = response.json()
    assert body["received"] == 2
    assert len(body["incidents_created"]) == 2
    latency = Incident.objects.get(title="[HighRequestLatency] High request latency on api-1")
    assert body["incidents_created"][0] == latency.number  # the most severe first
    assert latency.status == IncidentStatus.IDENTIFIED
    assert (latency.impact, latency.urgency, latency.priority) == ("high", "high", 1)
    assert latency.source == Source.ALERT
    assert latency.requester == hook.integration.reporter
    assert latency.service == hook.integration.service
    assert latency.category == hook.integration.category
    assert "p99 latency is above 2s" in latency.description
    assert "- [Runbook](<https://runbooks.example.com/latency>)" in latency.description
    [created] = timeline(latency)
    assert created.kind == EventKind.CREATED
    assert created.actor is None  # the system, not the requester
    assert created.source == Source.ALERT
    disk = Incident.objects.get(title__startswith="[DiskWillFillIn4Hours]")
    assert (disk.impact, disk.urgency) == ("medium", "medium")
    link = AlertLink.objects.get(fingerprint="3f1d2a0b9c8e7d6f")
    assert (link.incident, link.occurrences, link.is_open) == (latency, 1, True)


def test_reporter_cannot_sign_in_and_gets_no_mail(hook: Hook) -> None:
    reporter = hook.integration.reporter
    assert not reporter.is_active
    assert not reporter.has_usable_password()
    assert reporter.email == ""
    assert reporter.display_name.startswith(hook.integration.name)


def test_integration_group_wins_over_the_service_default(make_hook, post: Poster) -> None:
    l2 = SupportGroupFactory(name="Platform L2", tier=Tier.L2)
    hook = make_hook(support_group=l2)
    post(hook, alertmanager(am_alert("f1")))
    incident = Incident.objects.get()
    assert (incident.support_group, incident.tier) == (l2, Tier.L2)


def test_repeat_adds_occurrences_to_the_same_incident_and_coalesces_events(
    hook: Hook, post: Poster, clock: time_machine.Traveller, settings
) -> None:
    settings.ALERTS_OCCURRENCE_EVENT_MINUTES = 15
    post(hook, alertmanager(am_alert("f1")))
    incident = Incident.objects.get()
    for minute in range(1, 4):
        clock.shift(timedelta(minutes=2))
        # Each a new firing: Alertmanager gives it a new startsAt.
        payload = alertmanager(am_alert("f1", starts_at=f"2025-03-03T08:0{minute}:00Z"))
        body = post(hook, payload).json()
        assert body["incidents_created"] == []
        assert body["incidents_updated"] == [incident.number]
    assert Incident.objects.count() == 1
    link = AlertLink.objects.get()
    assert (link.occurrences, link.pending_occurrences) == (4, 3)
    assert len(timeline(incident)) == 1  # no event per repeat inside the interval

    clock.shift(timedelta(minutes=15))
    post(hook, alertmanager(am_alert("f1", starts_at="2025-03-03T09:20:00Z")))
    events = timeline(incident)
    assert len(events) == 2
    assert events[-1].kind == "alert"
    assert events[-1].actor is None and events[-1].source == Source.ALERT
    assert events[-1].message.startswith(
        "Alert fired again 4 times since 2025-03-03 09:00 UTC (5 in total)"
    )
    assert events[-1].changes["occurrences"] == 5
    link.refresh_from_db()
    assert (link.occurrences, link.pending_occurrences) == (5, 0)


def test_same_fingerprint_of_another_integration_is_another_alert(make_hook, post: Poster) -> None:
    first, second = make_hook(), make_hook()
    post(first, alertmanager(am_alert("same")))
    post(second, alertmanager(am_alert("same")))
    assert Incident.objects.count() == 2


def test_recovery_is_recorded_and_incident_stays_open_without_auto_resolve(
    hook: Hook, post: Poster, clock: time_machine.Traveller
) -> None:
    post(hook, alertmanager(am_alert("f1")))
    clock.shift(timedelta(minutes=5))
    post(hook, alertmanager(am_alert("f1", starts_at="2025-03-03T09:04:00Z")))  # unreported
    clock.shift(timedelta(minutes=5))
    resolved = am_alert("f1", status="resolved", ends_at="2025-03-03T09:09:00Z")
    body = post(hook, alertmanager(resolved, status="resolved")).json()
    incident = Incident.objects.get()
    assert body["incidents_recovered"] == [incident.number]
    assert body["incidents_resolved"] == []
    assert incident.status == IncidentStatus.IDENTIFIED
    recovery = timeline(incident)[-1]
    assert recovery.message.startswith(
        "Alert recovered at 2025-03-03 09:09 UTC (it fired 1 more time before)"
    )
    assert recovery.changes["alert_status"] == AlertStatus.RESOLVED
    # A repeated "resolved" notification changes nothing.
    assert post(hook, alertmanager(resolved, status="resolved")).json()["ignored"] == 1
    assert len(timeline(incident)) == 2
    # Firing again while the incident is still open: same incident, an event right away.
    clock.shift(timedelta(minutes=1))
    post(hook, alertmanager(am_alert("f1", starts_at="2025-03-03T09:10:00Z")))
    assert Incident.objects.count() == 1
    assert timeline(incident)[-1].message.startswith("Alert firing again")
    link = AlertLink.objects.get()
    assert (link.alert_status, link.recovered_at, link.occurrences) == (
        AlertStatus.FIRING,
        None,
        3,
    )


def test_resolved_alert_without_an_open_incident_is_ignored(hook: Hook, post: Poster) -> None:
    body = post(hook, alertmanager(am_alert("nope", status="resolved"), status="resolved")).json()
    assert body["ignored"] == 1
    assert not Incident.objects.exists()
    assert not AlertLink.objects.exists()


def test_firing_after_the_incident_was_closed_by_agents_opens_a_new_one(
    hook: Hook, post: Poster, agent_l1, service
) -> None:
    post(hook, alertmanager(am_alert("f1")))
    first = Incident.objects.get()
    services.incident_cancel(first, actor=agent_l1, cancel_reason="not_an_incident")
    body = post(hook, alertmanager(am_alert("f1"))).json()
    assert len(body["incidents_created"]) == 1
    second = Incident.objects.get(number=body["incidents_created"][0])
    assert second != first
    old, new = AlertLink.objects.order_by("id")
    assert (old.is_open, old.closed_at is not None) == (False, True)
    assert (new.incident, new.is_open) == (second, True)


def test_duplicate_fingerprints_in_one_delivery_count_once(hook: Hook, post: Poster) -> None:
    body = post(hook, alertmanager(am_alert("f1"), am_alert("f1"))).json()
    assert body["received"] == 2
    assert len(body["incidents_created"]) == 1
    assert AlertLink.objects.get().occurrences == 1


def test_grafana_integration(make_hook, post: Poster) -> None:
    hook = make_hook(kind=IntegrationKind.GRAFANA)
    body = post(hook, GRAFANA).json()
    assert len(body["incidents_created"]) == 2
    memory = Incident.objects.get(title__startswith="[High memory usage]")
    assert (memory.impact, memory.urgency) == ("medium", "medium")  # no severity label
    assert "Value: `[ var='B'" in memory.description
    cpu = Incident.objects.get(title__startswith="[High CPU usage]")
    assert (cpu.impact, cpu.urgency) == ("low", "low")


def test_generic_integration_with_custom_severity_map(make_hook, post: Poster) -> None:
    hook = make_hook(
        kind=IntegrationKind.GENERIC, severity_map={"high": {"impact": "low", "urgency": "high"}}
    )
    body = post(hook, GENERIC).json()
    incident = Incident.objects.get(number=body["incidents_created"][0])
    assert incident.title == "Backup job failed on db-1"
    assert (incident.impact, incident.urgency) == ("low", "high")
    assert '"exit_code": 2' in incident.description
    body = post(hook, {**GENERIC, "status": "resolved"}).json()
    assert body["incidents_recovered"] == [incident.number]


def test_grouped_payload_is_one_transaction(hook: Hook, post: Poster) -> None:
    bad = alertmanager(am_alert("ok"), {**am_alert("bad"), "status": "maybe"})
    assert post(hook, bad).status_code == 400
    assert not Incident.objects.exists()
    assert not TimelineEvent.objects.exists()
