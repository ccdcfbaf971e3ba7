"""Concurrent deliveries on PostgreSQL (real row locks and a unique partial index): the same new
alert delivered at once by many senders opens ONE incident; nothing is lost or deadlocked."""

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from incidents.alerts.models import AlertLink, AlertStorm
from incidents.models import Incident
from tests.alerts.conftest import Hook
from tests.alerts.payloads import alertmanager, am_alert

THREADS = 12


def run_at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..count-1) in threads released together; each result or exception."""
    barrier = threading.Barrier(count, timeout=30)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def deliver(hook: Hook, payload: dict[str, Any]) -> int:
    response = Client().post(
        "/api/v1/alerts/",
        json.dumps(payload),
        content_type="application/json",
        headers={"Authorization": f"Bearer {hook.secret}"},
    )
    return response.status_code


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_new_alert_delivered_at_once_opens_one_incident(make_hook) -> None:
    hook = make_hook()
    # Distinct firings (startsAt), so no lost update hides in the count; re-sends of one firing
    # are not counted at all (test_firings).
    results = run_at_once(
        THREADS,
        lambda i: deliver(
            hook,
            alertmanager(
                am_alert("race", severity="critical", starts_at=f"2025-03-03T08:{i:02d}:00Z")
            ),
        ),
    )
    assert results == [200] * THREADS
    assert Incident.objects.count() == 1
    link = AlertLink.objects.get()
    assert (link.is_open, link.occurrences) == (True, THREADS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_groups_in_any_order_neither_deadlock_nor_duplicate(make_hook) -> None:
    hook = make_hook(max_new_incidents_per_minute=0)
    fingerprints = [f"f{i}" for i in range(8)]

    def work(index: int) -> int:
        order = fingerprints if index % 2 else list(reversed(fingerprints))
        starts = f"2025-03-03T08:{index:02d}:00Z"
        return deliver(hook, alertmanager(*[am_alert(fp, starts_at=starts) for fp in order]))

    results = run_at_once(THREADS, work)
    assert results == [200] * THREADS
    assert Incident.objects.count() == len(fingerprints)
    assert sorted(AlertLink.objects.values_list("fingerprint", "occurrences")) == [
        (fp, THREADS) for fp in fingerprints
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_storm_has_one_storm_incident_and_loses_no_alert(make_hook) -> None:
    hook = make_hook(max_new_incidents_per_minute=2)
    results = run_at_once(
        THREADS, lambda i: deliver(hook, alertmanager(am_alert(f"s{i}a"), am_alert(f"s{i}b")))
    )
    assert results == [200] * THREADS
    assert AlertStorm.objects.count() == 1
    assert AlertLink.objects.count() == 2 * THREADS  # every alert is on an incident
    # The rate holds across concurrent deliveries: exactly the limit opened their own.
    assert AlertLink.objects.filter(opened_incident=True).count() == 2
    storm = AlertStorm.objects.get()
    joined = AlertLink.objects.filter(incident=storm.incident).count()
    assert storm.alerts_count == joined
    assert Incident.objects.count() == 1 + AlertLink.objects.filter(opened_incident=True).count()
