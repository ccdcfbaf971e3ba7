"""Change API shapes: one output serializer, one input serializer per write, the links, the
decisions and the templates. Changes are agents' work: every field is shown."""

from typing import Any

from rest_framework import serializers

from changes.choices import ChangeImpact, ChangeType, Decision, Risk
from changes.models import Change, ChangeApproval, ChangeTemplate
from changes.transitions import LIFECYCLE
from core.api.serializers import (
    ConfigurationItemRefSerializer,
    InputSerializer,
    OutputModelSerializer,
    ServiceRefSerializer,
    SupportGroupRefSerializer,
    UserRefSerializer,
)
from core.api.ticket_output import TICKET_HEAD, TicketOutputSerializer, ticket_stamps
from core.models import ConfigurationItem, Service, SupportGroup, User

TEXT_MAX = 50_000
PLANS = ("implementation_plan", "test_plan", "backout_plan")


class LinkedTicketRefSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)


class ChangeOutputSerializer(TicketOutputSerializer):
    raised_by = UserRefSerializer(source="requester", read_only=True)
    change_type = serializers.ChoiceField(ChangeType.choices, read_only=True)
    template = serializers.CharField(source="template.name", read_only=True, allow_null=True)
    risk = serializers.ChoiceField(Risk.choices, read_only=True, allow_blank=True)
    impact = serializers.ChoiceField(ChangeImpact.choices, read_only=True, allow_blank=True)
    configuration_item = ConfigurationItemRefSerializer(read_only=True, allow_null=True)
    services = ServiceRefSerializer(many=True, read_only=True)
    configuration_items = ConfigurationItemRefSerializer(many=True, read_only=True)
    approval_group = SupportGroupRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Change
        fields = [
            *TICKET_HEAD,
            *("change_type", "template", "risk", "impact", *PLANS),
            *("planned_start", "planned_end", "raised_by", "assignee", "support_group"),
            *("service", "configuration_item", "services", "configuration_items"),
            *("approval_group", "approvals_required", "rejection_reason", "outcome_notes"),
            *("review_notes", "cancel_reason", "source"),
            *ticket_stamps(LIFECYCLE),
            "actions",
        ]
        read_only_fields = fields


class ChangeApprovalOutputSerializer(OutputModelSerializer):
    approver = UserRefSerializer(read_only=True)

    class Meta:
        model = ChangeApproval
        fields = ["approver", "decision", "comment", "decided_at"]
        read_only_fields = fields


class ChangeLinksOutputSerializer(serializers.Serializer[Any]):
    problems = LinkedTicketRefSerializer(many=True, read_only=True, help_text="It fixes them.")
    incidents = LinkedTicketRefSerializer(many=True, read_only=True, help_text="It caused them.")
    approvals = ChangeApprovalOutputSerializer(many=True, read_only=True)


class ChangeTemplateOutputSerializer(OutputModelSerializer):
    service = ServiceRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ChangeTemplate
        fields = [
            "id",
            "name",
            "description",
            "service",
            "risk",
            "impact",
            *PLANS,
            "is_patch",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


# --- inputs ----------------------------------------------------------------------------------


def _text(*, required: bool = False) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=TEXT_MAX)
    return serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)


def _services() -> Any:
    return Service.objects.filter(is_active=True)


def _items() -> Any:
    return ConfigurationItem.objects.filter(is_active=True)


class _ScopeInput(InputSerializer):
    service = serializers.PrimaryKeyRelatedField(
        queryset=_services(), required=False, allow_null=True
    )
    configuration_item = serializers.PrimaryKeyRelatedField(
        queryset=_items(), required=False, allow_null=True, help_text="Must belong to `service`."
    )
    services = serializers.PrimaryKeyRelatedField(
        queryset=_services(), many=True, required=False, help_text="Other services it touches."
    )
    configuration_items = serializers.PrimaryKeyRelatedField(
        queryset=_items(),
        many=True,
        required=False,
        help_text="Configuration items it touches, each of a service it touches.",
    )


class _DetailsInput(_ScopeInput):
    description = _text()
    risk = serializers.ChoiceField(choices=Risk.choices, required=False, allow_blank=True)
    impact = serializers.ChoiceField(choices=ChangeImpact.choices, required=False, allow_blank=True)
    implementation_plan = _text()
    test_plan = _text()
    backout_plan = _text()
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    approval_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False, allow_null=True
    )


class ChangeCreateInputSerializer(_DetailsInput):
    """A normal or emergency change; a standard one from `template` (its plans, risk, impact
    and service are the template's, and the fields naming them are ignored)."""

    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    change_type = serializers.ChoiceField(choices=ChangeType.choices, default=ChangeType.NORMAL)
    template = serializers.PrimaryKeyRelatedField(
        queryset=ChangeTemplate.objects.all(),
        required=False,
        allow_null=True,
        help_text="For a standard change: an active template's id.",
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="An active agent's id.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        standard = attrs.get("change_type") == ChangeType.STANDARD
        if standard and attrs.get("template") is None:
            raise serializers.ValidationError({"template": ["A standard change needs one."]})
        if not standard and attrs.get("template") is not None:
            raise serializers.ValidationError(
                {"template": ["Only a standard change comes from a template."]}
            )
        if not standard and not (attrs.get("title") or "").strip():
            raise serializers.ValidationError({"title": ["Give the change a short title."]})
        return attrs


class ChangeUpdateInputSerializer(_DetailsInput):
    """PATCH: fields left out keep their value (once submitted, only the window may move)."""

    title = serializers.CharField(max_length=200, required=False)


class ChangeScheduleInputSerializer(InputSerializer):
    planned_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    planned_end = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ChangeCompleteInputSerializer(InputSerializer):
    outcome_notes = serializers.CharField(
        max_length=TEXT_MAX, required=False, allow_blank=True, default=""
    )


class ChangeOutcomeInputSerializer(InputSerializer):
    outcome_notes = _text(required=True)


class ChangeCloseInputSerializer(InputSerializer):
    resolve_problems = serializers.BooleanField(
        required=False,
        default=None,
        allow_null=True,
        help_text="Resolve the open problems it fixes (default: yes for an implemented change).",
    )


class ChangeCloseReviewInputSerializer(ChangeCloseInputSerializer):
    review_notes = _text(required=True)


class ChangeCancelInputSerializer(InputSerializer):
    cancel_reason = serializers.CharField(max_length=5_000)


class ChangeDecideInputSerializer(InputSerializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(
        max_length=5_000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for a rejection: it is the reason.",
    )


class ChangeProblemNumberInputSerializer(InputSerializer):
    problem = serializers.CharField(max_length=20, help_text="The problem's number, PRB-….")


class ChangeIncidentNumberInputSerializer(InputSerializer):
    incident = serializers.CharField(max_length=20, help_text="The incident's number, INC-….")
