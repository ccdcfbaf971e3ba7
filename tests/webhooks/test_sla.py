"""sla.warning / sla.breached from the sweeper: set-wise, and each exactly once."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from core.webhooks.models import WebhookDelivery
from incidents import services
from incidents.choices import Impact, Urgency
from sla.choices import Metric
from sla.services import clocks_for
from sla.sweeper import process_clocks, sweep
from tests.webhooks.conftest import run_queued, webhook_messages

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def new_p5(end_user):
    with time_machine.travel(T0, tick=False):
        return services.incident_create(
            requester=end_user, title="Share is slow", impact=Impact.LOW, urgency=Urgency.LOW
        )  # P5: response 5h (warn at 3h45), resolution 40h


def at(hours):
    return T0 + timedelta(hours=hours)


def sla_deliveries(event_type):
    return WebhookDelivery.objects.filter(event_type=event_type)


def test_warning_then_breach_each_sent_once(
    receiver, subscribe, end_user, tiers, incident_policies
):
    subscribe("sla.warning", "sla.breached")
    incident = new_p5(end_user)
    sweep(now=at(4))
    sweep(now=at(4))
    assert sla_deliveries("sla.warning").count() == 1
    sweep(now=at(5) + timedelta(seconds=1))
    sweep(now=at(6))
    breach = sla_deliveries("sla.breached").get()
    data = breach.payload["data"]
    assert data["number"] == incident.number
    assert data["sla"]["metric"] == Metric.RESPONSE
    assert data["sla"]["escalated"] is True
    assert (data["sla"]["from_tier"], data["sla"]["to_tier"]) == (1, 2)
    assert data["tier"] == 2
    assert run_queued() == 2
    assert [r.json["type"] for r in receiver.received] == ["sla.warning", "sla.breached"]
    assert all(r.verified for r in receiver.received)


def test_a_stale_sweep_emits_nothing_more(subscribe, end_user, tiers, incident_policies):
    subscribe("sla.breached")
    incident = new_p5(end_user)
    stale = clocks_for(incident).get(metric=Metric.RESPONSE)
    sweep(now=at(6))
    assert process_clocks([stale], at(6)) == 0
    assert sla_deliveries("sla.breached").count() == 1
    assert webhook_messages().count() == 1


def test_no_subscription_adds_no_rows_to_a_sweep(end_user, tiers, incident_policies):
    new_p5(end_user)
    assert sweep(now=at(6)).processed == 1
    assert not WebhookDelivery.objects.exists()
    assert not webhook_messages().exists()


def test_a_backlog_batch_emits_one_breach_per_clock(subscribe, end_user, tiers, incident_policies):
    subscribe("sla.breached")
    incidents = [new_p5(end_user) for _ in range(12)]
    while sweep(now=at(6), batch_size=5).processed:
        pass
    numbers = sorted(d.payload["data"]["number"] for d in sla_deliveries("sla.breached"))
    assert numbers == sorted(i.number for i in incidents)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweepers_emit_one_breach_per_clock(
    subscribe, end_user, tiers, incident_policies
):
    subscribe("sla.breached")
    incidents = [new_p5(end_user) for _ in range(20)]
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait()
            while sweep(now=at(6), batch_size=3).processed:
                pass
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sla_deliveries("sla.breached").count() == 20
    assert webhook_messages().count() == 20
    assert {d.payload["data"]["number"] for d in sla_deliveries("sla.breached")} == {
        i.number for i in incidents
    }
