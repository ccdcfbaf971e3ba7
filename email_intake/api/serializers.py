"""Input and output shapes of /api/v1/mailboxes/ and /api/v1/inbound-emails/. Secrets are
write-only: accepted on input, never part of an output (`has_password` and friends say whether
one is stored)."""

from rest_framework import serializers

from core.api.serializers import InputSerializer, OutputModelSerializer
from core.models import Service, SupportGroup
from email_intake.choices import AuthMethod, Security, SenderPolicy
from email_intake.models import InboundEmail, Mailbox
from email_intake.services import catalog_item_model, email_kinds


class MailboxOutputSerializer(OutputModelSerializer):
    # Empty unless OAuth is used: a plain string ("" is no URI).
    oauth_token_url = serializers.CharField(read_only=True)
    has_password = serializers.SerializerMethodField()
    has_oauth_client_secret = serializers.SerializerMethodField()
    has_oauth_refresh_token = serializers.SerializerMethodField()
    waiting_count = serializers.IntegerField(read_only=True, default=0)
    refused_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Mailbox
        fields = [
            "id",
            "name",
            "address",
            "is_active",
            "host",
            "port",
            "security",
            "verify_certificate",
            "auth_method",
            "username",
            "has_password",
            "oauth_token_url",
            "oauth_client_id",
            "has_oauth_client_secret",
            "has_oauth_refresh_token",
            "oauth_scope",
            "folder",
            "processed_folder",
            "ticket_kind",
            "support_group",
            "service",
            "catalog_item",
            "sender_policy",
            "allowed_domains",
            "poll_interval_seconds",
            "last_polled_at",
            "last_error",
            "last_error_at",
            "waiting_count",
            "refused_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_has_password(self, obj: Mailbox) -> bool:
        return bool(obj.password)

    def get_has_oauth_client_secret(self, obj: Mailbox) -> bool:
        return bool(obj.oauth_client_secret)

    def get_has_oauth_refresh_token(self, obj: Mailbox) -> bool:
        return bool(obj.oauth_refresh_token)


def _kind_choices() -> list[str]:
    return [kind.name for kind in email_kinds()]


class MailboxInputSerializer(InputSerializer):
    """Create (name, address and ticket_kind required) or update (PATCH: only what is sent).
    An empty or absent secret keeps the stored one. What makes a mailbox valid is checked by
    the same service as the admin form."""

    name = serializers.SlugField(max_length=60)
    address = serializers.EmailField()
    is_active = serializers.BooleanField(required=False)
    host = serializers.CharField(max_length=255, required=False, allow_blank=True)
    port = serializers.IntegerField(required=False)
    security = serializers.ChoiceField(choices=Security.choices, required=False)
    verify_certificate = serializers.BooleanField(required=False)
    auth_method = serializers.ChoiceField(choices=AuthMethod.choices, required=False)
    username = serializers.CharField(max_length=255, required=False, allow_blank=True)
    password = serializers.CharField(
        max_length=255, required=False, allow_blank=True, write_only=True, trim_whitespace=False
    )
    oauth_token_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    oauth_client_id = serializers.CharField(max_length=255, required=False, allow_blank=True)
    oauth_client_secret = serializers.CharField(
        max_length=500, required=False, allow_blank=True, write_only=True
    )
    oauth_refresh_token = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, write_only=True
    )
    oauth_scope = serializers.CharField(max_length=500, required=False, allow_blank=True)
    folder = serializers.CharField(max_length=200, required=False)
    processed_folder = serializers.CharField(max_length=200, required=False, allow_blank=True)
    ticket_kind = serializers.CharField(
        max_length=20, help_text="A kind that takes mail: incident or request."
    )
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True
    )
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(), required=False, allow_null=True
    )
    catalog_item = serializers.PrimaryKeyRelatedField(
        queryset=catalog_item_model()._default_manager.all(),
        required=False,
        allow_null=True,
    )
    sender_policy = serializers.ChoiceField(choices=SenderPolicy.choices, required=False)
    allowed_domains = serializers.CharField(
        required=False, allow_blank=True, help_text="One domain per line (commas also separate)."
    )
    poll_interval_seconds = serializers.IntegerField(required=False)

    def validate_ticket_kind(self, value: str) -> str:
        if value not in _kind_choices():
            raise serializers.ValidationError(f"Choose one of: {', '.join(_kind_choices())}.")
        return value


class InboundEmailOutputSerializer(OutputModelSerializer):
    mailbox: serializers.SlugRelatedField[Mailbox] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    raw_url = serializers.SerializerMethodField(help_text="The source as received (.eml).")

    class Meta:
        model = InboundEmail
        fields = [
            "id",
            "mailbox",
            "message_id",
            "sender",
            "subject",
            "status",
            "outcome",
            "reason",
            "attempts",
            "size",
            "received_at",
            "processed_at",
            "ticket_id",
            "comment",
            "raw_url",
        ]
        read_only_fields = fields

    def get_raw_url(self, obj: InboundEmail) -> str:
        from django.urls import reverse

        path = reverse("email_intake:message_raw", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
