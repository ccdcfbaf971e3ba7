"""Admin for outbound webhooks: subscriptions (secret shown once, rotation, test event) and the
read-only delivery log (filters, redeliver)."""

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html

from core.exceptions import ValidationFailed
from core.models import User
from core.webhooks.events import event_type_choices, event_types_clean
from core.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from core.webhooks.outbound import public_target_validate
from core.webhooks.services import (
    webhook_redeliver,
    webhook_send_test,
    webhook_subscription_rotate_secret,
)
from core.webhooks.signing import webhook_secret_generate

_TEMPLATES = "admin/webhooks/webhooksubscription"


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        validators=[public_target_validate],
        help_text="The endpoint that receives a POST per event (http or https, a public "
        "address unless WEBHOOK_ALLOW_PRIVATE_TARGETS is set).",
    )
    event_types = forms.MultipleChoiceField(
        choices=event_type_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The events this endpoint receives.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "event_types", "is_active", "receives_restricted"]

    def clean_event_types(self) -> list[str]:
        try:
            return event_types_clean(list(self.cleaned_data.get("event_types") or []))
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.errors["event_types"]) from exc


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """The secret is generated on creation and shown on the response page only; afterwards it
    can be replaced (rotate), never read back."""

    form = WebhookSubscriptionForm
    list_display = (
        "name",
        "url",
        "event_type_list",
        "is_active",
        "receives_restricted",
        "created_at",
        "delivery_log",
    )
    list_filter = ("is_active", "receives_restricted")
    search_fields = ("name", "url")
    readonly_fields = ("created_by", "created_at", "updated_at", "secret_rotated_at")
    actions = ["send_test_event", "deactivate"]
    change_form_template = f"{_TEMPLATES}/change_form.html"

    @admin.display(description="Event types")
    def event_type_list(self, obj: WebhookSubscription) -> str:
        return ", ".join(obj.event_types)

    @admin.display(description="Deliveries")
    def delivery_log(self, obj: WebhookSubscription) -> str:
        url = reverse("admin:webhooks_webhookdelivery_changelist")
        return format_html('<a href="{}?subscription__id__exact={}">log</a>', url, obj.pk)

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool
    ) -> None:
        if not change:
            obj.secret = webhook_secret_generate()
            obj.created_by = _actor(request)
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: WebhookSubscription, post_url_continue: str | None = None
    ) -> HttpResponse:
        if IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        return self._secret_page(request, obj, obj.secret, created=True)

    def _secret_page(
        self, request: HttpRequest, obj: WebhookSubscription, secret: str, *, created: bool
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": f"Signing secret of {obj.name}",
            "opts": self.model._meta,
            "original": obj,
            "secret": secret,
            "created": created,
        }
        response = TemplateResponse(request, f"{_TEMPLATES}/secret.html", context)
        add_never_cache_headers(response)  # the secret must not stay in any cache
        return response

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:object_id>/rotate-secret/",
                self.admin_site.admin_view(self.rotate_secret_view),
                name="webhooks_webhooksubscription_rotate_secret",
            )
        ]
        return custom + super().get_urls()

    def rotate_secret_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        obj = get_object_or_404(WebhookSubscription, pk=object_id)
        if not self.has_change_permission(request, obj):
            return HttpResponseRedirect(reverse("admin:webhooks_webhooksubscription_changelist"))
        if request.method == "POST":
            secret = webhook_subscription_rotate_secret(subscription=obj)
            self.log_change(request, obj, "Rotated the signing secret.")
            return self._secret_page(request, obj, secret, created=False)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Rotate the signing secret of {obj.name}?",
            "opts": self.model._meta,
            "original": obj,
        }
        return TemplateResponse(request, f"{_TEMPLATES}/rotate_secret.html", context)

    @admin.action(
        description="Send a test event to the selected subscriptions", permissions=["change"]
    )
    def send_test_event(
        self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]
    ) -> None:
        count = 0
        for subscription in queryset:
            webhook_send_test(subscription=subscription, actor=_actor(request))
            count += 1
        self.message_user(
            request,
            f"Queued a webhook.test event for {count} subscription(s); see the delivery log.",
            messages.SUCCESS,
        )

    @admin.action(description="Deactivate the selected subscriptions", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        count = queryset.update(is_active=False)
        self.message_user(request, f"Deactivated {count} subscription(s).", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only; a finished delivery can be sent again as a new delivery."""

    list_display = (
        "created_at",
        "event_type",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "duration_ms",
        "last_attempt_at",
        "next_attempt_at",
    )
    list_filter = (
        "status",
        "event_type",
        "subscription",
        ("created_at", admin.DateFieldListFilter),
    )
    list_select_related = ("subscription",)
    search_fields = ("=delivery_id", "=event_id")
    show_full_result_count = False
    actions = ["redeliver"]
    fields = (
        "delivery_id",
        "subscription",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "duration_ms",
        "last_error",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "completed_at",
        "redelivery_of",
        "payload_json",
    )
    readonly_fields = fields

    @admin.display(description="Payload")
    def payload_json(self, obj: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhooks.change_webhookdelivery")

    @admin.action(
        description="Redeliver the selected finished deliveries", permissions=["redeliver"]
    )
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        finished = queryset.exclude(status=DeliveryStatus.PENDING)
        count = 0
        for delivery in finished:
            webhook_redeliver(delivery=delivery)
            count += 1
        skipped = queryset.count() - count
        note = f" ({skipped} still pending, left alone)" if skipped else ""
        self.message_user(request, f"Queued {count} redelivery(ies){note}.", messages.SUCCESS)
