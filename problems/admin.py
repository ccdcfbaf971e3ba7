from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from problems.models import (
    PostIncidentReview,
    Problem,
    ProblemIncident,
    RecurrenceProposal,
    ReviewActionItem,
)


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Browse and search. Every write goes through the agent workspace (problems.services), which
    keeps the lifecycle, the timeline and the incidents in step."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProblemIncidentInline(admin.TabularInline):
    model = ProblemIncident
    fields = ("incident", "linked_by", "linked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Problem)
class ProblemAdmin(_ReadOnlyAdmin):
    list_display = ("number", "title", "status", "priority", "service", "assignee", "created_at")
    list_filter = ("status", "priority", "category")
    search_fields = ("number", "title", "root_cause", "workaround")
    list_select_related = ("service", "assignee")
    show_full_result_count = False
    inlines = (ProblemIncidentInline,)


@admin.register(ProblemIncident)
class ProblemIncidentAdmin(_ReadOnlyAdmin):
    list_display = ("problem", "incident", "linked_by", "linked_at")
    list_select_related = ("problem", "incident", "linked_by")
    search_fields = ("problem__number", "incident__number")


@admin.register(RecurrenceProposal)
class RecurrenceProposalAdmin(_ReadOnlyAdmin):
    list_display = ("cluster_key", "service", "category", "incident_count", "status", "created_at")
    list_filter = ("status", "category")
    list_select_related = ("service",)
    search_fields = ("cluster_key", "service__name")


class ReviewActionItemInline(admin.TabularInline):
    model = ReviewActionItem
    fields = ("description", "owner", "due_date", "is_done")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PostIncidentReview)
class PostIncidentReviewAdmin(_ReadOnlyAdmin):
    list_display = ("incident", "status", "created_by", "completed_at")
    list_filter = ("status",)
    list_select_related = ("incident", "created_by")
    search_fields = ("incident__number", "summary")
    inlines = (ReviewActionItemInline,)


@admin.register(ReviewActionItem)
class ReviewActionItemAdmin(_ReadOnlyAdmin):
    list_display = ("description", "review", "owner", "due_date", "is_done")
    list_filter = ("is_done",)
    list_select_related = ("review__incident", "owner")
    search_fields = ("description",)
