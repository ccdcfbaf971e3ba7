"""Auto-resolve: when every alert on an incident recovered, the system resolves it through the
lifecycle services, or says on the timeline why it could not."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from core.choices import EventKind, Source
from incidents import services
from incidents.alerts.models import AlertLink, AlertStorm
from incidents.alerts.recovery import incident_resolve_recovered
from incidents.choices import Category, IncidentStatus, ResolutionCode
from incidents.models import Incident
from tests.alerts.conftest import Poster, timeline
from tests.alerts.payloads import alertmanager, am_alert


def resolved(fingerprint: str) -> dict:
    return alertmanager(
        am_alert(fingerprint, status="resolved", ends_at="2025-03-03T09:04:00Z"), status="resolved"
    )


def test_untouched_incident_is_accepted_classified_and_resolved_by_the_system(
    make_hook, post: Poster, clock: time_machine.Traveller
) -> None:
    hook = make_hook(auto_resolve=True)
    post(hook, alertmanager(am_alert("f1")))
    clock.shift(timedelta(minutes=5))
    body = post(hook, resolved("f1")).json()
    incident = Incident.objects.get()
    assert body["incidents_resolved"] == [incident.number]
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolution_code == ResolutionCode.NO_FAULT_FOUND
    assert incident.resolution_notes.startswith("Recovered automatically")
    assert "2025-03-03 09:04 UTC" in incident.resolution_notes
    assert incident.service == hook.integration.service
    assert incident.category == Category.OTHER
    steps = [(e.kind, e.to_status, e.actor, e.source) for e in timeline(incident)]
    assert [s[1] for s in steps if s[0] == EventKind.STATUS_CHANGED] == [
        IncidentStatus.LOGGED,
        IncidentStatus.CLASSIFIED,
        IncidentStatus.RESOLVED,
    ]
    assert {(s[2], s[3]) for s in steps} == {(None, Source.ALERT)}
    assert AlertLink.objects.get().is_open is False
    # Firing again after the automatic resolution, past the reopen window: a new incident
    # (within it, the incident is reopened: tests/alerts/test_flapping.py).
    clock.shift(timedelta(minutes=31))
    again = post(hook, alertmanager(am_alert("f1"))).json()
    assert len(again["incidents_created"]) == 1
    assert again["incidents_created"] != [incident.number]


def test_incident_agents_worked_on_stays_as_it_is_with_a_note(
    make_hook, post: Poster, agent_l1, service
) -> None:
    hook = make_hook(auto_resolve=True)
    post(hook, alertmanager(am_alert("f1")))
    incident = Incident.objects.get()
    incident = services.incident_accept(incident, actor=agent_l1)
    services.incident_classify(
        incident,
        actor=agent_l1,
        category=Category.NETWORK,
        impact="high",
        urgency="high",
        service=service,
    )
    body = post(hook, resolved("f1")).json()
    incident.refresh_from_db()
    assert body["incidents_resolved"] == []
    assert incident.status == IncidentStatus.CLASSIFIED
    assert incident.category == Category.NETWORK
    last = timeline(incident)[-1]
    assert last.message.startswith("The alert recovered")
    assert "Agents worked on this incident" in last.message
    assert last.changes["auto_resolve"] == "touched"


def test_a_comment_alone_counts_as_touched_whatever_the_status(
    make_hook, post: Poster, agent_l1
) -> None:
    from core.tickets.work import ticket_comment

    hook = make_hook(auto_resolve=True)
    post(hook, alertmanager(am_alert("f1")))
    incident = Incident.objects.get()
    ticket_comment(incident, author=agent_l1, body="looking", is_internal=True)
    post(hook, resolved("f1"))
    incident.refresh_from_db()
    # Still identified (the status alone would say "untouched"), but an agent commented.
    assert incident.status == IncidentStatus.IDENTIFIED
    assert timeline(incident)[-1].changes["auto_resolve"] == "touched"


def test_incident_waits_until_every_alert_on_it_recovered(
    make_hook, post: Poster, settings
) -> None:
    hook = make_hook(auto_resolve=True, max_new_incidents_per_minute=1)
    # Over the rate: a and b share the storm incident (see test_storm).
    post(hook, alertmanager(am_alert("x", severity="critical")))
    post(hook, alertmanager(am_alert("a"), am_alert("b")))
    storm = Incident.objects.get(title__startswith="Alert storm")
    assert post(hook, resolved("a")).json()["incidents_resolved"] == []
    assert Incident.objects.get(pk=storm.pk).status == IncidentStatus.IDENTIFIED
    assert post(hook, resolved("b")).json()["incidents_resolved"] == [storm.number]
    assert Incident.objects.get(pk=storm.pk).status == IncidentStatus.RESOLVED
    assert AlertStorm.objects.get(incident=storm).is_open is False


def test_on_hold_incident_is_left_alone_with_the_reason(make_hook, post: Poster, agent_l1) -> None:
    hook = make_hook(auto_resolve=True)
    post(hook, alertmanager(am_alert("f1")))
    incident = services.incident_accept(Incident.objects.get(), actor=agent_l1)
    services.incident_hold(incident, actor=agent_l1, on_hold_reason="awaiting_vendor")
    body = post(hook, resolved("f1")).json()
    incident.refresh_from_db()
    assert body["incidents_resolved"] == []
    assert body["incidents_recovered"] == [incident.number]
    assert incident.status == IncidentStatus.ON_HOLD
    last = timeline(incident)[-1]
    assert last.changes["auto_resolve"] == "touched"
    assert AlertLink.objects.get().is_open is True


def test_security_incident_needs_containment_first_and_nothing_half_done(
    make_hook, post: Poster
) -> None:
    hook = make_hook(auto_resolve=True, category=Category.SECURITY)
    post(hook, alertmanager(am_alert("f1")))
    post(hook, resolved("f1"))
    incident = Incident.objects.get()
    # The savepoint undid accept and classify too: still identified, no milestones.
    assert incident.status == IncidentStatus.IDENTIFIED
    assert incident.logged_at is None and incident.classified_at is None
    assert "contained first" in timeline(incident)[-1].message


def test_without_auto_resolve_nothing_is_resolved(hook, post: Poster) -> None:
    post(hook, alertmanager(am_alert("f1")))
    assert post(hook, resolved("f1")).json()["incidents_resolved"] == []
    assert Incident.objects.get().status == IncidentStatus.IDENTIFIED


def _on(fingerprint: str, *, name: str, status: str = "firing") -> dict:
    alert = am_alert(
        fingerprint,
        name=name,
        status=status,
        ends_at="2025-03-03T09:06:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
    )
    alert["labels"].update({"instance": "api-1:9100", "job": "api"})
    return alert


def test_an_alert_that_vanished_with_its_dead_target_keeps_its_incident_open(
    make_hook, post: Poster, clock: time_machine.Traveller
) -> None:
    hook = make_hook(auto_resolve=True)
    post(hook, alertmanager(_on("cpu", name="HighCPU")))
    cpu = Incident.objects.get()
    clock.shift(timedelta(minutes=2))
    post(hook, alertmanager(_on("down", name="InstanceDown")))  # up == 0 for api-1
    clock.shift(timedelta(minutes=5))
    body = post(hook, alertmanager(_on("cpu", name="HighCPU", status="resolved"))).json()
    cpu.refresh_from_db()
    assert body["incidents_recovered"] == [cpu.number]
    assert body["incidents_resolved"] == []
    assert cpu.status == IncidentStatus.IDENTIFIED
    note = timeline(cpu)[-1]
    assert note.changes["auto_resolve"] == "target_down"
    assert "its target api-1:9100 (job api) is down" in note.message


def test_the_same_delivery_carrying_the_target_down_alert_counts_too(
    make_hook, post: Poster
) -> None:
    hook = make_hook(auto_resolve=True)
    post(hook, alertmanager(_on("cpu", name="HighCPU")))
    body = post(
        hook,
        alertmanager(_on("cpu", name="HighCPU", status="resolved"), _on("down", name="TargetDown")),
    ).json()
    assert body["incidents_resolved"] == []
    assert Incident.objects.get(title__startswith="[HighCPU]").status == IncidentStatus.IDENTIFIED


def test_another_targets_down_alert_does_not_hold_a_recovery(make_hook, post: Poster) -> None:
    hook = make_hook(auto_resolve=True)
    post(hook, alertmanager(_on("cpu", name="HighCPU")))
    other = am_alert("down", name="InstanceDown")  # instance host-down
    post(hook, alertmanager(other))
    body = post(hook, alertmanager(_on("cpu", name="HighCPU", status="resolved"))).json()
    assert len(body["incidents_resolved"]) == 1


def test_an_incident_closed_meanwhile_is_left_as_it_is_with_a_note(
    make_hook, post: Poster, clock: time_machine.Traveller
) -> None:
    """Intake drops the links of incidents no longer open when it reads them; one closed after
    that read (the race the lock's re-read catches) is left as it is, with a note."""
    hook = make_hook(auto_resolve=True)
    post(hook, alertmanager(am_alert("f1")))
    incident = Incident.objects.get()
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.CANCELLED)
    assert not incident_resolve_recovered(
        incident=incident, integration=hook.integration, recovered_at=timezone.now()
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CANCELLED
    last = timeline(incident)[-1]
    assert "no longer open" in last.message
    assert last.changes["auto_resolve"] == "done"
