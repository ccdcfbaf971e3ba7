from django.apps import AppConfig


class SlaConfig(AppConfig):
    """SLA policies, calendars, clocks, the sweeper and escalation L1-L3."""

    name = "sla"
    verbose_name = "SLA"
