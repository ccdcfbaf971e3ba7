from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Read-only metrics (MTTR, MTTA, MTBF, SLA compliance), dashboards and exports."""

    name = "reporting"
    verbose_name = "Reporting"
