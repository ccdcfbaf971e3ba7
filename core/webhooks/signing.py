"""Signing of outbound webhook bodies.

Header: `X-ServiceDesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>`,
computed over the exact bytes sent. A receiver recomputes it from the raw body and rejects old
timestamps (replays); `webhook_signature_verify` is the recipe the README documents.
"""

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

SIGNATURE_HEADER = "X-ServiceDesk-Signature"
EVENT_HEADER = "X-ServiceDesk-Event"
DELIVERY_HEADER = "X-ServiceDesk-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


def webhook_secret_generate() -> str:
    """A new random signing secret (256 bits)."""
    return f"whsec_{secrets.token_urlsafe(32)}"


def webhook_body(payload: dict[str, Any]) -> bytes:
    """The bytes sent for a payload: compact UTF-8 JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def webhook_signature(*, secret: str, body: bytes, timestamp: int) -> str:
    """The X-ServiceDesk-Signature header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_signature_verify(
    *,
    secret: str,
    body: bytes,
    header: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` with `secret` and is at most `tolerance` seconds old."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        signature = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), signature)
