"""Admin for alert intake: integrations (secret shown once, rotate, revoke), the read-only
intake log of refused deliveries, and read-only views of alert links and storms."""

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html

from incidents.alerts.models import AlertLink, AlertStorm, IntakeLogEntry, Integration
from incidents.alerts.services import (
    integration_provision,
    integration_rename_reporter,
    integration_rotate_token,
    integration_set_active,
)

_NEW_SECRET = "_alerts_new_secret"  # noqa: S105 — an attribute name


def secret_page(request: HttpRequest, integration: Integration, secret: str) -> HttpResponse:
    """The one page that shows a secret: never cached, never put in a message or the session."""
    base = settings.SITE_URL.rstrip("/")
    context = {
        **admin.site.each_context(request),
        "title": f"Secret of {integration}",
        "integration": integration,
        "secret": secret,
        "bearer_url": f"{base}{reverse('alerts:intake')}",
        "secret_url": f"{base}{reverse('alerts:intake_token', args=[secret])}",
        "opts": Integration._meta,
    }
    response = render(request, "admin/alerts/integration/secret.html", context)
    add_never_cache_headers(response)
    return response


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written only by the intake; admins look, nobody edits or deletes."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    """Create an integration (its secret is shown once), rotate or revoke its secret."""

    list_display = (
        "name",
        "kind",
        "service",
        "support_group",
        "auto_resolve",
        "pages",
        "max_new_incidents_per_minute",
        "is_active",
        "token_prefix",
        "log_link",
    )
    list_filter = ("kind", "is_active", "auto_resolve", "pages")
    search_fields = ("name",)
    list_select_related = ("service", "support_group")
    autocomplete_fields = ("service", "support_group")
    readonly_fields = ("token_prefix", "token_rotated_at", "reporter", "created_at")
    actions = ["revoke", "restore"]
    change_form_template = "admin/alerts/integration/change_form.html"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields: list[str] = [
            "name",
            "kind",
            "service",
            "service_label",
            "ci_label",
            "support_group",
            "category",
            "auto_resolve",
            "pages",
            "severity_label",
            "severity_map",
            "max_new_incidents_per_minute",
        ]
        if obj is not None:
            fields += ["is_active", *self.readonly_fields]
        return tuple(fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.readonly_fields if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # incidents point at it: revoke instead

    @admin.display(description="Refused deliveries")
    def log_link(self, obj: Integration) -> str:
        url = reverse("admin:alerts_intakelogentry_changelist")
        return format_html('<a href="{}?integration__id__exact={}">log</a>', url, obj.pk)

    def save_model(self, request: HttpRequest, obj: Integration, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            if "name" in form.changed_data:
                integration_rename_reporter(integration=obj)
            return
        setattr(request, _NEW_SECRET, integration_provision(obj))

    def response_add(
        self, request: HttpRequest, obj: Integration, post_url_continue: str | None = None
    ) -> HttpResponse:
        secret = getattr(request, _NEW_SECRET, None)
        if secret:
            return secret_page(request, obj, secret)
        return super().response_add(request, obj, post_url_continue)

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:integration_id>/rotate-secret/",
                self.admin_site.admin_view(self.rotate_secret_view),
                name="alerts_integration_rotate_secret",
            )
        ]
        return custom + super().get_urls()

    def rotate_secret_view(self, request: HttpRequest, integration_id: int) -> HttpResponse:
        integration = get_object_or_404(Integration, pk=integration_id)
        if not self.has_change_permission(request, integration):
            return redirect("admin:alerts_integration_changelist")
        if request.method == "POST":
            return secret_page(
                request, integration, integration_rotate_token(integration=integration)
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Rotate the secret of {integration}",
            "integration": integration,
            "opts": Integration._meta,
        }
        return render(request, "admin/alerts/integration/rotate_secret.html", context)

    @admin.action(description="Revoke the secret of the selected integrations")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Integration]) -> HttpResponseRedirect:
        for integration in queryset:
            integration_set_active(integration=integration, is_active=False)
        self.message_user(request, f"Revoked {len(queryset)} integration(s).", messages.SUCCESS)
        return HttpResponseRedirect(request.get_full_path())

    @admin.action(description="Restore the secret of the selected integrations")
    def restore(
        self, request: HttpRequest, queryset: QuerySet[Integration]
    ) -> HttpResponseRedirect:
        for integration in queryset:
            integration_set_active(integration=integration, is_active=True)
        self.message_user(request, f"Restored {len(queryset)} integration(s).", messages.SUCCESS)
        return HttpResponseRedirect(request.get_full_path())


@admin.register(IntakeLogEntry)
class IntakeLogEntryAdmin(ReadOnlyAdmin):
    """Deliveries the intake refused, newest first (capped per integration)."""

    list_display = ("received_at", "integration", "status_code", "code", "message", "body_size")
    list_filter = ("integration", "status_code", "code")
    list_select_related = ("integration",)
    show_full_result_count = False
    fields = (
        "integration",
        "received_at",
        "status_code",
        "code",
        "message",
        "fields",
        "content_type",
        "body_size",
        "body_excerpt",
    )


@admin.register(AlertLink)
class AlertLinkAdmin(ReadOnlyAdmin):
    """Alerts and the incident each is on, with how often it fired."""

    list_display = (
        "name",
        "fingerprint",
        "integration",
        "incident_link",
        "alert_status",
        "occurrences",
        "is_open",
        "first_seen_at",
        "last_seen_at",
        "recovered_at",
    )
    list_filter = ("integration", "alert_status", "is_open", "opened_incident")
    search_fields = ("fingerprint", "name", "incident__number")
    list_select_related = ("integration", "incident")
    show_full_result_count = False
    exclude = ("labels",)
    readonly_fields = ("labels_list",)

    @admin.display(description="Incident", ordering="incident__number")
    def incident_link(self, obj: AlertLink) -> str:
        url = reverse("incidents:agent_detail", args=[obj.incident.number])
        return format_html('<a href="{}">{}</a>', url, obj.incident.number)

    @admin.display(description="Labels (latest)")
    def labels_list(self, obj: AlertLink) -> str:
        return ", ".join(f"{key}={value}" for key, value in sorted(obj.labels.items()))


@admin.register(AlertStorm)
class AlertStormAdmin(ReadOnlyAdmin):
    """Storm summary incidents: alerts over an integration's rate went there."""

    list_display = ("incident", "integration", "is_open", "alerts_count", "started_at")
    list_filter = ("integration", "is_open")
    list_select_related = ("integration", "incident")
    show_full_result_count = False
