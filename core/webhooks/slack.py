"""Outbound HTTP for notifications (Slack-compatible incoming webhooks), run from the outbox.

The URL is a group's `webhook_url`: it goes through core.webhooks.outbound like a subscription's
(public addresses only unless WEBHOOK_ALLOW_PRIVATE_TARGETS, connection to the checked address).
"""

import json
from typing import Any

import httpx

from core.outbox import TransientError, outbox_task
from core.webhooks.outbound import TargetRefused, TargetUnresolved, outbound_post

WEBHOOK_TIMEOUT_SECONDS = 5.0
_ERROR_BODY_BYTES = 200


def post_json(url: str, body: bytes, *, headers: dict[str, str], timeout: float) -> None:
    """POST a JSON body and judge the answer for the outbox: 2xx/3xx done; network errors, 429
    and 5xx a TransientError (retried with backoff); another 4xx or a refused target a
    ValueError with the start of the answer (retrying cannot help). Shared by this task and the
    on-call app's page webhooks."""
    try:
        with outbound_post(
            url,
            content=body,
            headers={"Content-Type": "application/json", **headers},
            timeout=timeout,
        ) as response:
            status = response.status_code
            snippet = b"" if status < 400 else _start_of(response)
    except TargetRefused as refused:
        raise ValueError(f"Refused, no connection made: {refused.reason}.") from refused
    except (httpx.HTTPError, TargetUnresolved) as exc:
        raise TransientError(f"{type(exc).__name__}: {exc}") from exc
    if status == 429 or status >= 500:
        raise TransientError(f"HTTP {status}")
    if status >= 400:
        raise ValueError(f"HTTP {status}: {snippet.decode('utf-8', 'replace')}")


@outbox_task("core.post_webhook")
def post_webhook_task(payload: dict[str, Any]) -> None:
    """POST payload["json"] to payload["url"] (judged by post_json)."""
    body = json.dumps(payload["json"]).encode()
    post_json(payload["url"], body, headers={}, timeout=WEBHOOK_TIMEOUT_SECONDS)


def _start_of(response: httpx.Response) -> bytes:
    snippet = b""
    for chunk in response.iter_bytes():
        snippet += chunk
        if len(snippet) >= _ERROR_BODY_BYTES:
            break
    return snippet[:_ERROR_BODY_BYTES]
