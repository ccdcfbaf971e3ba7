"""The report endpoints: who may call them, the JSON shapes, bad parameters, query counts."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core.api.tokens import api_token_create
from tests.factories import IncidentFactory
from tests.reporting.conftest import NOW

pytestmark = pytest.mark.django_db

METRICS = [
    "mttr",
    "mtta",
    "mtbf",
    "compliance",
    "backlog",
    "volume",
    "reopen-rate",
    "first-contact",
    "escalation-rate",
    "satisfaction",
    "summary",
]
PERIOD = {"start": "2026-03-02", "end": "2026-03-10"}


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def token_client(user, scopes=("read",)):
    client = APIClient()
    secret = api_token_create(user=user, name="grafana", scopes=list(scopes)).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.mark.parametrize("metric", METRICS)
def test_managers_and_admins_only(metric, manager, admin_user, agent_l1, end_user):
    url = reverse(f"reports-{metric}")
    assert APIClient().get(url).status_code == 401
    assert token_client(end_user).get(url).status_code == 403
    refused = token_client(agent_l1).get(url)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Only managers and admins can do this."
    assert token_client(manager).get(url).status_code == 200
    assert token_client(admin_user).get(url).status_code == 200
    assert token_client(manager, scopes=("alerts",)).get(url).status_code == 403


def test_session_managers_too(client_for, manager):
    response = client_for(manager).get(reverse("reports-summary"))
    assert response.status_code == 200


def test_mttr_json(desk, manager):
    response = token_client(manager).get(reverse("reports-mttr"), PERIOD)
    body = response.json()
    assert body["filter"]["start"].startswith("2026-03-02T00:00:00")
    assert body["filter"]["kind"] == "incident"
    assert body["report"]["wall"] == {
        "count": 4,
        "mean": pytest.approx(102600),
        "median": pytest.approx(81000),
        "p90": pytest.approx(192240),
    }
    assert body["report"]["business"]["mean"] == pytest.approx(21600)


def test_compliance_by_priority_json(desk, manager):
    body = (
        token_client(manager)
        .get(reverse("reports-compliance"), {**PERIOD, "by": "priority"})
        .json()["report"]
    )
    assert body["total"]["response"] == {"met": 3, "breached": 2, "total": 5, "rate": 0.6}
    assert [row["label"] for row in body["rows"]] == ["P1", "P2", "P3", "P4"]


def test_mtbf_json_says_no_failure(desk, manager):
    body = token_client(manager).get(reverse("reports-mtbf"), PERIOD).json()["report"]
    # A and B are high-impact incidents on the desk's service: two outages
    assert body["services"][0]["failures"] == 2
    assert body["outage_impacts"] == ["high"]


def test_other_shapes(desk, manager):
    client = token_client(manager)
    volume = client.get(reverse("reports-volume"), PERIOD).json()["report"]
    assert volume["created"] == 6
    assert volume["days"][0] == {"day": "2026-03-02", "created": 1, "resolved": 0}
    rate = client.get(reverse("reports-reopen-rate"), PERIOD).json()["report"]
    assert rate == {"whole": 4, "part": 1, "rate": 0.25}
    first = client.get(reverse("reports-first-contact"), PERIOD).json()["report"]
    assert first["total"]["rate"] == 0.75
    assert first["tiers"][0] == {"tier": 1, "whole": 3, "part": 3, "rate": 1.0}
    tiers = client.get(reverse("reports-escalation-rate"), PERIOD).json()["report"]["tiers"]
    assert tiers[0] == {"tier": 1, "handled": 6, "escalated": 1, "rate": pytest.approx(1 / 6)}
    backlog = client.get(reverse("reports-backlog")).json()["report"]
    assert backlog["total"]["total"] == 1
    tiles = client.get(reverse("reports-summary"), PERIOD).json()["report"]
    assert tiles["backlog"] == 1
    assert tiles["mttr"]["wall"]["median"] is None


def test_bad_parameters_are_a_400_listing_each_field(manager):
    response = token_client(manager).get(
        reverse("reports-mttr"),
        {"start": "yesterday", "kind": "problem", "tier": "7", "service": "999", "priority": "x"},
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"start", "kind", "tier", "service", "priority"}
    assert fields["service"] == ["There is no service with id 999."]


def test_reversed_period_and_bad_breakdown(manager):
    client = token_client(manager)
    reversed_period = client.get(
        reverse("reports-volume"), {"start": "2026-03-10", "end": "2026-03-01"}
    )
    assert reversed_period.json()["error"]["fields"] == {
        "start": ["The start must be before the end."]
    }
    bad_by = client.get(reverse("reports-compliance"), {"by": "colour"})
    assert bad_by.status_code == 400
    assert "by" in bad_by.json()["error"]["fields"]


def test_incident_only_metrics_refuse_requests(manager):
    client = token_client(manager)
    for metric in ("mtbf", "reopen-rate"):
        response = client.get(reverse(f"reports-{metric}"), {"kind": "request"})
        assert response.status_code == 400
        assert "kind" in response.json()["error"]["fields"]


@pytest.mark.parametrize("metric", METRICS)
def test_query_count_does_not_grow_with_tickets(metric, desk, manager, settings):
    settings.REPORTING_SUMMARY_CACHE_SECONDS = 0
    client = token_client(manager)
    client.get(reverse(f"reports-{metric}"), PERIOD)  # warm the content-type cache
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(f"reports-{metric}"), PERIOD)
    IncidentFactory.create_batch(20, identified_at=NOW, resolved_at=NOW, status="resolved")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(f"reports-{metric}"), PERIOD)
    assert len(many) == len(few)


def test_summary_tiles_are_cached_for_a_minute(desk, manager, settings):
    client = token_client(manager)
    url = reverse("reports-summary")
    first = client.get(url, PERIOD).json()["report"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, PERIOD).json()["report"]
    assert again == first
    assert not [q for q in queries if "incidents_incident" in q["sql"]]
    settings.REPORTING_SUMMARY_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as queries:
        client.get(url, PERIOD)
    assert [q for q in queries if "incidents_incident" in q["sql"]]
