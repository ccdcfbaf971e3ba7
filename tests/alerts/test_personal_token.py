"""An admin's personal API token with the `alerts` scope posts alerts for a named integration."""

import json

import pytest
from django.test import Client

from core.api.tokens import api_token_create
from core.models import User
from incidents.models import Incident
from tests.alerts.conftest import Hook
from tests.alerts.payloads import ALERTMANAGER

pytestmark = pytest.mark.django_db


def _post(secret: str, query: str = "") -> tuple[int, dict]:
    response = Client().post(
        f"/api/v1/alerts/{query}",
        json.dumps(ALERTMANAGER).encode(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    return response.status_code, response.json()


def _token(user: User, scopes: list[str]) -> str:
    return api_token_create(user=user, name="relay", scopes=scopes).secret


def test_alerts_scoped_admin_token_opens_an_incident_for_the_named_integration(
    admin_user: User, hook: Hook
) -> None:
    status, body = _post(_token(admin_user, ["alerts"]), f"?integration={hook.integration.name}")

    assert status == 200, body
    assert len(body["incidents_created"]) == len(ALERTMANAGER["alerts"])
    created = Incident.objects.filter(number__in=body["incidents_created"])
    assert {incident.requester for incident in created} == {hook.integration.reporter}


@pytest.mark.parametrize(
    ("scopes", "role", "query", "expected", "code"),
    [
        (["read", "write"], "admin", "?integration=NAME", 403, "permission_denied"),
        (["alerts"], "agent", "?integration=NAME", 403, "permission_denied"),
        (["alerts"], "admin", "", 400, "invalid_parameters"),
        (["alerts"], "admin", "?integration=nobody", 404, "not_found"),
    ],
)
def test_personal_token_refusals_store_nothing(
    admin_user: User,
    agent_l1: User,
    hook: Hook,
    scopes: list[str],
    role: str,
    query: str,
    expected: int,
    code: str,
) -> None:
    user = admin_user if role == "admin" else agent_l1
    status, body = _post(_token(user, scopes), query.replace("NAME", hook.integration.name))

    assert status == expected
    assert body["error"]["code"] == code
    assert not Incident.objects.exists()


def test_revoked_or_unknown_personal_token_is_401(hook: Hook) -> None:
    status, body = _post("sdk_nothing_here", f"?integration={hook.integration.name}")

    assert status == 401
    assert body["error"]["code"] == "invalid_token"
