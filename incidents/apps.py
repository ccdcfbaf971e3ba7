from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents: the ITIL lifecycle, priority matrix, and their views."""

    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from core.tickets.actions import register_actions
        from core.tickets.kinds import register
        from incidents import (
            checks,  # noqa: F401 — registers the priority matrix check
            events,  # noqa: F401 — registers the descriptions of its events
        )
        from incidents.actions import INCIDENT_ACTIONS
        from incidents.kind import INCIDENT
        from incidents.services import DEFAULT_GROUP_MEMO

        register(INCIDENT)
        register_actions(INCIDENT, INCIDENT_ACTIONS)
        DEFAULT_GROUP_MEMO.connect()
