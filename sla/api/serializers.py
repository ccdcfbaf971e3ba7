"""SLA API shapes: policies and calendars (agents), the clocks of one ticket, and the SLA summary
every ticket kind's output embeds (`ticket_sla_data`).

Clocks are rendered from their own snapshot (policy name, calendar, target as they were when the
clock started), never from the current policy row: editing a policy does not move a clock, so the
API does not pretend it does.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import OutputModelSerializer, ServiceRefSerializer
from sla.choices import SlaState
from sla.models import Calendar, Holiday, SlaClock, SlaPolicy, SlaThreshold, WorkingHours
from sla.selectors import ClockLike, clock_status, nearest_due, sla_state

# --- the SLA summary embedded in ticket outputs ------------------------------------------------


class TicketClockOutputSerializer(OutputModelSerializer):
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


class TicketSlaOutputSerializer(serializers.Serializer[Any]):
    """A ticket's SLA at a glance: the state, the nearest running due time, its clocks."""

    state = serializers.ChoiceField(choices=SlaState.choices, read_only=True)
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    clocks = TicketClockOutputSerializer(many=True, read_only=True)


class TicketSlaSummaryOutputSerializer(serializers.Serializer[Any]):
    """A ticket's SLA in lists: the state and the nearest running due time (no clocks)."""

    state = serializers.ChoiceField(choices=SlaState.choices, read_only=True)
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)


# Built once: a serializer builds its fields when first used, about a millisecond each time.
_CLOCK = TicketClockOutputSerializer()
_INSTANT = serializers.DateTimeField()


def ticket_sla_summary(clocks: Sequence[ClockLike], now: datetime) -> dict[str, Any]:
    """The TicketSlaSummaryOutputSerializer shape of a ticket's clocks. Lists of many tickets
    count the same in SQL (sla.selectors.sla_summaries_for_tickets)."""
    due = nearest_due(clocks)
    return {
        "state": sla_state(clocks, now).value,
        "due_at": _INSTANT.to_representation(due) if due is not None else None,
    }


def ticket_sla_data(clocks: list[SlaClock], now: datetime) -> dict[str, Any]:
    """The TicketSlaOutputSerializer shape of a ticket's clocks (loaded by the caller, one query
    per page with sla.selectors.clocks_for_tickets)."""
    return {
        **ticket_sla_summary(clocks, now),
        "clocks": [_CLOCK.to_representation(clock) for clock in clocks],
    }


# --- the clocks of one ticket -------------------------------------------------------------------


# A ticket shape's `sla` field: its clocks in full. The view loads the clocks of the page once and
# passes them as the context's `clocks` (ticket id -> clocks), with `now`. (A comment, not a
# docstring: the schema would show it as the description of every shape built on it.)
class WithSlaClocks(serializers.Serializer[Any]):
    sla = serializers.SerializerMethodField()

    @extend_schema_field(TicketSlaOutputSerializer)
    def get_sla(self, obj: Any) -> dict[str, Any]:
        clocks: list[SlaClock] = self.context.get("clocks", {}).get(obj.pk, [])
        return ticket_sla_data(clocks, self.context.get("now") or timezone.now())


class ClockDetailOutputSerializer(OutputModelSerializer):
    """One clock with what it says now: the policy and calendar it runs under (its snapshot),
    the label an agent sees, and the business time left while it runs (negative when overdue)."""

    policy_id = serializers.IntegerField(read_only=True)
    policy_name = serializers.SerializerMethodField()
    calendar_name = serializers.SerializerMethodField()
    always_open = serializers.SerializerMethodField()
    target_seconds = serializers.SerializerMethodField()
    status_label = serializers.SerializerMethodField()
    business_seconds_left = serializers.SerializerMethodField()

    class Meta:
        model = SlaClock
        fields = [
            "metric",
            "state",
            "status_label",
            "policy_id",
            "policy_name",
            "calendar_name",
            "always_open",
            "target_seconds",
            "started_at",
            "due_at",
            "warn_at",
            "paused_at",
            "breached_at",
            "stopped_at",
            "business_seconds_left",
            "elapsed_business_seconds",
            "paused_seconds",
        ]
        read_only_fields = fields

    def _now(self) -> datetime:
        now: datetime = self.context["now"]
        return now

    def get_policy_name(self, obj: SlaClock) -> str:
        return str(obj.snapshot.get("policy_name") or "")

    def get_calendar_name(self, obj: SlaClock) -> str:
        return str(obj.snapshot.get("calendar", {}).get("name", ""))

    def get_always_open(self, obj: SlaClock) -> bool:
        return bool(obj.snapshot.get("calendar", {}).get("always_open"))

    def get_target_seconds(self, obj: SlaClock) -> int:
        return int(obj.target.total_seconds())

    def get_status_label(self, obj: SlaClock) -> str:
        return clock_status(obj, self._now()).label

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_business_seconds_left(self, obj: SlaClock) -> int | None:
        left = clock_status(obj, self._now()).business_left
        return None if left is None else int(left.total_seconds())


class TicketClocksOutputSerializer(serializers.Serializer[Any]):
    ticket = serializers.CharField(read_only=True, help_text="The ticket's number.")
    state = serializers.ChoiceField(choices=SlaState.choices, read_only=True)
    clocks = ClockDetailOutputSerializer(many=True, read_only=True)


# --- policies and calendars ---------------------------------------------------------------------


class CalendarRefSerializer(OutputModelSerializer):
    class Meta:
        model = Calendar
        fields = ["id", "name", "timezone", "is_24x7"]
        read_only_fields = fields


class SlaThresholdOutputSerializer(OutputModelSerializer):
    class Meta:
        model = SlaThreshold
        fields = ["percent", "action"]
        read_only_fields = fields


class SlaPolicyOutputSerializer(OutputModelSerializer):
    service = ServiceRefSerializer(read_only=True, allow_null=True)
    calendar = CalendarRefSerializer(read_only=True)
    thresholds = SlaThresholdOutputSerializer(many=True, read_only=True)
    response_target_seconds = serializers.SerializerMethodField()
    resolution_target_seconds = serializers.SerializerMethodField()

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
            "ticket_kind",
            "priority",
            "service",
            "response_target_seconds",
            "resolution_target_seconds",
            "calendar",
            "thresholds",
            "is_active",
        ]
        read_only_fields = fields

    def get_response_target_seconds(self, obj: SlaPolicy) -> int:
        return int(obj.response_target.total_seconds())

    def get_resolution_target_seconds(self, obj: SlaPolicy) -> int:
        return int(obj.resolution_target.total_seconds())


class WorkingHoursOutputSerializer(OutputModelSerializer):
    # Wall-clock times in the calendar's timezone ("08:00:00"): not RFC 3339 times, which
    # would need an offset that depends on the date.
    start = serializers.CharField(read_only=True, help_text="HH:MM:SS, the calendar's timezone.")
    end = serializers.CharField(read_only=True, help_text="HH:MM:SS; 00:00:00 means midnight.")

    class Meta:
        model = WorkingHours
        fields = ["weekday", "start", "end"]
        read_only_fields = fields


class HolidayOutputSerializer(OutputModelSerializer):
    class Meta:
        model = Holiday
        fields = ["date", "name"]
        read_only_fields = fields


class CalendarOutputSerializer(OutputModelSerializer):
    """Business hours: weekday 0 = Monday, times in the calendar's timezone, an end of 00:00
    means midnight; holidays are dates in that timezone."""

    hours = WorkingHoursOutputSerializer(many=True, read_only=True)
    holidays = HolidayOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Calendar
        fields = ["id", "name", "timezone", "is_24x7", "description", "hours", "holidays"]
        read_only_fields = fields
