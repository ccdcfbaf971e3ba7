"""OAuth 2.0 access tokens for XOAUTH2 IMAP logins (Microsoft 365, Google).

A mailbox with `auth_method` "xoauth2" holds a refresh token and the provider's token URL; the
access token is asked for with the refresh-token grant and cached until shortly before it
expires. Providers:

- Microsoft 365: token URL `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`,
  scope `https://outlook.office.com/IMAP.AccessAsUser.All offline_access`.
- Google: token URL `https://oauth2.googleapis.com/token`, scope `https://mail.google.com/`.

Microsoft rotates the refresh token on every grant: the one it returns is saved on the mailbox
at once (the old one may stop working).
"""

import hashlib
import logging

import httpx
from django.conf import settings
from django.core.cache import cache

from email_intake.models import Mailbox

logger = logging.getLogger(__name__)

# Renew this long before the provider's expiry, so a token never dies during a poll.
_EXPIRY_MARGIN_SECONDS = 120


class OAuthError(Exception):
    """The provider refused or could not be reached; the message is one sentence for admins."""


def _cache_key(mailbox: Mailbox) -> str:
    # Keyed on the credentials too: an admin who changes them never gets the old token.
    fingerprint = hashlib.sha256(
        "\x00".join(
            (mailbox.oauth_token_url, mailbox.oauth_client_id, mailbox.oauth_refresh_token)
        ).encode()
    ).hexdigest()[:24]
    return f"email_intake:oauth:{mailbox.pk}:{fingerprint}"


def xoauth2_string(username: str, token: str) -> bytes:
    """The SASL XOAUTH2 initial response (RFC-less, as Google and Microsoft document it)."""
    return f"user={username}\x01auth=Bearer {token}\x01\x01".encode()


def access_token(mailbox: Mailbox, *, client: httpx.Client | None = None) -> str:
    """A valid access token for `mailbox`, from the cache or the provider. Raises OAuthError."""
    key = _cache_key(mailbox)
    cached = cache.get(key)
    if cached:
        return str(cached)
    if not (mailbox.oauth_token_url and mailbox.oauth_refresh_token):
        raise OAuthError("OAuth is not set up: the token URL and a refresh token are required.")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": mailbox.oauth_refresh_token,
        "client_id": mailbox.oauth_client_id,
    }
    if mailbox.oauth_client_secret:
        form["client_secret"] = mailbox.oauth_client_secret
    if mailbox.oauth_scope:
        form["scope"] = mailbox.oauth_scope
    timeout = settings.EMAIL_INTAKE_IMAP_TIMEOUT_SECONDS
    try:
        if client is None:
            with httpx.Client(timeout=timeout) as own:
                response = own.post(mailbox.oauth_token_url, data=form)
        else:
            response = client.post(mailbox.oauth_token_url, data=form)
    except httpx.HTTPError as exc:
        raise OAuthError(f"The token endpoint could not be reached: {exc}.") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
        detail = ""
        if isinstance(body, dict):
            detail = str(body.get("error_description") or body.get("error") or "")[:300]
        raise OAuthError(
            f"The token endpoint refused the refresh token (HTTP {response.status_code})"
            + (f": {detail}" if detail else ".")
        )
    token = str(body["access_token"])
    rotated = body.get("refresh_token")
    if rotated and rotated != mailbox.oauth_refresh_token:
        Mailbox.objects.filter(pk=mailbox.pk).update(oauth_refresh_token=rotated)
        mailbox.oauth_refresh_token = str(rotated)
        logger.info("Mailbox %s: the provider rotated its refresh token; saved.", mailbox.name)
    try:
        lifetime = int(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        lifetime = 3600
    if lifetime > _EXPIRY_MARGIN_SECONDS:
        cache.set(_cache_key(mailbox), token, lifetime - _EXPIRY_MARGIN_SECONDS)
    return token
