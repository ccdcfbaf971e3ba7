"""The email channel's settings are validated at start-up (core.checks explains when checks
run): a zero or negative limit would hold every sender, refuse every message or poll in a loop."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core import checks

from core.checks import SETTINGS_TAG


@checks.register(SETTINGS_TAG)
def email_intake_settings_check(
    app_configs: Sequence[Any] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    # Setting: (its value, the smallest value that makes sense).
    limits = {
        "EMAIL_INTAKE_POLL_SECONDS": (settings.EMAIL_INTAKE_POLL_SECONDS, 5),
        "EMAIL_INTAKE_MAX_MESSAGE_BYTES": (settings.EMAIL_INTAKE_MAX_MESSAGE_BYTES, 1024),
        "EMAIL_INTAKE_MAX_ATTEMPTS": (settings.EMAIL_INTAKE_MAX_ATTEMPTS, 1),
        "EMAIL_INTAKE_SENDER_PER_MINUTE": (settings.EMAIL_INTAKE_SENDER_PER_MINUTE, 1),
        "EMAIL_INTAKE_NOTICE_HOURS": (settings.EMAIL_INTAKE_NOTICE_HOURS, 1),
        "EMAIL_INTAKE_IMAP_TIMEOUT_SECONDS": (settings.EMAIL_INTAKE_IMAP_TIMEOUT_SECONDS, 1),
        "EMAIL_INTAKE_FETCH_BATCH": (settings.EMAIL_INTAKE_FETCH_BATCH, 1),
        "EMAIL_INTAKE_FETCH_BYTES": (settings.EMAIL_INTAKE_FETCH_BYTES, 1024),
        "EMAIL_INTAKE_CLAIM_SECONDS": (settings.EMAIL_INTAKE_CLAIM_SECONDS, 10),
        "EMAIL_INTAKE_PROCESS_BATCH": (settings.EMAIL_INTAKE_PROCESS_BATCH, 1),
    }
    errors: list[checks.CheckMessage] = []
    for name, (value, minimum) in limits.items():
        if value < minimum:
            errors.append(
                checks.Error(
                    f"{name} must be at least {minimum}, not {value}.", id="email_intake.E001"
                )
            )
    return errors
