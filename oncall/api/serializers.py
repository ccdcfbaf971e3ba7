"""Input and output shapes of /api/v1/oncall/: schedules with their layers, layers, overrides
and "who is on call"."""

from typing import Any

from rest_framework import serializers

from core.api.serializers import InputSerializer, OutputModelSerializer
from core.models import SupportGroup, User
from oncall.models import Override, RotationLayer, Schedule


class LayerOutputSerializer(OutputModelSerializer):
    # Declared: the model fields' limits differ between SQLite and PostgreSQL, and so would the
    # schema.
    level = serializers.IntegerField(read_only=True, help_text="Higher levels cover lower ones.")
    shift_hours = serializers.IntegerField(read_only=True)
    member_ids = serializers.SerializerMethodField()
    weekdays = serializers.SerializerMethodField()

    class Meta:
        model = RotationLayer
        fields = [
            "id",
            "schedule",
            "level",
            "name",
            "shift_hours",
            "handoff_at",
            "weekdays",
            "window_start",
            "window_end",
            "member_ids",
        ]

    def get_member_ids(self, layer: RotationLayer) -> list[int]:
        return [m.person_id for m in layer.memberships.all()]

    def get_weekdays(self, layer: RotationLayer) -> list[int]:
        return [int(d) for d in layer.weekdays]


class ScheduleOutputSerializer(OutputModelSerializer):
    layers = LayerOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Schedule
        fields = [
            "id",
            "support_group",
            "name",
            "time_zone",
            "description",
            "layers",
            "created_at",
            "updated_at",
        ]


class ScheduleInputSerializer(InputSerializer):
    support_group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all())
    name = serializers.CharField(max_length=100)
    time_zone = serializers.CharField(max_length=64)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class LayerInputSerializer(InputSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.all())
    level = serializers.IntegerField(min_value=1, max_value=100)
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    shift_hours = serializers.IntegerField(min_value=1)
    handoff_at = serializers.DateTimeField()
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7), required=False, max_length=7
    )
    window_start = serializers.TimeField(required=False, allow_null=True)
    window_end = serializers.TimeField(required=False, allow_null=True)
    member_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=50
    )


class OverrideOutputSerializer(OutputModelSerializer):
    class Meta:
        model = Override
        fields = ["id", "schedule", "person", "start", "end", "created_by", "created_at"]


class OverrideInputSerializer(InputSerializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.all())
    person = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class OnCallOutputSerializer(serializers.Serializer[Any]):
    schedule = serializers.IntegerField(source="schedule.pk")
    schedule_name = serializers.CharField(source="schedule.name")
    support_group = serializers.IntegerField(source="schedule.support_group_id")
    person = serializers.IntegerField(source="person.pk", allow_null=True, default=None)
    person_name = serializers.CharField(source="person.display_name", allow_null=True, default=None)
    start = serializers.DateTimeField(source="shift.start", allow_null=True, default=None)
    end = serializers.DateTimeField(source="shift.end", allow_null=True, default=None)
    origin = serializers.CharField(source="shift.source", allow_null=True, default=None)


class OnCallQuerySerializer(InputSerializer):
    group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all(), required=False)
    at = serializers.DateTimeField(required=False)
