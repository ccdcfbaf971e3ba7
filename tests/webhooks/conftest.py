"""Fixtures for outbound webhooks: a real local HTTP receiver that checks signatures with the
recipe the README documents, subscriptions pointed at it, and a way to run queued attempts."""

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core.models import OutboxMessage, OutboxStatus, User
from core.outbox import run_outbox_message
from core.webhooks.models import WebhookSubscription
from core.webhooks.services import webhook_subscription_create
from core.webhooks.tasks import webhook_deliver_task


# --- The verification recipe, as documented in the README (keep the two identical) ----------
def verify_signature(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """True when `header` (X-ServiceDesk-Signature) signs the raw request `body`."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False  # too old (or from the future): a replay
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


# ---------------------------------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    secret: str = ""
    received: list[Received] = field(default_factory=list)
    # What to answer, in order: (status, extra headers); 200 once they run out.
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1: a private target, so these tests allow private targets
    explicitly (tests/webhooks/test_outbound_targets.py proves what is refused without it)."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            signature = self.headers.get("X-ServiceDesk-Signature", "")
            with lock:
                state.received.append(
                    Received(
                        headers=dict(self.headers.items()),
                        body=body,
                        verified=verify_signature(state.secret, body, signature),
                    )
                )
                status, extra = state.answers.pop(0) if state.answers else (200, {})
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            payload = b"nope" if status >= 300 else b"ok"
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/servicedesk"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def subscribe(receiver: Receiver, admin_user: User) -> Callable[..., WebhookSubscription]:
    """A subscription for `event_types` pointed at the receiver, whose secret it learns."""

    def make(*event_types: str, url: str | None = None) -> WebhookSubscription:
        subscription, secret = webhook_subscription_create(
            name=f"Receiver {'/'.join(event_types)}",
            url=url or receiver.url,
            event_types=list(event_types),
            created_by=admin_user,
        )
        receiver.secret = secret
        return subscription

    return make


def webhook_messages() -> Any:
    return OutboxMessage.objects.filter(task_name="webhooks.deliver")


def run_queued() -> int:
    """Run every pending delivery attempt now, whatever its available_at (the time travel a
    relay would do). Returns how many ran."""
    ran = 0
    for message in webhook_messages().filter(status=OutboxStatus.PENDING).order_by("id"):
        ran += run_outbox_message(message.pk, webhook_deliver_task.handler)
    return ran
