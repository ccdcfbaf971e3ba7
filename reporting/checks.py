"""REPORTING_WORK_MEM is validated at start-up (core.checks explains when checks run)."""

from collections.abc import Sequence
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from core.checks import SETTINGS_TAG
from reporting.sql import report_work_mem


@checks.register(SETTINGS_TAG)
def work_mem_check(app_configs: Sequence[Any] | None, **kwargs: Any) -> list[checks.CheckMessage]:
    """REPORTING_WORK_MEM: a PostgreSQL memory size such as 64MB."""
    try:
        report_work_mem()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="reporting.E001")]
    return []
