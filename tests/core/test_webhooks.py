"""Slack-compatible webhook delivery from the outbox, against a real local HTTP receiver."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from core.models import OutboxStatus
from core.outbox import outbox_enqueue, run_outbox_message
from core.webhooks.slack import post_webhook_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings):
    # The receivers here listen on 127.0.0.1, a private target (refusals: tests/webhooks/).
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def receiver():
    received, answers = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(answers.pop(0) if answers else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received, answers
    server.shutdown()


def test_a_refused_target_fails_without_retry(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    message = _message("http://169.254.169.254/latest/meta-data/")
    run_outbox_message(message.pk, post_webhook_task.handler)
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert "link-local" in message.last_error


def _message(url):
    return outbox_enqueue(
        task_name="core.post_webhook", payload={"url": url, "json": {"text": "INC-1 breached"}}
    )


def test_delivers_the_json_body(receiver):
    url, received, _ = receiver
    message = _message(url)
    run_outbox_message(message.pk, post_webhook_task.handler)
    message.refresh_from_db()
    assert message.status == OutboxStatus.DONE
    assert received == [{"text": "INC-1 breached"}]


@pytest.mark.parametrize(
    ("status", "expected"),
    [(503, OutboxStatus.PENDING), (429, OutboxStatus.PENDING), (404, OutboxStatus.FAILED)],
)
def test_retries_only_transient_answers(receiver, status, expected):
    url, _, answers = receiver
    answers.append(status)
    message = _message(url)
    run_outbox_message(message.pk, post_webhook_task.handler)
    message.refresh_from_db()
    assert message.status == expected


def test_unreachable_receiver_is_retried(free_tcp_port):
    message = _message(f"http://127.0.0.1:{free_tcp_port}/hook")
    run_outbox_message(message.pk, post_webhook_task.handler)
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
