from typing import Any

from django.apps import AppConfig


def _sla_health() -> dict[str, Any]:
    from django.conf import settings

    from sla.sweeper import overdue_unprocessed

    stuck = overdue_unprocessed(grace_seconds=settings.SLA_AUDIT_GRACE_SECONDS)
    return {"ok": stuck == 0, "overdue_unprocessed_clocks": stuck}


class SlaConfig(AppConfig):
    """SLA policies, calendars, clocks, the sweeper and escalation L1-L3."""

    name = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        from core.health import register_check
        from core.tickets import clocks
        from sla.keeper import SlaClockKeeper
        from sla.services import POLICY_MEMO

        register_check("sla_sweeper", _sla_health)
        clocks.install(SlaClockKeeper())
        POLICY_MEMO.connect()
