"""The manager's what-if pages: managers only, the form beside the current policies, bad input
refused with nothing stored, run and cancel, the progress partial, results with flips linking to
the tickets, CSV downloads, and list pages in a constant number of queries."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import OutboxMessage
from incidents import services
from incidents.choices import Impact, Urgency
from sla.models_whatif import WhatIfScenario, WhatIfStatus
from sla.whatif.run import scenario_run_job
from tests.sla.whatif.helpers import new_scenario, run_now

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _form_data(**changes):  # type: ignore[no-untyped-def]
    data = {
        "name": "Faster P5",
        "since": "2026-01-01",
        "until": "2026-12-31",
        "kinds": ["incident"],
        "support_group": "",
        "service": "",
        "priority": "",
    }
    data.update(changes)
    return data


def _policy_fields(client):  # type: ignore[no-untyped-def]
    """The draft inputs as the form fills them (a copy of the current policies)."""
    form = client.get(reverse("sla_whatif:new")).context["form"]
    return {name: form[name].value() for name in form.fields if name.startswith("p-")}


def test_only_managers_see_the_pages(client_for, agent_l1, end_user, manager):
    scenario = new_scenario(manager)
    for user in (agent_l1, end_user):
        client = client_for(user)
        assert client.get(reverse("sla_whatif:list")).status_code == 404
        assert client.get(reverse("sla_whatif:detail", args=[scenario.pk])).status_code == 404
    assert client_for(manager).get(reverse("sla_whatif:list")).status_code == 200


def test_the_form_starts_from_the_current_policies_and_stores_only_changes(
    client_for, manager, incident_policies
):
    client = client_for(manager)
    page = client.get(reverse("sla_whatif:new"))
    assert page.status_code == 200
    assert b"now: 300" in page.content  # P5 responds in 5 hours: shown beside the input
    fields = _policy_fields(client)
    assert fields["p-incident-5-0-response"] == 300
    fields["p-incident-5-0-response"] = 30
    fields["p-incident-5-0-thresholds"] = "50:escalate"
    response = client.post(reverse("sla_whatif:new"), {**_form_data(), **fields})
    assert response.status_code == 302
    scenario = WhatIfScenario.objects.get()
    assert scenario.draft == {
        "overrides": [
            {
                "kind": "incident",
                "priority": 5,
                "service": None,
                "response_minutes": 30,
                "thresholds": [{"percent": 50, "action": "escalate"}],
            }
        ]
    }
    assert scenario.until == datetime(2027, 1, 1, tzinfo=scenario.until.tzinfo)
    edit = client.get(reverse("sla_whatif:edit", args=[scenario.pk]))
    assert edit.context["form"]["p-incident-5-0-response"].value() == 30


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("p-incident-5-0-thresholds", "75:shout", "is not percent:action"),
        ("p-incident-5-0-thresholds", "75:notify, 75:escalate", "Each percent may appear once"),
        ("p-incident-5-0-response", "-5", "greater than or equal to 0"),
        ("until", "2025-01-01", "must be after its start"),
        ("name", "two\nlines", "one line"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    client_for, manager, incident_policies, field, value, message
):
    client = client_for(manager)
    data = {**_form_data(), **_policy_fields(client), field: value}
    response = client.post(reverse("sla_whatif:new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WhatIfScenario.objects.exists()


def test_run_progress_cancel_and_run_again(client_for, manager, incident_policies):
    client = client_for(manager)
    scenario = new_scenario(manager)
    response = client.post(reverse("sla_whatif:run", args=[scenario.pk]))
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert scenario.status == WhatIfStatus.QUEUED
    assert OutboxMessage.objects.filter(task_name="sla_whatif.start").count() == 1
    progress = client.get(
        reverse("sla_whatif:progress", args=[scenario.pk]), headers={"HX-Request": "true"}
    )
    assert b'hx-trigger="every 2s"' in progress.content
    assert b"Queued" in progress.content
    assert "HX-Refresh" not in progress
    # Running again while queued is refused; cancelling stops it and the queued job does nothing.
    client.post(reverse("sla_whatif:run", args=[scenario.pk]))
    assert OutboxMessage.objects.filter(task_name="sla_whatif.start").count() == 1
    client.post(reverse("sla_whatif:cancel", args=[scenario.pk]))
    scenario.refresh_from_db()
    assert scenario.status == WhatIfStatus.CANCELLED
    assert scenario_run_job(scenario.pk, str(scenario.run_token)) == "skipped"
    ended = client.get(
        reverse("sla_whatif:progress", args=[scenario.pk]), headers={"HX-Request": "true"}
    )
    assert ended["HX-Refresh"] == "true"
    assert b"cancelled" in ended.content
    page = client.get(reverse("sla_whatif:detail", args=[scenario.pk]))
    assert b"Run again" in page.content


def test_results_page_flips_link_to_tickets_and_csv(
    client_for, manager, end_user, agent_l1, incident_policies
):
    with time_machine.travel(T0, tick=False):
        incident = services.incident_create(
            requester=end_user, title="Printer", impact=Impact.LOW, urgency=Urgency.LOW
        )
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        services.incident_accept(incident, actor=agent_l1)
    draft = {"overrides": [{"kind": "incident", "priority": 5, "response_minutes": 10}]}
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        scenario = run_now(new_scenario(manager, draft=draft))
    client = client_for(manager)
    page = client.get(reverse("sla_whatif:detail", args=[scenario.pk]))
    body = page.content.decode()
    assert f'href="/incidents/{incident.number}/"' in body or incident.number in body
    assert reverse("incidents:agent_detail", args=[incident.number]) in body
    assert "Met → breached" in body
    assert "100.0 %" in body and "0.0 %" in body
    flips = client.get(reverse("sla_whatif:flips_csv", args=[scenario.pk]))
    lines = b"".join(flips.streaming_content).decode().splitlines()
    assert lines[0].startswith("kind,number,metric")
    assert lines[1].startswith(f"incident,{incident.number},response,5,")
    totals = client.get(reverse("sla_whatif:totals_csv", args=[scenario.pk]))
    text = b"".join(totals.streaming_content).decode()
    assert "incident,priority,5,P5,response,1,0,100.0,0,0,1,0.0,1" in text


def test_csv_before_a_run_is_404(client_for, manager):
    scenario = new_scenario(manager)
    client = client_for(manager)
    assert client.get(reverse("sla_whatif:flips_csv", args=[scenario.pk])).status_code == 404


def _queries(client, url):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_and_result_pages_cost_the_same_queries_for_1_and_20_rows(
    client_for, manager, end_user, agent_l1, incident_policies
):
    client = client_for(manager)
    incidents = []
    for minute in range(20):
        with time_machine.travel(T0 + timedelta(minutes=minute), tick=False):
            incidents.append(
                services.incident_create(
                    requester=end_user, title="Printer", impact=Impact.LOW, urgency=Urgency.LOW
                )
            )
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        for incident in incidents:
            services.incident_accept(incident, actor=agent_l1)
    draft = {"overrides": [{"kind": "incident", "priority": 5, "response_minutes": 10}]}
    _queries(client, reverse("sla_whatif:list"))  # the session and role lookups, once
    counts = {}
    for rows in (1, 20):
        WhatIfScenario.objects.all().delete()
        for _ in range(rows):
            new_scenario(manager)
        counts[("list", rows)] = _queries(client, reverse("sla_whatif:list"))
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        scenario = run_now(new_scenario(manager, draft=draft))
        few = run_now(new_scenario(manager, draft=draft, until=T0 + timedelta(seconds=30)))
    assert counts[("list", 1)] == counts[("list", 20)]
    assert (scenario.total, few.total) == (20, 1)
    many = _queries(client, reverse("sla_whatif:detail", args=[scenario.pk]))
    assert many == _queries(client, reverse("sla_whatif:detail", args=[few.pk]))
