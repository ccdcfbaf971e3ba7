from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents: the ITIL lifecycle, priority matrix, and their views."""

    name = "incidents"
    verbose_name = "Incidents"
