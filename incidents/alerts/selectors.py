"""Reads for the intake: finding the integration a secret belongs to."""

from incidents.alerts.models import Integration
from incidents.alerts.services import TOKEN_PREFIX, token_hash

MAX_TOKEN_LENGTH = 200


def integration_get_by_token(token: str) -> Integration | None:
    """The active integration whose secret this is, with what the intake needs loaded; None for
    an unknown, malformed or revoked secret (the caller answers all of them alike)."""
    token = (token or "").strip()
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    return (
        Integration.objects.select_related("reporter", "service__owner_group", "support_group")
        .filter(token_hash=token_hash(token), is_active=True)
        .first()
    )
