from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents: the ITIL lifecycle, priority matrix, and their views."""

    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from core.tickets.kinds import register as register_kind
        from incidents.kind import INCIDENT
        from incidents.services import DEFAULT_GROUP_MEMO
        from incidents.sla_adapter import ADAPTER
        from sla.registry import register

        register_kind(INCIDENT)
        register(ADAPTER)
        DEFAULT_GROUP_MEMO.connect()
