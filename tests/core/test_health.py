from unittest import mock

import pytest
from django.db.utils import OperationalError

from tests.brokers import CLOSED_PORT_BROKER

pytestmark = pytest.mark.django_db


def test_healthy_when_database_and_broker_answer(client, use_broker):
    use_broker("memory://")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


def test_unavailable_when_the_broker_is_unreachable(client, use_broker):
    use_broker(CLOSED_PORT_BROKER)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"]


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
