from django.contrib import admin

from reporting.models import ReportSubscription


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "weekday", "hour", "filters", "last_sent_at")
    list_filter = ("weekday",)
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("last_sent_at", "created_at")
