"""The storm budget counts distinct alerts: copies of one alert, sequential or concurrent,
hold one slot of the rate window."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.alerts.models import AlertStorm, Integration
from incidents.alerts.rate import reserve_new_incidents
from incidents.models import Incident
from tests.alerts.conftest import Poster
from tests.alerts.payloads import alertmanager, am_alert
from tests.alerts.test_concurrency import deliver, run_at_once

LIMIT = 20


def test_an_alert_that_holds_a_slot_keeps_it_without_using_another(make_hook) -> None:
    # Two deliveries that both counted the alert as new before either opened its incident:
    # the race that let 20 concurrent copies take 11 slots, played one after the other.
    integration = make_hook(max_new_incidents_per_minute=3).integration
    now = timezone.now()
    assert reserve_new_incidents(integration, ["dup"], now) == {"dup"}
    assert reserve_new_incidents(integration, ["dup"], now) == {"dup"}
    assert reserve_new_incidents(integration, ["dup", "a", "b", "c"], now) == {"dup", "a", "b"}
    integration.refresh_from_db()
    assert integration.rate_window_used == 3
    # A new window forgets the holders.
    later = now + timedelta(minutes=1)
    assert reserve_new_incidents(integration, ["c"], later) == {"c"}


def test_sequential_copies_of_one_alert_use_one_slot(make_hook, post: Poster) -> None:
    hook = make_hook(max_new_incidents_per_minute=LIMIT)
    for _ in range(5):
        assert post(hook, alertmanager(am_alert("dup"))).status_code == 200
    body = post(hook, alertmanager(*[am_alert(f"n{i}") for i in range(LIMIT - 1)])).json()
    assert len(body["incidents_created"]) == LIMIT - 1
    assert body["storm_incident"] is None
    assert Integration.objects.get(pk=hook.integration.pk).rate_window_used == LIMIT


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_copies_of_one_alert_use_one_slot(make_hook) -> None:
    hook = make_hook(max_new_incidents_per_minute=LIMIT)
    payload = alertmanager(am_alert("dup", severity="critical"))
    assert run_at_once(LIMIT, lambda i: deliver(hook, payload)) == [200] * LIMIT
    assert Incident.objects.count() == 1
    assert Integration.objects.get(pk=hook.integration.pk).rate_window_used == 1
    # The other 19 slots are still there for 19 distinct alerts.
    status = deliver(hook, alertmanager(*[am_alert(f"n{i}") for i in range(LIMIT - 1)]))
    assert status == 200
    assert Incident.objects.count() == LIMIT
    assert not AlertStorm.objects.exists()
