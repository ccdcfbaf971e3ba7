"""API rate limits: per token (or per signed-in user) and per anonymous client address.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (`api_user`, `api_anon`; set from the
API_THROTTLE_USER / API_THROTTLE_ANON environment variables) and are read on every request, so
tests and deployments can change them without re-importing. The counters live in Django's
default cache: configure a shared cache (Redis) when several web processes serve the API. DRF's
throttling is not a security control (logins are throttled by django-axes); it keeps one client
from starving the others. Exceeding a rate is a 429 with Retry-After.
"""

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from core.api.authentication import request_token


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        return rates.get(self.scope or "")


class ApiUserRateThrottle(_SettingsRateThrottle):
    """Authenticated requests: one bucket per token (so a busy integration does not use up its
    owner's interactive quota), one per user for session requests."""

    scope = "api_user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        token = request_token(request)
        ident = f"token:{token.pk}" if token is not None else f"user:{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ApiAnonRateThrottle(_SettingsRateThrottle):
    """Anonymous requests, by client address (REMOTE_ADDR, or X-Forwarded-For as far as
    REST_FRAMEWORK["NUM_PROXIES"] trusts it)."""

    scope = "api_anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
