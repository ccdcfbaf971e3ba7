"""Writes for integrations and their intake log. The intake itself is in incidents.alerts.intake.

A secret is `alrt_` + 43 URL-safe characters (256 random bits). Only its SHA-256 is stored: a
slow password hash buys nothing for a random secret of that size, and the lookup stays one
indexed query.
"""

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from core.exceptions import ValidationFailed
from core.models import Service, SupportGroup, User
from core.single_line import single_line_normalise
from incidents.alerts.models import IntakeLogEntry, Integration
from incidents.choices import Category

TOKEN_PREFIX = "alrt_"  # noqa: S105 — a marker, not a secret


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"


def _set_token(integration: Integration) -> str:
    token = _new_token()
    integration.token_hash = token_hash(token)
    integration.token_prefix = token[: len(TOKEN_PREFIX) + 4]
    integration.token_rotated_at = timezone.now()
    return token


def _as_validation_failed(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed(
        {name: " ".join(str(m) for m in messages) for name, messages in exc.message_dict.items()}
    )


def integration_provision(integration: Integration) -> str:
    """Save a new integration with its reporter user and a fresh secret; return the secret.

    The secret is returned once and never stored. The reporter is the requester of the incidents
    the integration opens: inactive, no usable password, no email (so no mail goes to it).
    Raises ValidationFailed (nothing saved) when the integration's fields are invalid.
    """
    if integration.pk is not None:
        raise ValueError("integration_provision is for new integrations only.")
    try:
        integration.full_clean(
            exclude=["reporter", "token_hash", "token_prefix", "token_rotated_at"]
        )
    except ValidationError as exc:
        raise _as_validation_failed(exc) from exc
    with transaction.atomic():
        reporter = User(
            username=f"alerts.{slugify(integration.name)[:100] or 'integration'}."
            f"{secrets.token_hex(3)}",
            first_name=integration.name[:150],
            last_name="(alert integration)",
            is_active=False,
        )
        reporter.set_unusable_password()
        reporter.save()
        integration.reporter = reporter
        token = _set_token(integration)
        integration.save()
    return token


def integration_create(
    *,
    name: str,
    kind: str,
    service: Service | None = None,
    support_group: SupportGroup | None = None,
    category: str = Category.OTHER,
    auto_resolve: bool = False,
    severity_label: str = "severity",
    severity_map: dict[str, Any] | None = None,
    max_new_incidents_per_minute: int = 20,
    service_label: str = "service",
    ci_label: str = "instance",
) -> tuple[Integration, str]:
    """Create an integration; return it with its secret (shown once, stored only hashed)."""
    integration = Integration(
        name=(name or "").strip(),
        kind=kind,
        service=service,
        support_group=support_group,
        category=category,
        auto_resolve=auto_resolve,
        severity_label=severity_label,
        severity_map=severity_map or {},
        max_new_incidents_per_minute=max_new_incidents_per_minute,
        service_label=service_label,
        ci_label=ci_label,
    )
    token = integration_provision(integration)
    return integration, token


def integration_rotate_token(*, integration: Integration) -> str:
    """Replace the secret; the old one stops working at once. Returns the new secret (once)."""
    with transaction.atomic():
        token = _set_token(integration)
        integration.save(update_fields=["token_hash", "token_prefix", "token_rotated_at"])
    return token


def integration_set_active(*, integration: Integration, is_active: bool) -> None:
    """Revoke (False) or restore (True) the integration's secret."""
    Integration.objects.filter(pk=integration.pk).update(is_active=is_active)
    integration.is_active = is_active


def integration_rename_reporter(*, integration: Integration) -> None:
    """Keep the reporter's display name the integration's name (after a rename)."""
    User.objects.filter(pk=integration.reporter_id).update(first_name=integration.name[:150])


def intake_log_record(
    *,
    integration: Integration,
    status_code: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    content_type: str = "",
    body: bytes = b"",
    body_size: int | None = None,
) -> IntakeLogEntry:
    """Keep a refused delivery in the integration's log; trim the log to the newest entries.

    Keeps ALERTS_INTAKE_LOG_KEEP entries per integration and the first
    ALERTS_INTAKE_LOG_BODY_BYTES of each body.
    """
    keep = max(1, settings.ALERTS_INTAKE_LOG_KEEP)
    excerpt_bytes = settings.ALERTS_INTAKE_LOG_BODY_BYTES
    excerpt = body[:excerpt_bytes].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    with transaction.atomic():
        entry = IntakeLogEntry.objects.create(
            integration=integration,
            received_at=timezone.now(),
            status_code=status_code,
            code=code,
            message=message[:2000],
            fields=fields or {},
            content_type=single_line_normalise(content_type)[:100],
            body_size=len(body) if body_size is None else body_size,
            body_excerpt=excerpt,
        )
        oldest_kept = (
            IntakeLogEntry.objects.filter(integration=integration)
            .order_by("-id")
            .values_list("id", flat=True)[keep - 1 : keep]
        )
        cutoff = list(oldest_kept)
        if cutoff:
            IntakeLogEntry.objects.filter(integration=integration, id__lt=cutoff[0]).delete()
    return entry
