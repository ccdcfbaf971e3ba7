"""Alert deliveries sent with `Transfer-Encoding: chunked` are read, not taken as an empty body;
an oversize one is refused with 413 and kept in the intake log like any other refusal."""

import io
import json
from typing import Any

import pytest
from django.test import Client

from incidents.alerts.models import IntakeLogEntry
from incidents.models import Incident
from tests.alerts.conftest import Hook
from tests.alerts.payloads import ALERTMANAGER

pytestmark = pytest.mark.django_db


def _chunked(hook: Hook, body: bytes, *, csrf: bool = True) -> Any:
    return Client(enforce_csrf_checks=csrf).generic(
        "POST",
        "/api/v1/alerts/",
        b"",
        CONTENT_TYPE="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        HTTP_AUTHORIZATION=f"Bearer {hook.secret}",
        **{"wsgi.input": io.BytesIO(body)},
    )


def test_a_chunked_delivery_opens_its_incidents(hook: Hook, clock: Any) -> None:
    response = _chunked(hook, json.dumps(ALERTMANAGER).encode())

    assert response.status_code == 200, response.content
    assert Incident.objects.count() == 2


def test_a_delivery_needs_no_csrf_token(hook: Hook, clock: Any) -> None:
    """Monitoring tools have no session and no CSRF cookie: the secret is the credential."""
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/alerts/",
        json.dumps(ALERTMANAGER),
        content_type="application/json",
        headers={"Authorization": f"Bearer {hook.secret}"},
    )

    assert response.status_code == 200, response.content


def test_an_oversize_chunked_delivery_is_413_and_logged(hook: Hook, settings: Any) -> None:
    settings.ALERTS_MAX_BODY_BYTES = 500
    body = json.dumps(ALERTMANAGER).encode()
    assert len(body) > 500

    response = _chunked(hook, body)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert Incident.objects.count() == 0
    entry = IntakeLogEntry.objects.get(integration=hook.integration)
    assert (entry.status_code, entry.body_size) == (413, 501)
