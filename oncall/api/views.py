"""/api/v1/oncall/: schedules (with layers), layers, overrides and who is on call. Agents read;
writes go through oncall.services, which let admins and the group's manager change schedules,
and the group's agents and manager cover shifts (403 otherwise)."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.idempotency import idempotent
from core.api.permissions import HasTokenScope, IsAgent
from core.api.views import ApiViewSet
from oncall.api.serializers import (
    LayerInputSerializer,
    LayerOutputSerializer,
    OnCallOutputSerializer,
    OnCallQuerySerializer,
    OverrideInputSerializer,
    OverrideOutputSerializer,
    ScheduleInputSerializer,
    ScheduleOutputSerializer,
)
from oncall.filtersets import OverrideFilterSet, ScheduleFilterSet
from oncall.models import Override, RotationLayer, Schedule
from oncall.selectors import on_call_for_group, schedule_get, schedule_list
from oncall.services import (
    layer_delete,
    layer_save,
    override_create,
    override_delete,
    schedule_delete,
    schedule_save,
)

AGENTS = [IsAuthenticated, HasTokenScope, IsAgent]


class ScheduleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """On-call schedules with their layers (members in rotation order)."""

    queryset = Schedule.objects.none()  # for the schema only; reads use the selector
    serializer_class = ScheduleOutputSerializer
    filterset_class = ScheduleFilterSet
    permission_classes = AGENTS
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Schedule]:
        return schedule_list(window=(timezone.now(), timezone.now())).order_by("name", "pk")

    def get_object(self) -> Schedule:
        return schedule_get(int(self.kwargs["pk"]), window=(timezone.now(), timezone.now()))

    @extend_schema(summary="List on-call schedules")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One on-call schedule with its layers")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=ScheduleInputSerializer,
        responses={201: ScheduleOutputSerializer},
        summary="Add a schedule (admins and the group's manager)",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self.validated(ScheduleInputSerializer)
        saved = schedule_save(schedule=None, data=data, actor=self.current_user())
        return self.render(self._fresh(saved.pk), status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=ScheduleInputSerializer,
        responses=ScheduleOutputSerializer,
        summary="Change some fields of a schedule (admins and the group's manager)",
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        schedule = self.get_object()
        serializer = ScheduleInputSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        schedule_save(
            schedule=schedule, data=dict(serializer.validated_data), actor=self.current_user()
        )
        return self.render(self._fresh(schedule.pk))

    @extend_schema(responses={204: None}, summary="Delete a schedule with its layers and overrides")
    def destroy(self, request: Request, pk: str) -> Response:
        schedule_delete(schedule=self.get_object(), actor=self.current_user())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _fresh(self, pk: int) -> Schedule:
        return schedule_get(pk, window=(timezone.now(), timezone.now()))


class LayerViewSet(mixins.RetrieveModelMixin, ApiViewSet):
    """Rotation layers of a schedule (listed with their schedule)."""

    queryset = RotationLayer.objects.none()
    serializer_class = LayerOutputSerializer
    permission_classes = AGENTS
    lookup_value_regex = r"[0-9]+"
    filter_backends: list[Any] = []

    def get_object(self) -> RotationLayer:
        layer = (
            RotationLayer.objects.select_related("schedule__support_group")
            .prefetch_related("memberships")
            .filter(pk=int(self.kwargs["pk"]))
            .first()
        )
        if layer is None:
            raise Http404("No such layer.")
        return layer

    @extend_schema(summary="One rotation layer")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=LayerInputSerializer,
        responses={201: LayerOutputSerializer},
        summary="Add a layer to a schedule (admins and the group's manager)",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self.validated(LayerInputSerializer)
        schedule = data.pop("schedule")
        layer = layer_save(schedule=schedule, layer=None, data=data, actor=self.current_user())
        self.kwargs["pk"] = layer.pk
        return self.render(self.get_object(), status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=LayerInputSerializer,
        responses=LayerOutputSerializer,
        summary="Change some fields of a layer (admins and the group's manager)",
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        layer = self.get_object()
        serializer = LayerInputSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("schedule", None)  # a layer stays in its schedule
        layer_save(schedule=layer.schedule, layer=layer, data=data, actor=self.current_user())
        return self.render(self.get_object())

    @extend_schema(responses={204: None}, summary="Delete a layer")
    def destroy(self, request: Request, pk: str) -> Response:
        layer_delete(layer=self.get_object(), actor=self.current_user())
        return Response(status=status.HTTP_204_NO_CONTENT)


class OverrideViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Overrides: a person on call for a schedule in a window, whoever the layers name."""

    queryset = Override.objects.none()
    serializer_class = OverrideOutputSerializer
    filterset_class = OverrideFilterSet
    permission_classes = AGENTS
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Override]:
        return Override.objects.select_related("schedule__support_group").order_by("start", "pk")

    def get_object(self) -> Override:
        override = self.get_queryset().filter(pk=int(self.kwargs["pk"])).first()
        if override is None:
            raise Http404("No such override.")
        return override

    @extend_schema(summary="List overrides")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One override")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=OverrideInputSerializer,
        responses={201: OverrideOutputSerializer},
        summary="Cover a shift (the group's agents, its manager, admins)",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self.validated(OverrideInputSerializer)
        override = override_create(actor=self.current_user(), **data)
        return self.render(override, status_code=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, summary="Remove an override")
    def destroy(self, request: Request, pk: str) -> Response:
        override_delete(override=self.get_object(), actor=self.current_user())
        return Response(status=status.HTTP_204_NO_CONTENT)


class OnCallNowViewSet(ApiViewSet):
    """Who is on call now (or at `at`) on every schedule, or a group's."""

    permission_classes = AGENTS
    serializer_class = OnCallOutputSerializer
    filter_backends: list[Any] = []
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("group", int, description="A support group's id"),
            OpenApiParameter("at", str, description="An instant (ISO 8601); default now"),
        ],
        responses=OnCallOutputSerializer(many=True),
        summary="Who is on call now or at an instant",
    )
    def list(self, request: Request) -> Response:
        query = self.validated(OnCallQuerySerializer, request.query_params)
        found = on_call_for_group(query.get("group"), query.get("at") or timezone.now())
        return Response(OnCallOutputSerializer(found, many=True).data)
