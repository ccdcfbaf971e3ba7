"""/api/v1/change-templates/: agents read the standard-change templates (the active ones unless
`state` says otherwise); managers create, change, retire and reactivate them through
changes.calendar.change_templates (403 for anyone else, checked before the body; 400 with the
fields on bad input, and nothing stored). Templates are never deleted: retire one instead, and
the changes opened from it keep their link."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from changes.api.serializers import TEXT_MAX, ChangeTemplateOutputSerializer
from changes.calendar.change_templates import change_template_save, change_template_set_active
from changes.calendar.filtersets import ChangeTemplateFilterSet
from changes.calendar.freeze import MAX_NAME, require_calendar_manager
from changes.choices import ChangeImpact, Risk
from changes.models import ChangeTemplate
from changes.selectors import change_templates_for_user
from core.api.idempotency import idempotent
from core.api.permissions import HasTokenScope, IsAgent
from core.api.serializers import InputSerializer
from core.api.views import ApiViewSet
from core.models import Service

AGENTS = [IsAuthenticated, HasTokenScope, IsAgent]
FIELDS = (
    "name",
    "description",
    "service",
    "risk",
    "impact",
    "implementation_plan",
    "test_plan",
    "backout_plan",
    "is_patch",
)


class ChangeTemplateInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=MAX_NAME)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=TEXT_MAX
    )
    service: serializers.PrimaryKeyRelatedField[Service] = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="An active service's id, or null: a template for any service.",
    )
    risk = serializers.ChoiceField(Risk.choices, required=False, default=Risk.LOW)
    impact = serializers.ChoiceField(
        ChangeImpact.choices, required=False, default=ChangeImpact.NONE
    )
    implementation_plan = serializers.CharField(max_length=TEXT_MAX)
    test_plan = serializers.CharField(max_length=TEXT_MAX)
    backout_plan = serializers.CharField(max_length=TEXT_MAX)
    is_patch = serializers.BooleanField(
        required=False,
        default=False,
        help_text="A patch rollout template: its changes carry patches and per-CI statuses.",
    )


class ChangeTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Standard-change templates: pre-approved changes a standard change is raised from."""

    queryset = ChangeTemplate.objects.none()  # for the schema only; reads use the selector
    serializer_class = ChangeTemplateOutputSerializer
    filterset_class = ChangeTemplateFilterSet
    permission_classes = AGENTS
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[ChangeTemplate]:
        return change_templates_for_user(self.current_user())

    def get_object(self) -> ChangeTemplate:
        template = self.get_queryset().filter(pk=int(self.kwargs["pk"])).first()
        if template is None:
            raise Http404("No such change template.")
        return template

    @extend_schema(summary="List the change templates (agents; the active ones by default)")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One change template (agents)")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=ChangeTemplateInputSerializer,
        responses={201: ChangeTemplateOutputSerializer},
        summary="Create a change template (managers)",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        actor = require_calendar_manager(self.current_user())
        data = self.validated(ChangeTemplateInputSerializer)
        saved = change_template_save(template=None, data=data, actor=actor)
        self.kwargs["pk"] = saved.pk
        return self.render(self.get_object(), status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=ChangeTemplateInputSerializer,
        responses=ChangeTemplateOutputSerializer,
        summary="Change some fields of a change template (managers)",
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        actor = require_calendar_manager(self.current_user())
        template = self.get_object()
        serializer = ChangeTemplateInputSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = {
            **{name: getattr(template, name) for name in FIELDS},
            **serializer.validated_data,
        }
        change_template_save(template=template, data=data, actor=actor)
        return self.render(self.get_object())

    @extend_schema(
        request=None,
        responses=ChangeTemplateOutputSerializer,
        summary="Retire a change template: it opens no new change (managers)",
    )
    @action(detail=True, methods=["post"])
    def retire(self, request: Request, pk: str) -> Response:
        return self._set_active(active=False)

    @extend_schema(
        request=None,
        responses=ChangeTemplateOutputSerializer,
        summary="Reactivate a retired change template (managers)",
    )
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: str) -> Response:
        return self._set_active(active=True)

    def _set_active(self, *, active: bool) -> Response:
        actor = require_calendar_manager(self.current_user())
        change_template_set_active(template=self.get_object(), active=active, actor=actor)
        return self.render(self.get_object())
