"""Patch API routes, mounted under /api/v1/: `patch-rollouts-detail`, `patch-rollouts-patches`,
`patch-rollouts-targets`, `patch-rollouts-target-status`, `patch-exposure-list`."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from changes.api.patches import PatchExposureViewSet, PatchRolloutViewSet

router = SimpleRouter()
router.register("patch-rollouts", PatchRolloutViewSet, basename="patch-rollouts")
router.register("reports/patch-exposure", PatchExposureViewSet, basename="patch-exposure")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
