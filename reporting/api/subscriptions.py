"""/api/v1/reports/subscriptions/: a manager's weekly summary emails (list, create, delete)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.idempotency import idempotent
from core.api.permissions import HasTokenScope, IsManager
from core.api.serializers import InputSerializer, OutputModelSerializer
from core.api.views import ApiViewSet
from reporting.models import ReportSubscription, Weekday
from reporting.selectors import subscription_get_for_user, subscription_list_for_user
from reporting.services import subscription_create, subscription_delete


class ReportSubscriptionOutputSerializer(OutputModelSerializer):
    class Meta:
        model = ReportSubscription
        fields = ["id", "weekday", "hour", "filters", "last_sent_at", "created_at"]
        read_only_fields = fields


class ReportSubscriptionCreateInputSerializer(InputSerializer):
    weekday = serializers.ChoiceField(choices=Weekday.choices, help_text="0 = Monday.")
    hour = serializers.IntegerField(min_value=0, max_value=23, help_text="Site time zone.")
    filters = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        default=dict,
        help_text="kind, service, ci, group, tier, priority (as in the report query strings).",
    )


class ReportSubscriptionViewSet(mixins.ListModelMixin, ApiViewSet):
    """Your weekly summary emails (the last 7 days, sent on a weekday at an hour)."""

    queryset = ReportSubscription.objects.none()  # for the schema only; reads use the selector
    serializer_class = ReportSubscriptionOutputSerializer
    lookup_value_regex = r"[0-9]+"
    permission_classes = [IsAuthenticated, HasTokenScope, IsManager]

    def get_queryset(self) -> Any:
        return subscription_list_for_user(user=self.current_user())

    @extend_schema(
        request=ReportSubscriptionCreateInputSerializer,
        responses={201: ReportSubscriptionOutputSerializer},
        summary="Subscribe to a weekly summary email",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self.validated(ReportSubscriptionCreateInputSerializer)
        subscription = subscription_create(
            user=self.current_user(),
            weekday=data["weekday"],
            hour=data["hour"],
            filters=data["filters"],
        )
        return self.render(subscription, status_code=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, summary="Unsubscribe")
    def destroy(self, request: Request, pk: str) -> Response:
        user = self.current_user()
        subscription = subscription_get_for_user(user=user, pk=int(pk))
        subscription_delete(subscription=subscription, actor=user)
        return Response(status=status.HTTP_204_NO_CONTENT)
