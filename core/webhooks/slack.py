"""Outbound HTTP for notifications (Slack-compatible incoming webhooks), run from the outbox."""

from typing import Any

import httpx

from core.outbox import TransientError, outbox_task

WEBHOOK_TIMEOUT_SECONDS = 5.0


@outbox_task("core.post_webhook")
def post_webhook_task(payload: dict[str, Any]) -> None:
    """POST payload["json"] to payload["url"]. Network errors, 429 and 5xx are retried by the
    outbox with backoff; other 4xx answers fail the message (retrying cannot help)."""
    try:
        response = httpx.post(payload["url"], json=payload["json"], timeout=WEBHOOK_TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        raise TransientError(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise ValueError(f"HTTP {response.status_code}: {response.text[:200]}")
