"""Output shapes of the report endpoints (they take no body: the input is the query string,
parsed by reporting.filters.ReportFilter). Durations are seconds; rates are 0..1 or null."""

from typing import Any

from rest_framework import serializers


class FilterOutputSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    kind = serializers.CharField()
    service = serializers.IntegerField(source="service_id", allow_null=True)
    ci = serializers.IntegerField(source="ci_id", allow_null=True)
    group = serializers.IntegerField(source="group_id", allow_null=True)
    tier = serializers.IntegerField(allow_null=True)
    priority = serializers.IntegerField(allow_null=True)


class DurationStatsOutputSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True)
    p90 = serializers.FloatField(allow_null=True)


class DurationReportOutputSerializer(serializers.Serializer[Any]):
    metric = serializers.CharField()
    wall = DurationStatsOutputSerializer(help_text="Wall-clock seconds, on-hold time excluded.")
    business = DurationStatsOutputSerializer(
        help_text="Business seconds on each ticket's SLA calendar, on-hold time excluded."
    )


class MtbfRowOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    failures = serializers.IntegerField(help_text="Outages that started in the period.")
    outage_seconds = serializers.FloatField(help_text="Downtime within the period.")
    mtbf_seconds = serializers.FloatField(
        allow_null=True,
        help_text="null when no failure started in the period or it was down for all of it.",
    )
    note = serializers.CharField(
        help_text='Why there is no MTBF: "no failure in period" or "down for the whole period".'
    )


class MtbfReportOutputSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="The period end, capped at now.")
    period_seconds = serializers.FloatField()
    outage_impacts = serializers.ListField(child=serializers.CharField())
    services = MtbfRowOutputSerializer(many=True)
    cis = MtbfRowOutputSerializer(many=True)


class OutcomeOutputSerializer(serializers.Serializer[Any]):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    total = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class ComplianceRowOutputSerializer(serializers.Serializer[Any]):
    key = serializers.IntegerField(allow_null=True)
    # A field named like Field.label: DRF's metaclass moves it into the declared fields.
    label = serializers.CharField()  # type: ignore[assignment]
    response = OutcomeOutputSerializer()
    resolution = OutcomeOutputSerializer()


class ComplianceReportOutputSerializer(serializers.Serializer[Any]):
    by = serializers.CharField(allow_null=True)
    total = ComplianceRowOutputSerializer()
    rows = ComplianceRowOutputSerializer(many=True)


class BacklogRowOutputSerializer(serializers.Serializer[Any]):
    priority = serializers.IntegerField(allow_null=True)
    buckets = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class BacklogReportOutputSerializer(serializers.Serializer[Any]):
    as_of = serializers.DateTimeField()
    total = BacklogRowOutputSerializer()
    rows = BacklogRowOutputSerializer(many=True)


class VolumeDayOutputSerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    created = serializers.IntegerField()
    resolved = serializers.IntegerField()


# Built with type(): its fields are named `source` and `label`, which a class body would
# declare over serializers.Field's own attributes of those names.
SourceCountOutputSerializer: type[serializers.Serializer[Any]] = type(
    "SourceCountOutputSerializer",
    (serializers.Serializer,),
    {
        "source": serializers.CharField(help_text="web, api, email, alert or system"),
        "label": serializers.CharField(),
        "created": serializers.IntegerField(),
    },
)


class VolumeReportOutputSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    resolved = serializers.IntegerField()
    days = VolumeDayOutputSerializer(many=True)
    by_source = SourceCountOutputSerializer(
        many=True, help_text="Tickets created in the period per source, most first."
    )


class RateOutputSerializer(serializers.Serializer[Any]):
    whole = serializers.IntegerField()
    part = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class TierRateOutputSerializer(RateOutputSerializer):
    tier = serializers.IntegerField()


class FirstContactOutputSerializer(serializers.Serializer[Any]):
    total = RateOutputSerializer()
    tiers = TierRateOutputSerializer(many=True)


class EscalationRowOutputSerializer(serializers.Serializer[Any]):
    tier = serializers.IntegerField()
    handled = serializers.IntegerField()
    escalated = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class EscalationReportOutputSerializer(serializers.Serializer[Any]):
    tiers = EscalationRowOutputSerializer(many=True)


class ScoreCountOutputSerializer(serializers.Serializer[Any]):
    score = serializers.IntegerField()
    count = serializers.IntegerField()


class SatisfactionOutputSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)
    scores = ScoreCountOutputSerializer(many=True)


class SummaryOutputSerializer(serializers.Serializer[Any]):
    mttr = DurationReportOutputSerializer()
    mtta = DurationReportOutputSerializer()
    compliance = ComplianceRowOutputSerializer()
    backlog = serializers.IntegerField()
    reopen = RateOutputSerializer(allow_null=True)
    first_contact = RateOutputSerializer()
    satisfaction = serializers.FloatField(allow_null=True, help_text="Average rating, 1..5.")
    ratings = serializers.IntegerField()


class AckFiguresOutputSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="Pages acknowledged.")
    median = serializers.FloatField(allow_null=True, help_text="Seconds to acknowledge.")
    p90 = serializers.FloatField(allow_null=True, help_text="Seconds to acknowledge.")


class InterruptionsOutputSerializer(serializers.Serializer[Any]):
    business = serializers.IntegerField(help_text="Monday-Friday 09:00-18:00, person's zone.")
    off_hours = serializers.IntegerField(help_text="Other waking hours.")
    sleep = serializers.IntegerField(help_text="22:00-07:00, person's zone.")
    total = serializers.IntegerField()


class OncallWeekOutputSerializer(serializers.Serializer[Any]):
    week = serializers.CharField(help_text='ISO week, "2026-W10".')
    week_start = serializers.DateField(help_text="Its Monday.")
    pages = serializers.IntegerField()
    acknowledged = AckFiguresOutputSerializer()
    interruptions = InterruptionsOutputSerializer()


class OncallTeamOutputSerializer(serializers.Serializer[Any]):
    group = serializers.IntegerField(source="group_id", allow_null=True)
    name = serializers.CharField()
    pages = serializers.IntegerField(help_text="Pages started with this group.")
    exhausted = serializers.IntegerField(help_text="Pages nobody acknowledged.")
    acknowledged = AckFiguresOutputSerializer()
    interruptions = InterruptionsOutputSerializer()
    weeks = OncallWeekOutputSerializer(many=True)


class OncallPersonOutputSerializer(serializers.Serializer[Any]):
    person = serializers.IntegerField(source="person_id")
    name = serializers.CharField()
    time_zone = serializers.CharField(help_text="The zone their hours are read in.")
    pages = serializers.IntegerField(help_text="Pages that reached them (one interruption each).")
    acknowledged = AckFiguresOutputSerializer(help_text="Pages they acknowledged.")
    interruptions = InterruptionsOutputSerializer()
    weeks = OncallWeekOutputSerializer(many=True)


class OncallReviewOutputSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    group = serializers.IntegerField(source="group_id", allow_null=True)
    week_zone = serializers.CharField(help_text="The zone weeks are cut in.")
    pages = serializers.IntegerField()
    exhausted = serializers.IntegerField()
    acknowledged = AckFiguresOutputSerializer()
    interruptions = InterruptionsOutputSerializer()
    teams = OncallTeamOutputSerializer(many=True)
    people = OncallPersonOutputSerializer(many=True)
