"""Login throttling per address and per user name (django-axes, with this handler).

- **Per address, across user names**: AXES_FAILURE_LIMIT failures from one client address within
  AXES_COOLOFF_MINUTES lock that address out for the cool-off (axes, AXES_LOCKOUT_PARAMETERS =
  ["ip_address"]). One address trying many passwords over many user names is stopped. A
  successful sign-in forgives only that user name's failures from that address, so an attacker
  with an account of their own cannot reset the address's count by signing in.
- **Per user name, across addresses**: LOGIN_USERNAME_FAILURE_LIMIT failures for one user name
  within LOGIN_USERNAME_COOLOFF_MINUTES pause sign-in for that name — but only from addresses
  it has never signed in from. The real user at a known address keeps signing in while a
  stranger guesses from elsewhere; from a new address they wait at most the short window after
  the guessing stops. Failures are counted in axes' AccessFailureLog.
- **The client address** is REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front, the
  address the outermost trusted proxy saw (X-Forwarded-For, counted from the right, as DRF's
  NUM_PROXIES does, so the API throttle agrees). Entries further left are the client's own
  claim and are never used; with TRUSTED_PROXY_COUNT=0 the header is ignored.
"""

import ipaddress
from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def client_address(request: HttpRequest) -> str:
    """AXES_CLIENT_IP_CALLABLE: the client's address, behind TRUSTED_PROXY_COUNT proxies."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if part.strip()
    ]
    if not forwarded:
        return remote
    claimed = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(claimed))
    except ValueError:
        # A proxy that writes something else than an address is misconfigured: throttle on the
        # connection's address rather than on text a client may have chosen.
        return remote


def is_user_name_paused(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """Too many recent failures for this user name, tried from an address it never signed in
    from."""
    username = get_client_username(request, credentials)
    if not username:
        return False
    since = timezone.now() - timedelta(minutes=settings.LOGIN_USERNAME_COOLOFF_MINUTES)
    failures = AccessFailureLog.objects.filter(username=username, attempt_time__gte=since)
    if failures.count() < settings.LOGIN_USERNAME_FAILURE_LIMIT:
        return False
    address = getattr(request, "axes_ip_address", None) or client_address(request)
    return not AccessLog.objects.filter(username=username, ip_address=address).exists()


class LoginThrottleHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler plus the per-user-name pause (module docstring)."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        if is_user_name_paused(request, credentials):
            request.login_paused_for_user_name = True  # type: ignore[attr-defined]
            return True
        return False

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if is_user_name_paused(request, credentials):
            request.login_paused_for_user_name = True  # type: ignore[attr-defined]
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        """On success, forgive this user name's failures from this address only."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username,
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
        ).delete()
        return count


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the sign-in-paused page (429), saying which pause applies and for
    how long."""
    by_user_name = bool(getattr(request, "login_paused_for_user_name", False))
    minutes = (
        settings.LOGIN_USERNAME_COOLOFF_MINUTES if by_user_name else settings.AXES_COOLOFF_MINUTES
    )
    context = {
        "username": get_client_username(request, credentials) or "",
        "paused_for_user_name": by_user_name,
        "cooloff_timedelta": timedelta(minutes=minutes),
    }
    return render(request, "registration/locked_out.html", context, status=429)
