"""A flapping alert: firing again soon after auto-resolve reopens its incident through the
lifecycle instead of opening a new incident on every cycle."""

from datetime import timedelta
from typing import Any

import time_machine

from core.choices import EventKind, Source
from incidents import services
from incidents.alerts.models import AlertLink
from incidents.choices import IncidentStatus
from incidents.models import Incident
from tests.alerts.conftest import Poster, timeline
from tests.alerts.payloads import alertmanager, am_alert


def firing(fingerprint: str = "f1") -> dict[str, Any]:
    return alertmanager(am_alert(fingerprint))


def recovered(fingerprint: str = "f1") -> dict[str, Any]:
    return alertmanager(am_alert(fingerprint, status="resolved"), status="resolved")


def flap(post: Poster, hook: Any, clock: time_machine.Traveller) -> dict[str, Any]:
    """Recover (auto-resolve resolves the incident), then fire again five minutes later."""
    clock.shift(timedelta(minutes=2))
    assert post(hook, recovered()).json()["incidents_resolved"]
    clock.shift(timedelta(minutes=5))
    return post(hook, firing()).json()


def test_three_flaps_inside_the_window_reopen_one_incident(
    make_hook, post: Poster, clock: time_machine.Traveller
) -> None:
    hook = make_hook(auto_resolve=True)
    post(hook, firing())
    incident = Incident.objects.get()
    for _ in range(3):
        body = flap(post, hook, clock)
        assert body["incidents_created"] == []
        assert body["incidents_reopened"] == [incident.number]
    assert Incident.objects.count() == 1
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLASSIFIED
    assert incident.reopen_count == 3
    reopens = [
        event
        for event in timeline(incident)
        if event.kind == EventKind.STATUS_CHANGED and event.from_status == IncidentStatus.RESOLVED
    ]
    assert len(reopens) == 3
    assert {(event.actor, event.source) for event in reopens} == {(None, Source.ALERT)}
    assert reopens[0].message.startswith(
        "Alert firing again 5 minutes after it recovered and the incident was resolved "
        "automatically: [Probe]"
    )
    link = AlertLink.objects.get()
    assert (link.is_open, link.alert_status, link.occurrences) == (True, "firing", 4)


def test_firing_after_the_window_opens_a_new_incident(
    make_hook, post: Poster, clock: time_machine.Traveller, settings
) -> None:
    settings.ALERTS_REOPEN_WINDOW_MINUTES = 30
    hook = make_hook(auto_resolve=True)
    post(hook, firing())
    first = Incident.objects.get()
    clock.shift(timedelta(minutes=2))
    post(hook, recovered())
    clock.shift(timedelta(minutes=31))
    body = post(hook, firing()).json()
    assert body["incidents_reopened"] == []
    assert len(body["incidents_created"]) == 1
    assert Incident.objects.count() == 2
    first.refresh_from_db()
    assert (first.status, first.reopen_count) == (IncidentStatus.RESOLVED, 0)


def test_an_incident_a_person_resolved_is_not_reopened_by_the_alert(
    make_hook, post: Poster, clock: time_machine.Traveller, agent_l1, service
) -> None:
    hook = make_hook(auto_resolve=True)
    post(hook, firing())
    incident = Incident.objects.get()
    incident = services.incident_accept(incident, actor=agent_l1)
    incident = services.incident_classify(
        incident,
        actor=agent_l1,
        category=incident.category,
        impact=incident.impact,
        urgency=incident.urgency,
        service=service,
    )
    services.incident_resolve(
        incident, actor=agent_l1, resolution_code="fixed", resolution_notes="Replaced the disk."
    )
    clock.shift(timedelta(minutes=5))
    body = post(hook, firing()).json()
    assert body["incidents_reopened"] == []
    assert len(body["incidents_created"]) == 1
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.RESOLVED


def test_a_closed_incident_is_not_reopened(
    make_hook, post: Poster, clock: time_machine.Traveller, agent_l1
) -> None:
    hook = make_hook(auto_resolve=True)
    post(hook, firing())
    incident = Incident.objects.get()
    clock.shift(timedelta(minutes=2))
    post(hook, recovered())
    services.incident_close(Incident.objects.get(pk=incident.pk), actor=agent_l1)
    clock.shift(timedelta(minutes=3))
    body = post(hook, firing()).json()
    assert body["incidents_reopened"] == []
    assert len(body["incidents_created"]) == 1


def test_window_zero_turns_reopening_off(
    make_hook, post: Poster, clock: time_machine.Traveller, settings
) -> None:
    settings.ALERTS_REOPEN_WINDOW_MINUTES = 0
    hook = make_hook(auto_resolve=True)
    post(hook, firing())
    body = flap(post, hook, clock)
    assert body["incidents_reopened"] == []
    assert Incident.objects.count() == 2


def test_a_flapping_alert_takes_no_slot_of_the_storm_budget(
    make_hook, post: Poster, clock: time_machine.Traveller
) -> None:
    hook = make_hook(auto_resolve=True, max_new_incidents_per_minute=1)
    post(hook, firing())
    clock.shift(timedelta(minutes=2))
    post(hook, recovered())
    clock.shift(timedelta(minutes=2))  # a fresh rate window
    body = post(hook, alertmanager(am_alert("f1"), am_alert("other"))).json()
    assert len(body["incidents_reopened"]) == 1
    assert len(body["incidents_created"]) == 1  # "other" got the one slot, no storm
    assert body["storm_incident"] is None


def test_the_reopened_incident_takes_the_title_of_the_firing_that_reopened_it(
    make_hook, post: Poster, clock: time_machine.Traveller
) -> None:
    hook = make_hook(auto_resolve=True)
    post(hook, firing())
    incident = Incident.objects.get()
    clock.shift(timedelta(minutes=2))
    post(hook, recovered())
    clock.shift(timedelta(minutes=5))
    again = am_alert("f1")
    again["annotations"]["summary"] = "Probe on host-f1 answered in 300 ms"
    assert post(hook, alertmanager(again)).json()["incidents_reopened"] == [incident.number]
    incident.refresh_from_db()
    assert incident.title == "[Probe] Probe on host-f1 answered in 300 ms"
    assert AlertLink.objects.get().name == incident.title
