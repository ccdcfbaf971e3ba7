"""Service request API shapes: the request, its fulfilment tasks, the catalog, and the input
serializers of the writes only requests have (the others are core.api.action_inputs').

The request output needs `clocks` (request id → SLA clocks, loaded once per page) and `now` in
its context, like the incident output. Form answers are returned as stored (JSON values keyed by
the catalog question's key: text, number, ISO date, true/false, user id).
"""

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import (
    InputSerializer,
    OutputModelSerializer,
    ServiceRefSerializer,
    SupportGroupRefSerializer,
    UserRefSerializer,
)
from core.api.ticket_output import (
    TICKET_HEAD,
    TICKET_PEOPLE,
    TicketOutputSerializer,
    ticket_stamps,
)
from core.models import User
from service_requests.choices import CancelReason, HoldReason, RequestStatus
from service_requests.models import (
    CatalogCategory,
    CatalogField,
    CatalogItem,
    CatalogTask,
    RequestTask,
    ServiceRequest,
)
from service_requests.transitions import LIFECYCLE
from sla.api.serializers import WithSlaClocks

# --- catalog ---------------------------------------------------------------------------------


class CatalogCategoryRefSerializer(OutputModelSerializer):
    class Meta:
        model = CatalogCategory
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class CatalogItemRefSerializer(OutputModelSerializer):
    class Meta:
        model = CatalogItem
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class CatalogFieldOutputSerializer(OutputModelSerializer):
    """One question of an item's form. The answer to it goes in `answers[key]` when requesting:
    text and long_text a string; number a number within min/max; choice one of `choices`; date
    "YYYY-MM-DD"; yes_no true/false; user a user id, username or email."""

    choices = serializers.SerializerMethodField()
    min_value = serializers.SerializerMethodField()
    max_value = serializers.SerializerMethodField()

    class Meta:
        model = CatalogField
        fields = [
            "key",
            "label",
            "field_type",
            "required",
            "help_text",
            "choices",
            "min_value",
            "max_value",
        ]
        read_only_fields = fields

    def get_choices(self, obj: CatalogField) -> list[str]:
        return obj.choice_list

    @staticmethod
    def _number(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_min_value(self, obj: CatalogField) -> float | None:
        return self._number(obj.min_value)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_max_value(self, obj: CatalogField) -> float | None:
        return self._number(obj.max_value)


class CatalogTaskOutputSerializer(OutputModelSerializer):
    class Meta:
        model = CatalogTask
        fields = ["title", "order"]
        read_only_fields = fields


class CatalogItemOutputSerializer(OutputModelSerializer):
    category = CatalogCategoryRefSerializer(read_only=True)
    support_group = SupportGroupRefSerializer(read_only=True)
    service = ServiceRefSerializer(read_only=True, allow_null=True)
    needs_approval = serializers.BooleanField(read_only=True)
    form_fields = CatalogFieldOutputSerializer(
        source="fields",
        many=True,
        read_only=True,
        help_text="The questions of the request form, in order.",
    )
    tasks = CatalogTaskOutputSerializer(many=True, read_only=True)

    class Meta:
        model = CatalogItem
        fields = [
            "id",
            "slug",
            "name",
            "summary",
            "description",
            "category",
            "support_group",
            "service",
            "priority",
            "approval_mode",
            "needs_approval",
            "form_fields",
            "tasks",
        ]
        read_only_fields = fields


# --- requests --------------------------------------------------------------------------------


class ApproverGroupRefSerializer(OutputModelSerializer):
    class Meta:
        model = Group
        fields = ["id", "name"]
        read_only_fields = fields


class RequestTaskOutputSerializer(OutputModelSerializer):
    done_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = RequestTask
        fields = ["id", "title", "order", "is_done", "done_by", "done_at"]
        read_only_fields = fields


class ServiceRequestOutputSerializer(WithSlaClocks, TicketOutputSerializer):
    catalog_item = CatalogItemRefSerializer(read_only=True)
    requester = UserRefSerializer(read_only=True)
    approver = UserRefSerializer(read_only=True, allow_null=True)
    approver_group = ApproverGroupRefSerializer(read_only=True, allow_null=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    answers = serializers.DictField(
        read_only=True, help_text="Form answers by question key (see the catalog item's fields)."
    )
    # Blank until set: read-only model fields lose allow_blank, so the schema would refuse "".
    on_hold_reason = serializers.ChoiceField(HoldReason.choices, read_only=True, allow_blank=True)
    status_before_hold = serializers.ChoiceField(
        RequestStatus.choices, read_only=True, allow_blank=True
    )
    cancel_reason = serializers.ChoiceField(CancelReason.choices, read_only=True, allow_blank=True)

    class Meta:
        model = ServiceRequest
        fields = [
            *TICKET_HEAD,
            "tier",
            "catalog_item",
            "answers",
            *TICKET_PEOPLE,
            "source",
            *("approval_mode", "approver", "approver_group", "decided_by", "decision_comment"),
            *("on_hold_reason", "status_before_hold", "fulfilment_notes", "cancel_reason"),
            *("satisfaction_score", "satisfaction_comment"),
            *ticket_stamps(LIFECYCLE),
            "sla",
            "actions",
        ]
        read_only_fields = fields


# --- inputs ----------------------------------------------------------------------------------

_SCALARS = (str, int, float, bool)


class AnswersField(serializers.DictField):
    """Answers by question key: each a string, number or true/false (null = unanswered)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.JSONField(allow_null=True), **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        answers: dict[str, Any] = super().to_internal_value(data)
        bad = {
            key: ["Give a text, a number or true/false."]
            for key, value in answers.items()
            if value is not None and not isinstance(value, _SCALARS)
        }
        # The user picker looks people up by the raw text, and PostgreSQL refuses NUL in text.
        bad.update(
            {
                key: ["Null characters are not allowed."]
                for key, value in answers.items()
                if isinstance(value, str) and "\x00" in value
            }
        )
        if bad:
            raise serializers.ValidationError(bad)
        return answers


class ServiceRequestCreateInputSerializer(InputSerializer):
    catalog_item = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=CatalogItem.objects.filter(is_active=True, category__is_active=True),
        help_text="The catalog item's slug (GET /api/v1/catalog-items/).",
    )
    answers = AnswersField(
        required=False,
        default=dict,
        help_text=(
            "Answers to the item's questions by key, validated exactly like the portal form: "
            "missing required answers and bad values are errors on `answers.<key>`; keys the item "
            "does not ask are refused."
        ),
    )
    details = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Agents may request on someone's behalf; others always request for themselves.",
    )


class RequestApproveInputSerializer(InputSerializer):
    comment = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")


class RequestRejectInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=5_000, help_text="Sent to the requester.")


class RequestFulfilInputSerializer(InputSerializer):
    fulfilment_notes = serializers.CharField(max_length=10_000)


class RequestCancelInputSerializer(InputSerializer):
    cancel_reason = serializers.ChoiceField(
        choices=CancelReason.choices,
        required=False,
        help_text="Agents: required. Requesters withdraw their own request (`withdrawn`, the "
        "default for them).",
    )
    note = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")


class RequestTaskUpdateInputSerializer(InputSerializer):
    is_done = serializers.BooleanField()
