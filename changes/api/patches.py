"""/api/v1/patch-rollouts/<number>/ and /api/v1/reports/patch-exposure/.

A rollout is a change (read through the change kind's scoped selector, so one the caller may
not see is a 404, and so is a change that is not a patch rollout). Writes go through
changes.patches.services; replacing the patches takes `If-Match` with the change's ETag.
"""

from typing import Any

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from changes.api.patch_serializers import (
    AdvisoriesInputSerializer,
    ExposureOutputSerializer,
    PatchTargetOutputSerializer,
    RolloutOutputSerializer,
    TargetsInputSerializer,
    TargetStatusInputSerializer,
)
from changes.models import Change, PatchTarget
from changes.patches.cve import clean_cve
from changes.patches.selectors import (
    exposure_rows,
    is_patch_rollout,
    rollout_advisories,
    rollout_progress,
    rollout_targets,
)
from changes.patches.services import (
    rollout_add_targets,
    rollout_set_advisories,
    rollout_set_target_status,
)
from changes.selectors import change_get_for_user, change_list_for_user
from core.api import etag
from core.api.permissions import HasTokenScope, IsAgent
from core.api.views import ApiViewSet, TicketViewSet
from core.choices import Source
from core.exceptions import ValidationFailed

AGENTS = [IsAuthenticated, HasTokenScope, IsAgent]


def _rollout_data(change: Change) -> dict[str, Any]:
    patches: dict[str, list[str]] = {}
    for vendor, cve in rollout_advisories(change).values_list("vendor_id", "cve_id"):
        patches.setdefault(vendor, [])
        if cve:
            patches[vendor].append(cve)
    progress = rollout_progress(change)
    return {
        "number": change.number,
        "title": change.title,
        "status": change.status,
        "version": change.version,
        "planned_start": change.planned_start,
        "planned_end": change.planned_end,
        "patches": [{"vendor_id": v, "cve_ids": c} for v, c in patches.items()],
        "progress": {
            **progress.__dict__,
            "total": progress.total,
            "percent_done": progress.percent_done,
        },
        "targets": rollout_targets(change),
    }


class PatchRolloutViewSet(TicketViewSet):
    """A patch rollout's patches, configuration items and progress."""

    list_for_user = staticmethod(change_list_for_user)
    get_for_user = staticmethod(change_get_for_user)
    queryset = Change.objects.none()  # for the schema only
    serializer_class = RolloutOutputSerializer
    permission_classes = AGENTS

    def get_object(self) -> Change:
        change: Change = super().get_object()
        if not is_patch_rollout(change):
            raise Http404(f"{change.number} is not a patch rollout.")
        return change

    def _render(self, change: Change) -> Response:
        fresh = change_get_for_user(self.current_user(), change.number)
        response = Response(RolloutOutputSerializer(_rollout_data(fresh)).data)
        return etag.with_etag(response, fresh)

    @extend_schema(summary="A patch rollout: its patches, configuration items and progress")
    def retrieve(self, request: Request, number: str) -> Response:
        return self._render(self.get_object())

    @extend_schema(
        request=AdvisoriesInputSerializer,
        responses=RolloutOutputSerializer,
        summary="Replace the patches a rollout carries (If-Match: the change's ETag)",
    )
    @action(detail=True, methods=["put"], url_path="patches")
    def patches(self, request: Request, number: str) -> Response:
        change = self.get_object()
        data = self.validated(AdvisoriesInputSerializer)
        advisories = [(p["vendor_id"], p["cve_ids"]) for p in data["patches"]]
        rollout_set_advisories(
            change,
            actor=self.current_user(),
            advisories=advisories,
            source=Source.API,
            expected_version=self.expected_version(change),
        )
        return self._render(change)

    @extend_schema(
        request=TargetsInputSerializer,
        responses=RolloutOutputSerializer,
        summary="Add configuration items to a rollout (each starts pending)",
    )
    @action(detail=True, methods=["post"], url_path="targets")
    def targets(self, request: Request, number: str) -> Response:
        change = self.get_object()
        data = self.validated(TargetsInputSerializer)
        rollout_add_targets(
            change,
            actor=self.current_user(),
            configuration_items=data["configuration_items"],
            source=Source.API,
        )
        return self._render(change)

    @extend_schema(
        request=TargetStatusInputSerializer,
        responses=PatchTargetOutputSerializer,
        summary="Record how the rollout went on one configuration item",
    )
    @action(detail=True, methods=["post"], url_path="target-status")
    def target_status(self, request: Request, number: str) -> Response:
        change = self.get_object()
        data = self.validated(TargetStatusInputSerializer)
        target = rollout_set_target_status(
            change,
            actor=self.current_user(),
            configuration_item=data["configuration_item"],
            status=data["status"],
            note=data["note"],
            source=Source.API,
        )
        return Response(PatchTargetOutputSerializer(target).data, status=status.HTTP_200_OK)


class ExposurePagination(LimitOffsetPagination):
    """The report's rows are aggregates, not tickets: limit and offset (up to
    API_MAX_PAGE_SIZE rows a page)."""

    @property
    def max_limit(self) -> int:  # type: ignore[override]
        return int(settings.API_MAX_PAGE_SIZE)


class PatchExposureViewSet(ApiViewSet):
    """The configuration items still exposed, one row per CVE and item."""

    queryset = PatchTarget.objects.none()  # for the schema only; rows come from the selector
    serializer_class = ExposureOutputSerializer
    permission_classes = AGENTS
    pagination_class = ExposurePagination

    @extend_schema(
        summary="Configuration items still exposed, per CVE",
        parameters=[
            OpenApiParameter("cve", str, description="Only this CVE (CVE-2024-3094)."),
            OpenApiParameter("service", int, description="Only items of this service id."),
        ],
    )
    def list(self, request: Request) -> Response:
        raw_cve = request.query_params.get("cve", "").strip()
        cve = clean_cve(raw_cve) if raw_cve else ""
        if cve is None:
            raise ValidationFailed({"cve": "Give a CVE id like CVE-2024-3094."})
        raw_service = request.query_params.get("service", "").strip()
        if raw_service and not raw_service.isdigit():
            raise ValidationFailed({"service": "Give a service id."})
        rows = exposure_rows(cve=cve, service_id=int(raw_service) if raw_service else None)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ExposureOutputSerializer(page, many=True).data)
