from django.apps import AppConfig


class ServiceRequestsConfig(AppConfig):
    """Service requests: catalog, forms, approvals, fulfilment. Label `requests` (DESIGN.md §3)."""

    name = "service_requests"
    label = "requests"
    verbose_name = "Service requests"

    def ready(self) -> None:
        from core.tickets.kinds import register
        from service_requests import events  # noqa: F401 — registers the descriptions of its events
        from service_requests.kind import SERVICE_REQUEST

        register(SERVICE_REQUEST)
