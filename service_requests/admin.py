from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from service_requests.models import (
    CatalogCategory,
    CatalogField,
    CatalogItem,
    CatalogTask,
    RequestTask,
    ServiceRequest,
)


@admin.register(CatalogCategory)
class CatalogCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "order", "is_active")
    list_editable = ("order", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


class CatalogFieldInline(admin.StackedInline):
    """The item's form: one question per row, validated by CatalogField.clean."""

    model = CatalogField
    extra = 0
    fields = (
        ("key", "label", "field_type", "required", "order"),
        "help_text",
        "choices",
        ("min_value", "max_value"),
    )


class CatalogTaskInline(admin.TabularInline):
    """The fulfilment checklist copied onto each new request."""

    model = CatalogTask
    extra = 0
    fields = ("title", "order")


@admin.register(CatalogItem)
class CatalogItemAdmin(admin.ModelAdmin):
    """Catalog items with their form fields and fulfilment tasks. Approval by a named group
    uses a Django auth group (Authentication and authorization > Groups)."""

    list_display = (
        "name",
        "category",
        "support_group",
        "approval_mode",
        "approver_group",
        "priority",
        "is_active",
    )
    list_filter = ("category", "approval_mode", "is_active")
    list_select_related = ("category", "support_group", "approver_group")
    search_fields = ("name", "summary")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("support_group", "service")
    inlines = [CatalogFieldInline, CatalogTaskInline]
    fieldsets = (
        (None, {"fields": ("category", "name", "slug", "summary", "description", "order")}),
        ("Fulfilment", {"fields": ("support_group", "service", "priority", "is_active")}),
        ("Approval", {"fields": ("approval_mode", "approver_group")}),
    )


class RequestTaskInline(admin.TabularInline):
    model = RequestTask
    extra = 0
    fields = ("title", "is_done", "done_by", "done_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    """Browse and search requests. Status, approvals and tasks change only through the
    lifecycle (the portal, the approval page and the agent workspace), so all is read-only."""

    list_display = (
        "number",
        "title",
        "status",
        "catalog_item",
        "requester",
        "support_group",
        "assignee",
        "created_at",
    )
    list_filter = ("status", "approval_mode", "catalog_item__category")
    search_fields = ("number", "title")
    list_select_related = ("catalog_item", "requester", "support_group", "assignee")
    show_full_result_count = False
    inlines = [RequestTaskInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
