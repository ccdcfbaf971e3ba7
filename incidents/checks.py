"""The priority matrix is validated at start-up (core.checks explains when checks run)."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from core.checks import SETTINGS_TAG
from incidents.priority import parse_matrix


@checks.register(SETTINGS_TAG)
def priority_matrix_check(
    app_configs: Sequence[Any] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """PRIORITY_MATRIX: valid JSON with every impact x urgency cell set to 1..5."""
    try:
        parse_matrix(settings.PRIORITY_MATRIX_JSON)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="incidents.E001")]
    return []
