"""Who may fetch the non-DRF report endpoints (/metrics, the CSV export): a personal API token
with the `read` scope (`Authorization: Bearer sdk_...`, as Prometheus sends it) or a browser
session, and in both cases a manager or an admin. Same rule as the JSON API."""

from django.http import HttpRequest, JsonResponse

from core.api.errors import error_body
from core.api.tokens import api_token_authenticate
from core.models import ApiTokenScope, User
from reporting.permissions import can_view_reports


def _refuse(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse(error_body(code, message), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def report_reader(request: HttpRequest) -> User | JsonResponse:
    """The user allowed to read reports for this request, or the 401/403 response to send."""
    header = request.headers.get("Authorization", "").strip()
    if header:
        keyword, _, secret = header.partition(" ")
        token = (
            api_token_authenticate(secret.strip())
            if keyword.lower() in ("bearer", "token")
            else None
        )
        if token is None:
            return _refuse(401, "not_authenticated", "Invalid, expired or revoked token.")
        if not token.has_scope(ApiTokenScope.READ):
            return _refuse(403, "permission_denied", "This token lacks the 'read' scope.")
        user: User = token.user
    elif isinstance(request.user, User) and request.user.is_authenticated:
        user = request.user
    else:
        return _refuse(401, "not_authenticated", "Sign in or send an API token.")
    if not can_view_reports(user):
        return _refuse(403, "permission_denied", "Only managers and admins can do this.")
    return user
