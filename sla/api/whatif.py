"""/api/v1/sla-what-if/ (managers and admins): SLA what-if scenarios.

- GET / and POST / list and create scenarios (a draft of policy overrides, sla.whatif.draft);
- GET /{id}/ the scenario with its run's status and progress (done / total, percent);
- POST /{id}/run/ queues a run (202); POST /{id}/cancel/ stops it (409 when none runs);
- GET /{id}/results/ the before/after totals per kind, metric, priority and group (409 until a
  run is done); GET /{id}/flips/ the clocks that would flip, cursor-paginated.

Bad input is a 400 naming each field (draft errors by path, e.g.
`draft.overrides[0].calendar`), and nothing is stored.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.idempotency import idempotent
from core.api.permissions import HasTokenScope, IsManager
from core.api.views import ApiViewSet
from core.exceptions import DomainError
from sla.models_whatif import (
    WhatIfAggregate,
    WhatIfFlip,
    WhatIfScenario,
    WhatIfStatus,
)
from sla.whatif.exports import FLIP_FIELDS
from sla.whatif.selectors import flips_of, scenario_get_for_user, scenario_list_for_user
from sla.whatif.services import (
    ScenarioInput,
    scenario_cancel,
    scenario_create,
    scenario_run,
)

MANAGERS = [IsAuthenticated, HasTokenScope, IsManager]


class WhatIfScenarioInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    since = serializers.DateTimeField(help_text="Tickets created from (ISO date-time).")
    until = serializers.DateTimeField(help_text="Tickets created before (ISO date-time).")
    kinds = serializers.ListField(
        child=serializers.CharField(max_length=20), help_text='Kind names, e.g. ["incident"].'
    )
    support_group = serializers.IntegerField(required=False, allow_null=True)
    service = serializers.IntegerField(required=False, allow_null=True)
    priority = serializers.IntegerField(required=False, allow_null=True)
    draft = serializers.JSONField(
        help_text=(
            '{"overrides": [{"kind": "incident", "priority": 2, "service": null, '
            '"response_minutes": 30, "resolution_minutes": 240, "calendar": 1, '
            '"thresholds": [{"percent": 75, "action": "notify"}]}]}; fields left out keep the '
            "current policy's value."
        )
    )


class WhatIfScenarioOutputSerializer(serializers.ModelSerializer[WhatIfScenario]):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = WhatIfScenario
        fields = [
            "id",
            "name",
            "created_by",
            "created_at",
            "since",
            "until",
            "kinds",
            "support_group",
            "service",
            "priority",
            "draft",
            "status",
            "done",
            "total",
            "percent",
            "as_of",
            "queued_at",
            "started_at",
            "finished_at",
            "error",
        ]
        read_only_fields = fields


class WhatIfAggregateOutputSerializer(serializers.ModelSerializer[WhatIfAggregate]):
    class Meta:
        model = WhatIfAggregate
        fields = [
            "kind",
            "metric",
            "dimension",
            "key",
            "label",
            "before_met",
            "before_breached",
            "before_escalations",
            "after_met",
            "after_breached",
            "after_escalations",
        ]
        read_only_fields = fields


class WhatIfFlipOutputSerializer(serializers.ModelSerializer[WhatIfFlip]):
    class Meta:
        model = WhatIfFlip
        fields = ["id", *FLIP_FIELDS]
        read_only_fields = fields


class WhatIfScenarioViewSet(mixins.ListModelMixin, ApiViewSet):
    """SLA what-if scenarios: managers and admins only."""

    queryset = WhatIfScenario.objects.none()  # for the schema only; reads use the selector
    serializer_class = WhatIfScenarioOutputSerializer
    permission_classes = MANAGERS
    lookup_value_regex = r"[0-9]+"
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[WhatIfScenario]:
        return scenario_list_for_user(self.current_user())

    def get_object(self) -> WhatIfScenario:
        try:
            return scenario_get_for_user(self.current_user(), int(self.kwargs["pk"]))
        except WhatIfScenario.DoesNotExist:
            raise Http404("No such scenario.") from None

    @extend_schema(summary="List SLA what-if scenarios (managers)")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=WhatIfScenarioInputSerializer,
        responses={201: WhatIfScenarioOutputSerializer},
        summary="Create an SLA what-if scenario (managers)",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self.validated(WhatIfScenarioInputSerializer)
        scenario = scenario_create(actor=self.current_user(), data=ScenarioInput(**data))
        return self.render(scenario, status_code=status.HTTP_201_CREATED)

    @extend_schema(summary="One SLA what-if scenario with its run's status and progress")
    def retrieve(self, request: Request, pk: str) -> Response:
        return self.render(self.get_object())

    @extend_schema(
        request=None,
        responses={202: WhatIfScenarioOutputSerializer},
        summary="Run (or run again) a scenario in the background; 409 while it runs",
    )
    @action(detail=True, methods=["post"])
    def run(self, request: Request, pk: str) -> Response:
        scenario = scenario_run(scenario=self.get_object())
        return self.render(scenario, status_code=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses=WhatIfScenarioOutputSerializer,
        summary="Cancel a scenario's queued or running run; 409 when none is",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return self.render(scenario_cancel(scenario=self.get_object()))

    @extend_schema(
        responses=WhatIfAggregateOutputSerializer(many=True),
        summary="Before/after totals per kind, metric, priority and group; 409 until done",
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def results(self, request: Request, pk: str) -> Response:
        scenario = self._done()
        rows = WhatIfAggregate.objects.filter(scenario=scenario).order_by(
            "kind", "dimension", "key", "metric"
        )
        return Response(WhatIfAggregateOutputSerializer(rows, many=True).data)

    @extend_schema(
        responses=WhatIfFlipOutputSerializer(many=True),
        summary="The clocks the draft would flip (met to breached, breached to met)",
    )
    @action(detail=True, methods=["get"])
    def flips(self, request: Request, pk: str) -> Response:
        scenario = self._done()
        page = self.paginate_queryset(flips_of(scenario))
        assert page is not None
        return self.get_paginated_response(WhatIfFlipOutputSerializer(page, many=True).data)

    def _done(self) -> WhatIfScenario:
        scenario = self.get_object()
        if scenario.status != WhatIfStatus.DONE:
            raise DomainError(f"This scenario has no results: its run is {scenario.status}.")
        return scenario
