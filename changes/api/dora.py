"""GET /api/v1/reports/dora/?since=&until=&service=&group=: the four DORA figures per service,
per team and overall (changes.dora). Like every report: managers and admins (403 otherwise),
tokens need `read`, bad parameters are a 400 naming each one and nothing is computed."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from changes.dora import dora_for_params
from core.api.permissions import HasTokenScope, IsManager
from core.read_replica import replica_reads


class DoraFiguresOutputSerializer(serializers.Serializer):
    changes = serializers.IntegerField(help_text="Changes implemented (deployments included).")
    deployments = serializers.IntegerField(help_text="Deployments in the counted environments.")
    deployments_per_day = serializers.FloatField(source="per_day")
    deployments_per_week = serializers.FloatField(source="per_week")
    deployment_frequency_band = serializers.CharField(
        source="band", help_text="elite, high, medium or low"
    )
    lead_time_median_seconds = serializers.FloatField(source="lead_time_median", allow_null=True)
    lead_time_count = serializers.IntegerField(help_text="Deployments with a commit time.")
    failed_changes = serializers.IntegerField(source="failed")
    change_failure_rate = serializers.FloatField(allow_null=True)
    time_to_restore_median_seconds = serializers.FloatField(
        source="restore_median", allow_null=True
    )
    restore_count = serializers.IntegerField(help_text="Failure incidents restored.")


class DoraServiceOutputSerializer(serializers.Serializer):
    service_id = serializers.IntegerField()
    name = serializers.CharField()
    group_id = serializers.IntegerField()
    group = serializers.CharField()
    figures = DoraFiguresOutputSerializer()


class DoraTeamOutputSerializer(serializers.Serializer):
    group_id = serializers.IntegerField()
    name = serializers.CharField()
    figures = DoraFiguresOutputSerializer()


class DoraReportOutputSerializer(serializers.Serializer):
    since = serializers.DateTimeField(source="start")
    until = serializers.DateTimeField(source="end", help_text="Exclusive.")
    failure_window_hours = serializers.IntegerField(source="window_hours")
    environments = serializers.ListField(child=serializers.CharField())
    overall = DoraFiguresOutputSerializer()
    services = DoraServiceOutputSerializer(many=True)
    teams = DoraTeamOutputSerializer(many=True)


class DoraReportView(APIView):
    permission_classes = [IsAuthenticated, HasTokenScope, IsManager]

    @extend_schema(
        operation_id="reports_dora",
        summary="DORA figures per service and team: deployment frequency, lead time for "
        "changes, change failure rate, time to restore service",
        parameters=[
            OpenApiParameter("since", OpenApiTypes.STR, description="Date or ISO date-time."),
            OpenApiParameter("until", OpenApiTypes.STR, description="Date (inclusive) or ISO."),
            OpenApiParameter("service", OpenApiTypes.INT, description="Service id."),
            OpenApiParameter("group", OpenApiTypes.INT, description="Team (support group) id."),
        ],
        responses={200: DoraReportOutputSerializer},
        tags=["reports"],
    )
    def get(self, request: Request) -> Response:
        # After authentication (on the primary): the figures may come from the replica.
        with replica_reads():
            data = DoraReportOutputSerializer(dora_for_params(request.query_params)).data
        return Response(data)
