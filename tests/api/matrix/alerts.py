"""Permission matrix: alert intake (incidents/alerts/urls.py; format in
tests/api/matrix/__init__.py).

Intake authenticates with an integration's own secret, or with an admin's personal token that has
the `alerts` scope plus `?integration=<name>`: on `POST /api/v1/alerts/` the roles' tokens without
that scope are 403 and the alerts-scoped token without `?integration=` is a 400 (the accepted
path is tested in tests/alerts/test_personal_token.py). With the integration's secret in the URL,
`POST /api/v1/alerts/<secret>/` is accepted whoever sends it (the secret is the credential), and
an unknown secret is a 404. Only POST is served (405 otherwise).
"""

import copy
from typing import Any

from incidents.alerts.choices import IntegrationKind
from incidents.alerts.services import integration_create
from tests.alerts.payloads import ALERTMANAGER
from tests.api.matrix import Case, MatrixContext, statuses


def integration_secret(ctx: MatrixContext) -> dict[str, Any]:
    _, secret = integration_create(
        name="Matrix monitoring", kind=IntegrationKind.ALERTMANAGER, service=ctx.service
    )
    return {"token": secret}


def alert(ctx: MatrixContext, kwargs: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(ALERTMANAGER)


EVERYONE = dict.fromkeys(statuses(end_user=0, agent=0), 200)
NOBODY = dict.fromkeys(statuses(end_user=0, agent=0), 401)
TOKENS = statuses(end_user=403, agent=403, alerts_token=400)

CASES = [
    Case(
        "alerts:intake",
        "post",
        TOKENS,
        body=alert,
        note="personal tokens need the alerts scope, an admin and ?integration=",
    ),
    Case("alerts:intake", "get", dict.fromkeys(NOBODY, 405), note="POST only"),
    Case("alerts:intake_token", "post", EVERYONE, setup=integration_secret, body=alert),
    Case(
        "alerts:intake_token",
        "post",
        dict.fromkeys(EVERYONE, 404),
        setup=lambda ctx: {"token": "not-a-secret"},
        body=alert,
        note="unknown secret",
    ),
]
