from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks: subscriptions per event type, HMAC-signed deliveries and their log."""

    name = "core.webhooks"
    label = "webhooks"
    verbose_name = "Outbound webhooks"
