"""Input and output shapes of paging in /api/v1/oncall/: escalation policies with their steps,
contact methods with their rules, notification rules, and pages with their notifications."""

from typing import Any

from rest_framework import serializers

from core.api.serializers import InputSerializer, OutputModelSerializer
from core.models import Service, SupportGroup, User
from core.tickets.kinds import kind_for_content_type
from oncall.models import (
    ContactMethod,
    ContactMethodKind,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
    Page,
    PageNotification,
    Schedule,
    StepTarget,
)


class StepOutputSerializer(OutputModelSerializer):
    # Declared: the model fields' limits differ between SQLite and PostgreSQL, and so would the
    # schema.
    position = serializers.IntegerField(read_only=True)
    wait_minutes = serializers.IntegerField(read_only=True)
    people = serializers.SerializerMethodField()

    class Meta:
        model = EscalationStep
        fields = ["position", "target", "schedule", "people", "wait_minutes"]

    def get_people(self, step: EscalationStep) -> list[int]:
        return [person.pk for person in step.people.all()]


class PolicyOutputSerializer(OutputModelSerializer):
    repeat = serializers.IntegerField(read_only=True)
    page_priorities = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    steps = StepOutputSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationPolicy
        fields = [
            "id",
            "support_group",
            "service",
            "name",
            "repeat",
            "page_priorities",
            "page_on_breach",
            "is_active",
            "steps",
            "created_at",
            "updated_at",
        ]


class StepInputSerializer(InputSerializer):
    target = serializers.ChoiceField(choices=StepTarget.choices)
    schedule = serializers.PrimaryKeyRelatedField(
        queryset=Schedule.objects.all(), required=False, allow_null=True
    )
    people = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=20
    )
    wait_minutes = serializers.IntegerField(min_value=1, max_value=1440)


class PolicyInputSerializer(InputSerializer):
    support_group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all())
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(), required=False, allow_null=True
    )
    name = serializers.CharField(max_length=100)
    repeat = serializers.IntegerField(min_value=0, max_value=9, required=False)
    page_priorities = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=5), required=False, max_length=5
    )
    page_on_breach = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)
    steps = serializers.ListField(child=StepInputSerializer(), min_length=1, max_length=20)


class RuleOutputSerializer(OutputModelSerializer):
    delay_minutes = serializers.IntegerField(read_only=True)

    class Meta:
        model = NotificationRule
        fields = ["id", "contact_method", "delay_minutes"]


class ContactMethodOutputSerializer(OutputModelSerializer):
    """Never the secret: it is shown once, in the answer that made it (`secret`)."""

    rules = RuleOutputSerializer(many=True, read_only=True)
    is_working = serializers.BooleanField(read_only=True)

    class Meta:
        model = ContactMethod
        fields = [
            "id",
            "person",
            "kind",
            "label",
            "address",
            "is_active",
            "is_working",
            "failing_since",
            "last_error",
            "rules",
            "created_at",
        ]


class ContactMethodSecretOutputSerializer(ContactMethodOutputSerializer):
    secret = serializers.SerializerMethodField(
        help_text="A signed webhook's new secret: shown only in this answer."
    )

    class Meta(ContactMethodOutputSerializer.Meta):
        fields = [*ContactMethodOutputSerializer.Meta.fields, "secret"]

    def get_secret(self, method: ContactMethod) -> str:
        return str(self.context.get("secret", ""))


class ContactMethodInputSerializer(InputSerializer):
    person = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, help_text="Admins only; default: yourself."
    )
    kind = serializers.ChoiceField(choices=ContactMethodKind.choices)
    label = serializers.CharField(max_length=100)  # type: ignore[assignment]
    address = serializers.CharField(max_length=500)
    is_active = serializers.BooleanField(required=False)


class RuleInputSerializer(InputSerializer):
    contact_method = serializers.IntegerField(min_value=1)
    delay_minutes = serializers.IntegerField(min_value=0, max_value=120)


class NotificationOutputSerializer(OutputModelSerializer):
    delay_minutes = serializers.IntegerField(read_only=True)
    person_name = serializers.CharField(source="person.display_name", read_only=True)

    class Meta:
        model = PageNotification
        fields = [
            "id",
            "step_key",
            "person",
            "person_name",
            "method_kind",
            "method_label",
            "delay_minutes",
            "status",
            "due_at",
            "queued_at",
            "sent_at",
            "error",
        ]


class PageOutputSerializer(OutputModelSerializer):
    ticket_kind = serializers.SerializerMethodField()
    priority = serializers.IntegerField(read_only=True, allow_null=True)
    tier_index = serializers.IntegerField(read_only=True)
    round = serializers.IntegerField(read_only=True)
    step_index = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(read_only=True)

    class Meta:
        model = Page
        fields = [
            "id",
            "ticket_number",
            "ticket_kind",
            "ticket_title",
            "priority",
            "support_group",
            "status",
            "reason",
            "message",
            "triggered_by",
            "tier_index",
            "round",
            "step_index",
            "next_at",
            "acknowledged_by",
            "acknowledged_at",
            "acknowledged_via",
            "ended_at",
            "created_at",
            "version",
        ]

    def get_ticket_kind(self, page: Page) -> str:
        return kind_for_content_type(page.ticket_type_id).name


class PageDetailOutputSerializer(PageOutputSerializer):
    notifications = NotificationOutputSerializer(many=True, read_only=True)
    policy_snapshot = serializers.JSONField(read_only=True)

    class Meta(PageOutputSerializer.Meta):
        fields = [*PageOutputSerializer.Meta.fields, "policy_snapshot", "notifications"]


class PageCreateInputSerializer(InputSerializer):
    ticket = serializers.CharField(max_length=20, help_text="The ticket's number, e.g. INC-000042.")
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class PageEndInputSerializer(InputSerializer):
    why = serializers.CharField(max_length=500, required=False, allow_blank=True)


def step_data(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated API steps in the shape oncall.policy_services expects. A PATCH validates the
    body partially, nested steps included, so a step may lack a field here: the service
    refuses it with the step's number."""
    return [
        {
            "target": step.get("target"),
            "schedule": step.get("schedule"),
            "people": list(step.get("people") or []),
            "wait_minutes": step.get("wait_minutes"),
        }
        for step in steps
    ]
