"""Problem API shapes: one output serializer, one input serializer per write, the incident links
and the known-error database entry. Problems are agents' work: every field is shown."""

from typing import Any

from rest_framework import serializers

from core.api.serializers import (
    ConfigurationItemRefSerializer,
    InputSerializer,
    OutputModelSerializer,
    ServiceRefSerializer,
    UserRefSerializer,
)
from core.api.ticket_output import TICKET_HEAD, TicketOutputSerializer, ticket_stamps
from core.choices import Category, Priority
from core.models import ConfigurationItem, Service, SupportGroup, User
from problems.linked_kind import linked_kind, resolution_choices
from problems.models import Problem, ProblemIncident
from problems.transitions import LIFECYCLE

TEXT_MAX = 50_000
# The resolution codes a problem's fix may resolve its linked incidents with, as the incident
# kind declares them. Read from the registry when the API loads (with the URLs, after every
# app's ready() registered its kind).
LINKED_RESOLUTION_CHOICES = resolution_choices()


# What a problem's root-cause analysis records, in the order people fill it in.
ANALYSIS = ("symptoms", "root_cause", "workaround", "permanent_fix")


class ProblemOutputSerializer(TicketOutputSerializer):
    raised_by = UserRefSerializer(source="requester", read_only=True)
    configuration_item = ConfigurationItemRefSerializer(read_only=True, allow_null=True)
    # Blank until set: read-only model fields lose allow_blank, so the schema would refuse "".
    category = serializers.ChoiceField(Category.choices, read_only=True, allow_blank=True)
    incident_count = serializers.SerializerMethodField()

    class Meta:
        model = Problem
        fields = [
            *TICKET_HEAD,
            *("category", "tier", "raised_by", "assignee", "support_group", "service"),
            *("configuration_item", "source", *ANALYSIS, "cancel_reason", "incident_count"),
            *ticket_stamps(LIFECYCLE),
            "actions",
        ]
        read_only_fields = fields

    def get_incident_count(self, obj: Problem) -> int:
        """Linked incidents (annotated by problems.selectors.problem_list_for_user)."""
        return int(getattr(obj, "incident_count", 0) or 0)


class KnownErrorOutputSerializer(OutputModelSerializer):
    """A published workaround: what agents (and the requesters of matching incidents) apply
    until the permanent fix is in."""

    service = ServiceRefSerializer(read_only=True, allow_null=True)
    configuration_item = ConfigurationItemRefSerializer(read_only=True, allow_null=True)
    category = serializers.ChoiceField(Category.choices, read_only=True, allow_blank=True)
    incident_count = serializers.SerializerMethodField()

    class Meta:
        model = Problem
        fields = [
            *("number", "title", "status", "category", "service", "configuration_item"),
            *ANALYSIS,
            *("incident_count", "known_error_at", "resolved_at"),
        ]
        read_only_fields = fields

    def get_incident_count(self, obj: Problem) -> int:
        return int(getattr(obj, "incident_count", 0) or 0)


class IncidentRefSerializer(OutputModelSerializer):
    class Meta:
        model = linked_kind().model
        fields = ["number", "title", "status", "priority"]
        read_only_fields = fields


class ProblemIncidentOutputSerializer(OutputModelSerializer):
    incident = IncidentRefSerializer(read_only=True)
    linked_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ProblemIncident
        fields = ["incident", "linked_by", "linked_at"]
        read_only_fields = fields


class IncidentOutcomeOutputSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(read_only=True)
    resolved = serializers.BooleanField(read_only=True)
    reason = serializers.CharField(read_only=True, help_text="Why it was not resolved.")


class ResolveIncidentsOutputSerializer(serializers.Serializer[Any]):
    problem = ProblemOutputSerializer(read_only=True)
    incidents = IncidentOutcomeOutputSerializer(many=True, read_only=True)


# --- inputs ----------------------------------------------------------------------------------


def incident_number(value: str) -> str:
    """INC-42, inc-000042 and 42 all name INC-000042 (as the HTML link form reads them)."""
    text = value.strip().upper()
    digits = text.removeprefix("INC-").lstrip("0")
    return f"INC-{int(digits):06d}" if digits.isdigit() else text


def _text(*, required: bool = False) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=TEXT_MAX)
    return serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)


class _ProblemDetailsInput(InputSerializer):
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True), required=False, allow_null=True
    )
    configuration_item = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Must belong to `service`.",
    )
    category = serializers.ChoiceField(choices=Category.choices, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    support_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="An active agent's id.",
    )


class ProblemCreateInputSerializer(_ProblemDetailsInput):
    title = serializers.CharField(max_length=200)
    description = _text()
    symptoms = _text()
    incident = serializers.CharField(
        max_length=20,
        required=False,
        help_text="Raise it from this incident (INC-…): the incident is linked to the new problem.",
    )

    def validate_incident(self, value: str) -> str:
        return incident_number(value)


class ProblemUpdateInputSerializer(_ProblemDetailsInput):
    """PATCH: what the problem is about and who works on it; fields left out keep their value."""

    title = serializers.CharField(max_length=200, required=False)
    description = _text()


class ProblemAnalysisInputSerializer(InputSerializer):
    """The root-cause analysis; fields left out keep their value."""

    symptoms = _text()
    root_cause = _text()
    workaround = _text()
    permanent_fix = _text()


class ProblemKnownErrorInputSerializer(InputSerializer):
    root_cause = _text(required=True)
    workaround = _text(required=True)


class ProblemResolveInputSerializer(InputSerializer):
    permanent_fix = _text(required=True)
    root_cause = _text()


class ProblemCancelInputSerializer(InputSerializer):
    cancel_reason = serializers.CharField(max_length=5_000)


class IncidentNumberInputSerializer(InputSerializer):
    incident = serializers.CharField(max_length=20, help_text="The incident's number, INC-….")

    def validate_incident(self, value: str) -> str:
        return incident_number(value)


class ResolveIncidentsInputSerializer(InputSerializer):
    incident_resolution_code = serializers.ChoiceField(
        choices=LINKED_RESOLUTION_CHOICES,
        default=LINKED_RESOLUTION_CHOICES[0][0],
        help_text="The resolution code each incident is resolved with.",
    )
