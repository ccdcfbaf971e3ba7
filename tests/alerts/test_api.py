"""The intake endpoint: secrets, error shapes, limits, and the intake log of refused deliveries."""

import json

import pytest
from django.test import Client

from core.models import TimelineEvent
from incidents.alerts.models import AlertLink, IntakeLogEntry
from incidents.alerts.services import integration_rotate_token, integration_set_active
from incidents.models import Incident
from tests.alerts.conftest import Hook, Poster
from tests.alerts.payloads import ALERTMANAGER, alertmanager, am_alert


def nothing_stored() -> bool:
    return not (
        Incident.objects.exists()
        or AlertLink.objects.exists()
        or TimelineEvent.objects.exists()
        or IntakeLogEntry.objects.exists()
    )


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert error["message"]
    return error


def test_secret_in_the_url_works_too(hook: Hook, post: Poster) -> None:
    response = post(hook, ALERTMANAGER, via_url=True)
    assert response.status_code == 200
    assert len(response.json()["incidents_created"]) == 2


def test_only_a_hash_of_the_secret_is_stored(hook: Hook) -> None:
    assert hook.secret.startswith("alrt_") and len(hook.secret) > 40
    assert hook.secret not in json.dumps(list(type(hook.integration).objects.values()), default=str)
    assert hook.integration.token_prefix == hook.secret[:9]


@pytest.mark.parametrize("via_url", [True, False])
def test_unknown_secret_is_refused_and_nothing_stored(
    hook: Hook, post: Poster, via_url: bool
) -> None:
    response = post("alrt_not-a-real-secret", ALERTMANAGER, via_url=via_url)
    if via_url:
        assert_error(response, 404, "not_found")
    else:
        assert_error(response, 401, "invalid_token")
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert nothing_stored()


def test_missing_authorization_is_401(hook: Hook) -> None:
    response = Client().post("/api/v1/alerts/", ALERTMANAGER, content_type="application/json")
    assert_error(response, 401, "unauthorized")
    response = Client().post(
        "/api/v1/alerts/",
        ALERTMANAGER,
        content_type="application/json",
        headers={"Authorization": f"Basic {hook.secret}"},
    )
    assert_error(response, 401, "unauthorized")
    assert nothing_stored()


def test_revoked_and_rotated_secrets_are_refused(hook: Hook, post: Poster) -> None:
    integration_set_active(integration=hook.integration, is_active=False)
    assert_error(post(hook, ALERTMANAGER), 401, "invalid_token")
    assert_error(post(hook, ALERTMANAGER, via_url=True), 404, "not_found")
    assert nothing_stored()
    integration_set_active(integration=hook.integration, is_active=True)
    new_secret = integration_rotate_token(integration=hook.integration)
    assert_error(post(hook, ALERTMANAGER), 401, "invalid_token")
    assert post(new_secret, ALERTMANAGER).status_code == 200


def test_get_is_405(hook: Hook) -> None:
    response = Client().get(f"/api/v1/alerts/{hook.secret}/")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


def test_invalid_json_is_400_and_logged(hook: Hook, post: Poster) -> None:
    response = post(hook, None, raw=b'{"version": "4", "alerts": [')
    error = assert_error(response, 400, "invalid_json")
    assert "not valid JSON" in error["message"]
    assert error["fields"] == {"body": "must be a JSON document."}
    entry = IntakeLogEntry.objects.get()
    assert (entry.integration, entry.status_code, entry.code) == (
        hook.integration,
        400,
        "invalid_json",
    )
    assert entry.body_excerpt == '{"version": "4", "alerts": ['
    assert entry.content_type == "application/json"
    assert not Incident.objects.exists()


def test_nan_is_not_json(hook: Hook, post: Poster) -> None:
    raw = json.dumps(alertmanager(am_alert("x"))).replace('"status": "firing"', '"x": NaN', 1)
    assert_error(post(hook, None, raw=raw.encode()), 400, "invalid_json")


def test_malformed_payload_is_400_with_the_reason_and_logged(hook: Hook, post: Poster) -> None:
    payload = alertmanager(am_alert("ok"), {**am_alert("bad"), "fingerprint": ""})
    error = assert_error(post(hook, payload), 400, "invalid_payload")
    assert error["fields"] == {"alerts[1].fingerprint": "is required."}
    assert error["message"] == "alerts[1].fingerprint: is required."
    entry = IntakeLogEntry.objects.get()
    assert entry.fields == error["fields"]
    assert json.loads(entry.body_excerpt) == payload
    assert not Incident.objects.exists()


def test_wrong_version_is_named(hook: Hook, post: Poster) -> None:
    error = assert_error(post(hook, {**ALERTMANAGER, "version": "3"}), 400, "unsupported_version")
    assert "version" in error["fields"]


def test_body_over_the_limit_is_413_logged_without_the_body(
    hook: Hook, post: Poster, settings
) -> None:
    settings.ALERTS_MAX_BODY_BYTES = 2000
    payload = alertmanager(*[am_alert(f"f{i}") for i in range(20)])
    error = assert_error(post(hook, payload), 413, "payload_too_large")
    assert "2000 bytes" in error["message"]
    entry = IntakeLogEntry.objects.get()
    assert (entry.status_code, entry.body_excerpt) == (413, "")
    assert entry.body_size > 2000
    assert not Incident.objects.exists()


def test_intake_log_is_capped_per_integration_and_excerpts_are_short(
    make_hook, post: Poster, settings
) -> None:
    settings.ALERTS_INTAKE_LOG_KEEP = 3
    settings.ALERTS_INTAKE_LOG_BODY_BYTES = 10
    first, second = make_hook(), make_hook()
    post(second, None, raw=b"nope")
    for i in range(5):
        post(first, None, raw=f"broken {i} ".encode() + b"x" * 100)
    kept = IntakeLogEntry.objects.filter(integration=first.integration).order_by("id")
    assert [e.body_excerpt for e in kept] == ["broken 2 x", "broken 3 x", "broken 4 x"]
    assert all(e.body_size == 109 for e in kept)
    assert IntakeLogEntry.objects.filter(integration=second.integration).count() == 1


def test_invalid_utf8_is_400(hook: Hook, post: Poster) -> None:
    assert_error(post(hook, None, raw=b'{"title": "\xff"}'), 400, "invalid_json")
    assert IntakeLogEntry.objects.get().body_excerpt == '{"title": "\ufffd"}'


def test_refusals_are_logged_without_the_secret(
    hook: Hook, post: Poster, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO"):
        post(hook, None, raw=b"{", via_url=True)
    assert "Alert delivery refused: 400 invalid_json" in caplog.text
    assert hook.secret not in caplog.text
