"""System checks for settings that are parsed after start-up, and the gate that runs them.

A setting read once in config/settings.py fails start-up by itself (config/env.py). Some values
are only parsed when first used: the priority matrix on the first incident, the API rates on the
first API request, REPORTING_WORK_MEM on the first report. A bad one used to let the app start
and then answer 500 there. Each is validated by a check tagged SETTINGS_TAG, which
`manage.py check`, `migrate` (so `make run` and the compose `migrate` service) and `runstack`
run with every other check, and which the WSGI entry point runs itself (`settings_checks_enforce`),
because gunicorn runs no checks: a web app with a bad value refuses to start.
"""

import re
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.management.base import SystemCheckError

SETTINGS_TAG = "servicedesk_settings"

# DRF reads "<number>/<period>" and looks only at the period's first letter.
_RATE = re.compile(r"^[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)$")
_RATE_VARIABLES = {"api_user": "API_THROTTLE_USER", "api_anon": "API_THROTTLE_ANON"}


@checks.register(SETTINGS_TAG)
def api_rates_check(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[checks.CheckMessage]:
    """API_THROTTLE_USER / API_THROTTLE_ANON: empty (off) or a DRF rate such as 1200/minute."""
    rest_framework: dict[str, Any] = settings.REST_FRAMEWORK
    rates: dict[str, str | None] = rest_framework.get("DEFAULT_THROTTLE_RATES", {})
    errors: list[checks.CheckMessage] = []
    for scope, variable in _RATE_VARIABLES.items():
        rate = rates.get(scope)
        if rate is not None and not _RATE.match(rate):
            errors.append(
                checks.Error(
                    f"{variable} must be a rate such as 1200/minute (per second, minute, hour "
                    f"or day), or empty to switch the limit off, not {rate!r}.",
                    id="core.E101",
                )
            )
    return errors


def settings_checks_enforce() -> None:
    """Run the settings checks; raise SystemCheckError naming each bad setting."""
    errors = [message for message in checks.run_checks(tags=[SETTINGS_TAG]) if message.is_serious()]
    if errors:
        lines = "\n".join(f"  ({message.id}) {message.msg}" for message in errors)
        raise SystemCheckError(f"The service desk cannot start:\n{lines}")
