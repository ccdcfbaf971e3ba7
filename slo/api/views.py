"""/api/v1/slos/: objectives with their budget, burn rates and alerts computed now (agents
read), the budget over time (`history`), and writes for managers through slo.services."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.idempotency import idempotent
from core.api.permissions import HasTokenScope, IsAgent
from core.api.views import ApiViewSet
from slo.api.serializers import (
    ObjectiveInputSerializer,
    SloHistoryOutputSerializer,
    SloOutputSerializer,
)
from slo.filtersets import ObjectiveFilterSet
from slo.models import Objective
from slo.selectors import budget_history, objective_get, objective_list, objective_statuses
from slo.services import objective_create, objective_delete, objective_update

AGENTS = [IsAuthenticated, HasTokenScope, IsAgent]


class SloViewSet(mixins.ListModelMixin, ApiViewSet):
    """Service level objectives: the budget of each over its window, burn rates over 5 min to
    3 days and the multiwindow alerts holding now, computed in the database when read."""

    queryset = Objective.objects.none()  # for the schema only; reads use the selector
    serializer_class = SloOutputSerializer
    filterset_class = ObjectiveFilterSet
    permission_classes = AGENTS
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Objective]:
        return objective_list().order_by("pk")

    def get_object(self) -> Objective:
        try:
            return objective_get(int(self.kwargs["pk"]))
        except Objective.DoesNotExist:
            raise Http404("No such objective.") from None

    def _status(self, objective: Objective) -> Response:
        (found,) = objective_statuses([objective])
        return self.render(found)

    @extend_schema(summary="List objectives with their budgets and burn rates")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        statuses = objective_statuses(list(page or []))
        data = SloOutputSerializer(statuses, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(summary="One objective with its budget, burn rates and alerts")
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._status(self.get_object())

    @extend_schema(
        responses=SloHistoryOutputSerializer,
        summary="The budget left at the end of each day of the objective's window, and now",
    )
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str) -> Response:
        objective = self.get_object()
        body = {"id": objective.pk, "points": budget_history(objective)}
        return self.render(body, SloHistoryOutputSerializer)

    @extend_schema(
        request=ObjectiveInputSerializer,
        responses={201: SloOutputSerializer},
        summary="Define an objective (managers)",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self.validated(ObjectiveInputSerializer)
        saved = objective_create(actor=self.current_user(), data=data)
        (found,) = objective_statuses([objective_get(saved.pk)])
        return self.render(found, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=ObjectiveInputSerializer,
        responses=SloOutputSerializer,
        summary="Change some fields of an objective (managers)",
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        objective = self.get_object()
        serializer = ObjectiveInputSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        objective_update(
            objective=objective, actor=self.current_user(), data=dict(serializer.validated_data)
        )
        return self._status(objective_get(objective.pk))

    @extend_schema(responses={204: None}, summary="Delete an objective and its alert history")
    def destroy(self, request: Request, pk: str) -> Response:
        objective_delete(objective=self.get_object(), actor=self.current_user())
        return Response(status=status.HTTP_204_NO_CONTENT)
