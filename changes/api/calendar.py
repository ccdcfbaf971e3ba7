"""/api/v1/change-freeze-windows/: agents read the freeze windows; managers add, change and
delete them through changes.calendar.freeze (403 for anyone else, 400 with the fields on bad
input, and nothing stored)."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from changes.calendar.filtersets import FreezeWindowFilterSet
from changes.calendar.freeze import freeze_window_delete, freeze_window_save
from changes.models import FreezeWindow
from core.api.idempotency import idempotent
from core.api.permissions import HasTokenScope, IsAgent
from core.api.serializers import InputSerializer, OutputModelSerializer
from core.api.views import ApiViewSet
from core.models import Service

AGENTS = [IsAuthenticated, HasTokenScope, IsAgent]


class FreezeWindowOutputSerializer(OutputModelSerializer):
    services: serializers.PrimaryKeyRelatedField[Service] = serializers.PrimaryKeyRelatedField(
        many=True,
        read_only=True,
        help_text="The services it freezes; empty: every service (a global freeze).",
    )

    class Meta:
        model = FreezeWindow
        fields = [
            "id",
            "name",
            "reason",
            "starts_at",
            "ends_at",
            "services",
            "created_by",
            "created_at",
        ]


class FreezeWindowInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=120)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    services: serializers.PrimaryKeyRelatedField[Service] = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Service.objects.all(),
        required=False,
        default=list,
        help_text="Service ids; empty or left out: every service.",
    )


class FreezeWindowViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Freeze windows: times when changes should not run, on some services or all of them."""

    queryset = FreezeWindow.objects.none()  # for the schema only
    serializer_class = FreezeWindowOutputSerializer
    filterset_class = FreezeWindowFilterSet
    permission_classes = AGENTS
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[FreezeWindow]:
        return FreezeWindow.objects.prefetch_related("services").order_by("starts_at", "pk")

    def get_object(self) -> FreezeWindow:
        window = self.get_queryset().filter(pk=int(self.kwargs["pk"])).first()
        if window is None:
            raise Http404("No such freeze window.")
        return window

    @extend_schema(summary="List freeze windows")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One freeze window")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=FreezeWindowInputSerializer,
        responses={201: FreezeWindowOutputSerializer},
        summary="Add a freeze window (managers)",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self.validated(FreezeWindowInputSerializer)
        saved = freeze_window_save(window=None, data=data, actor=self.current_user())
        self.kwargs["pk"] = saved.pk
        return self.render(self.get_object(), status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=FreezeWindowInputSerializer,
        responses=FreezeWindowOutputSerializer,
        summary="Change some fields of a freeze window (managers)",
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        window = self.get_object()
        serializer = FreezeWindowInputSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = {
            "name": window.name,
            "reason": window.reason,
            "starts_at": window.starts_at,
            "ends_at": window.ends_at,
            "services": list(window.services.all()),
            **serializer.validated_data,
        }
        freeze_window_save(window=window, data=data, actor=self.current_user())
        return self.render(self.get_object())

    @extend_schema(responses={204: None}, summary="Delete a freeze window (managers)")
    def destroy(self, request: Request, pk: str) -> Response:
        freeze_window_delete(window=self.get_object(), actor=self.current_user())
        return Response(status=status.HTTP_204_NO_CONTENT)
