"""Storm protection: over an integration's rate, new alerts join one storm incident, counted
and summarised, never dropped."""

from datetime import timedelta

import time_machine

from incidents.alerts.models import AlertLink, AlertStorm
from incidents.models import Incident
from tests.alerts.conftest import Poster, timeline
from tests.alerts.payloads import alertmanager, am_alert


def test_alerts_over_the_rate_join_one_storm_incident(
    make_hook, post: Poster, clock: time_machine.Traveller, settings
) -> None:
    settings.ALERTS_OCCURRENCE_EVENT_MINUTES = 15
    hook = make_hook(max_new_incidents_per_minute=3, name="Prometheus prod")
    alerts = [am_alert(f"w{i}", severity="warning") for i in range(4)]
    alerts.append(am_alert("crit", severity="critical", name="Down"))
    body = post(hook, alertmanager(*alerts)).json()

    storm = Incident.objects.get(title="Alert storm: Prometheus prod")
    own = Incident.objects.exclude(pk=storm.pk)
    assert own.count() == 3
    # The most severe alert got its own incident; the two last by rank joined the storm.
    assert own.filter(title__startswith="[Down]").exists()
    assert set(body["incidents_created"]) == {*own.values_list("number", flat=True), storm.number}
    assert (body["storm_incident"], body["storm_alerts"]) == (storm.number, 2)
    joined = AlertLink.objects.filter(incident=storm)
    assert sorted(joined.values_list("fingerprint", flat=True)) == ["w2", "w3"]
    assert not any(joined.values_list("opened_incident", flat=True))
    record = AlertStorm.objects.get()
    assert (record.alerts_count, record.pending_count, record.is_open) == (2, 0, True)
    [created, summary] = timeline(storm)
    assert created.kind == "created"
    assert summary.message.startswith("Alert storm: 2 alerts joined this incident (2 in total;")
    assert "limit is 3 new incidents a minute" in summary.message
    assert "[Probe] Probe on host-w2; [Probe] Probe on host-w3" in summary.message

    # Still within the minute: more new alerts join the same storm; summarised later.
    clock.shift(timedelta(seconds=20))
    body = post(hook, alertmanager(am_alert("w4"), am_alert("w5"))).json()
    assert body["incidents_created"] == []
    assert body["incidents_updated"] == [storm.number]
    record.refresh_from_db()
    assert (record.alerts_count, record.pending_count) == (4, 2)
    assert len(timeline(storm)) == 2

    # A storm alert firing again is an occurrence on the storm incident.
    post(hook, alertmanager(am_alert("w2", starts_at="2025-03-03T09:00:00Z")))
    assert AlertLink.objects.get(fingerprint="w2").occurrences == 2

    # Once the minute has passed, new alerts open their own incidents again.
    clock.shift(timedelta(minutes=1))
    body = post(hook, alertmanager(am_alert("later"))).json()
    assert len(body["incidents_created"]) == 1
    assert body["storm_incident"] is None

    # The pending joiners are summarised with the next joiner after the interval.
    clock.shift(timedelta(minutes=15))
    post(hook, alertmanager(*[am_alert(f"z{i}") for i in range(4)]))
    record.refresh_from_db()
    last = timeline(storm)[-1]
    assert last.message.startswith("Alert storm: 3 alerts joined this incident since")
    assert "(5 in total;" in last.message
    assert record.pending_count == 0


def test_storm_names_are_capped_in_the_summary(make_hook, post: Poster) -> None:
    hook = make_hook(max_new_incidents_per_minute=1)
    post(hook, alertmanager(*[am_alert(f"a{i:02d}") for i in range(16)]))
    storm = Incident.objects.get(title__startswith="Alert storm")
    summary = timeline(storm)[-1].message
    assert summary.startswith("Alert storm: 15 alerts joined")
    assert summary.endswith("and 5 more")


def test_a_resolved_storm_is_not_reused(make_hook, post: Poster, agent_l1) -> None:
    from incidents import services

    hook = make_hook(max_new_incidents_per_minute=1)
    post(hook, alertmanager(am_alert("a"), am_alert("b")))
    first = Incident.objects.get(title__startswith="Alert storm")
    services.incident_cancel(first, actor=agent_l1, cancel_reason="duplicate")
    post(hook, alertmanager(am_alert("c")))
    assert Incident.objects.filter(title__startswith="Alert storm").count() == 2
    assert AlertStorm.objects.filter(is_open=True).count() == 1


def test_zero_turns_the_limit_off(make_hook, post: Poster) -> None:
    hook = make_hook(max_new_incidents_per_minute=0)
    body = post(hook, alertmanager(*[am_alert(f"n{i}") for i in range(30)])).json()
    assert len(body["incidents_created"]) == 30
    assert not AlertStorm.objects.exists()
