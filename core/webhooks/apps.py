from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks: subscriptions per event type, HMAC-signed deliveries and their log."""

    name = "core.webhooks"
    label = "webhooks"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        from core.webhooks.emit import ANY_SUBSCRIPTION_MEMO

        ANY_SUBSCRIPTION_MEMO.connect()
