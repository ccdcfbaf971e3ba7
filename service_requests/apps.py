from django.apps import AppConfig


class ServiceRequestsConfig(AppConfig):
    """Service requests: catalog, forms, approvals, fulfilment. Label `requests` (DESIGN.md §3)."""

    name = "service_requests"
    label = "requests"
    verbose_name = "Service requests"

    def ready(self) -> None:
        from service_requests.sla_adapter import ADAPTER
        from sla.registry import register

        register(ADAPTER)
