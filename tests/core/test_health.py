from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.db.utils import OperationalError
from django.utils import timezone

from core.health import BROKER_BREAKER
from core.leases import heartbeat
from tests.brokers import CLOSED_PORT_BROKER

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _closed_probe_circuit():
    BROKER_BREAKER.succeeded()
    yield
    BROKER_BREAKER.succeeded()


def _duties_ran():
    heartbeat("worker")
    heartbeat("sla.sweep")


def test_healthy_when_database_and_broker_answer_and_the_duties_run(client, use_broker):
    use_broker("memory://")
    _duties_ran()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


def test_degraded_but_serving_when_the_broker_is_unreachable(client, use_broker):
    """The outbox keeps work while the broker is down, so the web app stays in service."""
    use_broker(CLOSED_PORT_BROKER)
    _duties_ran()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"]
    # The next probe within the breaker's window does not wait on the broker again.
    again = client.get("/healthz").json()["checks"]["broker"]
    assert again["ok"] is False and again["circuit"] == "open"


def test_degraded_when_the_worker_or_the_sweep_has_not_run_for_two_periods(
    client, use_broker, settings
):
    use_broker("memory://")
    assert client.get("/healthz").json()["checks"]["worker"] == {
        "ok": False,
        "error": "worker has not run yet",
    }
    _duties_ran()
    later = timezone.now() + timedelta(seconds=2 * settings.WORKER_HEARTBEAT_SECONDS + 1)
    with time_machine.travel(later):
        body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["sla_sweep"]["ok"] is True  # its period (30 s) is longer


def test_unavailable_when_the_database_fails(client, use_broker):
    use_broker("memory://")
    with mock.patch("core.health.connection.cursor", side_effect=OperationalError("db gone")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "ok": False,
        "error": "OperationalError: db gone",
    }


def test_healthz_needs_no_login_and_only_answers_get(client, use_broker):
    use_broker("memory://")
    assert client.post("/healthz").status_code == 405
