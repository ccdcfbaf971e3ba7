"""`Cache-Control: private, no-store` on every response made with credentials.

A page, API answer, attachment or CSV export for a signed-in person (a session) or for a request
that sent credentials (`Authorization`: an API token, an alert secret) holds that person's data:
no shared proxy may keep it, and no browser may keep it on disk after sign-out. Public answers —
the sign-in page, static files (served by WhiteNoise before this middleware), /healthz — keep
their own headers.

Directives are added, never replaced (django.utils.cache.patch_cache_control): a stricter header
set by the view (never_cache's `no-cache, must-revalidate, max-age=0`) stays, `public` goes.
ETags stay too, so If-Match on updates works as before.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control


def is_made_with_credentials(request: HttpRequest) -> bool:
    if request.META.get("HTTP_AUTHORIZATION"):
        return True
    # DRF sets the Django request's user when a token authenticates, so this also sees tokens.
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class PrivateResponsesMiddleware:
    """Place after AuthenticationMiddleware (it reads request.user)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if is_made_with_credentials(request):
            patch_cache_control(response, private=True, no_store=True)
        return response
