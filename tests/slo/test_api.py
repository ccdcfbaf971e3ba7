"""/api/v1/slos/: agents read budgets, burn rates, alerts and the history; managers write;
bad input is a 400 that changes nothing; the list costs the same for 1 and 20 objectives."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import User
from slo.models import Objective
from tests.factories import ServiceFactory
from tests.slo.conftest import NOW, ago, availability, outage, response

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _at_now():
    with time_machine.travel(NOW, tick=False):
        yield


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_detail_has_budget_burn_rates_and_alerts(agent_l1, mail_service, slo_manager):
    outage(mail_service, ago(minutes=1), None)
    objective = availability(mail_service, slo_manager)
    body = api(agent_l1).get(reverse("slos-detail", args=[objective.pk])).json()
    assert body["service"] == mail_service.pk and body["service_name"] == "Mail"
    assert body["target"] == 99.9 and body["window_days"] == 28
    assert body["description"] == "99.9 % available over 28 days"
    assert body["budget"]["unit"] == "seconds"
    assert body["budget"]["allowed"] == pytest.approx(2419.2)
    assert body["budget"]["used"] == pytest.approx(60.0, abs=0.01)
    assert body["budget"]["exhausted"] is False
    assert body["burn_rates"]["1h"] == pytest.approx(16.6667, abs=1e-3)
    assert body["burn_rates"]["5m"] == pytest.approx(200.0, abs=1e-3)
    assert body["alerts"] == ["page_1h"]
    assert body["status"] == "fast burn"


def test_history_has_a_point_per_day(agent_l1, mail_service, slo_manager):
    outage(mail_service, ago(days=10), ago(days=10) + timedelta(minutes=50))
    objective = availability(mail_service, slo_manager, days=14)
    body = api(agent_l1).get(reverse("slos-history", args=[objective.pk])).json()
    assert body["id"] == objective.pk
    assert len(body["points"]) == 15
    assert body["points"][0]["remaining"] == 1.0  # the window ending 14 days ago
    assert body["points"][-1]["remaining"] == pytest.approx(1 - 3000 / 1209.6, abs=1e-4)


def test_list_filters_and_costs_the_same_for_1_and_20(agent_l1, mail_service, slo_manager):
    client = api(agent_l1)
    availability(mail_service, slo_manager)
    response(mail_service, slo_manager)

    def count(**params: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            got = client.get(reverse("slos-list"), params)
        assert got.status_code == 200
        return len(queries), len(got.json()["results"])

    count()
    one = count()
    for n in range(10):
        service = ServiceFactory(name=f"S{n}")
        availability(service, slo_manager)
        response(service, slo_manager)
    assert count() == (one[0], 22)
    assert count(service=str(mail_service.pk))[1] == 2
    assert count(kind="response")[1] == 11
    bad = client.get(reverse("slos-list"), {"kind": "latency"})
    assert bad.status_code == 400


def test_managers_write(manager, mail_service):
    client = api(manager)
    created = client.post(
        reverse("slos-list"),
        {
            "service": mail_service.pk,
            "kind": "response",
            "target": "95",
            "window_days": 28,
            "priorities": [1, 2],
            "threshold_minutes": 5,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["budget"]["unit"] == "events"
    changed = client.patch(reverse("slos-detail", args=[pk]), {"target": "99"}, format="json")
    assert changed.status_code == 200 and changed.json()["target"] == 99.0
    assert client.delete(reverse("slos-detail", args=[pk])).status_code == 204
    assert not Objective.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": "100"}, "target"),
        ({"window_days": 0}, "window_days"),
        ({"kind": "response"}, "priorities"),
        ({"priorities": [1]}, "priorities"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_400_and_changes_nothing(manager, mail_service, body, field):
    data = {"service": mail_service.pk, "kind": "availability", "target": "99.9", "window_days": 7}
    got = api(manager).post(reverse("slos-list"), {**data, **body}, format="json")
    assert got.status_code == 400
    assert field in str(got.json())
    assert not Objective.objects.exists()


def test_agents_may_not_write(agent_l1, mail_service, slo_manager):
    objective = availability(mail_service, slo_manager)
    client = api(agent_l1)
    data = {"service": mail_service.pk, "kind": "availability", "target": "99", "window_days": 7}
    assert client.post(reverse("slos-list"), data, format="json").status_code == 403
    url = reverse("slos-detail", args=[objective.pk])
    assert client.patch(url, {"target": "50"}, format="json").status_code == 403
    assert client.delete(url).status_code == 403
    assert Objective.objects.get().target == objective.target


def test_end_users_are_refused(end_user, mail_service, slo_manager):
    objective = availability(mail_service, slo_manager)
    assert api(end_user).get(reverse("slos-list")).status_code == 403
    assert api(end_user).get(reverse("slos-detail", args=[objective.pk])).status_code == 403
