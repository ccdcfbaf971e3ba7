"""The intake endpoint: POST /api/v1/alerts/<secret>/ or POST /api/v1/alerts/ with
`Authorization: Bearer <secret>`.

A plain Django view (no session, no CSRF: the secret is the credential). Every refusal has the
API's error shape, {"error": {"code", "message", "fields"}}. An unknown or revoked secret stores
nothing; a body over ALERTS_MAX_BODY_BYTES is refused with 413 before it is read; a malformed
payload gets 400 with the reason, and both are kept in the integration's intake log.
"""

import json
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from core.api.tokens import api_token_authenticate, looks_like_api_token
from core.exceptions import ValidationFailed
from core.request_body import body_limit
from core.roles import is_admin
from incidents.alerts.intake import alerts_ingest
from incidents.alerts.models import Integration
from incidents.alerts.parsers import PayloadError, parse
from incidents.alerts.selectors import integration_get_by_token
from incidents.alerts.services import intake_log_record

logger = logging.getLogger(__name__)


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}},
        status=status,
        headers=headers,
    )
    # Django logs every 4xx with the request path, which can hold the secret: log it here
    # without the path instead.
    logger.warning("Alert delivery refused: %s %s", status, code)
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _refuse(
    request: HttpRequest,
    integration: Integration,
    status: int,
    code: str,
    message: str,
    *,
    fields: dict[str, str] | None = None,
    body: bytes = b"",
    body_size: int | None = None,
) -> JsonResponse:
    intake_log_record(
        integration=integration,
        status_code=status,
        code=code,
        message=message,
        fields=fields,
        content_type=request.content_type or "",
        body=body,
        body_size=body_size,
    )
    return error_response(status, code, message, fields)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _integration_for_personal_token(
    request: HttpRequest, secret: str
) -> Integration | JsonResponse | None:
    """A personal API token with the `alerts` scope, owned by an admin, may post for any active
    integration named by `?integration=<name>` (e.g. a script that relays alerts for several
    tools). None for an unknown, revoked or expired token."""
    token = api_token_authenticate(secret)
    if token is None:
        return None
    if not token.has_scope("alerts"):
        return error_response(
            403, "permission_denied", "This token lacks the 'alerts' scope needed for alert intake."
        )
    if not is_admin(token.user):
        return error_response(
            403, "permission_denied", "Only an admin's token can post alerts for an integration."
        )
    name = request.GET.get("integration", "").strip()
    if not name:
        return error_response(
            400,
            "invalid_parameters",
            "Name the integration: POST /api/v1/alerts/?integration=<name>.",
            {"integration": "is required with a personal API token."},
        )
    integration = Integration.objects.filter(name=name, is_active=True).first()
    if integration is None:
        return error_response(404, "not_found", f"No active integration is named {name!r}.")
    return integration


def _authenticated_integration(
    request: HttpRequest, token: str | None
) -> Integration | JsonResponse:
    """The integration the delivery is for — by the secret in the URL, in a Bearer header, or by
    an admin's personal token with `?integration=` — or the error response that refuses it."""
    if token is not None:
        found = integration_get_by_token(token)
        if found is None:
            return error_response(404, "not_found", "Unknown or revoked integration secret.")
        return found
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return error_response(
            401,
            "unauthorized",
            "Send the integration's secret as 'Authorization: Bearer <secret>', "
            "or post to /api/v1/alerts/<secret>/.",
            headers={"WWW-Authenticate": 'Bearer realm="alerts"'},
        )
    integration: Integration | JsonResponse | None
    if looks_like_api_token(credentials.strip()):
        integration = _integration_for_personal_token(request, credentials.strip())
    else:
        integration = integration_get_by_token(credentials)
    if integration is None:
        return error_response(
            401,
            "invalid_token",
            "Unknown or revoked integration secret.",
            headers={"WWW-Authenticate": 'Bearer realm="alerts", error="invalid_token"'},
        )
    return integration


@csrf_exempt
@body_limit(lambda: settings.ALERTS_MAX_BODY_BYTES)
def alert_intake(request: HttpRequest, token: str | None = None) -> JsonResponse:
    """Receive one delivery from a monitoring tool and apply it (incidents.alerts.intake).

    Exempt from CSRF (the secret is the credential, there is no session); a chunked body reaches
    it de-chunked and cut at the limit + 1 bytes (core.request_body), so the size check below
    covers both ways of sending a body."""
    if request.method != "POST":
        return error_response(
            405, "method_not_allowed", "Send alerts with POST.", headers={"Allow": "POST"}
        )
    integration = _authenticated_integration(request, token)
    if isinstance(integration, JsonResponse):
        return integration
    limit = settings.ALERTS_MAX_BODY_BYTES
    too_large = f"The body is larger than the limit of {limit} bytes."
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return _refuse(
            request, integration, 413, "payload_too_large", too_large, body_size=declared
        )
    body = request.read(limit + 1)
    if len(body) > limit:
        return _refuse(
            request, integration, 413, "payload_too_large", too_large, body_size=len(body)
        )

    try:
        payload = json.loads(body, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        return _refuse(
            request,
            integration,
            400,
            "invalid_json",
            f"The body is not valid JSON: {exc}",
            fields={"body": "must be a JSON document."},
            body=body,
        )
    try:
        alerts = parse(integration.kind, payload, severity_label=integration.severity_label)
        result = alerts_ingest(integration=integration, alerts=alerts)
    except PayloadError as exc:
        return _refuse(
            request, integration, 400, exc.code, exc.message, fields=exc.fields, body=body
        )
    except ValidationFailed as exc:
        return _refuse(
            request, integration, 400, "invalid_payload", str(exc), fields=exc.errors, body=body
        )
    return JsonResponse(result.as_json())
