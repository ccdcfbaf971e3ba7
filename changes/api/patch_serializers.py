"""Serializers of the patch API (changes.api.patches)."""

from typing import Any

from rest_framework import serializers

from changes.choices import PatchStatus
from changes.models import PatchTarget
from changes.patches.cve import clean_cve
from core.api.serializers import (
    ConfigurationItemRefSerializer,
    InputSerializer,
    OutputModelSerializer,
)
from core.models import ConfigurationItem


class AdvisoryInputSerializer(InputSerializer):
    vendor_id = serializers.CharField(max_length=80)
    cve_ids = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, default=list, max_length=200
    )

    def validate_cve_ids(self, value: list[str]) -> list[str]:
        cleaned = []
        for raw in value:
            cve = clean_cve(raw)
            if cve is None:
                raise serializers.ValidationError(f"'{raw}' is not a CVE id (CVE-2024-12345).")
            cleaned.append(cve)
        return list(dict.fromkeys(cleaned))


class AdvisoriesInputSerializer(InputSerializer):
    patches = serializers.ListField(child=AdvisoryInputSerializer(), max_length=200)


class TargetsInputSerializer(InputSerializer):
    configuration_items = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.filter(is_active=True),
        many=True,
        help_text="Ids of active configuration items; ones already on the rollout are kept.",
    )

    def validate_configuration_items(
        self, value: list[ConfigurationItem]
    ) -> list[ConfigurationItem]:
        if not value:
            raise serializers.ValidationError("Give at least one configuration item.")
        return value


class TargetStatusInputSerializer(InputSerializer):
    configuration_item = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all()
    )
    status = serializers.ChoiceField(choices=PatchStatus.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PatchTargetOutputSerializer(OutputModelSerializer):
    configuration_item = ConfigurationItemRefSerializer(read_only=True)

    class Meta:
        model = PatchTarget
        fields = ["configuration_item", "status", "note", "updated_at"]
        read_only_fields = fields


class ProgressOutputSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    total = serializers.IntegerField()
    percent_done = serializers.IntegerField()


class PatchOutputSerializer(serializers.Serializer):
    vendor_id = serializers.CharField()
    cve_ids = serializers.ListField(child=serializers.CharField())


class RolloutOutputSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    planned_start = serializers.DateTimeField(allow_null=True)
    planned_end = serializers.DateTimeField(allow_null=True)
    patches = PatchOutputSerializer(many=True)
    progress = ProgressOutputSerializer()
    targets = PatchTargetOutputSerializer(many=True)


class ExposureOutputSerializer(serializers.Serializer):
    cve = serializers.CharField()
    configuration_item = serializers.SerializerMethodField()
    service = serializers.CharField(source="service_name")
    rollout = serializers.CharField(allow_null=True)

    def get_configuration_item(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"id": row["ci_id"], "name": row["ci_name"]}
