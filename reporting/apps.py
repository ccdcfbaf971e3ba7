from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Read-only metrics (MTTR, MTTA, MTBF, SLA compliance), dashboards and exports."""

    name = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        from reporting import checks  # noqa: F401 — registers the REPORTING_WORK_MEM check
