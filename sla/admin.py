from typing import Any

from django import forms
from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path

from sla.holidays import holidays_import
from sla.ics import IcsError
from sla.models import Calendar, Holiday, SlaClock, SlaPolicy, SlaThreshold, WorkingHours


class WorkingHoursFormSet(BaseInlineFormSet):
    """A calendar that is not 24x7 needs working hours: without any, every ticket under a
    policy on it would fail to get its due time."""

    def clean(self) -> None:
        super().clean()
        if self.instance.is_24x7 or any(self.errors):
            return
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
        ]
        if not kept:
            raise forms.ValidationError(
                "A calendar that is not 24x7 needs at least one working window."
            )


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 0


class CalendarForm(forms.ModelForm):
    class Meta:
        model = Calendar
        fields = ("name", "timezone", "is_24x7", "description")
        help_texts = {
            "is_24x7": (
                "Every hour of every day counts, except the holidays below (in this calendar's "
                "time zone); the working hours are not used."
            ),
        }


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


class IcsUploadForm(forms.Form):
    file = forms.FileField(label="iCalendar file (.ics)")

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > 1024 * 1024:
            raise forms.ValidationError("The file is larger than 1 MB.")
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8 text.") from exc
        return str(text)


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    form = CalendarForm
    list_display = ("name", "timezone", "is_24x7")
    search_fields = ("name",)
    inlines = [WorkingHoursInline, HolidayInline]
    change_form_template = "admin/sla/calendar/change_form.html"

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:calendar_id>/import-holidays/",
                self.admin_site.admin_view(self.import_holidays_view),
                name="sla_calendar_import_holidays",
            )
        ]
        return custom + super().get_urls()

    def import_holidays_view(self, request: HttpRequest, calendar_id: int) -> HttpResponse:
        calendar = get_object_or_404(Calendar, pk=calendar_id)
        if not self.has_change_permission(request, calendar):
            return redirect("admin:sla_calendar_changelist")
        form = IcsUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                added, known = holidays_import(
                    calendar=calendar, ics_text=form.cleaned_data["file"]
                )
            except IcsError as exc:
                form.add_error("file", str(exc))
            else:
                self.message_user(
                    request,
                    f"Added {added} holiday(s); {known} were already there.",
                    messages.SUCCESS,
                )
                return redirect("admin:sla_calendar_change", calendar.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import holidays into {calendar}",
            "calendar": calendar,
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/sla/calendar/import_holidays.html", context)


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
