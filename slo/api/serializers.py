"""Input and output shapes of /api/v1/slos/: an objective with its budget, burn rates and the
alerts that hold now; its budget over time; the objective's fields for writes."""

from rest_framework import serializers

from core.api.serializers import InputSerializer
from core.choices import Priority
from core.models import Service
from slo.budget import WINDOWS
from slo.choices import ObjectiveKind
from slo.models import MAX_WINDOW_DAYS
from slo.selectors import ObjectiveStatus


class BudgetOutputSerializer(serializers.Serializer):
    unit = serializers.ChoiceField(
        choices=["seconds", "events"],
        read_only=True,
        help_text="seconds of downtime (availability) or bad incidents (response)",
    )
    allowed = serializers.FloatField(read_only=True, help_text="Over the objective's window.")
    used = serializers.FloatField(read_only=True)
    remaining = serializers.FloatField(read_only=True, help_text="Below 0 when overspent.")
    remaining_fraction = serializers.FloatField(read_only=True)
    total = serializers.FloatField(
        read_only=True, help_text="The window's seconds, or the incidents decided in it."
    )
    attained = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Percent good; null without incidents."
    )
    exhausted = serializers.BooleanField(source="is_exhausted", read_only=True)


class SloOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="objective.pk", read_only=True)
    service = serializers.IntegerField(source="objective.service_id", read_only=True)
    service_name = serializers.CharField(source="objective.service.name", read_only=True)
    kind = serializers.ChoiceField(
        source="objective.kind", choices=ObjectiveKind.choices, read_only=True
    )
    target = serializers.FloatField(source="objective.target", read_only=True)
    window_days = serializers.IntegerField(source="objective.window_days", read_only=True)
    priorities = serializers.ListField(
        source="objective.priorities", child=serializers.IntegerField(), read_only=True
    )
    threshold_minutes = serializers.IntegerField(
        source="objective.threshold_minutes", allow_null=True, read_only=True
    )
    description = serializers.CharField(source="objective.describe", read_only=True)
    budget = BudgetOutputSerializer(read_only=True)
    burn_rates = serializers.SerializerMethodField(
        help_text=f"Burn rate per window ({', '.join(WINDOWS)}): 1.0 spends the budget "
        "exactly over the objective's window."
    )
    alerts = serializers.SerializerMethodField(
        help_text="The alert rules holding now (both their windows burn past the threshold)."
    )
    status = serializers.ChoiceField(
        choices=["healthy", "burning", "fast burn", "exhausted"], read_only=True
    )

    def get_burn_rates(self, status: ObjectiveStatus) -> dict[str, float]:
        return {name: round(rate, 4) for name, rate in status.burns.items()}

    def get_alerts(self, status: ObjectiveStatus) -> list[str]:
        return [str(policy.rule) for policy in status.holding]


class BudgetPointOutputSerializer(serializers.Serializer):
    at = serializers.DateTimeField(read_only=True)
    remaining = serializers.FloatField(
        read_only=True, help_text="Fraction of the budget left over the window ending `at`."
    )


class SloHistoryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    points = BudgetPointOutputSerializer(many=True, read_only=True)


class ObjectiveInputSerializer(InputSerializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all())
    kind = serializers.ChoiceField(choices=ObjectiveKind.choices)
    target = serializers.DecimalField(
        max_digits=6, decimal_places=3, help_text="Percent, strictly between 0 and 100."
    )
    window_days = serializers.IntegerField(min_value=1, max_value=MAX_WINDOW_DAYS)
    priorities = serializers.ListField(
        child=serializers.ChoiceField(choices=Priority.choices),
        required=False,
        help_text="Response objectives: the incident priorities that count.",
    )
    threshold_minutes = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="Response objectives: acknowledged within this many minutes.",
    )
