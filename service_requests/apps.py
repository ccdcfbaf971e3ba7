from django.apps import AppConfig


class ServiceRequestsConfig(AppConfig):
    """Service requests: catalog, forms, approvals, fulfilment. Label `requests` (DESIGN.md §3)."""

    name = "service_requests"
    label = "requests"
    verbose_name = "Service requests"

    def ready(self) -> None:
        from core.tickets.actions import register_actions
        from core.tickets.kinds import register
        from service_requests import events  # noqa: F401 — registers the descriptions of its events
        from service_requests.actions import REQUEST_ACTIONS, SYSTEM_ONLY
        from service_requests.filtersets import CATALOG_ITEMS_MEMO
        from service_requests.forms import CATALOG_OPTIONS_MEMO
        from service_requests.kind import SERVICE_REQUEST
        from service_requests.selectors import CATALOG_FIELDS_MEMO

        register(SERVICE_REQUEST)
        register_actions(SERVICE_REQUEST, REQUEST_ACTIONS, system_only=SYSTEM_ONLY)
        CATALOG_ITEMS_MEMO.connect()
        CATALOG_OPTIONS_MEMO.connect()
        CATALOG_FIELDS_MEMO.connect()
