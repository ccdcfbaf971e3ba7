from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from sla.models import Calendar, Holiday, SlaClock, SlaPolicy, SlaThreshold, WorkingHours


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "is_24x7")
    search_fields = ("name",)
    inlines = [WorkingHoursInline, HolidayInline]


class SlaThresholdInline(admin.TabularInline):
    model = SlaThreshold
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "ticket_kind",
        "priority",
        "service",
        "response_target",
        "resolution_target",
        "calendar",
        "is_active",
    )
    list_filter = ("ticket_kind", "priority", "is_active", "calendar")
    search_fields = ("name",)
    inlines = [SlaThresholdInline]


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    """Clocks are the SLA engine's state: readable here, changed only by the engine."""

    list_display = (
        "ticket_type",
        "ticket_id",
        "metric",
        "state",
        "due_at",
        "stage",
        "breached_at",
        "stopped_at",
    )
    list_filter = ("metric", "state")
    list_select_related = ("ticket_type",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
