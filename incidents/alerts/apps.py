from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Monitoring alert intake: integrations, payload parsing, deduplication into incidents."""

    name = "incidents.alerts"
    label = "alerts"
    verbose_name = "Alert intake"
