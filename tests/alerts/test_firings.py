"""Firings, not re-sends, are counted; the title follows the latest firing; a repeat after a
resolution names the previous incident; URL annotations and the silence page are links."""

from datetime import timedelta
from urllib.parse import unquote

import time_machine

from core.choices import EventKind, Source
from incidents import services
from incidents.alerts.models import AlertLink
from incidents.choices import ResolutionCode
from incidents.models import Incident
from tests.alerts.conftest import Poster, timeline
from tests.alerts.payloads import alertmanager, am_alert


def latency(value: str, *, starts_at: str = "2025-03-03T08:00:00Z") -> dict:
    alert = am_alert("lat", starts_at=starts_at)
    alert["annotations"]["summary"] = f"p99 latency is {value} ms"
    return alert


def test_resends_of_one_firing_are_not_counted_new_starts_are(
    hook, post: Poster, clock: time_machine.Traveller, settings
) -> None:
    settings.ALERTS_OCCURRENCE_EVENT_MINUTES = 15
    post(hook, alertmanager(am_alert("f1")))
    for _ in range(5):  # Alertmanager's repeat_interval re-sends the same firing
        clock.shift(timedelta(minutes=4))
        post(hook, alertmanager(am_alert("f1")))
    link = AlertLink.objects.get()
    assert (link.occurrences, link.pending_occurrences) == (1, 0)
    assert link.last_seen_at == link.first_seen_at + timedelta(minutes=20)
    post(hook, alertmanager(am_alert("f1", starts_at="2025-03-03T09:19:00Z")))
    link.refresh_from_db()
    assert link.occurrences == 2
    assert "fired again 1 time" in timeline(link.incident)[-1].message


def test_the_title_follows_the_latest_firing_as_a_system_field_change(
    hook, post: Poster, clock: time_machine.Traveller
) -> None:
    post(hook, alertmanager(latency("150")))
    incident = Incident.objects.get()
    assert incident.title == "[Probe] p99 latency is 150 ms"
    version = incident.version
    clock.shift(timedelta(minutes=5))
    post(hook, alertmanager(latency("300")))
    incident.refresh_from_db()
    assert incident.title == "[Probe] p99 latency is 300 ms"
    assert incident.version == version + 1
    change = [e for e in timeline(incident) if e.kind == EventKind.FIELDS_CHANGED][-1]
    assert (change.actor, change.source) == (None, Source.ALERT)
    assert change.changes == {"title": "[Probe] p99 latency is 300 ms"}
    assert "it was “[Probe] p99 latency is 150 ms”" in change.message
    # The same title again changes nothing.
    post(hook, alertmanager(latency("300")))
    assert Incident.objects.get().version == version + 1


def test_a_title_an_agent_edited_is_kept(hook, post: Poster, agent_l1) -> None:
    from core.tickets.work import ticket_update_details

    post(hook, alertmanager(latency("150")))
    incident = Incident.objects.get()
    ticket_update_details(
        incident, actor=agent_l1, title="Checkout slow", description=incident.description
    )
    post(hook, alertmanager(latency("300")))
    assert Incident.objects.get().title == "Checkout slow"


def test_a_repeat_after_an_agent_resolved_links_the_previous_incident(
    hook, post: Poster, clock: time_machine.Traveller, agent_l1, service
) -> None:
    post(hook, alertmanager(am_alert("r")))
    first = services.incident_accept(Incident.objects.get(), actor=agent_l1)
    first = services.incident_classify(
        first, actor=agent_l1, category="other", impact="low", urgency="low", service=service
    )
    services.incident_resolve(
        first, actor=agent_l1, resolution_code=ResolutionCode.FIXED, resolution_notes="done"
    )
    clock.shift(timedelta(days=1))
    body = post(hook, alertmanager(am_alert("r", starts_at="2025-03-04T08:59:00Z"))).json()
    second = Incident.objects.get(number=body["incidents_created"][0])
    link = AlertLink.objects.get(incident=second)
    assert link.previous_incident_id == first.pk
    repeat = timeline(second)[-1]
    assert repeat.message == (
        f"The same alert fired 2 times in 7 days: it was on {first.number} (resolved) before."
    )
    assert repeat.changes == {"repeat_of": first.number, "fired_in_7_days": 2}
    # Eight days later the first firing is out of the window.
    services.incident_resolve(
        services.incident_classify(
            services.incident_accept(second, actor=agent_l1),
            actor=agent_l1,
            category="other",
            impact="low",
            urgency="low",
            service=service,
        ),
        actor=agent_l1,
        resolution_code=ResolutionCode.FIXED,
        resolution_notes="done",
    )
    clock.shift(timedelta(days=7))
    body = post(hook, alertmanager(am_alert("r", starts_at="2025-03-11T08:59:00Z"))).json()
    third = Incident.objects.get(number=body["incidents_created"][0])
    assert timeline(third)[-1].message.startswith(
        f"The same alert fired 2 times in 7 days: it was on {second.number}"
    )


def test_url_annotations_and_the_silence_page_become_links(hook, post: Poster) -> None:
    alert = am_alert("u")
    alert["labels"]["job"] = 'node "exporter"'
    alert["annotations"].update(
        {
            "runbook_url": "https://runbooks.example.com/probe",
            "dashboard_url": "http://grafana:3000/d/abc?var-host=host-u",
            "evil_url": "javascript:alert(1)",
        }
    )
    post(hook, alertmanager(alert))
    description = Incident.objects.get().description
    assert "- [Runbook](<https://runbooks.example.com/probe>)" in description
    assert "- [Dashboard](<http://grafana:3000/d/abc?var-host=host-u>)" in description
    assert "](<javascript:" not in description
    assert "- `evil_url`: javascript:alert(1)" in description
    silence = description.split("[Silence this alert in Alertmanager](<")[1].split(">)")[0]
    base, query = silence.split("?filter=")
    assert base == "http://alertmanager:9093/#/silences/new"
    assert " " not in query and '"' not in query
    assert unquote(query) == (
        '{alertname="Probe",instance="host-u",job="node \\"exporter\\"",severity="warning"}'
    )


def test_no_silence_link_without_an_http_external_url(hook, post: Poster) -> None:
    payload = alertmanager(am_alert("v"))
    payload["externalURL"] = "javascript:alert(1)//"
    assert post(hook, payload).status_code == 200
    assert "Silence this alert" not in Incident.objects.get().description


def test_grafana_resends_are_not_firings_either(make_hook, post: Poster) -> None:
    import copy

    from incidents.alerts.choices import IntegrationKind
    from tests.alerts.payloads import GRAFANA

    hook = make_hook(kind=IntegrationKind.GRAFANA)
    payload = copy.deepcopy(GRAFANA)
    payload["alerts"] = payload["alerts"][:1]
    post(hook, payload)
    post(hook, payload)  # Grafana's repeat of the same firing
    link = AlertLink.objects.get()
    assert link.occurrences == 1
    payload["alerts"][0]["startsAt"] = "2021-10-12T10:30:00+02:00"
    post(hook, payload)
    link.refresh_from_db()
    assert link.occurrences == 2
    # No externalURL silence link for Grafana (it is Alertmanager's page).
    assert "Silence this alert" not in link.incident.description
