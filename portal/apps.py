from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The requester's portal home and "My tickets", across every ticket kind the registry
    holds with a portal declaration (core.tickets.portal_spec). Imports no domain app."""

    name = "portal"
    verbose_name = "Portal"
