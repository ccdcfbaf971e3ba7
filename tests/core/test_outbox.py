from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import OutboxMessage, OutboxStatus
from core.outbox import TransientError, outbox_enqueue, run_outbox_message
from core.outbox_relay import relay_outbox
from tests.brokers import CLOSED_PORT_BROKER, drain

pytestmark = pytest.mark.django_db


def _enqueue(**kwargs):
    defaults = {
        "task_name": "core.send_email",
        "payload": {"to": ["a@example.com"], "subject": "s", "body": "b"},
    }
    return outbox_enqueue(**{**defaults, **kwargs})


def test_dedupe_key_makes_a_second_enqueue_a_noop_inside_one_transaction():
    with transaction.atomic():
        first = _enqueue(dedupe_key="k1")
        second = _enqueue(dedupe_key="k1")
        third = _enqueue(dedupe_key="k2")
    assert first is not None and second is None and third is not None
    assert OutboxMessage.objects.count() == 2


def test_handler_runs_once_even_when_the_message_is_delivered_twice():
    message = _enqueue()
    calls = []
    assert run_outbox_message(message.pk, calls.append) is True
    assert run_outbox_message(message.pk, calls.append) is False
    assert len(calls) == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.DONE and message.attempts == 1


def test_transient_error_retries_with_backoff_then_fails(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    message = _enqueue()

    def flaky(payload):
        raise TransientError("smtp timeout")

    run_outbox_message(message.pk, flaky)
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.available_at > timezone.now()
    assert "smtp timeout" in message.last_error

    run_outbox_message(message.pk, flaky)
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert message.attempts == 2


def test_permanent_error_fails_at_once():
    message = _enqueue()

    def broken(payload):
        raise KeyError("subject")

    run_outbox_message(message.pk, broken)
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED
    assert "KeyError" in message.last_error


def test_relay_publishes_due_rows_once_and_skips_delayed_ones(use_broker):
    use_broker("memory://")
    drain()
    due = _enqueue()
    later = _enqueue(delay=timedelta(minutes=5))
    assert relay_outbox() == 1
    assert relay_outbox() == 0  # already dispatched: not published again
    assert drain() == [("core.send_email", [[due.pk]])]
    later.refresh_from_db()
    assert later.status == OutboxStatus.PENDING


def test_relay_republishes_messages_lost_after_dispatch(use_broker, settings):
    use_broker("memory://")
    drain()
    message = _enqueue()
    relay_outbox()
    drain()  # the broker lost it (or the worker died): nobody ran it
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.OUTBOX_REDISPATCH_AFTER_SECONDS + 1)
    ):
        assert relay_outbox() == 1
    assert drain() == [("core.send_email", [[message.pk]])]


def test_relay_keeps_rows_when_the_broker_is_down(use_broker):
    use_broker(CLOSED_PORT_BROKER)
    message = _enqueue()
    assert relay_outbox() == 0
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.dispatched_at is None
    assert message.last_error.startswith("publish:")


def test_a_key_known_to_be_new_is_written_without_a_savepoint():
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        message = _enqueue(dedupe_key="incident:1:created", key_is_new=True)
    assert message is not None and message.dedupe_key == "incident:1:created"
    assert not any("SAVEPOINT" in q["sql"] for q in queries.captured_queries)
    # The key is still recorded: a later enqueue with it is a no-op.
    with transaction.atomic():
        assert _enqueue(dedupe_key="incident:1:created") is None
