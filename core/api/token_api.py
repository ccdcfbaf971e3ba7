"""/api/v1/tokens/: a user's own personal API tokens.

List and revoke work with a token or the session; creating one needs the browser session (a
token must not mint more tokens) and returns the secret once, in the 201 response only.
"""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.idempotency import idempotent
from core.api.permissions import HasTokenScope, IsSessionAuthenticated
from core.api.serializers import InputSerializer, OutputModelSerializer
from core.api.tokens import api_token_create, api_token_list_for_user, api_token_revoke
from core.api.views import ApiViewSet
from core.models import ApiToken, ApiTokenScope


class ApiTokenOutputSerializer(OutputModelSerializer):
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "is_active",
        ]
        read_only_fields = fields

    def get_is_active(self, obj: ApiToken) -> bool:
        from django.utils import timezone

        return obj.revoked_at is None and (
            obj.expires_at is None or obj.expires_at > timezone.now()
        )


class ApiTokenCreatedOutputSerializer(ApiTokenOutputSerializer):
    secret = serializers.SerializerMethodField(
        help_text="The token itself. Shown only in this response; store it now."
    )

    class Meta(ApiTokenOutputSerializer.Meta):
        fields = [*ApiTokenOutputSerializer.Meta.fields, "secret"]
        read_only_fields = fields

    def get_secret(self, obj: ApiToken) -> str:
        return str(self.context["secret"])


class ApiTokenCreateInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiTokenScope.choices), min_length=1
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ApiTokenViewSet(mixins.ListModelMixin, ApiViewSet):
    """Your personal API tokens."""

    queryset = ApiToken.objects.none()  # for the schema only; reads use the selector
    serializer_class = ApiTokenOutputSerializer
    lookup_value_regex = r"[0-9]+"
    permission_classes = [IsAuthenticated, HasTokenScope]

    def get_queryset(self) -> Any:
        return api_token_list_for_user(user=self.current_user())

    def get_permissions(self) -> list[Any]:
        if self.action == "create":
            return [IsSessionAuthenticated()]
        return list(super().get_permissions())

    @extend_schema(
        request=ApiTokenCreateInputSerializer,
        responses={201: ApiTokenCreatedOutputSerializer},
        summary="Create a token (browser session only); the secret is in this response only",
    )
    @idempotent
    def create(self, request: Request) -> Response:
        data = self.validated(ApiTokenCreateInputSerializer)
        user = self.current_user()
        new = api_token_create(
            user=user,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=data["expires_at"],
            created_by=user,
        )
        serializer = ApiTokenCreatedOutputSerializer(
            new.token, context={**self.get_serializer_context(), "secret": new.secret}
        )
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ApiTokenOutputSerializer}, summary="Revoke one of your tokens")
    def destroy(self, request: Request, pk: str) -> Response:
        token = self.get_object()
        token = api_token_revoke(token=token, actor=self.current_user())
        return self.render(token)
