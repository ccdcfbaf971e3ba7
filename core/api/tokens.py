"""Personal API tokens: create (secret shown once), revoke, list, and resolve a presented secret.

A secret looks like `sdk_<prefix>_<random>`. Only its SHA-256 digest is stored: the secret has
256 bits of randomness, so a fast digest is as safe as a slow password hash and lets
authentication find the token with one indexed lookup.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.exceptions import DomainError, ValidationFailed
from core.models import ApiToken, ApiTokenScope, User

SECRET_PREFIX = "sdk_"  # noqa: S105 — a public marker, not a secret
# How stale `last_used_at` may get before a request refreshes it (one UPDATE a minute at most).
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKENS_PER_USER = 50


@dataclass(frozen=True)
class NewToken:
    """A token just created and its secret, which exists only here and is shown once."""

    token: ApiToken
    secret: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *,
    user: User,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    created_by: User | None = None,
) -> NewToken:
    """Create a token for `user` with these scopes. Returns the secret, which is never stored.

    Refuses an empty name, unknown or no scopes, an expiry in the past, inactive users and more
    than MAX_TOKENS_PER_USER active tokens (ValidationFailed; nothing stored).
    """
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the token a name, e.g. the script or tool that uses it."
    elif len(name) > 100:
        errors["name"] = "Keep the name under 100 characters."
    wanted = sorted(set(scopes))
    unknown = [scope for scope in wanted if scope not in ApiTokenScope.values]
    if unknown:
        errors["scopes"] = f"Unknown scope(s): {', '.join(unknown)}."
    elif not wanted:
        errors["scopes"] = "Pick at least one scope."
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        errors["expires_at"] = "The expiry must be in the future."
    if not user.is_active:
        errors["user"] = f"{user} is inactive and cannot have tokens."
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        # Lock the user row so two concurrent creations cannot both pass the cap.
        User.objects.select_for_update().filter(pk=user.pk).first()
        active = api_token_list_for_user(user=user).filter(revoked_at__isnull=True).count()
        if active >= MAX_TOKENS_PER_USER:
            raise ValidationFailed(
                {"name": f"You already have {active} tokens; revoke one you no longer use."}
            )
        prefix = secrets.token_hex(4)
        secret = f"{SECRET_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            key_hash=_digest(secret),
            scopes=wanted,
            created_at=now,
            created_by=created_by if created_by is not None else user,
            expires_at=expires_at,
        )
    return NewToken(token=token, secret=secret)


def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke a token (idempotent: revoking twice keeps the first time). Its owner or an admin
    may revoke it; anyone else gets a DomainError."""
    from core.roles import is_admin

    if token.user_id != actor.pk and not is_admin(actor):
        raise DomainError("You can only revoke your own tokens.")
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (active and revoked)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_get_for_user(*, user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; someone else's token is ApiToken.DoesNotExist (a 404)."""
    return api_token_list_for_user(user=user).get(pk=token_id)


def api_token_authenticate(secret: str) -> ApiToken | None:
    """The active token for this secret with its user loaded (one query), or None when the
    secret is unknown, revoked or expired, or the user is inactive. Refreshes last_used_at at
    most once per LAST_USED_RESOLUTION (one extra conditional UPDATE then)."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).exclude(
            last_used_at__gt=now - LAST_USED_RESOLUTION
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


def looks_like_api_token(secret: str) -> bool:
    """True for strings shaped like our secrets (other bearer tokens, e.g. alert integrations'
    secrets, are left to their own authentication)."""
    return secret.startswith(SECRET_PREFIX)
