"""API authentication: personal tokens (`Authorization: Bearer sdk_…`) and the browser session.

DRF answers 401 (not 403) to unauthenticated requests because the first class here names a
`WWW-Authenticate` challenge. Session requests keep DRF's CSRF check on unsafe methods.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from core.api.tokens import api_token_authenticate, looks_like_api_token
from core.models import ApiToken, User

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <secret>` (or `Token <secret>`) with a personal API token.

    On success `request.auth` is the ApiToken, so permission classes can check its scopes.
    Bearer values that are not shaped like our secrets are ignored (another authentication,
    e.g. an alert integration's own secret, may claim them); an unknown, revoked or expired
    token of ours is a 401.
    """

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: expected 'Bearer <token>'.")
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token characters.")) from exc
        if not looks_like_api_token(secret):
            return None
        token = api_token_authenticate(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def request_token(request: Any) -> ApiToken | None:
    """The API token a request authenticated with, or None (session or anonymous)."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes ApiTokenAuthentication (registered on import)."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "sdk_…",
            "description": "A personal API token (create one at /account/tokens/).",
        }
