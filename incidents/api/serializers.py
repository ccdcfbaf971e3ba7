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
    UserRefSerializer,
)
from core.api.ticket_output import (
    TICKET_HEAD,
    TICKET_PEOPLE,
    TicketOutputSerializer,
    ticket_stamps,
)
from core.models import ConfigurationItem, Service, SupportGroup, User
from core.roles import is_agent
from incidents.alerts.state import alert_state
from incidents.choices import (
    CancelReason,
    Category,
    HoldReason,
    Impact,
    ResolutionCode,
    Urgency,
)
from incidents.models import Incident
from incidents.transitions import LIFECYCLE
from sla.api.serializers import (
    TicketSlaSummaryOutputSerializer,
    WithSlaClocks,
    ticket_sla_summary,
)
from sla.models import SlaClock

AGENT_ONLY_FIELDS = ("containment_notes", "diagnosis_notes")

# How an incident is classified (the priority follows impact x urgency).
CLASSIFICATION = ("impact", "urgency", "category", "is_major", "tier")
# The list shape's model fields, in output order (then "sla").
SUMMARY_FIELDS = (
    *("number", "title", "status", "priority"),
    *CLASSIFICATION,
    *("source", "requester", "assignee", "support_group", "service"),
    *("version", "created_at", "updated_at", "resolved_at"),
)


ALERT_STATE_FIELDS = ("alert_firing_since", "alert_recovered_at")


def _instant(value: datetime | None) -> str | None:
    return None if value is None else serializers.DateTimeField().to_representation(value)


class IncidentSummaryOutputSerializer(TicketOutputSerializer):
    """An incident in lists: what a queue or an integration decides on. The detail (GET
    /incidents/{number}/) adds the description, the working notes, every milestone, the CI,
    the SLA clocks and the actions. Lists render this shape with incidents.api.listing, from
    plain values; tests/api/test_incident_list_shape.py holds the two to the same output."""

    requester = UserRefSerializer(read_only=True)
    # Blank until set: declared so the schema's enums admit "".
    category = serializers.ChoiceField(Category.choices, read_only=True, allow_blank=True)
    alert_firing_since = serializers.SerializerMethodField(
        help_text="Alert incidents: when its alert (the earliest still firing) started firing."
    )
    alert_recovered_at = serializers.SerializerMethodField(
        help_text="Alert incidents: when its alerts recovered (null while one is firing)."
    )
    sla = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [*SUMMARY_FIELDS, *ALERT_STATE_FIELDS, "sla"]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_alert_firing_since(self, obj: Incident) -> str | None:
        return _instant(alert_state(obj)[0])

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_alert_recovered_at(self, obj: Incident) -> str | None:
        return _instant(alert_state(obj)[1])

    @extend_schema_field(TicketSlaSummaryOutputSerializer)
    def get_sla(self, obj: Incident) -> dict[str, Any]:
        clocks: list[SlaClock] = self.context.get("clocks", {}).get(obj.pk, [])
        return ticket_sla_summary(clocks, self.context["now"])


class IncidentOutputSerializer(WithSlaClocks, IncidentSummaryOutputSerializer):
    """An incident with every field, its SLA clocks and the lifecycle actions the viewer may
    take now (the list shows the summary's fields)."""

    configuration_item = ConfigurationItemRefSerializer(read_only=True, allow_null=True)
    # Blank until set: declared so the schema's enums admit "".
    on_hold_reason = serializers.ChoiceField(HoldReason.choices, read_only=True, allow_blank=True)
    resolution_code = serializers.ChoiceField(
        ResolutionCode.choices, read_only=True, allow_blank=True
    )
    cancel_reason = serializers.ChoiceField(CancelReason.choices, read_only=True, allow_blank=True)

    class Meta:
        model = Incident
        fields = [
            *TICKET_HEAD,
            *CLASSIFICATION,
            *TICKET_PEOPLE,
            "configuration_item",
            "source",
            *("on_hold_reason", "containment_notes", "diagnosis_notes"),
            *("resolution_code", "resolution_notes", "cancel_reason", "reopen_count"),
            *ticket_stamps(LIFECYCLE),
            "service_restored_at",
            *ALERT_STATE_FIELDS,
            "sla",
            "actions",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Incident) -> dict[str, Any]:
        data = super().to_representation(instance)
        viewer = self.viewer()
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


class IncidentRecategorizeInputSerializer(InputSerializer):
    category = serializers.ChoiceField(choices=Category.choices)
    reason = serializers.CharField(max_length=5_000)


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


class IncidentServiceRestoredInputSerializer(InputSerializer):
    service_restored_at = serializers.DateTimeField(
        help_text=(
            "When the service was back for its users (ISO 8601; MTBF ends the outage there). "
            "Between the start of the current outage and now, not after the resolution."
        )
    )


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
