from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from core.api.tokens import api_token_create, api_token_revoke
from core.models import (
    ApiToken,
    ApiTokenScope,
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
from core.webhooks.outbound import public_target_validate


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users are deactivated, never deleted: tickets keep pointing at them."""

    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff")
    actions = ["deactivate"]
    autocomplete_fields = ("manager",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Organisation", {"fields": ("manager",)}),
        ("Preferences", {"fields": ("time_zone",)}),
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Deactivate selected users (they can no longer sign in)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        if request.user.pk is not None:  # never lock yourself out
            queryset = queryset.exclude(pk=request.user.pk)
        count = queryset.update(is_active=False)
        self.message_user(request, f"Deactivated {count} user(s).", messages.SUCCESS)


class SupportGroupForm(forms.ModelForm):
    webhook_url = forms.URLField(
        required=False,
        max_length=200,
        assume_scheme="https",
        validators=[public_target_validate],
        help_text="Optional Slack-compatible incoming webhook for SLA notifications (a public "
        "address unless WEBHOOK_ALLOW_PRIVATE_TARGETS is set).",
    )


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin):
    form = SupportGroupForm
    list_display = ("name", "tier", "manager", "is_active", "handles_security")
    list_filter = ("tier", "is_active", "handles_security")
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


class ApiTokenAddForm(forms.ModelForm):
    """Create a token for a user (the secret is shown once, on the next page)."""

    scopes = forms.MultipleChoiceField(
        choices=ApiTokenScope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scopes", "expires_at"]

    def clean_expires_at(self) -> Any:
        value = self.cleaned_data.get("expires_at")
        if value is not None and value <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return value

    def clean_user(self) -> Any:
        user = self.cleaned_data.get("user")
        if user is not None and not user.is_active:
            raise forms.ValidationError("Inactive users cannot have tokens.")
        return user


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins create tokens for users (secret shown once) and revoke them; tokens are never
    edited or deleted, so the audit trail keeps them."""

    list_display = (
        "name",
        "user",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    autocomplete_fields = ("user",)
    actions = ["revoke"]
    show_full_result_count = False

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return [field.name for field in ApiToken._meta.fields if field.name != "key_hash"]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["key_hash"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return  # the change form is read-only
        creator = request.user if request.user.is_authenticated else None
        new = api_token_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data.get("expires_at"),
            created_by=creator,
        )
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(new.token, field.attname))
        obj._state.adding = False
        obj._new_secret = new.secret  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: Any = None
    ) -> HttpResponse:
        """Show the secret on this response only (never in a message or the session)."""
        context = {
            **self.admin_site.each_context(request),
            "title": "API token created",
            "token": obj,
            "secret": getattr(obj, "_new_secret", ""),
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "core/tokens/admin_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke selected tokens (they stop working at once)")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, actor=request.user)  # type: ignore[arg-type]
            count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)
