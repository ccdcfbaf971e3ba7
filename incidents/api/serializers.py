"""Incident API shapes: one output serializer, one input serializer per write.

The output needs two things in its context that the view loads once per page: `clocks` (ticket id
→ SLA clocks, from sla.selectors.clocks_for_tickets) and `now`. Requesters get the same shape
with the agents' working notes (containment, diagnosis) blanked.
"""

from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import (
    ConfigurationItemRefSerializer,
    InputSerializer,
    ServiceRefSerializer,
    SupportGroupRefSerializer,
    UserRefSerializer,
)
from core.models import ConfigurationItem, Service, SupportGroup, User
from core.roles import is_agent
from incidents.choices import (
    CancelReason,
    Category,
    HoldReason,
    Impact,
    ResolutionCode,
    Urgency,
)
from incidents.models import Incident
from incidents.permissions import can_perform
from incidents.services import transition_context
from incidents.transitions import legal_actions
from sla.choices import SlaState
from sla.models import SlaClock
from sla.selectors import sla_state

AGENT_ONLY_FIELDS = ("containment_notes", "diagnosis_notes")


class SlaClockOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = SlaClock
        fields = [
            "metric",
            "state",
            "started_at",
            "due_at",
            "warn_at",
            "paused_at",
            "breached_at",
            "stopped_at",
        ]
        read_only_fields = fields


class IncidentSlaOutputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=SlaState.choices, read_only=True)
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    clocks = SlaClockOutputSerializer(many=True, read_only=True)


class IncidentOutputSerializer(serializers.ModelSerializer):
    requester = UserRefSerializer(read_only=True)
    assignee = UserRefSerializer(read_only=True, allow_null=True)
    support_group = SupportGroupRefSerializer(read_only=True, allow_null=True)
    service = ServiceRefSerializer(read_only=True, allow_null=True)
    configuration_item = ConfigurationItemRefSerializer(read_only=True, allow_null=True)
    # Blank until set: declared so the schema's enums admit "".
    category = serializers.ChoiceField(Category.choices, read_only=True, allow_blank=True)
    on_hold_reason = serializers.ChoiceField(HoldReason.choices, read_only=True, allow_blank=True)
    resolution_code = serializers.ChoiceField(
        ResolutionCode.choices, read_only=True, allow_blank=True
    )
    cancel_reason = serializers.ChoiceField(CancelReason.choices, read_only=True, allow_blank=True)
    sla = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "number",
            "title",
            "description",
            "status",
            "priority",
            "impact",
            "urgency",
            "category",
            "is_major",
            "tier",
            "requester",
            "assignee",
            "support_group",
            "service",
            "configuration_item",
            "source",
            "on_hold_reason",
            "containment_notes",
            "diagnosis_notes",
            "resolution_code",
            "resolution_notes",
            "cancel_reason",
            "reopen_count",
            "version",
            "identified_at",
            "logged_at",
            "classified_at",
            "contained_at",
            "diagnosed_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "created_at",
            "updated_at",
            "sla",
            "actions",
        ]
        read_only_fields = fields

    def _viewer(self) -> User | None:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return user if isinstance(user, User) else None

    @extend_schema_field(IncidentSlaOutputSerializer)
    def get_sla(self, obj: Incident) -> dict[str, Any]:
        clocks: list[SlaClock] = self.context.get("clocks", {}).get(obj.pk, [])
        now: datetime = self.context["now"]
        running = [c.due_at for c in clocks if c.state == "running" and c.due_at is not None]
        return {
            "state": sla_state(clocks, now).value,
            "due_at": serializers.DateTimeField().to_representation(min(running))
            if running
            else None,
            "clocks": SlaClockOutputSerializer(clocks, many=True).data,
        }

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, obj: Incident) -> list[str]:
        """The lifecycle actions the viewer may take now (POST /incidents/{number}/{action}/)."""
        viewer = self._viewer()
        if viewer is None:
            return []
        context = self.context.get("transition_context") or transition_context()
        return [
            transition.action
            for transition in legal_actions(obj, context)
            if can_perform(viewer, obj, transition.action)
        ]

    def to_representation(self, instance: Incident) -> dict[str, Any]:
        data = super().to_representation(instance)
        viewer = self._viewer()
        if viewer is None or not is_agent(viewer):
            for name in AGENT_ONLY_FIELDS:
                data[name] = ""
        return dict(data)


class IncidentCreateInputSerializer(InputSerializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    impact = serializers.ChoiceField(choices=Impact.choices, default=Impact.LOW)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.MEDIUM)
    category = serializers.ChoiceField(
        choices=Category.choices, required=False, allow_blank=True, default=""
    )
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True), required=False, allow_null=True
    )
    configuration_item = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Agents may report on someone's behalf; others always report for themselves.",
    )


class IncidentUpdateInputSerializer(InputSerializer):
    """PATCH: the details agents may edit outside the lifecycle."""

    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class EmptyInputSerializer(InputSerializer):
    """Actions that need no fields (accept, close, resume, claim)."""


class IncidentClassifyInputSerializer(InputSerializer):
    category = serializers.ChoiceField(choices=Category.choices)
    impact = serializers.ChoiceField(choices=Impact.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.filter(is_active=True))
    configuration_item = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False, allow_null=True
    )
    is_major = serializers.BooleanField(default=False)


class IncidentContainInputSerializer(InputSerializer):
    containment_notes = serializers.CharField(max_length=50_000)


class IncidentDiagnoseInputSerializer(InputSerializer):
    diagnosis_notes = serializers.CharField(max_length=50_000)


class IncidentResolveInputSerializer(InputSerializer):
    resolution_code = serializers.ChoiceField(choices=ResolutionCode.choices)
    resolution_notes = serializers.CharField(max_length=50_000)


class ReasonInputSerializer(InputSerializer):
    """Actions that need a reason (reopen, escalate, de-escalate)."""

    reason = serializers.CharField(max_length=5_000)


class IncidentHoldInputSerializer(InputSerializer):
    on_hold_reason = serializers.ChoiceField(choices=HoldReason.choices)
    note = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")


class IncidentCancelInputSerializer(InputSerializer):
    cancel_reason = serializers.ChoiceField(choices=CancelReason.choices)
    note = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")


class IncidentAssignInputSerializer(InputSerializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        allow_null=True,
        help_text="An active agent's id, or null to unassign.",
    )
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False, allow_null=True
    )
