"""DESIGN.md §8: a database outage answers a fast 503 with Retry-After, never a 500."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from core.api.tokens import api_token_create

pytestmark = pytest.mark.django_db

DOWN = OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


def _database_down():
    return mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=DOWN)


@pytest.fixture
def quiet_client() -> Client:
    return Client(raise_request_exception=False)


def test_api_answers_503_in_the_error_envelope_with_retry_after(quiet_client, agent_l1, settings):
    quiet_client.force_login(agent_l1)
    with _database_down():
        response = quiet_client.get("/api/v1/incidents/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == str(settings.DATABASE_OUTAGE_RETRY_AFTER_SECONDS)
    assert response.json()["error"]["code"] == "service_unavailable"


def test_a_token_write_answers_503_too(quiet_client, end_user):
    secret = api_token_create(user=end_user, name="test", scopes=["read", "write"]).secret
    with _database_down():
        response = quiet_client.post(
            "/api/v1/incidents/",
            {"title": "Mail is down"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


def test_pages_answer_a_plain_503_page(quiet_client, agent_l1):
    quiet_client.force_login(agent_l1)
    with _database_down():
        response = quiet_client.get("/agent/incidents/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "Retry-After" in response
    assert b"cannot reach its database" in response.content


def test_other_errors_stay_500_and_say_so_in_the_api_format(quiet_client, agent_l1):
    quiet_client.force_login(agent_l1)
    with mock.patch("core.api.views.TicketViewSet.get_queryset", side_effect=RuntimeError("bug")):
        response = quiet_client.get("/api/v1/incidents/")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "Retry-After" not in response
