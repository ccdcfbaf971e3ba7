from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.models import User
from core.tickets.visibility import restricted_condition
from incidents.models import Incident
from incidents.visibility import SECURITY_INCIDENTS


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Browse and search incidents. Status and milestones change only through the lifecycle
    (the agent workspace), so they are read-only here."""

    list_display = (
        "number",
        "title",
        "status",
        "priority",
        "tier",
        "support_group",
        "assignee",
        "service",
        "created_at",
    )
    list_filter = ("status", "priority", "tier", "category", "is_major")
    search_fields = ("number", "title")
    list_select_related = ("support_group", "assignee", "service")
    autocomplete_fields = ("requester", "assignee")
    show_full_result_count = False
    readonly_fields = (
        "number",
        "status",
        "version",
        "priority",
        "on_hold_reason",
        "status_before_hold",
        "identified_at",
        "logged_at",
        "classified_at",
        "contained_at",
        "diagnosed_at",
        "resolved_at",
        "closed_at",
        "cancelled_at",
        "reopen_count",
        "created_at",
        "updated_at",
        "source",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Incident]:
        """Staff agents browse what their selector would show: a security incident out of their
        sight is not listed (nor found by its URL)."""
        incidents = super().get_queryset(request)
        user = request.user
        hidden = restricted_condition(SECURITY_INCIDENTS, user) if isinstance(user, User) else None
        return incidents if hidden is None else incidents.filter(hidden)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
