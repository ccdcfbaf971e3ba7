"""/api/v1/sla-what-if/: create (bad drafts refused by path, nothing stored), run (202, then
409 while it runs), status with progress, results and flips after the job, in a constant
number of queries."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.choices import Impact, Urgency
from sla.models_whatif import WhatIfScenario
from sla.whatif.run import scenario_run_job

pytestmark = pytest.mark.django_db

URL = "/api/v1/sla-what-if/"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _body(**changes):  # type: ignore[no-untyped-def]
    body = {
        "name": "Faster P5",
        "since": "2026-01-01T00:00:00Z",
        "until": "2027-01-01T00:00:00Z",
        "kinds": ["incident"],
        "draft": {"overrides": [{"kind": "incident", "priority": 5, "response_minutes": 10}]},
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        ({"overrides": [{"kind": "problem", "priority": 5}]}, "draft.overrides[0].kind"),
        ({"overrides": [{"kind": "incident", "priority": 9}]}, "draft.overrides[0].priority"),
        (
            {"overrides": [{"kind": "incident", "priority": 5, "calendar": 999999}]},
            "draft.overrides[0].calendar",
        ),
        (
            {"overrides": [{"kind": "incident", "priority": 5, "response_minutes": "soon"}]},
            "draft.overrides[0].response_minutes",
        ),
        (
            {
                "overrides": [
                    {
                        "kind": "incident",
                        "priority": 5,
                        "thresholds": [{"percent": 150, "action": "notify"}],
                    }
                ]
            },
            "draft.overrides[0].thresholds[0].percent",
        ),
        (
            {"overrides": [{"kind": "incident", "priority": 5, "colour": "red"}]},
            "draft.overrides[0]",
        ),
        ({"rules": []}, "draft"),
    ],
)
def test_bad_drafts_are_refused_by_path_and_nothing_is_stored(
    client_as, manager, incident_policies, draft, field
):
    response = client_as(manager).post(URL, _body(draft=draft), format="json")
    assert response.status_code == 400, response.json()
    assert field in str(response.json())
    assert not WhatIfScenario.objects.exists()


def test_a_new_policy_needs_targets_and_a_calendar(client_as, manager, incident_policies):
    draft = {"overrides": [{"kind": "incident", "priority": 5, "service": None}]}
    draft["overrides"][0]["service"] = None
    response = client_as(manager).post(URL, _body(draft=draft), format="json")
    assert response.status_code == 201  # the P5 default exists: nothing else is needed
    assert client_as(manager).post(URL, _body(kinds=[]), format="json").status_code == 400


def test_create_run_status_results_and_flips(
    client_as, manager, end_user, agent_l1, incident_policies
):
    with time_machine.travel(T0, tick=False):
        incident = services.incident_create(
            requester=end_user, title="Printer", impact=Impact.LOW, urgency=Urgency.LOW
        )
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        services.incident_accept(incident, actor=agent_l1)
    client = client_as(manager)
    created = client.post(URL, _body(), format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert client.get(f"{URL}{pk}/results/").status_code == 409
    run = client.post(f"{URL}{pk}/run/")
    assert run.status_code == 202
    assert run.json()["status"] == "queued"
    assert client.post(f"{URL}{pk}/run/").status_code == 409
    scenario = WhatIfScenario.objects.get(pk=pk)
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        assert scenario_run_job(pk, str(scenario.run_token)) == "done"
    status = client.get(f"{URL}{pk}/").json()
    assert (status["status"], status["done"], status["total"], status["percent"]) == (
        "done",
        1,
        1,
        100,
    )
    results = client.get(f"{URL}{pk}/results/").json()
    p5 = next(
        r for r in results if (r["dimension"], r["key"], r["metric"]) == ("priority", 5, "response")
    )
    assert (p5["before_met"], p5["after_breached"]) == (1, 1)
    flips = client.get(f"{URL}{pk}/flips/").json()
    assert [(f["number"], f["direction"]) for f in flips["results"]] == [
        (incident.number, "met_to_breached")
    ]
    assert client.post(f"{URL}{pk}/cancel/").status_code == 409


def test_list_costs_the_same_queries_for_1_and_20(client_as, manager, incident_policies):
    client = client_as(manager)
    client.get(URL)
    counts = []
    for rows in (1, 20):
        WhatIfScenario.objects.all().delete()
        for _ in range(rows):
            assert client.post(URL, _body(), format="json").status_code == 201
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(URL).json()["results"]) == rows
        counts.append(len(queries))
    assert counts[0] == counts[1]
