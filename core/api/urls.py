"""REST API routes of core, mounted under /api/v1/ by config/api_urls.py.

URL names are `<basename>-<action>` from the router (e.g. `tokens-list`, `tokens-detail`).
Reference resources (core.api.reference): `services-list|detail`,
`configuration-items-list|detail`, `support-groups-list|detail`, `users-list|detail|me`.
"""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from core.api.reference import (
    ConfigurationItemViewSet,
    ServiceViewSet,
    SupportGroupViewSet,
    UserViewSet,
)
from core.api.token_api import ApiTokenViewSet

router = SimpleRouter()
router.register("tokens", ApiTokenViewSet, basename="tokens")
router.register("services", ServiceViewSet, basename="services")
router.register("configuration-items", ConfigurationItemViewSet, basename="configuration-items")
router.register("support-groups", SupportGroupViewSet, basename="support-groups")
router.register("users", UserViewSet, basename="users")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
