from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.models import (
    Attachment,
    Comment,
    ConfigurationItem,
    OutboxMessage,
    OutboxStatus,
    Service,
    SupportGroup,
    TimelineEvent,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users are deactivated, never deleted: tickets keep pointing at them."""

    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff")
    actions = ["deactivate"]
    autocomplete_fields = ("manager",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Organisation", {"fields": ("manager",)}),
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Deactivate selected users (they can no longer sign in)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        if request.user.pk is not None:  # never lock yourself out
            queryset = queryset.exclude(pk=request.user.pk)
        count = queryset.update(is_active=False)
        self.message_user(request, f"Deactivated {count} user(s).", messages.SUCCESS)


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "tier", "manager", "is_active")
    list_filter = ("tier", "is_active")
    search_fields = ("name",)
    filter_horizontal = ("members",)
    autocomplete_fields = ("manager",)


class ConfigurationItemInline(admin.TabularInline):
    model = ConfigurationItem
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "owner_group", "criticality", "is_active")
    list_filter = ("criticality", "is_active")
    search_fields = ("name",)
    inlines = [ConfigurationItemInline]


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):
    list_display = ("name", "service", "kind", "is_active")
    list_filter = ("service", "is_active")
    search_fields = ("name", "service__name")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit data: viewable, never added, edited or deleted through the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "ticket_type",
        "ticket_id",
        "kind",
        "from_status",
        "to_status",
        "actor",
        "source",
    )
    list_filter = ("kind", "source", "ticket_type")
    list_select_related = ("ticket_type", "actor")
    show_full_result_count = False


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "ticket_type", "ticket_id", "author", "is_internal")
    list_select_related = ("ticket_type", "author")
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "original_name", "size", "content_type", "uploaded_by")
    list_select_related = ("uploaded_by",)
    show_full_result_count = False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "task_name",
        "status",
        "attempts",
        "available_at",
        "done_at",
        "last_error",
    )
    list_filter = ("status", "task_name")
    actions = ["retry"]
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Needed for the retry action; the change form itself has no editable fields.
        return bool(request.user.is_superuser)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in OutboxMessage._meta.fields]

    @admin.action(description="Retry selected failed messages")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        from django.utils import timezone

        count = queryset.filter(status=OutboxStatus.FAILED).update(
            status=OutboxStatus.PENDING, available_at=timezone.now(), dispatched_at=None
        )
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)
