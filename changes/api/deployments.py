"""/api/v1/deployments/: CI/CD pipelines report deployments; agents list and read them.

POST needs a token with the `deployments` scope (a CI job's token can do nothing else) whose
user is an agent; GET needs `read`. A report is recorded as an implemented standard change
(changes.deployments): 201 with the deployment the first time, 200 with the same deployment
when the idempotency key was seen before with the same content, 422 `idempotency_key_reused`
when the key was used for another report. Bad input is a 400 naming each field; nothing is
stored.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from changes.deployment_filters import DeploymentFilterSet
from changes.deployments import (
    DeploymentKeyReusedError,
    deployment_get_for_user,
    deployment_list_for_user,
    deployment_record,
    deployment_report_clean,
)
from changes.models import Deployment
from core.api.errors import UnprocessableRequest
from core.api.idempotency import HEADER
from core.api.permissions import HasTokenScope, IsAgent
from core.api.views import ApiViewSet
from core.models import ApiTokenScope, Service


@extend_schema_field(OpenApiTypes.STR)
class ServiceReferenceField(serializers.Field):
    """A service by its id (42 or "42") or its exact name ("Payments", case-insensitive)."""

    def to_internal_value(self, data: Any) -> Service:
        if isinstance(data, bool) or not isinstance(data, int | str):
            raise serializers.ValidationError("Give the service's id or its name.")
        text = str(data).strip()
        if not text:
            raise serializers.ValidationError("Give the service's id or its name.")
        found = (
            Service.objects.filter(pk=int(text)).first()
            if text.isdigit()
            else Service.objects.filter(name__iexact=text).first()
        )
        if found is None:
            raise serializers.ValidationError(f"There is no service '{text}'.")
        return found

    def to_representation(self, value: Service) -> Any:
        return value.pk


class DeploymentInputSerializer(serializers.Serializer):
    """What a pipeline sends. The idempotency key may come in the body or as the
    Idempotency-Key header (the same key in both, if both are given)."""

    idempotency_key = serializers.CharField(required=False, allow_blank=True, max_length=255)
    service = ServiceReferenceField()
    version = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=1000)
    environment = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    deployed_at = serializers.DateTimeField()
    committed_at = serializers.DateTimeField(required=False, allow_null=True)
    commit_sha = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    url = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ServiceBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DeploymentOutputSerializer(serializers.ModelSerializer):
    change = serializers.CharField(source="change.number", help_text="The change's number.")
    service = ServiceBriefSerializer()
    lead_time_seconds = serializers.SerializerMethodField(
        help_text="Seconds from the commit to the deployment (null without a commit time)."
    )

    class Meta:
        model = Deployment
        fields = [
            "id",
            "change",
            "service",
            "version",
            "environment",
            "deployed_at",
            "committed_at",
            "commit_sha",
            "url",
            "idempotency_key",
            "lead_time_seconds",
        ]

    def get_lead_time_seconds(self, deployment: Deployment) -> float | None:
        if deployment.committed_at is None:
            return None
        return (deployment.deployed_at - deployment.committed_at).total_seconds()


class DeploymentViewSet(mixins.ListModelMixin, ApiViewSet):
    """Deployments reported by CI/CD, newest first."""

    queryset = Deployment.objects.none()  # for the schema only; reads use the selector
    serializer_class = DeploymentOutputSerializer
    filterset_class = DeploymentFilterSet
    permission_classes = [IsAuthenticated, HasTokenScope, IsAgent]
    required_scope = {"POST": ApiTokenScope.DEPLOYMENTS, "GET": ApiTokenScope.READ}
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Deployment]:
        return deployment_list_for_user(self.current_user()).order_by("-deployed_at", "-id")

    def get_object(self) -> Deployment:
        try:
            return deployment_get_for_user(self.current_user(), int(self.kwargs["pk"]))
        except Deployment.DoesNotExist as exc:
            raise Http404("No such deployment.") from exc

    @extend_schema(summary="List deployments, newest first")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One deployment")
    def retrieve(self, request: Request, pk: str) -> Response:
        return self.render(self.get_object())

    @extend_schema(
        request=DeploymentInputSerializer,
        responses={201: DeploymentOutputSerializer, 200: DeploymentOutputSerializer},
        parameters=[
            OpenApiParameter(
                HEADER,
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="The idempotency key, if not in the body: the pipeline's run id "
                "and the commit sha. A retry with the same key records nothing new.",
            )
        ],
        summary="Report a deployment (recorded as an implemented standard change)",
    )
    def create(self, request: Request) -> Response:
        data = self.validated(DeploymentInputSerializer)
        key = _idempotency_key(request, data.get("idempotency_key") or "")
        report = deployment_report_clean(
            idempotency_key=key,
            service=data["service"],
            version=data["version"],
            environment=data.get("environment"),
            deployed_at=data["deployed_at"],
            committed_at=data.get("committed_at"),
            commit_sha=data.get("commit_sha"),
            url=data.get("url"),
        )
        try:
            recorded = deployment_record(actor=self.current_user(), report=report)
        except DeploymentKeyReusedError as exc:
            raise UnprocessableRequest(str(exc), code="idempotency_key_reused") from exc
        code = status.HTTP_201_CREATED if recorded.created else status.HTTP_200_OK
        return self.render(recorded.deployment, status_code=code)


def _idempotency_key(request: Request, in_body: str) -> str:
    in_header = (request.headers.get(HEADER) or "").strip()
    in_body = in_body.strip()
    if in_header and in_body and in_header != in_body:
        raise serializers.ValidationError(
            {"idempotency_key": ["The body and the Idempotency-Key header name different keys."]}
        )
    return in_body or in_header
